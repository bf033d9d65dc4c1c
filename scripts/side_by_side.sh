#!/usr/bin/env bash
# Throughput and memory of `stance` side by side with VADER, scikit-learn and fastText.
# Usage: scripts/side_by_side.sh [side_by_side.py options]   (see --help; e.g. --limit 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
cd "$SCRIPTS_DIR/.."
cargo build --release
exec "$VENV/bin/python" "$SCRIPTS_DIR/side_by_side.py" "$@"

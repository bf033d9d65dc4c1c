#!/usr/bin/env bash
# TF-IDF + logistic regression baseline on the statement splits (see sklearn_baseline.py --help).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
cd "$SCRIPTS_DIR/.."
exec "$VENV/bin/python" "$SCRIPTS_DIR/sklearn_baseline.py" "$@"

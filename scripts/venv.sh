# Sourced by the scripts/*.sh entry points: create (once) and activate scripts/.venv with the
# pinned peers from scripts/requirements-bench.txt. Override the interpreter with PYTHON=...
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$SCRIPTS_DIR/.venv"
REQS="$SCRIPTS_DIR/requirements-bench.txt"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi
# Reinstall only when the requirements file changed since the last install.
if ! cmp -s "$REQS" "$VENV/.installed-requirements"; then
    "$VENV/bin/python" -m pip install --quiet -r "$REQS"
    cp "$REQS" "$VENV/.installed-requirements"
fi

#!/usr/bin/env bash
# Creates the Python environment for the ground-truth tools in <repo>/.venv and installs
# tools/requirements.txt into it. Idempotent: a hash of requirements.txt is stored in the
# venv and the install is skipped while it matches. `--force` reinstalls.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/tools/requirements.txt"
STAMP="$VENV/.cvrnet-requirements.sha256"
PYTHON="${PYTHON:-python3}"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) echo "usage: tools/setup_venv.sh [--force]"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [[ $force -eq 0 && -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "setup_venv: $VENV is up to date with tools/requirements.txt"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup_venv: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

echo "setup_venv: installing tools/requirements.txt"
# --no-compile: pip would byte-compile every module of TensorFlow and Keras (tens of thousands);
# Python compiles the ones the tools import when they first import them, and keeps those.
# Measured on 2 cores: install 145 -> 92 s, the first import 11 -> 31 s.
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-compile -q -r "$REQ"
TF_CPP_MIN_LOG_LEVEL=2 "$VENV/bin/python" - <<'PY'
import importlib
for name in ("tensorflow", "tf_keras", "keras", "keras_applications", "h5py", "PIL", "numpy", "sklearn", "scipy", "pydicom"):
    importlib.import_module(name)
print("setup_venv: imports ok")
PY
echo "$want" > "$STAMP"
echo "setup_venv: done"

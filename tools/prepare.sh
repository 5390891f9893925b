#!/usr/bin/env bash
# The one command that makes everything the tests and the default run need but that is not
# committed: the tools' Python environment (tools/setup_venv.sh), then the reference weights
# and their Keras golden outputs (tools/make_reference_weights.py, about 2-3 minutes), then the
# Keras 3 reference files and Keras 3's golden outputs (tools/make_keras3_reference.py).
# Skips the weights when all of them and all golden files exist and are newer than the tools,
# requirements and sample images they come from. `--force` regenerates them.
# (Sample images and layer fixtures are committed; their scripts are run by hand.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) echo "usage: tools/prepare.sh [--force]"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

tools/setup_venv.sh

outputs=(
  weights/reference-2class-keras231-weights.hdf5
  weights/reference-2class-tfkeras-weights.hdf5
  weights/reference-3class-tfkeras-model.h5
  weights/reference-4class-keras231-model.h5
  weights/golden/reference-2class-keras231-weights.json
  weights/golden/reference-2class-tfkeras-weights.json
  weights/golden/reference-3class-tfkeras-model.json
  weights/golden/reference-4class-keras231-model.json
)
inputs=(tools/make_reference_weights.py tools/cvrnet_model.py tools/requirements.txt
        Tests/Fixtures/sample-images/*.png Tests/Fixtures/sample-images/*.jpg)

stale=""
if [[ $force -eq 1 ]]; then
  stale="--force given"
else
  for out in "${outputs[@]}"; do
    if [[ ! -s "$out" ]]; then stale="$out is missing"; break; fi
    for in in "${inputs[@]}"; do
      if [[ "$in" -nt "$out" ]]; then stale="$in is newer than $out"; break 2; fi
    done
  done
fi

if [[ -z "$stale" ]]; then
  echo "prepare: reference weights and golden outputs are up to date (tools/prepare.sh --force regenerates)"
else
  echo "prepare: making reference weights ($stale)"
  start=$SECONDS
  TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python tools/make_reference_weights.py
  echo "prepare: reference weights done in $((SECONDS - start)) s"
fi

# Keras 3 reference files (copied from the tf.keras reference weights) and Keras 3's golden outputs.
keras3_outputs=(
  weights/reference-2class-keras3.weights.h5
  weights/reference-2class-keras3-noattrs.weights.h5
  weights/reference-2class-keras3-compiled.weights.h5
  weights/reference-3class-keras3.keras
  weights/reference-4class-keras3-legacy.h5
  weights/golden/reference-2class-keras3.weights.json
  weights/golden/reference-2class-keras3-noattrs.weights.json
  weights/golden/reference-2class-keras3-compiled.weights.json
  weights/golden/reference-3class-keras3.json
  weights/golden/reference-4class-keras3-legacy.json
)
keras3_inputs=(tools/make_keras3_reference.py tools/requirements.txt
               weights/reference-2class-tfkeras-weights.hdf5 weights/reference-3class-tfkeras-model.h5
               Tests/Fixtures/sample-images/*.png Tests/Fixtures/sample-images/*.jpg)
stale=""
if [[ $force -eq 1 ]]; then
  stale="--force given"
else
  for out in "${keras3_outputs[@]}"; do
    if [[ ! -s "$out" ]]; then stale="$out is missing"; break; fi
    for in in "${keras3_inputs[@]}"; do
      if [[ "$in" -nt "$out" ]]; then stale="$in is newer than $out"; break 2; fi
    done
  done
fi
if [[ -z "$stale" ]]; then
  echo "prepare: Keras 3 reference files are up to date"
else
  echo "prepare: making Keras 3 reference files ($stale)"
  start=$SECONDS
  TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python tools/make_keras3_reference.py
  echo "prepare: Keras 3 reference files done in $((SECONDS - start)) s"
fi

#!/usr/bin/env bash
# The one command that makes everything the tests and the default run need but that is not
# committed: the tools' Python environment (tools/setup_venv.sh), then
#  1. the reference weights and their Keras golden outputs (tools/make_reference_weights.py),
#  2. Keras's Grad-CAM maps of those weights, float32 and float64 (tools/make_gradcam_golden.py),
#  3. the Keras 3 reference files and Keras 3's golden outputs (tools/make_keras3_reference.py),
#  4. real DICOM files (PyPI pydicom-data) rendered by dcmj2pnm, and Keras on the CR chest
#     (tools/make_dicom_real_data.py).
# Each step is skipped when all its outputs exist and are newer than the scripts, requirements,
# weights and sample images they come from. `--force` regenerates everything.
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

# step WHAT SCRIPT [ARGS...]: runs tools/SCRIPT ARGS unless every file in the array `outputs`
# exists and is newer than every file in the array `inputs`.
step() {
  local what="$1" script="$2" stale="" out in
  shift 2
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
    echo "prepare: $what: up to date (tools/prepare.sh --force regenerates)"
    return
  fi
  echo "prepare: $what: making ($stale)"
  local start=$SECONDS
  TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python "tools/$script" "$@"
  echo "prepare: $what: done in $((SECONDS - start)) s"
}

# Steps 2-4 only read step 1's weights and write files of their own, and much of their time is
# single-threaded Python (building Keras models), so they run side by side: on 2 cores that
# saves minutes. Each one's output is shown when it ends; any failure fails prepare.sh.
parallel_pids=() parallel_logs=() parallel_names=()
in_parallel() {
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/cvrnet-prepare.XXXXXX")"
  step "$@" >"$log" 2>&1 &
  parallel_pids+=($!) parallel_logs+=("$log") parallel_names+=("$1")
  echo "prepare: $1: started alongside the others"
}
finish_parallel() {
  local i failed=0
  for i in "${!parallel_pids[@]}"; do
    if ! wait "${parallel_pids[$i]}"; then
      failed=1
      echo "prepare: ${parallel_names[$i]}: FAILED; its output:" >&2
    fi
    cat "${parallel_logs[$i]}"
    rm -f "${parallel_logs[$i]}"
  done
  if [[ $failed -ne 0 ]]; then exit 1; fi
}

reference_weights=(
  weights/reference-2class-keras231-weights.hdf5
  weights/reference-2class-tfkeras-weights.hdf5
  weights/reference-3class-tfkeras-model.h5
  weights/reference-4class-keras231-model.h5
)
samples=(Tests/Fixtures/sample-images/*.png Tests/Fixtures/sample-images/*.jpg)

# 1. About 2-3 minutes.
outputs=("${reference_weights[@]}"
  weights/golden/reference-2class-keras231-weights.json
  weights/golden/reference-2class-tfkeras-weights.json
  weights/golden/reference-3class-tfkeras-model.json
  weights/golden/reference-4class-keras231-model.json
)
inputs=(tools/make_reference_weights.py tools/cvrnet_model.py tools/cvrnet_common.py tools/requirements.txt "${samples[@]}")
step "reference weights and golden outputs" make_reference_weights.py
reference_outputs=("${outputs[@]}")

# 2. About 6-8 minutes (the float32 maps, then the float64 ones), the longest step: two
#    processes of two weights files each, so that it does not finish alone on one core.
inputs=(tools/make_gradcam_golden.py tools/cvrnet_common.py "${reference_outputs[@]}")
for pair in "reference-2class-keras231-weights reference-2class-tfkeras-weights" \
            "reference-3class-tfkeras-model reference-4class-keras231-model"; do
  read -r first second <<<"$pair"
  outputs=(weights/golden/$first.gradcam.json weights/golden/$second.gradcam.json
           weights/golden/$first.gradcam.f64 weights/golden/$second.gradcam.f64)
  only=()
  for stem in $first $second; do
    for f in "${reference_weights[@]}"; do [[ "$(basename "${f%.*}")" == "$stem" ]] && only+=(--only "$(basename "$f")"); done
  done
  in_parallel "Grad-CAM golden maps ($first, $second)" make_gradcam_golden.py "${only[@]}"
done

# 3. Copied from the tf.keras reference weights by layer name; about 2-6 minutes.
outputs=(
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
inputs=(tools/make_keras3_reference.py tools/cvrnet_common.py tools/requirements.txt
        weights/reference-2class-tfkeras-weights.hdf5 weights/reference-3class-tfkeras-model.h5 "${samples[@]}")
in_parallel "Keras 3 reference files" make_keras3_reference.py

# 4. Real DICOM files against dcmj2pnm, Keras's input and prediction on the CR chest; under a minute.
outputs=(weights/golden/dicom-real/manifest.json)
inputs=(tools/make_dicom_real_data.py tools/make_dicom_fixtures.py tools/cvrnet_model.py tools/cvrnet_common.py tools/requirements.txt
        weights/reference-2class-keras231-weights.hdf5)
in_parallel "real DICOM files against dcmj2pnm and Keras" make_dicom_real_data.py

finish_parallel

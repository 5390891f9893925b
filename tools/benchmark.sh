#!/usr/bin/env bash
# Inference benchmark of cvrnet against Keras/TensorFlow, ONNX Runtime and OpenVINO (f32, and
# bf16 where the CPU has AVX512_BF16 or AMX-BF16) on the default 2-class reference weights:
# latency at batch 1 and 8, GFLOP/s next to the machine's sgemm peak, peak RSS of each engine,
# `cvrnet classify` end to end against the equivalent Keras script, agreement of every
# engine's probabilities with Keras, and the targets of the performance issues (met, NOT met,
# or not measured and why).
#
#   tools/benchmark.sh [tools/benchmark.py options]   e.g. --runs 20, --batch 1,4,8,
#                                                     --engines cvrnet,tensorflow, --classify-runs 0
#                                                     (engines: cvrnet, cvrnet-bf16, tensorflow,
#                                                     onnxruntime, openvino, openvino-bf16; the
#                                                     bf16 ones say "not available on this CPU"
#                                                     without AVX512_BF16 or AMX-BF16)
#
# Needs what tools/setup.sh installs (system packages, .venv, reference weights). Installs
# the peers from tools/requirements-benchmark.txt into .venv when they are missing or the
# file changed, builds cvrnet-benchmark and cvrnet (release) in .build-bench, then runs
# tools/benchmark.py. Results: printed, and written to weights/benchmark-results.json.
# Takes about 4-6 minutes on 2 cores (the first run also converts the model to ONNX,
# about 1.5 minutes, cached as weights/*.onnx). Not a test: run it on demand, on an
# otherwise idle machine for numbers worth quoting.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/prepare.sh

req=tools/requirements-benchmark.txt
stamp=.venv/.requirements-benchmark.sha256
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]] || ! .venv/bin/python - <<'PY'
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in ("tf2onnx", "onnx", "onnxruntime", "openvino")) else 1)
PY
then
  echo "benchmark: installing $req into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

scratch=.build-bench
echo "benchmark: building cvrnet-benchmark and cvrnet (release, $scratch)"
swift build -c release --scratch-path "$scratch" --product cvrnet-benchmark 2>&1 | tail -n 1
bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
cli="$bin/cvrnet"
if ! swift build -c release --scratch-path "$scratch" --product cvrnet 2>&1 | tail -n 1; then
  echo "benchmark: building cvrnet failed; the end-to-end classify comparison will be skipped" >&2
  cli=/nonexistent/cvrnet
fi

exec .venv/bin/python tools/benchmark.py --bench-bin "$bin/cvrnet-benchmark" --cvrnet-bin "$cli" "$@"

#!/usr/bin/env bash
# The whole test suite from a fresh clone: system packages, the tools' venv, the reference
# weights and Keras golden outputs (generated, not committed), then `swift test`.
#
# Tests run on an optimised build: the end-to-end parity tests push every sample image through
# CVR-Net (16.8 GFLOP each) for four weights files, which takes minutes unoptimised.
# `-enable-testing` lets the tests reach internal API (tapped feature maps) in that build; it
# has its own build folder so it does not rebuild the release `cvrnet` of tools/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_system_packages.sh
flags=(-c release -Xswiftc -enable-testing --scratch-path .build-test)
# The build needs none of what prepare.sh generates, and prepare.sh is mostly single-threaded
# Python: the two run side by side (minutes saved on 2 cores). The build's output is shown
# when both are done.
start=$SECONDS
build_log="$(mktemp "${TMPDIR:-/tmp}/cvrnet-test-build.XXXXXX")"
swift build "${flags[@]}" --build-tests >"$build_log" 2>&1 &
build_pid=$!
# With the robustness step (CI), its instrumented build (the fuzz targets, AddressSanitizer +
# libFuzzer) follows the test build in the background, still during prepare.sh, whose Python
# leaves a core idle much of the time; the step then finds it built. Its output is shown only if
# it fails (the step's own build then fails the same way, with its message).
robust=0
if [ "${CI:-}" = true ] || [ "${CVRNET_ROBUSTNESS:-}" = 1 ]; then robust=1; fi
robust_pid=
if [ $robust -eq 1 ]; then
    robust_log="$(mktemp "${TMPDIR:-/tmp}/cvrnet-robustness-build.XXXXXX")"
    (
        while kill -0 "$build_pid" 2>/dev/null; do sleep 5; done
        CVRNET_BUILD_ONLY=1 tools/fuzz.sh
    ) >"$robust_log" 2>&1 &
    robust_pid=$!
fi
stop_robustness_builds() {
    if [ -n "$robust_pid" ]; then
        pkill -TERM -P "$robust_pid" 2>/dev/null || true
        kill "$robust_pid" 2>/dev/null || true
    fi
}
if ! tools/prepare.sh; then
    kill "$build_pid" 2>/dev/null || true
    wait "$build_pid" 2>/dev/null || true
    stop_robustness_builds
    exit 1
fi
echo "test.sh: prepare took $((SECONDS - start)) s"
if ! wait "$build_pid"; then
    cat "$build_log"
    stop_robustness_builds
    echo "test.sh: the build failed" >&2
    exit 1
fi
grep -v ': warning: \|^ *[0-9]* | \|^ *| \|^ *`-' "$build_log" | tail -n 5 || true
rm -f "$build_log"
echo "test.sh: build and prepare took $((SECONDS - start)) s"
start=$SECONDS
swift test "${flags[@]}" --skip-build "$@"
echo "test.sh: the suite took $((SECONDS - start)) s"
# On CPUs with AVX-512 or AVX2 + FMA the run above used cvrnet's own kernels (`cvrnet --version`
# names them). The portable kernels (im2col + OpenBLAS, Swift loops), which other CPUs run and
# `CVRNET_PORTABLE_KERNELS=1` forces, get their last bits from the kernels OpenBLAS runs on the
# CPU; run the kernel and model targets (Keras parity, bands, execution modes, Grad-CAM) on that
# path too, a few minutes each. The CLI, format, image and evaluation targets do not depend on
# the kernels: they ran above.
#  - with the OpenBLAS kernels this CPU gets (OpenBLAS's choice, or the AVX2/AVX-512 set cvrnet
#    has it load where Debian's OpenBLAS 0.3.21 does not know the CPU: see OpenBLASCore.swift);
#  - with its Haswell (AVX2 + FMA) kernels, as on an AVX2-only CPU without cvrnet's kernels.
# bf16's fidelity tests (BFloat16FidelityTests) ran above and are skipped here: bf16 runs its own
# kernels, which CVRNET_PORTABLE_KERNELS does not change, and its bounds are those of its
# arithmetic, not of the float32 path.
if [ $# -eq 0 ]; then
    if ! .build-test/release/cvrnet --version | grep -q '^kernels: portable'; then
        echo "== portable kernels, with the OpenBLAS kernels this CPU gets:"
        CVRNET_PORTABLE_KERNELS=1 .build-test/release/cvrnet --version | sed -n 's/^openblas: /   /p'
        start=$SECONDS
        CVRNET_PORTABLE_KERNELS=1 swift test "${flags[@]}" --skip-build --filter 'CVRNetKernelsTests|CVRNetTests' \
            --skip BFloat16FidelityTests
        echo "test.sh: the portable pass took $((SECONDS - start)) s"
    fi
    # The OpenBLAS kernels the portable runs above used: when they are already Haswell's (core
    # Haswell, or Zen, whose sgemm and dgemm kernels are Haswell's: OpenBLAS's KERNEL.ZEN; the
    # two cores give the same bits for every sample image's probabilities and heads), the
    # Haswell pass would repeat them.
    portable_core=$(CVRNET_PORTABLE_KERNELS=1 .build-test/release/cvrnet --version | sed -n 's/^openblas: core \([A-Za-z0-9]*\).*/\1/p')
    if [ "$portable_core" = Haswell ] || [ "$portable_core" = Zen ]; then
        echo "== portable kernels, OpenBLAS core Haswell: already run above (OpenBLAS core $portable_core)"
    elif grep -q avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
        echo "== portable kernels, OpenBLAS core Haswell (as an AVX2-only CPU runs them)"
        start=$SECONDS
        CVRNET_PORTABLE_KERNELS=1 OPENBLAS_CORETYPE=Haswell swift test "${flags[@]}" --skip-build \
            --filter 'CVRNetKernelsTests|CVRNetTests' --skip BFloat16FidelityTests
        echo "test.sh: the Haswell pass took $((SECONDS - start)) s"
    fi
fi

# Robustness: the suite's own bad and odd inputs (images, weights, DICOM; Tests/Fixtures and the
# fuzz regression inputs) once each under AddressSanitizer, then a short fuzz pass of the PNG,
# JPEG, weights and DICOM readers: 15 s per target (11 s for DICOM) with one libFuzzer job per
# core. The whole suite under AddressSanitizer or ThreadSanitizer is tools/sanitize.sh, run by
# hand before a change to kernels, readers, the execution plan or the CLI lands (README,
# "Robustness"): instrumented it needs a build of its own and about 10 minutes on 2 cores, which
# CI's time does not leave room for.
if [ $robust -eq 1 ]; then
    if ! wait "$robust_pid"; then
        echo "test.sh: the instrumented build made ahead failed; building again:"
    fi
    rm -f "$robust_log"
    start=$SECONDS
    tools/fuzz.sh "${CVRNET_FUZZ_SECONDS:-15}"
    echo "test.sh: the robustness step took $((SECONDS - start)) s"
fi

#!/usr/bin/env bash
# The test suite under a sanitizer: tools/sanitize.sh [address|thread] [swift test arguments...]
#   address  AddressSanitizer (+ LeakSanitizer): out-of-bounds access, use after free, leaks
#   thread   ThreadSanitizer: data races (ConcurrencyTests runs 8 threads on one model)
#
# Like tools/test.sh it tests an optimised build (-c release -Xswiftc -enable-testing): the
# end-to-end parity tests run CVR-Net on every sample image, which takes far too long in a
# debug build, let alone an instrumented one. Each sanitizer has its own build folder
# (.build-asan, .build-tsan). The reference weights must exist (tools/prepare.sh makes them;
# it is run here too and does nothing when they are up to date).
#
# Extra arguments go to `swift test`, e.g. `tools/sanitize.sh thread --filter ConcurrencyTests`.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer=${1:-address}
shift || true
case "$sanitizer" in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "usage: tools/sanitize.sh [address|thread] [swift test arguments...]" >&2; exit 2 ;;
esac

[ "${CVRNET_SKIP_PREPARE:-}" = 1 ] || tools/prepare.sh

# Suppressions: only for reports in code that is not cvrnet's, each with its reason. The file
# is written into the build folder from here, so the reasons stay beside the script.
mkdir -p "$scratch"
cat >"$scratch/lsan.supp" <<'EOF'
# swift-foundation: String(contentsOf:) and Data(contentsOf:) leak the buffer readBytesFromFile
# mallocs (seen in the test helpers that read the CLI's output files; Foundation, not cvrnet).
leak:readBytesFromFile
# swift-foundation: Process.run leaves a weak-reference side table behind (the CLI tests start
# the cvrnet executable with Process).
leak:Foundation7ProcessC3run
# XCTest keeps its suite objects until the test process exits (the runner, not the tests).
leak:libXCTest.so
# swift-argument-parser: the cvrnet executable leaves with exit() from inside argument parsing
# (usage errors, exit 64), where the parser's key arrays are still allocated. Without this the
# leak report would also replace the exit status the CLI tests check.
leak:ArgumentParser
# libhdf5_hl 1.10 (Debian 12): H5LTopen_file_image with H5LT_FILE_IMAGE_DONT_COPY mallocs a
# 72-byte callback record (H5LT_file_image_ud_t) that is still unfreed after H5Fclose: one per
# .keras archive opened. KerasFormat closes the file and frees the image buffer itself.
leak:H5LTopen_file_image
# swift-corelibs-foundation: XMLDocument (FoundationXML) keeps its XMLNode objects and their
# libxml2 tree in reference cycles (reported as indirect leaks only; libxml2's frames carry no
# caller). Only SVGChartTests uses it, to parse the charts' SVG as XML.
leak:libFoundationXML.so
leak:libxml2.so
EOF
cat >"$scratch/tsan.supp" <<'EOF'
# (none)
EOF
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$PWD/$scratch/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}:suppressions=$PWD/$scratch/tsan.supp"

# When the Keras and Grad-CAM parity tests run instrumented (ThreadSanitizer; AddressSanitizer
# skips them by default, see below, but runs them when asked with --filter), they run the whole
# model on every sample image for each reference weights file: about 400 s of AddressSanitizer
# on 2 cores for all four files, 7 minutes of ThreadSanitizer for the Keras parity alone.
# The files differ in how they are read (naming scheme, weights-only or full model, class
# count), not in the forward pass they run, and every file is still read in full by the format
# and loader tests. So: AddressSanitizer runs one file of each naming scheme (one weights-only
# with 2 classes, one full model with 3), ThreadSanitizer one file (ConcurrencyTests is what
# looks for races). Read by KerasParityTests and GradCAMParityTests; set CVRNET_PARITY_WEIGHTS=
# (empty) to run all four.
case "$sanitizer" in
    address) export CVRNET_PARITY_WEIGHTS="${CVRNET_PARITY_WEIGHTS-reference-2class-keras231-weights.hdf5,reference-3class-tfkeras-model.h5}" ;;
    thread) export CVRNET_PARITY_WEIGHTS="${CVRNET_PARITY_WEIGHTS-reference-2class-keras231-weights.hdf5}" ;;
esac

# The parity suites run the whole model on every sample image; instrumented they are most of
# the run's time (KerasParityTests and GradCAMParityTests about 400 s of wall time each on 2
# shared cores) while adding nothing AddressSanitizer could see: a forward pass works inside
# one arena allocation per encoder, where ASan sees only overruns past the arena's ends (the
# plan's TensorViews check every operand against its slot instead, in every build). The kernels
# run under ASan on exact-size buffers in CVRNetKernelsTests, and the whole model still runs
# instrumented in ExecutionModeTests, ConcurrencyTests, ExecutionPlanTests and GradCAMTests.
# Keras3ParityTests and DICOMRealDataParityTests likewise only repeat the forward pass (the
# Keras 3 readers run in Keras3FileTests and the CLI tests, DICOM decoding in
# DICOMRealDataTests). Without extra arguments AddressSanitizer skips these four, and also the
# evaluation suites: `cvrnet evaluate` runs every image of a folder through two models (about
# 240 s of CPU instrumented, a third of the whole run) on code whose unsafe parts (image decoding,
# the forward pass, the PNG overlays of `explain`) other suites already run instrumented, and
# the EvaluationTests target is plain Swift arithmetic (bounds-checked arrays; nothing for ASan).
extra=()
if [[ "$sanitizer" == address && $# -eq 0 ]]; then
    extra=(--skip 'KerasParityTests|GradCAMParityTests|Keras3ParityTests|DICOMRealDataParityTests|EvaluateCommandTests|ScikitLearnParityTests|SVGChartTests|EvaluationUnitTests')
fi

flags=(-c release -Xswiftc -enable-testing --sanitize="$sanitizer" --scratch-path "$scratch")
start=$SECONDS
swift build "${flags[@]}" --build-tests
echo "sanitize: $sanitizer build took $((SECONDS - start)) s"
# CVRNET_BUILD_ONLY=1: build and stop (tools/test.sh builds ahead, in CI).
[ "${CVRNET_BUILD_ONLY:-}" != 1 ] || exit 0
start=$SECONDS
status=0
swift test "${flags[@]}" --skip-build "${extra[@]}" "$@" || status=$?
echo "sanitize: $sanitizer tests took $((SECONDS - start)) s (exit status $status)"
exit "$status"

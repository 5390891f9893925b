#!/usr/bin/env bash
# The whole test suite from a fresh clone: system packages, the tools' venv, the reference
# weights and Keras golden outputs (generated, not committed), then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_system_packages.sh
tools/prepare.sh
swift build --build-tests
swift test --skip-build

#!/usr/bin/env bash
# Everything a new machine needs, then the main job on the bundled default:
# system packages, the tools' venv, the reference weights, a release build, and cvrnet run on
# the sample images (classify each, then score the directory).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_system_packages.sh
tools/prepare.sh
swift build -c release --product cvrnet
bin="$(swift build -c release --show-bin-path)/cvrnet"
echo
echo "== cvrnet classify Tests/Fixtures/sample-images/* (default reference weights)"
"$bin" classify Tests/Fixtures/sample-images/*.png Tests/Fixtures/sample-images/*.jpg
echo
echo "== cvrnet score Tests/Fixtures/sample-images"
"$bin" score Tests/Fixtures/sample-images

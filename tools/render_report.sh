#!/usr/bin/env bash
# Renders an HTML report (cvrnet evaluate --report REPORT.html) in headless Chromium, to a PNG screenshot
# and to PDF (the print layout), so a person can look at it and a test can check it renders.
#   tools/render_report.sh REPORT.html OUT.png OUT.pdf [WIDTHxHEIGHT]
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: tools/render_report.sh REPORT.html OUT.png OUT.pdf [1200x2400]" >&2; exit 64; fi
html="$(realpath "$1")"; png="$(realpath -m "$2")"; pdf="$(realpath -m "$3")"; size="${4:-1200x2400}"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then echo "render_report: chromium is not installed (tools/install_system_packages.sh)" >&2; exit 69; fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
common=(--headless --no-sandbox --disable-gpu --user-data-dir="$profile" --no-first-run --hide-scrollbars)
timeout 120 "$browser" "${common[@]}" --window-size="${size/x/,}" --screenshot="$png" "file://$html" >/dev/null 2>&1
timeout 120 "$browser" "${common[@]}" --no-pdf-header-footer --print-to-pdf="$pdf" "file://$html" >/dev/null 2>&1
[ -s "$png" ] && [ -s "$pdf" ] || { echo "render_report: chromium wrote no PNG or PDF" >&2; exit 1; }
echo "render_report: $png, $pdf"

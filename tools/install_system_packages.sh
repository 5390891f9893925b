#!/usr/bin/env bash
# Installs the Debian 12 packages cvrnet builds against (C libraries and pkg-config).
# Skips apt entirely when everything is already installed.
set -euo pipefail
packages=(pkg-config libhdf5-dev libopenblas-dev libpng-dev libjpeg62-turbo-dev python3-venv)
packages+=(libzip-dev)  # Keras 3 .keras archives
packages+=(libgdcm-dev)  # DICOM input (GDCM)
# DICOM fixtures: tools/make_dicom_fixtures.py compares with dcmj2pnm and re-encodes with gdcmconv.
packages+=(dcmtk libgdcm-tools)
# chromium: the evaluate tests render report.html to PNG and PDF in a real browser.
packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"

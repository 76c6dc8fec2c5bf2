#!/usr/bin/env bash
# Installs the Debian packages govledger needs to build and test, skipping what is already there.
# Used by setup.sh (and so by the start and test commands); safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libssl-dev libleveldb-dev libsnappy-dev
  libboost-dev
  libprotobuf-dev protobuf-compiler
  catch2 libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libspdlog-dev
  libqrencode-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "govledger: installing missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "govledger: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "govledger: packages installed"

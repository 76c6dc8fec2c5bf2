#!/usr/bin/env bash
# Installs the Debian packages govledger needs to build and test (and the npm packages of the
# browser tests), skipping what is already there.
# Used by setup.sh (and so by the start and test commands); safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libssl-dev libleveldb-dev libsnappy-dev
  librocksdb-dev  # only for the storage-engine comparison of bench/kv_workload.cc
  libboost-dev
  libprotobuf-dev protobuf-compiler
  catch2 libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libspdlog-dev
  libqrencode-dev libpng-dev
  libgoogle-perftools-dev
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run the browser tests (tests/browser); any install of them will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
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
fi

# The browser tests' npm packages (playwright-core, driving the Chromium above), exactly as
# tests/browser/package-lock.json pins them; again whenever the lock file changes.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
installed_lock="$browser_dir/node_modules/.package-lock.json"
if [ ! -f "$installed_lock" ] || [ "$browser_dir/package-lock.json" -nt "$installed_lock" ]; then
  echo "govledger: installing the browser tests' npm packages (tests/browser)"
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

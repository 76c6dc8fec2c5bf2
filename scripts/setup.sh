#!/usr/bin/env bash
# Installs what is missing and builds govledger. Usage: scripts/setup.sh [PRESET]
# PRESET is a CMake preset from CMakePresets.json: release (default), debug, asan, tsan.
# Set GOVLEDGER_WERROR=1 to treat warnings as errors (the test command does).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

scripts/deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
werror="OFF"
[ "${GOVLEDGER_WERROR:-0}" = "1" ] && werror="ON"
echo "govledger: configuring ($preset)"
cmake --preset "$preset" -DGOVLEDGER_WERROR="$werror" >/dev/null
echo "govledger: building ($preset, $jobs jobs)"
cmake --build --preset "$preset" -j "$jobs"
echo "govledger: built into build/$preset"

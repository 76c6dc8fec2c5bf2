#!/usr/bin/env bash
# Installs what is missing and builds govledger. Usage: scripts/setup.sh [PRESET]
# PRESET is a CMake preset from CMakePresets.json: release (default), debug, asan, tsan.
# Set GOVLEDGER_WERROR=1 to treat warnings as errors (the test command does), 0 to stop.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

scripts/deps.sh

jobs="$(nproc 2>/dev/null || echo 2)"
# Unset, the build directory keeps what it was configured with: a tree the test command built
# with -Werror is not rebuilt from scratch by the benchmark or start command (the flag changes every
# compile line), and one configured without it is not made stricter.
werror=()
[ "${GOVLEDGER_WERROR:-}" = "1" ] && werror=(-DGOVLEDGER_WERROR=ON)
[ "${GOVLEDGER_WERROR:-}" = "0" ] && werror=(-DGOVLEDGER_WERROR=OFF)
echo "govledger: configuring ($preset)"
cmake --preset "$preset" "${werror[@]}" >/dev/null
echo "govledger: building ($preset, $jobs jobs)"
cmake --build --preset "$preset" -j "$jobs"
echo "govledger: built into build/$preset"

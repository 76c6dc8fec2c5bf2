#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds with warnings as errors, then runs
# every unit, integration and module-layout test with ctest. Usage: scripts/test.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
GOVLEDGER_WERROR=1 scripts/setup.sh "$preset"
jobs="$(nproc 2>/dev/null || echo 2)"
echo "govledger: running tests ($preset)"
ctest --preset "$preset" -j "$jobs" --timeout 300

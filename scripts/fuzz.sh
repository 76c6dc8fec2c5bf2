#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with Debian's clang (ASan + UBSan, every module
# instrumented) and fuzzes them. Documented in doc/testing.md ("Fuzzing").
#
#   scripts/fuzz.sh                  every target, 60 s each
#   scripts/fuzz.sh TARGET [SECONDS] one target (tx, block, records, wal_input, wal_file, p2p,
#                                    genesis, node_config, network_config, http, proof_bundle)
#   scripts/fuzz.sh all SECONDS      every target, SECONDS each
#   scripts/fuzz.sh --build          build only
#
# Environment: GOVLEDGER_FUZZ_BUILD (build dir, default build/fuzz), GOVLEDGER_FUZZ_JOBS
# (libFuzzer -jobs/-workers, default 1), GOVLEDGER_FUZZ_ARGS (extra libFuzzer flags).
# New inputs go to build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET, which stays
# untouched); crashes to build/fuzz/artifacts/TARGET/. A crash stops the run with a non-zero exit.
# Keep a crashing input as a regression: copy it into tests/fuzz/corpus/TARGET/ under a name that
# says what it broke, fix the decoder, and add a unit test named after the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(pwd)"
build="${GOVLEDGER_FUZZ_BUILD:-$src/build/fuzz}"
jobs="${GOVLEDGER_FUZZ_JOBS:-1}"
targets=(tx block records wal_input wal_file p2p genesis node_config network_config http proof_bundle)

target="${1:-all}"
seconds="${2:-60}"

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang)" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "govledger: configuring the fuzz build in $build"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DGOVLEDGER_FUZZ=ON "${launcher[@]}" >/dev/null
build_jobs="$(nproc 2>/dev/null || echo 2)"
if [ "$target" = "all" ] || [ "$target" = "--build" ]; then
  cmake --build "$build" --target fuzz_all -j "$build_jobs"
else
  cmake --build "$build" --target "fuzz_$target" -j "$build_jobs"
fi
[ "$target" = "--build" ] && exit 0

run_one() {
  local t="$1" secs="$2"
  local corpus="$build/corpus/$t" artifacts="$build/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  local extra=()
  # One job runs in this process (output on the terminal); more fork workers with log files.
  [ "$jobs" -gt 1 ] && extra+=("-jobs=$jobs" "-workers=$jobs")
  [ -f "$src/tests/fuzz/dict/$t.dict" ] && extra+=("-dict=$src/tests/fuzz/dict/$t.dict")
  echo "govledger: fuzzing $t for ${secs}s"
  # shellcheck disable=SC2086
  "$build/tests/fuzz/fuzz_$t" "$corpus" "$src/tests/fuzz/corpus/$t" \
    -max_total_time="$secs" -artifact_prefix="$artifacts" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" ${GOVLEDGER_FUZZ_ARGS:-}
}

if [ "$target" = "all" ]; then
  for t in "${targets[@]}"; do run_one "$t" "$seconds"; done
else
  run_one "$target" "$seconds"
fi

#!/usr/bin/env bash
# Runs the benchmark suite (doc/performance.md): ceiling, single, cluster, audit and api-load, each printing
# one summary line per figure and writing JSON into the results directory.
#
#   scripts/bench.sh [--tiny] [--suite p256|sm|both] [--out DIR] [--build-dir DIR] [--audit-txs N]
#
# Without --build-dir it builds the release preset first (installing what is missing), as
# scripts/start.sh does. --tiny runs everything for a few seconds (CI: the ctest `bench_tiny`);
# tiny figures are not meant to be quoted. Default results directory: bench-results/<UTC time>.
set -euo pipefail
cd "$(dirname "$0")/.."

tiny=""
suite="p256"
out=""
build_dir=""
audit_txs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) tiny="--tiny" ;;
    --suite) suite="$2"; shift ;;
    --out) out="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --audit-txs) audit_txs="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case "$suite" in
  p256|sm) suites="$suite" ;;
  both) suites="p256 sm" ;;
  *) echo "bench.sh: --suite p256, sm or both" >&2; exit 2 ;;
esac

if [ -z "$build_dir" ]; then
  scripts/setup.sh release
  build_dir="$PWD/build/release"
  cmake --build "$build_dir" --target govledger-bench -j "$(nproc)"
fi
bench="$build_dir/bench/govledger-bench"
[ -x "$bench" ] || { echo "bench.sh: $bench is not built" >&2; exit 1; }
out="${out:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/govledger-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
common=(--out "$out" --bin-dir "$build_dir" --source-dir "$PWD" --work-dir "$work")

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "govledger benchmarks ${tiny:+(tiny) }into $out; $(nproc) cores; load: $(load)"
"$bench" $tiny "${common[@]}" ceiling
for s in $suites; do
  "$bench" $tiny "${common[@]}" single --suite "$s"
  "$bench" $tiny "${common[@]}" cluster --suite "$s"
  "$bench" $tiny "${common[@]}" audit --suite "$s" ${audit_txs:+--txs "$audit_txs"}
done
# One node under thousands of slow and fast API connections (hostile clients).
"$bench" $tiny "${common[@]}" api-load
echo "govledger benchmarks done; JSON in $out; load now: $(load)"

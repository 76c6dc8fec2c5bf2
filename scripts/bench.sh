#!/usr/bin/env bash
# Runs the benchmark suite (doc/performance.md): ceiling, single, cluster, audit, sync, verify,
# scale, ordering and api-load, each printing one summary line per figure and writing JSON into
# the results directory, then draws the load chart (scripts/perf_chart.js) when Node.js is there.
#
#   scripts/bench.sh [--tiny] [--suite p256|sm|both] [--out DIR] [--build-dir DIR]
#                    [--only LIST] [--audit-txs N] [--scale N] [--sync-blocks N]
#
# --only runs a comma-separated subset (ceiling,single,cluster,audit,sync,verify,scale,ordering,api-load);
# --scale N sets the materials of the scale benchmark (default 1,000,000), so the 10 M run is
# `scripts/bench.sh --only scale --scale 10000000` (about 15 GB of disk and several hours here).
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
scale=""
sync_blocks=""
only="ceiling,single,cluster,audit,sync,verify,scale,ordering,api-load"
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) tiny="--tiny" ;;
    --suite) suite="$2"; shift ;;
    --out) out="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --audit-txs) audit_txs="$2"; shift ;;
    --scale) scale="$2"; shift ;;
    --sync-blocks) sync_blocks="$2"; shift ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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
  cmake --build "$build_dir" --target govledger-bench govledger-ordering-node -j "$(nproc)"
fi
bench="$build_dir/bench/govledger-bench"
[ -x "$bench" ] || { echo "bench.sh: $bench is not built" >&2; exit 1; }
out="${out:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/govledger-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
common=(--out "$out" --bin-dir "$build_dir" --source-dir "$PWD" --work-dir "$work")

for b in ${only//,/ }; do
  case "$b" in
    ceiling|single|cluster|audit|sync|verify|scale|ordering|api-load) ;;
    *) echo "bench.sh: --only takes ceiling,single,cluster,audit,sync,verify,scale,ordering,api-load; not $b" >&2
       exit 2 ;;
  esac
done
wants() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "govledger benchmarks ${tiny:+(tiny) }into $out; $(nproc) cores; load: $(load)"
if wants ceiling; then "$bench" $tiny "${common[@]}" ceiling; fi
for s in $suites; do
  if wants single; then "$bench" $tiny "${common[@]}" single --suite "$s"; fi
  if wants cluster; then "$bench" $tiny "${common[@]}" cluster --suite "$s"; fi
  if wants audit; then
    "$bench" $tiny "${common[@]}" audit --suite "$s" ${audit_txs:+--txs "$audit_txs"}
  fi
  if wants sync; then
    "$bench" $tiny "${common[@]}" sync --suite "$s" ${sync_blocks:+--blocks "$sync_blocks"}
  fi
  if wants verify; then "$bench" $tiny "${common[@]}" verify --suite "$s"; fi
  if wants scale; then
    "$bench" $tiny "${common[@]}" scale --suite "$s" ${scale:+--materials "$scale"}
  fi
done
if wants ordering; then "$bench" $tiny "${common[@]}" ordering; fi
# One node under thousands of slow and fast API connections (hostile clients).
if wants api-load; then "$bench" $tiny "${common[@]}" api-load; fi
if command -v node >/dev/null && ls "$out"/single-*.json "$out"/cluster-*.json >/dev/null 2>&1
then
  node scripts/perf_chart.js "$out" "$out/load-chart.svg"
fi
echo "govledger benchmarks done; JSON in $out; load now: $(load)"

#!/usr/bin/env bash
# The long versions of the fault-injection and Byzantine tests (tests/faults/), on four real
# validator processes. Documented in doc/testing.md ("Faults and Byzantine validators").
#
#   scripts/soak.sh                 the soak: an hour of random faults, every invariant checked
#   scripts/soak.sh soak SECONDS    the soak for SECONDS
#   scripts/soak.sh crash [CYCLES]  the kill -9 crash loop under load, 200 cycles by default
#   scripts/soak.sh long            every fault and Byzantine scenario in its long form (crash
#                                   loop of 200 cycles, 60 flaps, 100 txs over lossy links), then
#                                   the soak for GOVLEDGER_SOAK_SECONDS (default 3600)
#   scripts/soak.sh netem           probe for network namespaces and tc netem (see below)
#
# Environment: GOVLEDGER_SEED (default: the time; printed, replay with it), GOVLEDGER_BUILD (build
# dir, default build/release). Node logs and homes of a failed run stay in $TMPDIR when
# GOVLEDGER_IT_KEEP=1. Exit status non-zero on any violated invariant.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(pwd)"
build="${GOVLEDGER_BUILD:-$src/build/release}"
mode="${1:-soak}"
export GOVLEDGER_SEED="${GOVLEDGER_SEED:-$(date +%s)}"
export GOVLEDGER_SOURCE_DIR="$src" GOVLEDGER_BIN_DIR="$build"

netem_probe() {
  # Real namespaces with netem latency need root, iproute2 and the sch_netem qdisc in the kernel.
  local ns="govledger-probe-$$"
  if ! ip netns add "$ns" 2>/dev/null; then
    echo "netem: cannot create a network namespace (not root, or no CAP_SYS_ADMIN)"; return 1
  fi
  ip netns exec "$ns" ip link set lo up
  if ! ip netns exec "$ns" tc qdisc add dev lo root netem delay 10ms 2>/dev/null; then
    ip netns del "$ns"
    echo "netem: network namespaces work, but this kernel has no sch_netem qdisc" \
         "('tc qdisc add ... netem' fails): the netem latency scenarios are skipped;" \
         "the in-process fault layer (delay_ms/jitter_ms) covers latency instead"
    return 1
  fi
  ip netns del "$ns"
  echo "netem: available"
}

if [ "$mode" = "netem" ]; then
  netem_probe
  exit $?
fi

if [ ! -x "$build/tests/faults/integration_faults" ] || [ "${GOVLEDGER_SOAK_REBUILD:-1}" = 1 ]; then
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
    --target integration_faults govledger-node-faulty govledger govledger-node
fi
bin="$build/tests/faults/integration_faults"
echo "govledger soak: seed $GOVLEDGER_SEED (GOVLEDGER_SEED=$GOVLEDGER_SEED replays it)"

case "$mode" in
  soak)
    export GOVLEDGER_SOAK_SECONDS="${2:-${GOVLEDGER_SOAK_SECONDS:-3600}}"
    "$bin" "[.soak]" --durations yes
    ;;
  crash)
    GOVLEDGER_CRASH_CYCLES="${2:-200}" "$bin" "crash loop*" --durations yes
    ;;
  long)
    netem_probe || true
    GOVLEDGER_CRASH_CYCLES=200 GOVLEDGER_FLAPS=60 GOVLEDGER_LOSSY_TXS=100 "$bin" "[faults]" \
      --durations yes
    export GOVLEDGER_SOAK_SECONDS="${GOVLEDGER_SOAK_SECONDS:-3600}"
    "$bin" "[.soak]" --durations yes
    ;;
  *)
    echo "usage: scripts/soak.sh [soak [SECONDS] | crash [CYCLES] | long | netem]" >&2
    exit 2
    ;;
esac

// Rising offered load against a running chain (the `single` and `cluster` benchmarks): each
// level offers pre-signed transactions at a fixed rate for a fixed time (doubling from level to
// level), measures
// the committed rate in the steady part of that time (from the log size the node reports), the
// commit latency of the probes, and the CPU each node used; the ramp stops once the chain is
// saturated. Then the peak's committed rate is offered for a longer level (what the chain
// sustains: the targets' figure), and a last level at half of the peak committed rate gives the
// latency the targets speak of.
#pragma once

#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_load.h"
#include "bench/bench_nodes.h"

namespace govledger::bench {

struct RampOptions {
  // Offered load levels: start_tps, then `factor` times the previous level, until the chain is
  // saturated twice (commits less than 0.8 of the offer), the offer passes the ceiling, or
  // max_levels levels have run.
  double start_tps = 20;
  double factor = 2;
  int max_levels = 12;
  double seconds = 5;             // per level
  double warmup_fraction = 0.3;   // first part of a level not counted in the committed rate
  // After the ramp, the peak's committed rate is offered again for this long (0: not run): what
  // the chain sustains once LevelDB's compaction has caught up with the writes, which a short
  // level starting on a drained chain does not show.
  double sustained_seconds = 30;
  double probe_rate = 20;
  double probe_grace_s = 10;      // a probe not committed this long after its level is lost
  int connections_per_node = 16;
  int batch = 1;                  // transactions per request (> 1: POST /v1/txs)
  unsigned sign_threads = 2;
};

struct LevelRow {
  double offered_tps = 0;
  double sent_tps = 0;
  double accepted_tps = 0;
  double committed_tps = 0;
  double p50_ms = 0, p99_ms = 0;   // commit latency of probes (0 if none committed)
  uint64_t probes = 0, probes_committed = 0;
  double admit_p50_ms = 0;
  std::vector<double> node_cores;  // CPU used per node, in cores
  double node_cpu_per_tx_ms = 0;   // mean over nodes of CPU per committed tx
  double client_cores = 0;
  std::map<std::string, uint64_t> rejected;
  uint64_t transport_errors = 0;
  json ToJson() const;
};

struct RampResult {
  std::vector<LevelRow> levels;
  size_t peak_index = 0;
  std::optional<LevelRow> sustained;  // the peak's committed rate offered for sustained_seconds
  std::optional<LevelRow> half_peak;
};

// `ceiling_tps`: what verification allows on this machine for this chain (per-validator share).
// Stops early (and says so on stderr) if the chain fails.
Result<RampResult> RunRamp(Chain& chain, const TxSource& source, double ceiling_tps,
                           const RampOptions& o);

// Adds the figures of a ramp to `report`: peak committed rate against the ceiling (wall clock),
// the CPU-normalised ratio (verification cost per tx / node CPU per tx) and the latency at half
// of the peak.
// `ceiling_tps` comes from the CPU-time verification rate (a core of one's own),
// `wall_ceiling_tps` from the wall-clock rate measured in this run (a core as shared as the
// nodes' were).
void ReportRamp(Report& report, const RampResult& r, double ceiling_tps, double wall_ceiling_tps,
                double verify_cpu_us_per_tx, unsigned validators);

}  // namespace govledger::bench

#include "bench/bench_ramp.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

namespace govledger::bench {

namespace {

// Status of the chain's first node: log size (transactions committed so far), height, mempool.
struct ChainStatus {
  uint64_t log_size = 0;
  uint64_t height = 0;
  uint64_t mempool = 0;
};

Result<ChainStatus> ReadStatus(const std::string& url) {
  auto st = GetJson(url, "/v1/status");
  if (!st.ok()) return st.status();
  return ChainStatus{st->value("log_size", uint64_t{0}), st->value("height", uint64_t{0}),
                     st->value("mempool_txs", uint64_t{0})};
}

void SleepUntil(double t) {
  double now = NowSeconds();
  if (t > now) std::this_thread::sleep_for(std::chrono::duration<double>(t - now));
}

// Waits until no node has pending transactions (so that a level starts from an empty mempool),
// at most `max_s`.
void Drain(const Chain& chain, double max_s) {
  const double deadline = NowSeconds() + max_s;
  while (NowSeconds() < deadline) {
    bool empty = true;
    for (const std::string& url : chain.Urls()) {
      auto st = ReadStatus(url);
      if (st.ok() && st->mempool > 0) empty = false;
    }
    if (empty) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "bench: mempools not empty after " << max_s << " s; measuring anyway\n";
}

Result<LevelRow> RunLevel(Chain& chain, const TxSource& source, std::vector<std::string>& bodies,
                          size_t& next, double rate, const RampOptions& o) {
  Drain(chain, 60);
  const std::string url0 = chain.Urls().front();
  auto before = ReadStatus(url0);
  if (!before.ok()) return before.status();
  // Enough signed transactions for this level (signing is not measured).
  const size_t need = static_cast<size_t>(rate * o.seconds * 1.05) + 100;
  if (bodies.size() - next < need) {
    source.Sign(need - (bodies.size() - next),
                before->height + source.genesis().params.max_tx_validity_heights, o.sign_threads,
                bodies);
  }

  LoadOptions lo;
  lo.rate = rate;
  lo.seconds = o.seconds;
  lo.probe_rate = std::min(o.probe_rate, rate / 4);
  lo.connections_per_node = o.connections_per_node;
  lo.batch = o.batch;
  lo.probe_grace_s = o.probe_grace_s;
  LoadGen gen(chain.Urls());
  LoadResult load;
  const double t_start = NowSeconds();
  std::thread driver([&] { load = gen.Run(bodies, next, lo); });

  // The committed rate and CPU are measured over the steady part of the level.
  SleepUntil(t_start + o.seconds * o.warmup_fraction);
  const std::vector<pid_t> pids = chain.Pids();
  // CPU and log size are sampled with their own clocks: a status request to a busy node can take
  // seconds to answer, and the CPU window must not shrink by that much.
  std::vector<double> cpu0;
  for (pid_t p : pids) cpu0.push_back(ProcessCpuSeconds(p));
  const double c0 = NowSeconds();
  auto s0 = ReadStatus(url0);
  const double w0 = NowSeconds();
  SleepUntil(t_start + o.seconds);
  std::vector<double> cpu1;
  for (pid_t p : pids) cpu1.push_back(ProcessCpuSeconds(p));
  const double c1 = NowSeconds();
  auto s1 = ReadStatus(url0);
  const double w1 = NowSeconds();
  driver.join();
  if (!s0.ok()) return s0.status();
  if (!s1.ok()) return s1.status();

  LevelRow row;
  const double window = w1 - w0;
  const double committed = static_cast<double>(s1->log_size - s0->log_size);
  row.offered_tps = rate;
  row.sent_tps = load.sent / o.seconds;
  row.accepted_tps = load.accepted / o.seconds;
  row.committed_tps = committed / window;
  row.probes = load.probes;
  row.probes_committed = load.probes_committed;
  row.p50_ms = Percentile(load.commit_latency_ms, 50);
  row.p99_ms = Percentile(load.commit_latency_ms, 99);
  row.admit_p50_ms = Percentile(load.admit_latency_ms, 50);
  double cpu_total = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    row.node_cores.push_back((cpu1[i] - cpu0[i]) / (c1 - c0));
    cpu_total += cpu1[i] - cpu0[i];
  }
  // CPU per committed transaction: both rates over their own windows.
  if (committed > 0) {
    row.node_cpu_per_tx_ms =
        1000 * (cpu_total / (c1 - c0)) / pids.size() / (committed / window);
  }
  row.client_cores = load.client_cpu_s / (NowSeconds() - t_start);
  row.rejected = load.rejected;
  row.transport_errors = load.transport_errors;
  if (load.ran_out_of_transactions) std::cerr << "bench: ran out of signed transactions\n";
  return row;
}

void PrintRow(const LevelRow& r) {
  std::cerr << "  offered " << static_cast<long>(r.offered_tps) << " tx/s: sent "
            << static_cast<long>(r.sent_tps) << ", accepted " << static_cast<long>(r.accepted_tps)
            << ", committed " << static_cast<long>(r.committed_tps) << " tx/s; commit p50 "
            << static_cast<long>(r.p50_ms) << " ms p99 " << static_cast<long>(r.p99_ms)
            << " ms (" << r.probes_committed << "/" << r.probes << " probes); admit p50 "
            << static_cast<long>(r.admit_p50_ms) << " ms; node CPU/tx "
            << r.node_cpu_per_tx_ms << " ms; cores";
  for (double c : r.node_cores) std::cerr << " " << static_cast<int>(c * 100) / 100.0;
  for (const auto& [code, n] : r.rejected) std::cerr << "; " << code << " " << n;
  if (r.transport_errors) std::cerr << "; transport errors " << r.transport_errors;
  std::cerr << "\n";
}

}  // namespace

json LevelRow::ToJson() const {
  return json{{"offered_tps", offered_tps},
              {"sent_tps", sent_tps},
              {"accepted_tps", accepted_tps},
              {"committed_tps", committed_tps},
              {"commit_latency_p50_ms", p50_ms},
              {"commit_latency_p99_ms", p99_ms},
              {"probes", probes},
              {"probes_committed", probes_committed},
              {"admit_latency_p50_ms", admit_p50_ms},
              {"node_cores", node_cores},
              {"node_cpu_per_tx_ms", node_cpu_per_tx_ms},
              {"client_cores", client_cores},
              {"rejected", rejected},
              {"transport_errors", transport_errors}};
}

Result<RampResult> RunRamp(Chain& chain, const TxSource& source, double ceiling_tps,
                           const RampOptions& o) {
  std::cerr << "  " << o.seconds << " s per level, " << o.connections_per_node
            << " connections per node, " << o.probe_rate << " latency probes/s"
            << (o.batch > 1 ? ", " + std::to_string(o.batch) + " transactions per request (POST /v1/txs)"
                            : std::string())
            << "\n";
  RampResult out;
  std::vector<std::string> bodies;
  size_t next = 0;
  int saturated = 0;
  double rate = o.start_tps;
  for (int level = 0; level < o.max_levels && rate <= ceiling_tps * o.factor; ++level) {
    auto row = RunLevel(chain, source, bodies, next, rate, o);
    if (!row.ok()) return row.status();
    PrintRow(*row);
    out.levels.push_back(*row);
    if (row->committed_tps > out.levels[out.peak_index].committed_tps) {
      out.peak_index = out.levels.size() - 1;
    }
    // Saturated: the chain commits clearly less than it was offered.
    if (row->committed_tps < 0.8 * row->offered_tps && ++saturated >= 2) break;
    rate *= o.factor;
  }
  const double half = out.levels[out.peak_index].committed_tps / 2;
  if (half >= 5) {
    std::cerr << "  at half of the peak:\n";
    auto row = RunLevel(chain, source, bodies, next, half, o);
    if (!row.ok()) return row.status();
    PrintRow(*row);
    out.half_peak = *row;
  }
  // Last, so that the half-peak level is measured as before it was added. A level of a few
  // seconds on a drained chain runs before LevelDB's compaction has caught up
  // with its writes (a memtable or two): the peak is offered again for longer, and what the
  // chain commits in the steady part of that is what it sustains.
  if (o.sustained_seconds > 0 && out.levels[out.peak_index].committed_tps >= 5) {
    RampOptions longer = o;
    longer.seconds = o.sustained_seconds;
    std::cerr << "  the peak's rate sustained for " << o.sustained_seconds << " s:\n";
    auto row =
        RunLevel(chain, source, bodies, next, out.levels[out.peak_index].committed_tps, longer);
    if (!row.ok()) return row.status();
    PrintRow(*row);
    out.sustained = *row;
  }
  return out;
}

void ReportRamp(Report& report, const RampResult& r, double ceiling_tps, double wall_ceiling_tps,
                double verify_cpu_us_per_tx, unsigned validators) {
  const LevelRow& peak = r.levels[r.peak_index];
  report.Figure("peak committed", peak.committed_tps, "tx/s", peak.committed_tps / ceiling_tps,
                "the ceiling");
  report.Figure("peak committed (against this run's wall-clock ceiling)", peak.committed_tps,
                "tx/s", peak.committed_tps / wall_ceiling_tps, "the ceiling at this run's load");
  if (peak.node_cpu_per_tx_ms > 0) {
    // Each validator verifies each transaction once: its CPU per transaction against the cost of
    // that one verification is the ratio the node would reach with the cores to itself.
    report.Figure("node CPU per committed tx at peak", peak.node_cpu_per_tx_ms * 1000, "us",
                  verify_cpu_us_per_tx / (peak.node_cpu_per_tx_ms * 1000),
                  "CPU-normalised ceiling (verify cost / node cost)");
  }
  double cores = 0;
  for (double c : peak.node_cores) cores += c;
  report.Figure("node CPU at peak, summed over " + std::to_string(validators) + " validator(s)",
                cores, "cores");
  if (r.sustained) {
    const LevelRow& l = *r.sustained;
    // The committed rate is capped by the offer (the peak's): min(peak, what the chain sustains).
    report.Figure("sustained committed (the peak offered for longer)", l.committed_tps, "tx/s",
                  l.committed_tps / ceiling_tps, "the ceiling");
    if (l.node_cpu_per_tx_ms > 0) {
      report.Figure("node CPU per committed tx, sustained", l.node_cpu_per_tx_ms * 1000, "us",
                    verify_cpu_us_per_tx / (l.node_cpu_per_tx_ms * 1000),
                    "CPU-normalised ceiling (verify cost / node cost)");
    }
    report.Figure("commit latency p50, sustained", l.p50_ms, "ms");
  }
  if (r.half_peak) {
    report.Figure("commit latency p50 at half peak", r.half_peak->p50_ms, "ms");
    report.Figure("commit latency p99 at half peak", r.half_peak->p99_ms, "ms");
    report.Figure("committed at half peak", r.half_peak->committed_tps, "tx/s",
                  r.half_peak->committed_tps / ceiling_tps, "the ceiling");
  }
  json rows = json::array();
  for (const LevelRow& l : r.levels) rows.push_back(l.ToJson());
  report.Detail("levels", rows);
  if (r.sustained) report.Detail("sustained", r.sustained->ToJson());
  if (r.half_peak) report.Detail("half_peak", r.half_peak->ToJson());
}

}  // namespace govledger::bench

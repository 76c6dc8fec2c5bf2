// sync: a validator catching up a chain from its peers. The local-4 network is made with
// node::InitNetwork; the filler (bench/ledger_fill.h) writes N blocks, certified by all four
// validators, into node0's store, which is copied to node1 and node2; the three start, then node3
// starts with an empty store and block sync fetches, verifies (every certificate and every
// transaction signature) and re-executes each block before committing it. Measured: from node3's
// start until its height reaches N, its CPU time, and the ratio to the one-validator ceiling
// (node3 is the one verifying; the three others only serve blocks).
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/bench_suites.h"
#include "bench/ledger_fill.h"
#include "util/time.h"

namespace govledger::bench {

namespace fs = std::filesystem;

int RunSyncBench(const Options& o) {
  Report report("sync-" + o.suite);
  const crypto::Suite suite = ParseSuite(o.suite);
  const unsigned cores = Cores();
  const uint64_t blocks = o.tiny ? 50 : o.sync_blocks;
  const size_t block_txs = o.tiny ? 5 : o.sync_block_txs;
  const std::string dir = o.paths.work_dir + "/sync-" + o.suite;  // FillNetwork's, for the logs
  std::cerr << "sync (" << o.suite << "): filling local-4 with " << blocks << " blocks of "
            << block_txs << " material issues\n";
  // node0 filled, node1 and node2 copies of it; node3 starts empty.
  auto filled = FillNetwork(o, "sync-" + o.suite, "local-4", 4, blocks * block_txs, block_txs, {},
                            /*copies=*/2);
  if (!filled.ok()) return Fail(filled.status());
  const Homes* homes = &filled->homes;
  const FillResult* fill = &filled->fill;
  std::cerr << "  filled " << fill->height << " blocks in " << fill->seconds << " s\n";

  Chain chain;
  for (size_t i = 0; i < 4; ++i) {
    auto n = std::make_unique<NodeProc>();
    n->name = "node" + std::to_string(i);
    n->home = homes->homes[i];
    n->log = dir + "/" + n->name + ".log";
    chain.nodes.push_back(std::move(n));
  }
  for (size_t i = 0; i < 3; ++i) {
    if (Status st = chain.nodes[i]->Start(o.paths, {}); !st.ok()) return Fail(st);
  }
  Ceiling c;
  c.before = MeasureRawVerify(suite, o.tiny ? 0.3 : 1.5);

  NodeProc& syncing = *chain.nodes[3];
  const double t0 = NowSeconds();
  if (Status st = syncing.Start(o.paths, {}); !st.ok()) return Fail(st);
  const double started = NowSeconds();
  uint64_t height = 0;
  const double deadline = t0 + (o.tiny ? 120 : 3600);
  while (height < fill->height) {
    if (NowSeconds() > deadline) {
      chain.StopAll();
      return Fail(Status::Error("sync_timeout",
                                "node3 reached only height " + std::to_string(height) + " of " +
                                    std::to_string(fill->height) + "; see " + syncing.log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto st = GetJson(syncing.url, "/v1/status");
    if (st.ok()) height = st->value("height", uint64_t{0});
  }
  const double t1 = NowSeconds();
  const double cpu = ProcessCpuSeconds(syncing.proc.pid());
  // The caught-up node holds the same chain as the others at the filled height.
  auto mine = GetJson(syncing.url, "/v1/block/" + std::to_string(fill->height));
  auto theirs = GetJson(chain.nodes[0]->url, "/v1/block/" + std::to_string(fill->height));
  const bool same =
      mine.ok() && theirs.ok() &&
      mine->value("hash", std::string("a")) == theirs->value("hash", std::string("b"));
  const bool stopped = chain.StopAll();
  c.after = MeasureRawVerify(suite, o.tiny ? 0.3 : 1.5);
  if (!same) return Fail(Status::Error("sync_mismatch", "node3's block differs from node0's"));
  if (!o.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  const double secs = t1 - t0;
  const double txs = static_cast<double>(fill->materials);
  ReportCeiling(report, o.suite, c, cores, 1);
  const double ceiling = CeilingTps(c.per_core_cpu(), cores, 1);
  report.Figure("blocks caught up", static_cast<double>(fill->height), "blocks");
  report.Figure("sync blocks per second", fill->height / secs, "blocks/s");
  report.Figure("sync transactions re-verified and applied", txs / secs, "tx/s",
                txs / secs / ceiling, "the one-validator ceiling");
  report.Figure("sync (against this run's wall-clock ceiling)", txs / secs, "tx/s",
                txs / secs / CeilingTps(c.per_core_wall(), cores, 1),
                "the one-validator ceiling at this run's load");
  report.Figure("syncing node CPU per tx", 1e6 * cpu / txs, "us",
                (1e6 / c.per_core_cpu()) / (1e6 * cpu / txs),
                "verify cost per tx (CPU-normalised)");
  report.Detail("sync", {{"blocks", fill->height},
                         {"block_txs", block_txs},
                         {"txs", fill->materials},
                         {"seconds", secs},
                         {"node_start_s", started - t0},
                         {"node_cpu_s", cpu},
                         {"fill_seconds", fill->seconds}});
  if (!stopped) report.Note("a node did not stop cleanly (see its log in the work directory)");
  return report.Save(o.out_dir) ? 0 : 1;
}

}  // namespace govledger::bench

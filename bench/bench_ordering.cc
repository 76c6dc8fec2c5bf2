#include "bench/bench_ordering.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "bench/bench_common.h"

namespace govledger::bench {

namespace {

int Fail(const Status& st) {
  std::cerr << "govledger-bench ordering: " << st.ToString() << "\n";
  return 1;
}

double Median(std::vector<double> v) { return Percentile(v, 50); }

}  // namespace

int RunOrdering(const OrderingOptions& o) {
  Report report("ordering");
  const MachineInfo m = GetMachineInfo();
  const double seconds = o.tiny ? 2 : o.seconds;
  const double warmup = o.tiny ? 3 : o.warmup;
  const std::string dir = o.paths.work_dir + "/ordering";
  if (Status st = FreshDir(dir); !st.ok()) return Fail(st);
  auto toml = NetworkToml(o.paths, "local-4", 4, "p256");
  if (!toml.ok()) return Fail(toml.status());
  const std::regex block_line(R"(max_block_txs\s*=\s*\d+)");
  if (!std::regex_search(*toml, block_line)) {
    return Fail(Status::Error("bad_config", "network-configs/local-4 has no max_block_txs"));
  }
  std::string text =
      std::regex_replace(*toml, block_line, "max_block_txs = " + std::to_string(o.block_size));
  {
    std::ofstream f(dir + "/network.toml");
    f << text;
    if (!f) return Fail(Status::Error("io", "cannot write " + dir + "/network.toml"));
  }
  std::string out;
  int rc = RunCommand({o.paths.Cli(), "network", "init", "--config", dir + "/network.toml",
                       "--out", dir + "/net"},
                      &out, nullptr, nullptr);
  if (rc != 0) return Fail(Status::Error("network_init", "govledger network init failed: " + out));

  std::cerr << "ordering: local-4 with a no-op executor, block size " << o.block_size << ", "
            << o.payload_bytes << "-byte commands, " << warmup << " s warm-up + " << seconds
            << " s measured\n";
  const std::string bin = o.paths.bin_dir + "/bench/govledger-ordering-node";
  std::vector<std::unique_ptr<Child>> nodes;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "node" + std::to_string(i);
    auto c = std::make_unique<Child>();
    Status st = c->Spawn({bin, "--home", dir + "/net/" + name, "--result",
                          dir + "/" + name + ".json", "--seconds", std::to_string(seconds),
                          "--warmup", std::to_string(warmup), "--payload-bytes",
                          std::to_string(o.payload_bytes)},
                         dir + "/" + name + ".log");
    if (!st.ok()) return Fail(st);
    nodes.push_back(std::move(c));
  }
  const int grace_ms = static_cast<int>((seconds + warmup + 60) * 1000);
  std::vector<json> results;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "node" + std::to_string(i);
    const int code = nodes[static_cast<size_t>(i)]->WaitExit(grace_ms);
    std::ifstream f(dir + "/" + name + ".json");
    std::stringstream ss;
    ss << f.rdbuf();
    json j = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
    if (code != 0 || j.is_discarded()) {
      return Fail(Status::Error("node_failed", name + " exited with " + std::to_string(code) +
                                                   " without a result; log: " + dir + "/" + name +
                                                   ".log"));
    }
    results.push_back(j);
  }

  std::vector<double> cps, cores, p50, p99, bps;
  double total_cores = 0, rounds = 0;
  for (const json& r : results) {
    cps.push_back(r.value("commands_per_second", 0.0));
    bps.push_back(r.value("blocks_per_second", 0.0));
    cores.push_back(r.value("cpu_cores", 0.0));
    p50.push_back(r.value("own_latency_p50_ms", 0.0));
    p99.push_back(r.value("own_latency_p99_ms", 0.0));
    total_cores += r.value("cpu_cores", 0.0);
    rounds += r.value("rounds_above_zero", 0.0);
  }
  const double ordered = Median(cps);
  const double blocks = Median(bps);
  report.Figure("committed commands per second (median of the 4 nodes)", ordered, "cmd/s",
                ordered / kHotstuffReferenceCps, "libhotstuff's 31,000 (in memory, no fsync)");
  report.Figure("blocks per second", blocks, "blocks/s");
  report.Figure("commands per block", blocks > 0 ? ordered / blocks : 0, "cmd");
  report.Figure("commit latency p50 (own commands, from queueing)", Median(p50), "ms");
  report.Figure("commit latency p99", Median(p99), "ms");
  report.Figure("CPU of the 4 nodes", total_cores, "cores", total_cores / m.cores,
                "the machine's cores");
  const double cpu_us = ordered > 0 ? total_cores * 1e6 / ordered : 0;
  report.Figure("node CPU per command (4 nodes)", cpu_us, "us");
  // The rate the four nodes would reach with the machine's cores to themselves, if CPU were what
  // bounds them: the figure that other load on a shared machine changes little.
  const double normalised = cpu_us > 0 ? m.cores * 1e6 / cpu_us : 0;
  report.Figure("CPU-normalised commands per second (machine's cores / CPU per command)",
                normalised, "cmd/s", normalised / kHotstuffReferenceCps, "libhotstuff's 31,000");
  report.Detail("nodes", results);
  report.Detail("parameters", {{"block_size", o.block_size},
                               {"payload_bytes", o.payload_bytes},
                               {"seconds", seconds},
                               {"warmup", warmup},
                               {"rounds_above_zero", rounds}});
  report.Note("each node keeps twice the block size of its own commands waiting (closed loop); "
              "every block is committed to LevelDB in one synced WriteBatch and every signed "
              "message is fsync'd in the WAL before it leaves");
  return report.Save(o.out_dir) ? 0 : 1;
}

}  // namespace govledger::bench

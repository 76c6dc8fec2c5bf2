// govledger-bench: the benchmark suite of doc/performance.md. Each subcommand measures, in the
// same run, this machine's own limit (signature verifications per second) and reports its figures
// as ratios of it; one summary line per figure on stdout, JSON in --out. scripts/bench.sh runs
// them all.
//
//   govledger-bench ceiling                 verification rates of both suites, the ceilings
//   govledger-bench single  [--suite S]     one dev validator fed pre-signed issues over HTTP
//   govledger-bench cluster [--suite S]     the local-4 network on loopback, rising load
//   govledger-bench audit   [--txs N]       `govledger audit chain` over a filled ledger
//   govledger-bench scale   [--materials N] lookups, traces, memory and disk at N materials
//   govledger-bench verify                  offline proof bundle and 10 MB document checks
//   govledger-bench sync    [--blocks N]    a node catching up N blocks from three peers
//   govledger-bench ordering                local-4 ordering opaque commands, no-op executor
//   govledger-bench load --node URL ...     a steady load on running nodes (to profile them)
//
// --tiny makes every benchmark run for a few seconds (CI runs it so the suite cannot rot; the
// figures of a tiny run are not meant to be quoted).
#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/api_load.h"
#include "bench/bench_common.h"
#include "bench/bench_load.h"
#include "bench/bench_nodes.h"
#include "bench/bench_ordering.h"
#include "bench/bench_ramp.h"
#include "bench/bench_suites.h"
#include "crypto/sign.h"
#include "node/http_client.h"

using namespace govledger;
using namespace govledger::bench;

namespace {

// ------------------------------------------------------------------ ceiling

int RunCeiling(const Options& o) {
  Report report("ceiling");
  const MachineInfo m = GetMachineInfo();
  const double secs = o.tiny ? 0.3 : 2.0;
  json suites = json::object();
  for (const std::string suite : {"p256", "sm"}) {
    const crypto::Suite s = ParseSuite(suite);
    VerifyRate raw = MeasureRawVerify(s, secs);
    VerifyRate hot = MeasureLibraryVerify(s, secs, 1);
    report.Figure(suite + " OpenSSL verify per core (CPU time)", raw.per_cpu_second, "verif/s");
    report.Figure(suite + " OpenSSL verify per core (wall clock)", raw.per_wall_second, "verif/s");
    report.Figure(suite + " ceiling, 1 validator", CeilingTps(raw.per_wall_second, m.cores, 1),
                  "tx/s");
    report.Figure(suite + " ceiling, 4 validators", CeilingTps(raw.per_wall_second, m.cores, 4),
                  "tx/s");
    report.Figure(suite + " crypto::Verify, cached key (CPU time)", hot.per_cpu_second, "verif/s",
                  hot.per_cpu_second / raw.per_cpu_second, "OpenSSL with a parsed key");
    json row{{"raw", {{"cpu", raw.per_cpu_second}, {"wall", raw.per_wall_second}}},
             {"library_cached", {{"cpu", hot.per_cpu_second}, {"wall", hot.per_wall_second}}}};
    if (!o.tiny) {
      // More distinct keys than the cache holds, cycled: every call parses its key, which is
      // what every call did before the cache.
      const size_t keys = crypto::GetVerifyKeyCacheStats().capacity * 3 / 2;
      VerifyRate cold = MeasureLibraryVerify(s, secs, keys);
      report.Figure(suite + " crypto::Verify, key parsed every call (CPU time)",
                    cold.per_cpu_second, "verif/s", cold.per_cpu_second / raw.per_cpu_second,
                    "OpenSSL with a parsed key");
      row["library_uncached"] = {{"cpu", cold.per_cpu_second}, {"wall", cold.per_wall_second}};
    }
    suites[suite] = row;
  }
  report.Detail("suites", suites);
  return report.Save(o.out_dir) ? 0 : 1;
}

// ------------------------------------------------------------------ single and cluster

RampOptions RampFor(const Options& o, bool cluster) {
  RampOptions r;
  if (o.tiny) {
    r.start_tps = 20;
    r.max_levels = 2;
    r.seconds = 1;
    r.probe_rate = 10;
    r.probe_grace_s = 5;
    r.sustained_seconds = 2;
  } else {
    r.start_tps = 25;
    r.seconds = 6;
  }
  // Each connection has one submission in flight: enough of them that admission, not the client,
  // is what limits the rate.
  r.connections_per_node = cluster ? 32 : 256;
  if (o.level_seconds > 0) r.seconds = o.level_seconds;
  if (o.sustained_seconds >= 0) r.sustained_seconds = o.sustained_seconds;
  if (o.start_tps > 0) r.start_tps = o.start_tps;
  if (o.levels > 0) r.max_levels = o.levels;
  r.batch = o.batch;
  r.sign_threads = std::max(1u, std::thread::hardware_concurrency());
  return r;
}

// The chain of `single` (the dev node) or `cluster` (local-4) on a ledger the filler wrote first
// (--prefill): where production validators live, rather than an empty store. The cluster's four
// validators start from copies of one filled data directory.
Result<std::unique_ptr<Chain>> StartFilledChain(const Options& o, bool cluster) {
  const std::string name = (cluster ? "cluster-" : "single-") + o.suite;
  std::cerr << name << ": filling the ledger with " << o.prefill << " materials first\n";
  auto filled = FillNetwork(o, name, cluster ? "local-4" : "dev", cluster ? 4 : 1, o.prefill, 1000);
  if (!filled.ok()) return filled.status();
  const Homes& homes = filled->homes;
  auto chain = std::make_unique<Chain>();
  chain->genesis_file = homes.genesis_file;
  chain->keys_dir = homes.keys_dir;
  for (size_t i = 0; i < homes.homes.size(); ++i) {
    auto n = std::make_unique<NodeProc>();
    n->name = cluster ? "node" + std::to_string(i) : "dev";
    n->home = homes.homes[i];
    n->log = homes.dir + "/" + n->name + ".log";
    GOVLEDGER_RETURN_IF_ERROR(n->Start(o.paths, {}));
    chain->nodes.push_back(std::move(n));
  }
  if (cluster) GOVLEDGER_RETURN_IF_ERROR(WaitConnected(*chain, homes.dir));
  return chain;
}

int RunChainBench(const Options& o, bool cluster) {
  const std::string name = cluster ? "cluster" : "single";
  Report report(name + "-" + o.suite);
  const crypto::Suite suite = ParseSuite(o.suite);
  const MachineInfo m = GetMachineInfo();
  const unsigned validators = cluster ? 4 : 1;
  const double ceiling_secs = o.tiny ? 0.3 : 1.5;

  Ceiling c;
  c.before = MeasureRawVerify(suite, ceiling_secs);
  const double ceiling_tps = CeilingTps(c.before.per_cpu_second, m.cores, validators);
  std::cerr << name << " (" << o.suite << "): ceiling " << static_cast<long>(ceiling_tps)
            << " tx/s (" << static_cast<long>(c.before.per_cpu_second) << " verif/s per core x "
            << m.cores << " cores / " << validators << " validator(s)); starting the chain\n";

  auto chain = o.prefill > 0 ? StartFilledChain(o, cluster)
               : cluster     ? StartLocal4(o.paths, o.suite)
                             : StartDevChain(o.paths, o.suite);
  if (!chain.ok()) return Fail(chain.status());
  auto source = TxSource::Open((*chain)->genesis_file, (*chain)->keys_dir);
  if (!source.ok()) return Fail(source.status());
  auto ramp = RunRamp(**chain, *source, ceiling_tps, RampFor(o, cluster));
  const bool stopped = (*chain)->StopAll();
  if (!ramp.ok()) return Fail(ramp.status());
  c.after = MeasureRawVerify(suite, ceiling_secs);

  ReportCeiling(report, o.suite, c, m.cores, validators);
  // The ratios use the mean of the two ceiling measurements.
  ReportRamp(report, *ramp, CeilingTps(c.per_core_cpu(), m.cores, validators),
             CeilingTps(c.per_core_wall(), m.cores, validators), 1e6 / c.per_core_cpu(),
             validators);
  report.Detail("issuers", source->Issuers());
  report.Detail("batch_txs", o.batch);
  report.Detail("prefill_materials", o.prefill);
  if (!stopped) report.Note("a node did not stop cleanly (see its log in the work directory)");
  return report.Save(o.out_dir) ? 0 : 1;
}

// ------------------------------------------------------------------ load (for profiling)

struct LoadCmd {
  std::vector<std::string> urls;
  std::string genesis, keys;
  double rate = 1000, seconds = 10, probe_rate = 20;
  int connections = 16;
  int batch = 1;
};

// Offers a steady load to running nodes, e.g. while a profiler watches one of them.
int RunLoad(const LoadCmd& c) {
  auto source = TxSource::Open(c.genesis, c.keys);
  if (!source.ok()) return Fail(source.status());
  auto st = GetJson(c.urls.front(), "/v1/status");
  if (!st.ok()) return Fail(st.status());
  std::vector<std::string> bodies;
  source->Sign(static_cast<size_t>(c.rate * c.seconds * 1.05) + 10,
               st->value("height", uint64_t{0}) +
                   source->genesis().params.max_tx_validity_heights,
               std::max(1u, std::thread::hardware_concurrency()), bodies);
  LoadOptions lo;
  lo.rate = c.rate;
  lo.seconds = c.seconds;
  lo.probe_rate = c.probe_rate;
  lo.connections_per_node = c.connections;
  lo.batch = c.batch;
  size_t next = 0;
  auto s0 = GetJson(c.urls.front(), "/v1/status");
  const double t0 = NowSeconds();
  LoadResult r = LoadGen(c.urls).Run(bodies, next, lo);
  auto s1 = GetJson(c.urls.front(), "/v1/status");
  const double t1 = NowSeconds();
  if (!s0.ok() || !s1.ok()) return Fail(Status::Error("status", "node did not answer"));
  const double committed =
      static_cast<double>(s1->value("log_size", uint64_t{0}) - s0->value("log_size", uint64_t{0}));
  std::cout << "load: offered " << r.offered << ", sent " << r.sent << ", accepted " << r.accepted
            << ", transport errors " << r.transport_errors << "; committed "
            << committed / (t1 - t0) << " tx/s over " << t1 - t0 << " s; admit p50 "
            << Percentile(r.admit_latency_ms, 50) << " ms p99 "
            << Percentile(r.admit_latency_ms, 99) << " ms; commit p50 "
            << Percentile(r.commit_latency_ms, 50) << " ms p99 "
            << Percentile(r.commit_latency_ms, 99) << " ms (" << r.probes_committed << "/"
            << r.probes << ")";
  for (const auto& [code, n] : r.rejected) std::cout << "; " << code << " " << n;
  std::cout << std::endl;
  return 0;
}

// ------------------------------------------------------------------ api-load

struct ApiLoadCmd {
  size_t fast = 2000, slow = 2000, addresses = 16;
  double seconds = 30;
};

struct Probe {
  std::vector<double> latency_ms;
  uint64_t failures = 0;
  uint64_t height = 0;
};

// GET /v1/status from 127.0.0.1 (outside the load's addresses) every 100 ms until `stop`.
void ProbeStatus(const std::string& url, const std::atomic<bool>& stop, Probe& p) {
  while (!stop.load()) {
    const double t0 = NowSeconds();
    auto r = node::HttpGet(url, "/v1/status", 10'000);
    const double ms = (NowSeconds() - t0) * 1000;
    if (r.ok() && r->status == 200) {
      p.latency_ms.push_back(ms);
      json j = json::parse(r->body, nullptr, false);
      if (j.is_object()) p.height = j.value("height", p.height);
    } else {
      ++p.failures;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// A dev chain with the default API limits, first quiet, then under thousands of slow and fast
// connections: does it keep committing, and how fast does a well-behaved client get its answer?
int RunApiLoadBench(const Options& o, const ApiLoadCmd& c) {
  Report report("api-load");
  const uint64_t fd_limit = RaiseDescriptorLimit();
  const size_t fast = o.tiny ? 100 : c.fast, slow = o.tiny ? 100 : c.slow;
  const double secs = o.tiny ? 3 : c.seconds;
  std::cerr << "api-load: " << fast << " fast + " << slow << " slow connections from "
            << c.addresses << " addresses for " << secs << " s (descriptor limit " << fd_limit
            << ")\n";
  auto chain = StartDevChain(o.paths, o.suite, /*rate_limits=*/true);
  if (!chain.ok()) return Fail(chain.status());
  const std::string url = (*chain)->nodes.front()->url;
  auto phase = [&](bool loaded, Probe& probe, bench::ApiLoadResult& load, double& commits_per_s) {
    std::atomic<bool> stop{false};
    auto s0 = GetJson(url, "/v1/status");
    const double t0 = NowSeconds();
    std::thread prober([&] { ProbeStatus(url, stop, probe); });
    std::thread loader;
    bench::ApiLoadOptions lo;  // outlives the loader thread, which reads it
    if (loaded) {
      lo.port = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
      lo.fast_clients = fast;
      lo.slow_clients = slow;
      lo.source_addresses = c.addresses;
      loader = std::thread([&] { load = bench::RunApiLoad(lo, stop); });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(secs * 1000)));
    stop = true;
    prober.join();
    if (loader.joinable()) loader.join();
    auto s1 = GetJson(url, "/v1/status");
    const double t1 = NowSeconds();
    commits_per_s = s0.ok() && s1.ok() ? static_cast<double>(s1->value("height", uint64_t{0}) -
                                                             s0->value("height", uint64_t{0})) /
                                             (t1 - t0)
                                       : 0;
  };
  Probe quiet_probe, load_probe;
  bench::ApiLoadResult none, load;
  double quiet_commits = 0, load_commits = 0;
  phase(false, quiet_probe, none, quiet_commits);
  phase(true, load_probe, load, load_commits);
  const bool alive = GetJson(url, "/healthz").ok() || GetJson(url, "/v1/status").ok();
  report.Figure("blocks committed per second, quiet", quiet_commits, "blocks/s");
  report.Figure("blocks committed per second, under load", load_commits, "blocks/s",
                quiet_commits > 0 ? std::optional<double>(load_commits / quiet_commits)
                                  : std::nullopt,
                "quiet");
  const double q50 = Percentile(quiet_probe.latency_ms, 50);
  const double q99 = Percentile(quiet_probe.latency_ms, 99);
  const double l50 = Percentile(load_probe.latency_ms, 50);
  const double l99 = Percentile(load_probe.latency_ms, 99);
  report.Figure("well-behaved client /v1/status p50, quiet", q50, "ms");
  report.Figure("well-behaved client /v1/status p99, quiet", q99, "ms");
  report.Figure("well-behaved client /v1/status p50, under load", l50, "ms",
                q50 > 0 ? std::optional<double>(l50 / q50) : std::nullopt, "quiet");
  report.Figure("well-behaved client /v1/status p99, under load", l99, "ms",
                q99 > 0 ? std::optional<double>(l99 / q99) : std::nullopt, "quiet");
  report.Figure("well-behaved client failures under load", static_cast<double>(load_probe.failures),
                "requests");
  uint64_t answers = 0;
  json statuses = json::object();
  for (const auto& [status, n] : load.statuses) {
    answers += n;
    statuses[std::to_string(status)] = n;
  }
  report.Figure("answers to the fast clients", static_cast<double>(answers) / load.seconds,
                "answers/s");
  report.Figure("peak open connections (load side)", static_cast<double>(load.peak_open),
                "connections");
  report.Figure("slowloris connections cut off by the node",
                static_cast<double>(load.slow_closed_by_server), "connections");
  report.Detail("load", {{"fast_clients", fast},
                         {"slow_clients", slow},
                         {"addresses", c.addresses},
                         {"seconds", secs},
                         {"statuses", statuses},
                         {"fast_connections", load.fast_connections},
                         {"fast_transport_errors", load.fast_transport_errors},
                         {"slow_connections", load.slow_connections},
                         {"slow_closed_by_server", load.slow_closed_by_server},
                         {"slow_answered", load.slow_answered},
                         {"descriptor_limit", fd_limit},
                         {"node_alive_after", alive}});
  if (!alive) report.Note("the node did not answer after the load");
  if (!(*chain)->StopAll()) report.Note("the node did not stop cleanly");
  return report.Save(o.out_dir) && alive ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"govledger-bench: benchmarks against this machine's own limits"};
  Options o;
  o.paths.bin_dir = GOVLEDGER_BENCH_BIN_DIR;
  o.paths.source_dir = GOVLEDGER_BENCH_SOURCE_DIR;
  o.paths.work_dir = (std::filesystem::temp_directory_path() / "govledger-bench").string();
  app.add_flag("--tiny", o.tiny, "A few seconds per benchmark (CI); figures not for quoting");
  app.add_option("--out", o.out_dir, "Directory for the JSON results");
  app.add_option("--bin-dir", o.paths.bin_dir, "Build directory with cli/govledger(-node)");
  app.add_option("--source-dir", o.paths.source_dir, "Repository (network-configs/)");
  app.add_option("--work-dir", o.paths.work_dir, "Scratch directory for node homes and logs");
  app.require_subcommand(1);
  auto add_suite = [&o](CLI::App* cmd) {
    cmd->add_option("--suite", o.suite, "p256 or sm")->check(CLI::IsMember({"p256", "sm"}));
  };
  CLI::App* ceiling = app.add_subcommand("ceiling", "Signature verification rates and ceilings");
  CLI::App* single = app.add_subcommand("single", "One validator's apply path at full speed");
  CLI::App* cluster = app.add_subcommand("cluster", "The local-4 network at rising load");
  CLI::App* audit = app.add_subcommand("audit", "audit chain over a filled ledger");
  CLI::App* scale = app.add_subcommand("scale", "Lookups, traces, memory and disk at N materials");
  CLI::App* verify = app.add_subcommand("verify", "Offline verification of a bundle and a document");
  CLI::App* sync = app.add_subcommand("sync", "A node catching up blocks from its peers");
  for (CLI::App* cmd : {single, cluster, audit, scale, verify, sync}) add_suite(cmd);
  for (CLI::App* cmd : {audit, scale, verify, sync}) {
    cmd->add_flag("--keep", o.keep, "Keep the filled ledger in the work directory");
  }
  for (CLI::App* cmd : {audit, scale}) {
    cmd->add_option("--block-txs", o.block_txs, "Transactions per filled block")
        ->check(CLI::Range(size_t{1}, size_t{20'000}));
  }
  scale->add_option("--materials", o.scale_materials, "Materials in the ledger")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  scale->add_option("--lookups", o.lookups, "Status lookups (a quarter as many traces)")
      ->check(CLI::Range(uint64_t{10}, uint64_t{10'000'000}));
  sync->add_option("--blocks", o.sync_blocks, "Blocks the node catches up")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}));
  sync->add_option("--block-txs", o.sync_block_txs, "Transactions per block")
      ->check(CLI::Range(size_t{1}, size_t{20'000}));
  for (CLI::App* cmd : {single, cluster}) {
    cmd->add_option("--prefill", o.prefill,
                    "Materials the filler writes onto the ledger before the nodes start (the "
                    "cluster's four from copies of it), so that the ramp runs on a store of that "
                    "size (default 0: an empty one)")
        ->check(CLI::Range(uint64_t{0}, uint64_t{100'000'000}));
    cmd->add_option("--level-seconds", o.level_seconds, "Seconds per offered-load level");
    cmd->add_option("--sustained-seconds", o.sustained_seconds,
                    "Seconds of the level that offers the peak's rate again after the ramp, for "
                    "the sustained figure (default 30; 0 skips it)")
        ->check(CLI::Range(0.0, 3600.0));
    cmd->add_option("--start-tps", o.start_tps, "First offered load (tx/s); doubles per level");
    cmd->add_option("--levels", o.levels, "At most this many levels");
    cmd->add_option("--batch", o.batch,
                    "Transactions per submission: 1 posts each to /v1/tx, more batches them "
                    "through /v1/txs (default 1)")
        ->check(CLI::Range(1, 1000));
  }
  audit->add_option("--txs", o.audit_txs, "Transactions in the audited ledger")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  OrderingOptions ordering_opts;
  CLI::App* ordering = app.add_subcommand(
      "ordering", "local-4 ordering opaque commands with a no-op executor (consensus, transport "
                  "and storage without per-transaction crypto)");
  ordering->add_option("--seconds", ordering_opts.seconds, "Seconds measured (after warm-up)");
  ordering->add_option("--block-size", ordering_opts.block_size, "Commands per block at most")
      ->check(CLI::Range(1, 100'000));
  ordering->add_option("--payload-bytes", ordering_opts.payload_bytes, "Bytes per command")
      ->check(CLI::Range(8, 65536));
  LoadCmd load_cmd;
  CLI::App* load = app.add_subcommand("load", "Offer a steady load to running nodes (profiling)");
  load->add_option("--node", load_cmd.urls, "Node API URL (repeat for several)")->required();
  load->add_option("--genesis", load_cmd.genesis, "The chain's genesis.json")->required();
  load->add_option("--keys", load_cmd.keys, "Directory of department keys")->required();
  load->add_option("--rate", load_cmd.rate, "Offered tx/s");
  load->add_option("--seconds", load_cmd.seconds, "Seconds of load");
  load->add_option("--probe-rate", load_cmd.probe_rate, "Latency probes per second");
  load->add_option("--connections", load_cmd.connections, "Connections per node");
  load->add_option("--batch", load_cmd.batch, "Transactions per request (> 1: POST /v1/txs)")
      ->check(CLI::Range(1, 1000));
  ApiLoadCmd api_cmd;
  CLI::App* api_load = app.add_subcommand(
      "api-load", "One dev node under thousands of slow (slowloris) and fast API connections");
  add_suite(api_load);
  api_load->add_option("--fast", api_cmd.fast, "Fast clients (keep-alive GETs)");
  api_load->add_option("--slow", api_cmd.slow, "Slow clients (drip one header line a second)");
  api_load->add_option("--addresses", api_cmd.addresses,
                       "Loopback source addresses the clients spread over (127.0.0.2...)");
  api_load->add_option("--seconds", api_cmd.seconds, "Seconds of each phase (quiet, then load)");
  CLI11_PARSE(app, argc, argv);
  std::error_code ec;
  std::filesystem::create_directories(o.paths.work_dir, ec);

  if (ceiling->parsed()) return RunCeiling(o);
  if (single->parsed()) return RunChainBench(o, /*cluster=*/false);
  if (cluster->parsed()) return RunChainBench(o, /*cluster=*/true);
  if (audit->parsed()) return RunAuditBench(o);
  if (scale->parsed()) return RunScaleBench(o);
  if (verify->parsed()) return RunVerifyBench(o);
  if (sync->parsed()) return RunSyncBench(o);
  if (ordering->parsed()) {
    ordering_opts.paths = o.paths;
    ordering_opts.out_dir = o.out_dir;
    ordering_opts.tiny = o.tiny;
    return RunOrdering(ordering_opts);
  }
  if (load->parsed()) return RunLoad(load_cmd);
  if (api_load->parsed()) return RunApiLoadBench(o, api_cmd);
  return 1;
}

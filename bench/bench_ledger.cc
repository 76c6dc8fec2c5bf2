// The benchmarks over ledgers written by the filler (bench/ledger_fill.h): audit (the offline
// chain audit of the CLI), scale (a node serving lookups and traces over millions of materials:
// latency, memory, bytes on disk) and verify (offline proof bundle and document verification).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "bench/bench_suites.h"
#include "bench/ledger_fill.h"
#include "crypto/hash.h"
#include "ledger/proof.h"
#include "ledger/store.h"
#include "node/http_client.h"
#include "util/time.h"

namespace govledger::bench {

namespace fs = std::filesystem;

namespace {

// Bytes the files under `dir` take on disk (allocated blocks, as `du` counts them).
uint64_t DiskBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (it->is_regular_file(ec) && stat(it->path().c_str(), &st) == 0) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

void ReportFill(Report& report, const FillResult& f) {
  report.Figure("ledger filled", static_cast<double>(f.materials), "materials");
  report.Figure("filler rate (sign, execute, certify, commit)", f.materials / f.seconds, "tx/s");
  report.Detail("fill", {{"materials", f.materials},
                         {"blocks", f.blocks},
                         {"height", f.height},
                         {"seconds", f.seconds}});
}

void Cleanup(const Options& o, const std::string& dir) {
  if (o.keep) {
    std::cerr << "  kept " << dir << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

struct AuditRun {
  double wall_s = 0, cpu_s = 0;
  uint64_t txs = 0, blocks = 0;
  bool ok = false;
};

AuditRun Audit(const Options& o, const std::string& home, bool signatures) {
  std::vector<std::string> argv{o.paths.Cli(), "--json", "audit", "chain", "--home", home};
  if (!signatures) argv.push_back("--no-signatures");
  AuditRun r;
  std::string out;
  int rc = RunCommand(argv, &out, &r.cpu_s, &r.wall_s);
  json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  r.ok = rc == 0 && !j.is_discarded() && j.value("ok", false);
  if (!j.is_discarded()) {
    r.txs = j.value("transactions", uint64_t{0});
    r.blocks = j.value("blocks", uint64_t{0});
  }
  if (!r.ok) std::cerr << "audit failed (exit " << rc << "): " << out << "\n";
  return r;
}

}  // namespace

Result<Filled> FillDev(const Options& o, const std::string& name, uint64_t materials,
                       size_t block_txs, std::vector<Bytes> doc_digests) {
  return FillNetwork(o, name, "dev", 1, materials, block_txs, std::move(doc_digests));
}

Result<Filled> FillNetwork(const Options& o, const std::string& name, const std::string& network,
                           size_t validators, uint64_t materials, size_t block_txs,
                           std::vector<Bytes> doc_digests, size_t copies) {
  auto homes = MakeHomes(o.paths, network, validators, o.suite, o.paths.work_dir + "/" + name);
  if (!homes.ok()) return homes.status();
  auto source = TxSource::Open(homes->genesis_file, homes->keys_dir);
  if (!source.ok()) return source.status();
  auto keys = LoadValidatorKeys(homes->genesis, homes->homes);
  if (!keys.ok()) return keys.status();
  FillOptions fo;
  fo.materials = materials;
  fo.block_txs = block_txs;
  fo.threads = Cores();
  fo.doc_digests = std::move(doc_digests);
  const uint64_t tenth = std::max<uint64_t>(1, materials / 10);
  uint64_t next_report = tenth;
  const double t0 = NowSeconds();
  fo.progress = [&](uint64_t done, uint64_t height) {
    if (done < next_report && done < materials) return;
    next_report = done + tenth;
    std::cerr << "  filled " << done << " materials in " << height << " blocks ("
              << static_cast<long>(done / std::max(1e-9, NowSeconds() - t0)) << " tx/s)\n";
  };
  auto fill = FillLedger(homes->DataDir(0), homes->genesis, *keys, *source, fo);
  if (!fill.ok()) return fill.status();
  // The other validators start from copies, as validators that have been running together would.
  copies = std::min(copies, homes->homes.size() - 1);
  if (copies > 0) {
    std::cerr << "  copying the filled data directory to " << copies << " other validator(s)\n";
  }
  for (size_t i = 1; i <= copies; ++i) {
    std::error_code ec;
    fs::remove_all(homes->DataDir(i), ec);
    fs::copy(homes->DataDir(0), homes->DataDir(i), fs::copy_options::recursive, ec);
    if (ec) return Status::Error("io", "copying the data directory: " + ec.message());
  }
  return Filled{std::move(*homes), std::move(*fill)};
}

// ------------------------------------------------------------------ audit

int RunAuditBench(const Options& o) {
  Report report("audit-" + o.suite);
  const crypto::Suite suite = ParseSuite(o.suite);
  const unsigned cores = Cores();
  const uint64_t txs = o.tiny ? 3000 : o.audit_txs;
  const size_t block_txs = o.tiny ? 300 : o.block_txs;
  std::cerr << "audit (" << o.suite << "): filling a ledger with " << txs << " material issues in "
            << "blocks of " << block_txs << "\n";
  auto filled = FillDev(o, "audit-" + o.suite, txs, block_txs);
  if (!filled.ok()) return Fail(filled.status());
  const std::string home = filled->homes.homes.front();

  Ceiling c;
  c.before = MeasureRawVerify(suite, o.tiny ? 0.3 : 1.5);
  std::cerr << "  auditing with signatures\n";
  AuditRun with = Audit(o, home, /*signatures=*/true);
  std::cerr << "  auditing hash-only\n";
  AuditRun without = Audit(o, home, /*signatures=*/false);
  c.after = MeasureRawVerify(suite, o.tiny ? 0.3 : 1.5);
  if (!with.ok || !without.ok) return Fail(Status::Error("audit_failed", "see above"));
  Cleanup(o, filled->homes.dir);

  ReportCeiling(report, o.suite, c, cores, 1);
  ReportFill(report, filled->fill);
  const double ceiling = CeilingTps(c.per_core_cpu(), cores, 1);
  report.Figure("ledger audited", static_cast<double>(with.txs), "transactions");
  report.Figure("audit with signatures", with.txs / with.wall_s, "tx/s",
                with.txs / with.wall_s / ceiling, "the one-validator ceiling");
  report.Figure("audit with signatures (against this run's wall-clock ceiling)",
                with.txs / with.wall_s, "tx/s",
                with.txs / with.wall_s / CeilingTps(c.per_core_wall(), cores, 1),
                "the one-validator ceiling at this run's load");
  report.Figure("audit with signatures, CPU per tx", 1e6 * with.cpu_s / with.txs, "us",
                (1e6 / c.per_core_cpu()) / (1e6 * with.cpu_s / with.txs),
                "verify cost per tx (CPU-normalised)");
  report.Figure("audit hash-only (--no-signatures)", without.txs / without.wall_s, "tx/s",
                without.txs / without.wall_s / 200'000, "the 200,000 tx/s target");
  report.Figure("audit hash-only, CPU per tx", 1e6 * without.cpu_s / without.txs, "us");
  report.Detail("runs", {{"with_signatures",
                          {{"wall_s", with.wall_s},
                           {"cpu_s", with.cpu_s},
                           {"txs", with.txs},
                           {"blocks", with.blocks}}},
                         {"hash_only",
                          {{"wall_s", without.wall_s},
                           {"cpu_s", without.cpu_s},
                           {"txs", without.txs},
                           {"blocks", without.blocks}}}});
  return report.Save(o.out_dir) ? 0 : 1;
}

// ------------------------------------------------------------------ scale

namespace {

// Latencies of GET target(id) over `ids`, in ms; failures counted.
struct Latencies {
  std::vector<double> ms;
  uint64_t failed = 0;
};

Latencies Measure(const std::string& url, const std::vector<std::string>& ids, uint64_t count,
                  const std::function<std::string(const std::string&)>& target) {
  Latencies l;
  std::mt19937_64 rng(42);
  for (uint64_t i = 0; i < count; ++i) {
    const std::string& id = ids[rng() % ids.size()];
    const double t0 = NowSeconds();
    auto r = node::HttpGet(url, target(id), 30'000);
    const double t1 = NowSeconds();
    if (!r.ok() || r->status != 200) {
      ++l.failed;
      continue;
    }
    l.ms.push_back((t1 - t0) * 1e3);
  }
  return l;
}

}  // namespace

int RunScaleBench(const Options& o) {
  Report report("scale-" + o.suite);
  const uint64_t materials = o.tiny ? 2000 : o.scale_materials;
  const size_t block_txs = o.tiny ? 500 : o.block_txs;
  const uint64_t lookups = o.tiny ? 50 : o.lookups;
  std::cerr << "scale (" << o.suite << "): filling a ledger with " << materials << " materials\n";
  auto filled = FillDev(o, "scale-" + o.suite, materials, block_txs);
  if (!filled.ok()) return Fail(filled.status());
  ReportFill(report, filled->fill);
  const std::string data_dir = filled->homes.DataDir(0);

  // Where the bytes go, per LevelDB table prefix (store.h has the key layout).
  json tables = json::object();
  {
    auto store = ledger::Store::Open(data_dir, filled->homes.genesis);
    if (!store.ok()) return Fail(store.status());
    for (const auto& [prefix, u] : (*store)->TableSizes()) {
      const std::string name(1, prefix);
      tables[name] = {{"rows", u.rows},
                      {"key_bytes", u.key_bytes},
                      {"value_bytes", u.value_bytes},
                      {"disk_bytes_approx", u.disk_bytes},
                      {"bytes_per_material", double(u.key_bytes + u.value_bytes) / materials}};
      std::cerr << "  table '" << name << "': " << u.rows << " rows, "
                << (u.key_bytes + u.value_bytes) / materials << " B/material before compression, "
                << u.disk_bytes / materials << " B/material on disk (approx.)\n";
    }
  }
  const uint64_t disk = DiskBytes(data_dir);
  report.Figure("bytes on disk per material", double(disk) / materials, "B",
                (1.5 * 1024) / (double(disk) / materials), "the 1.5 KB target (>1 is better)");
  report.Detail("tables", tables);
  report.Detail("disk_bytes", disk);

  NodeProc node;
  node.name = "scale";
  node.home = filled->homes.homes.front();
  node.log = filled->homes.dir + "/node.log";
  const double start0 = NowSeconds();
  if (Status st = node.Start(o.paths, {}); !st.ok()) return Fail(st);
  report.Figure("node start on the filled ledger", NowSeconds() - start0, "s");
  const std::vector<std::string>& ids = filled->fill.sample_ids;
  auto status_target = [](const std::string& id) { return "/v1/material/" + id; };
  auto trace_target = [](const std::string& id) { return "/v1/material/" + id + "/history"; };
  // Warm the connection path and the first index blocks, as a serving node would be.
  Measure(node.url, ids, std::min<uint64_t>(lookups / 10 + 1, 200), status_target);
  Latencies status = Measure(node.url, ids, lookups, status_target);
  Latencies trace = Measure(node.url, ids, std::max<uint64_t>(1, lookups / 4), trace_target);
  // The node's own memory is its anonymous RSS (heap, stacks). Its RSS also counts the pages of
  // LevelDB's table files it has touched through mmap — page cache, shared and reclaimable, which
  // the startup scan of a store under [storage] startup_full_scan_max_bytes touches entirely.
  const pid_t pid = node.proc.pid();
  const uint64_t anon = ProcessStatusBytes(pid, "RssAnon");
  const uint64_t file = ProcessStatusBytes(pid, "RssFile");
  const uint64_t rss = ProcessStatusBytes(pid, "VmRSS");
  const uint64_t peak = ProcessStatusBytes(pid, "VmHWM");
  node.proc.Terminate();
  Cleanup(o, filled->homes.dir);
  if (status.ms.empty() || trace.ms.empty()) {
    return Fail(Status::Error(
        "lookups_failed", std::to_string(status.failed) + " status lookups and " +
                              std::to_string(trace.failed) + " traces failed; see " + node.log));
  }
  const double sp99 = Percentile(status.ms, 99);
  report.Figure("status lookup p50", Percentile(status.ms, 50), "ms");
  report.Figure("status lookup p99", sp99, "ms", 5.0 / sp99, "the 5 ms target (>1 is better)");
  report.Figure("trace query p50", Percentile(trace.ms, 50), "ms");
  report.Figure("trace query p99", Percentile(trace.ms, 99), "ms");
  report.Figure("node memory after the queries (anonymous RSS)", anon / 1048576.0, "MiB",
                512.0 / (anon / 1048576.0), "the 512 MB target (>1 is better)");
  report.Figure("node RSS after the queries, with mapped table files", rss / 1048576.0, "MiB");
  report.Figure("  of which file-backed (LevelDB's mapped tables, the program's code; RssFile)",
                file / 1048576.0, "MiB");
  report.Figure("node peak RSS (VmHWM)", peak / 1048576.0, "MiB");
  report.Detail("queries", {{"status_lookups", status.ms.size()},
                            {"status_failed", status.failed},
                            {"traces", trace.ms.size()},
                            {"trace_failed", trace.failed},
                            {"distinct_ids", ids.size()},
                            {"http", "one new loopback connection per request (node::HttpGet)"}});
  return report.Save(o.out_dir) ? 0 : 1;
}

// ------------------------------------------------------------------ verify

int RunVerifyBench(const Options& o) {
  Report report("verify-" + o.suite);
  const crypto::Suite suite = ParseSuite(o.suite);
  const std::string dir = o.paths.work_dir + "/verify-" + o.suite;
  // A 10 MB document whose digest goes on the ledger with the first material.
  const size_t doc_bytes = o.tiny ? 1 << 20 : 10 << 20;
  Bytes doc(doc_bytes);
  std::mt19937_64 rng(7);
  for (size_t i = 0; i < doc.size(); i += 8) {
    const uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < doc.size(); ++k)
      doc[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  const crypto::Digest digest = crypto::Hash(suite, doc);
  std::cerr << "verify (" << o.suite << "): filling a ledger with " << (o.tiny ? 200 : 2000)
            << " materials\n";
  auto filled =
      FillDev(o, "verify-" + o.suite, o.tiny ? 200 : 2000, 500, {crypto::DigestBytes(digest)});
  if (!filled.ok()) return Fail(filled.status());
  const std::string doc_file = filled->homes.dir + "/document.pdf";
  const std::string bundle_file = filled->homes.dir + "/document.govproof";
  {
    std::ofstream out(doc_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(doc.data()), static_cast<std::streamsize>(doc.size()));
    if (!out) return Fail(Status::Error("io", "cannot write " + doc_file));
  }
  std::string bundle_json;
  {
    auto store = ledger::Store::Open(filled->homes.DataDir(0), filled->homes.genesis);
    if (!store.ok()) return Fail(store.status());
    ledger::ProofRequest req;
    req.material_id = filled->fill.digest_ids.front();
    auto bundle = ledger::BuildProofBundle(**store, filled->homes.genesis, req);
    if (!bundle.ok()) return Fail(bundle.status());
    bundle_json = ledger::ProofBundleToJson(*bundle);
    std::ofstream out(bundle_file);
    out << bundle_json;
  }
  auto trusted = ledger::LoadGenesisFile(filled->homes.genesis_file);
  if (!trusted.ok()) return Fail(trusted.status());

  // The bundle alone, as `govledger verify --bundle` checks it once the file is hashed:
  // parse, then every proof step (ledger::VerifyProofBundleJson), in CPU time of this thread.
  ledger::VerifyOptions vo;
  vo.document_digest = digest;
  vo.now_ms = NowMs();
  const int rounds = o.tiny ? 20 : 500;
  const double cpu0 = ThreadCpuSeconds(), wall0 = NowSeconds();
  int valid = 0;
  for (int i = 0; i < rounds; ++i) {
    valid +=
        ledger::VerifyProofBundleJson(*trusted, bundle_json, vo).verdict == ledger::Verdict::kValid;
  }
  const double bundle_cpu_ms = (ThreadCpuSeconds() - cpu0) * 1e3 / rounds;
  const double bundle_wall_ms = (NowSeconds() - wall0) * 1e3 / rounds;
  if (valid != rounds) return Fail(Status::Error("not_valid", "the bundle did not verify VALID"));
  // Of which: hashing the trusted genesis (to compare with the bundle's genesis hash), which a
  // verifier that keeps one genesis loaded could do once.
  const double gcpu0 = ThreadCpuSeconds();
  for (int i = 0; i < rounds; ++i) (void)ledger::GenesisHash(*trusted);
  const double genesis_cpu_ms = (ThreadCpuSeconds() - gcpu0) * 1e3 / rounds;
  // Of which: parsing the bundle's JSON.
  const double pcpu0 = ThreadCpuSeconds();
  for (int i = 0; i < rounds; ++i) (void)ledger::ProofBundleFromJson(bundle_json);
  const double parse_cpu_ms = (ThreadCpuSeconds() - pcpu0) * 1e3 / rounds;
  // Hashing the document, in-process, for the split of the end-to-end time.
  const double hcpu0 = ThreadCpuSeconds();
  auto file_digest = crypto::HashFile(suite, doc_file);
  const double hash_cpu_ms = (ThreadCpuSeconds() - hcpu0) * 1e3;
  if (!file_digest.ok() || *file_digest != digest) {
    return Fail(Status::Error("digest", "the document file does not hash to its digest"));
  }

  // End to end: the CLI as a citizen runs it, process start to exit (best of a few runs, the
  // machine being shared; the median is in the JSON).
  std::vector<double> e2e_ms, e2e_cpu_ms;
  for (int i = 0; i < (o.tiny ? 2 : 7); ++i) {
    std::string out;
    double cpu = 0, wall = 0;
    int rc = RunCommand({o.paths.Cli(), "--json", "verify", doc_file, "--bundle", bundle_file,
                         "--trust", filled->homes.genesis_file},
                        &out, &cpu, &wall);
    if (rc != 0)
      return Fail(Status::Error("verify_failed",
                                "govledger verify exit " + std::to_string(rc) + ": " + out));
    e2e_ms.push_back(wall * 1e3);
    e2e_cpu_ms.push_back(cpu * 1e3);
  }
  Cleanup(o, filled->homes.dir);
  const double best = *std::min_element(e2e_ms.begin(), e2e_ms.end());
  report.Figure("bundle verification (CPU, no file hashing)", bundle_cpu_ms, "ms",
                2.0 / bundle_cpu_ms, "the 2 ms target (>1 is better)");
  report.Figure("bundle verification (wall clock)", bundle_wall_ms, "ms");
  report.Figure("  of which hashing the trusted genesis (CPU)", genesis_cpu_ms, "ms");
  report.Figure("  of which parsing the bundle JSON (CPU)", parse_cpu_ms, "ms");
  report.Figure("document hashing in-process (" + std::to_string(doc_bytes >> 20) + " MiB, CPU)",
                hash_cpu_ms, "ms");
  report.Figure("document verified end to end (`govledger verify`, best)", best, "ms", 100.0 / best,
                "the 100 ms target (>1 is better)");
  report.Figure("document verified end to end (median)", Percentile(e2e_ms, 50), "ms");
  report.Figure("document verified end to end, CPU (median)", Percentile(e2e_cpu_ms, 50), "ms");
  report.Detail("verify", {{"bundle_bytes", bundle_json.size()},
                           {"document_bytes", doc_bytes},
                           {"rounds", rounds},
                           {"e2e_ms", e2e_ms}});
  return report.Save(o.out_dir) ? 0 : 1;
}

}  // namespace govledger::bench

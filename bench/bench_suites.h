// The benchmarks of govledger-bench (bench/govledger_bench.cc is their command line), and what
// they share: options, the verification ceiling measured around a run, and the chain homes the
// ledger-filling benchmarks write into.
//
//   ceiling, single, cluster      bench/govledger_bench.cc (real nodes under offered load)
//   audit, scale, verify          bench/bench_ledger.cc (ledgers filled by bench/ledger_fill.h)
//   sync                          bench/bench_sync.cc (a fourth node catching up)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_nodes.h"
#include "bench/ledger_fill.h"
#include "crypto/hash.h"
#include "ledger/genesis.h"
#include "util/status.h"

namespace govledger::bench {

struct Options {
  bool tiny = false;
  std::string out_dir = "bench-results";
  std::string suite = "p256";
  Paths paths;
  double level_seconds = 0;  // 0: the default for the mode
  double sustained_seconds = -1;  // < 0: the default for the mode
  uint64_t prefill = 0;           // single, cluster: materials on the ledger before the ramp
  double start_tps = 0;      // 0: the default for the mode
  int levels = 0;            // 0: the default for the mode
  uint64_t audit_txs = 1'000'000;
  uint64_t scale_materials = 1'000'000;
  size_t block_txs = 1000;
  uint64_t sync_blocks = 10'000;
  size_t sync_block_txs = 10;
  int batch = 1;            // single, cluster: transactions per submission request
  uint64_t lookups = 2000;  // scale: status lookups (and a quarter as many trace queries)
  bool keep = false;        // keep the filled ledgers in the work directory
};

crypto::Suite ParseSuite(const std::string& name);
int Fail(const Status& st);
unsigned Cores();

// The verification ceiling of a suite measured around a benchmark: before and after, averaged,
// so that a change in the machine's load during the run shows in both figures alike.
struct Ceiling {
  VerifyRate before, after;
  double per_core_wall() const { return (before.per_wall_second + after.per_wall_second) / 2; }
  double per_core_cpu() const { return (before.per_cpu_second + after.per_cpu_second) / 2; }
};
void ReportCeiling(Report& report, const std::string& suite, const Ceiling& c, unsigned cores,
                   unsigned validators);

// A network made by node::InitNetwork from network-configs/<name> (free ports, the run's suite)
// in a fresh directory: one flat home for "dev", one home per validator otherwise.
struct Homes {
  std::string dir;
  std::vector<std::string> homes;  // node homes, in validator order
  std::string genesis_file;
  std::string keys_dir;
  ledger::Genesis genesis;
  std::string DataDir(size_t i) const;
};
Result<Homes> MakeHomes(const Paths& paths, const std::string& network, size_t validators,
                        const std::string& suite, const std::string& dir);

// A dev home in WORK/<name> filled with `materials` issues in blocks of `block_txs` by the
// filler (progress on stderr every tenth); `doc_digests` as FillOptions'.
struct Filled {
  Homes homes;
  FillResult fill;
};
Result<Filled> FillDev(const Options& o, const std::string& name, uint64_t materials,
                       size_t block_txs, std::vector<Bytes> doc_digests = {});
// The same for the `validators` of network-configs/<network>: the filler writes the first one's
// data directory, and the next `copies` of them (all the others by default) get copies of it.
Result<Filled> FillNetwork(const Options& o, const std::string& name, const std::string& network,
                           size_t validators, uint64_t materials, size_t block_txs,
                           std::vector<Bytes> doc_digests = {}, size_t copies = SIZE_MAX);

int RunAuditBench(const Options& o);
int RunScaleBench(const Options& o);
int RunVerifyBench(const Options& o);
int RunSyncBench(const Options& o);

}  // namespace govledger::bench

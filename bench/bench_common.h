// Shared parts of the benchmark suite (bench/govledger_bench.cc): the machine's own limit (the
// signature-verification ceiling, measured in-process), CPU accounting from /proc, and the report
// every benchmark ends with — one summary line per figure on stdout and a JSON file in the
// results directory.
//
// Figures are reported as ratios against the ceiling measured in the same run, because the
// machine is shared and absolute numbers are noisy. Rates are given twice where it matters:
// against wall-clock time (what a client sees) and against the CPU time the measured processes
// actually got (what the code costs, which other load on the machine does not change much).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"

namespace govledger::bench {

using nlohmann::json;

// What the machine is and how busy it was.
struct MachineInfo {
  unsigned cores = 1;       // CPUs this process may run on
  std::string cpu_model;
  double loadavg_1m = 0;    // /proc/loadavg at the time of the call
};
MachineInfo GetMachineInfo();

// The cost of one signature verification in this process, for one suite. `per_cpu_second` is
// verifications per second of CPU time the measuring thread got (the rate of a core of one's
// own); `per_wall_second` the same against the clock (lower when the machine is busy).
struct VerifyRate {
  double per_cpu_second = 0;
  double per_wall_second = 0;
  uint64_t count = 0;
};

// The ceiling: raw OpenSSL verification of a transaction-sized message with an already parsed
// key (EVP_DigestVerify; the hash of the message included), on one thread for `seconds`.
VerifyRate MeasureRawVerify(crypto::Suite suite, double seconds);
// crypto::Verify as the node calls it (key bytes in, parsed-key cache in front): with one key
// over and over (`distinct_keys` = 1, the cache hits), or cycling through more keys than the
// cache holds (every call parses its key, as every call did before the cache).
VerifyRate MeasureLibraryVerify(crypto::Suite suite, double seconds, size_t distinct_keys);

// Transactions per second that verification alone allows when `validators` validators share the
// machine's cores and each verifies every transaction once.
inline double CeilingTps(double verify_per_core, unsigned cores, unsigned validators) {
  return verify_per_core * cores / validators;
}

// utime + stime of a process (all its threads), in seconds; 0 if it is gone.
double ProcessCpuSeconds(pid_t pid);
// A "Field:  N kB" line of /proc/PID/status in bytes (VmRSS, VmHWM, RssAnon, RssFile...); 0 if
// the process or the field is gone.
uint64_t ProcessStatusBytes(pid_t pid, const std::string& field);
// CPU time of the calling thread / whole calling process, in seconds.
double ThreadCpuSeconds();
double SelfCpuSeconds();
// Seconds on a monotonic clock.
double NowSeconds();

// p-th percentile (0..100) of `values` (sorted in place); 0 for none.
double Percentile(std::vector<double>& values, double p);

// Collects one benchmark's figures. Print() writes a summary line per figure:
//   <bench>: <figure> = <value> <unit> [(<ratio> of <what>)]
// and Save() writes OUT_DIR/<bench>.json with every figure, the machine and the extra details.
class Report {
 public:
  explicit Report(std::string bench);

  void Figure(const std::string& name, double value, const std::string& unit,
              std::optional<double> ratio = std::nullopt, const std::string& ratio_of = "");
  // Extra structured data (per-load rows, parameters) under `key` in the JSON.
  void Detail(const std::string& key, json value) { details_[key] = std::move(value); }
  // Free-text remark printed once and kept in the JSON (e.g. what could not be measured).
  void Note(const std::string& text);

  // Writes OUT_DIR/<bench>.json (creating OUT_DIR). Returns false, with a message on stderr, on
  // failure.
  bool Save(const std::string& out_dir) const;

 private:
  std::string bench_;
  json figures_ = json::array();
  json details_ = json::object();
  json notes_ = json::array();
  MachineInfo machine_start_;
};

}  // namespace govledger::bench

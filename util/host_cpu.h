// How busy the host's CPUs are: the share of CPU time, over all cores, that was not idle between
// two readings of /proc/stat's "cpu" line. The node's proposer reads it to decide how long to let
// a block fill (node/consensus_driver.cc): a height's fixed cost matters only when CPU is scarce.
// Time stolen by the hypervisor counts as busy (it is not available to us); I/O wait as idle.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace govledger {

// The aggregate "cpu" line of /proc/stat, in clock ticks.
struct CpuTimes {
  uint64_t total = 0;  // every field
  uint64_t idle = 0;   // idle + iowait
};

// The first line of /proc/stat's text ("cpu  user nice system idle iowait irq softirq steal ...").
// nullopt when it is not such a line (fewer than four numbers, a number that does not parse).
std::optional<CpuTimes> ParseProcStatCpu(std::string_view text);

// The busy share (0..1) between two readings; nullopt when no tick passed or `now` is older.
std::optional<double> BusyBetween(const CpuTimes& before, const CpuTimes& now);

// Reads `path` (default /proc/stat) at most once per `min_interval_ms` and answers the busy share
// over the last interval read. Not thread-safe: one owner (the io thread). A host without the file,
// or a file that does not parse, reads as never busy (0).
class HostCpu {
 public:
  explicit HostCpu(std::string path = "/proc/stat", int64_t min_interval_ms = 100);
  // Busy share over the most recent interval of at least min_interval_ms that has ended.
  double Busy(int64_t steady_ms);

 private:
  std::string path_;
  int64_t min_interval_ms_;
  std::optional<CpuTimes> last_;
  int64_t last_ms_ = 0;
  double busy_ = 0;
};

}  // namespace govledger

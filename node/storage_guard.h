// Free-space guard for a validator's data and WAL directories. A node that lets LevelDB or the
// WAL run into ENOSPC mid-write can leave a half-written log record behind; instead, below
// `min_free_bytes` the node stops committing blocks (and says so in its log and on /healthz)
// and resumes by itself once space is back above the threshold plus a margin (hysteresis).
//
// Thread-safety: Check() runs on the node's io thread; Problem() may be read from others.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace govledger::node {

class StorageGuard {
 public:
  StorageGuard(std::vector<std::string> dirs, uint64_t min_free_bytes);

  // Re-reads the free space of every directory (statvfs); true when commits may proceed.
  // Logs each transition once. `height` is the block about to be committed, for the log.
  bool Check(uint64_t height);
  // Empty while writing is allowed; otherwise the reason, for /healthz.
  std::string Problem() const;

 private:
  std::vector<std::string> dirs_;
  uint64_t min_free_;
  mutable std::mutex mu_;
  std::string problem_;
};

}  // namespace govledger::node

#include "node/storage_guard.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "node/log.h"

namespace govledger::node {

namespace {

std::string Mib(uint64_t bytes) {
  return std::to_string(bytes / (1 << 20)) + "." + std::to_string((bytes % (1 << 20)) * 10 >> 20) +
         " MiB";
}

}  // namespace

StorageGuard::StorageGuard(std::vector<std::string> dirs, uint64_t min_free_bytes)
    : dirs_(std::move(dirs)), min_free_(min_free_bytes) {}

bool StorageGuard::Check(uint64_t height) {
  if (min_free_ == 0) return true;
  std::string problem;
  const bool was_low = !Problem().empty();
  // Resume only with a margin above the threshold, so a disk hovering at the limit does not
  // flap between stopped and running on every block.
  const uint64_t need = was_low ? min_free_ + min_free_ / 2 : min_free_;
  uint64_t lowest = UINT64_MAX;
  std::string lowest_dir;
  for (const std::string& dir : dirs_) {
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0) {
      problem = "storage_unavailable: cannot read the free space of " + dir + ": " +
                std::strerror(errno);
      break;
    }
    const uint64_t free_bytes = uint64_t{vfs.f_bavail} * vfs.f_frsize;
    if (free_bytes < lowest) {
      lowest = free_bytes;
      lowest_dir = dir;
    }
  }
  if (problem.empty() && lowest < need) {
    problem = "storage_full: " + Mib(lowest) + " free on " + lowest_dir +
              " (below [storage] min_free_bytes = " + Mib(min_free_) +
              "); not committing blocks until space is freed";
  }
  if (problem.empty() && was_low) {
    GOVLEDGER_LOG(kInfo, "storage: " << Mib(lowest) << " free again on " << lowest_dir
                                     << "; committing resumes at block " << height);
  } else if (!problem.empty() && !was_low) {
    GOVLEDGER_LOG(kError, "storage: block production stopped before block " << height << ": "
                                                                            << problem);
  }
  std::lock_guard<std::mutex> lock(mu_);
  problem_ = std::move(problem);
  return problem_.empty();
}

std::string StorageGuard::Problem() const {
  std::lock_guard<std::mutex> lock(mu_);
  return problem_;
}

}  // namespace govledger::node

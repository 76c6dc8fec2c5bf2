#include "util/host_cpu.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <utility>

namespace govledger {

std::optional<CpuTimes> ParseProcStatCpu(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  text.remove_prefix(4);
  CpuTimes t;
  size_t fields = 0;
  while (true) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text.empty()) break;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || (end != text.data() + text.size() && *end != ' ')) return std::nullopt;
    text.remove_prefix(static_cast<size_t>(end - text.data()));
    // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already
    // inside user and nice, so the last two are not added again.
    if (fields < 8) t.total += v;
    if (fields == 3 || fields == 4) t.idle += v;
    ++fields;
  }
  if (fields < 4) return std::nullopt;
  return t;
}

std::optional<double> BusyBetween(const CpuTimes& before, const CpuTimes& now) {
  if (now.total <= before.total || now.idle < before.idle) return std::nullopt;
  const uint64_t total = now.total - before.total;
  const uint64_t idle = now.idle - before.idle;
  if (idle >= total) return 0.0;
  return static_cast<double>(total - idle) / static_cast<double>(total);
}

HostCpu::HostCpu(std::string path, int64_t min_interval_ms)
    : path_(std::move(path)), min_interval_ms_(min_interval_ms) {}

double HostCpu::Busy(int64_t steady_ms) {
  if (last_ && steady_ms - last_ms_ < min_interval_ms_) return busy_;
  // The "cpu" line comes first and is well under 256 bytes.
  char buf[256];
  ssize_t n = -1;
  if (int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    n = ::read(fd, buf, sizeof buf);
    ::close(fd);
  }
  const std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  // A first line cut short by the buffer would end in a truncated number: not read.
  std::optional<CpuTimes> now =
      text.find('\n') != std::string_view::npos ? ParseProcStatCpu(text) : std::nullopt;
  if (!now) return busy_;
  if (last_) {
    if (auto busy = BusyBetween(*last_, *now)) busy_ = *busy;
  }
  last_ = now;
  last_ms_ = steady_ms;
  return busy_;
}

}  // namespace govledger

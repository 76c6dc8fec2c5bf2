#include "util/host_cpu.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace govledger {
namespace {

TEST_CASE("the /proc/stat cpu line parses into total and idle ticks", "[util][host_cpu]") {
  // user nice system idle iowait irq softirq steal guest guest_nice
  auto t = ParseProcStatCpu("cpu  100 5 50 800 20 3 2 10 40 1\ncpu0 50 2 25 400 10 1 1 5 20 0\n");
  REQUIRE(t);
  CHECK(t->total == 100 + 5 + 50 + 800 + 20 + 3 + 2 + 10);  // guest time is inside user and nice
  CHECK(t->idle == 800 + 20);
  // Older kernels print only four fields.
  auto old = ParseProcStatCpu("cpu 1 2 3 4\n");
  REQUIRE(old);
  CHECK(old->total == 10);
  CHECK(old->idle == 4);
}

TEST_CASE("a line that is not the aggregate cpu line is refused", "[util][host_cpu]") {
  CHECK_FALSE(ParseProcStatCpu(""));
  CHECK_FALSE(ParseProcStatCpu("cpu0 1 2 3 4 5\n"));  // a per-core line
  CHECK_FALSE(ParseProcStatCpu("intr 1 2 3 4\n"));
  CHECK_FALSE(ParseProcStatCpu("cpu 1 2 3\n"));     // too few fields
  CHECK_FALSE(ParseProcStatCpu("cpu 1 2 x3 4\n"));  // not a number
  CHECK_FALSE(ParseProcStatCpu("cpu 1 2 3 4-\n"));
  CHECK_FALSE(ParseProcStatCpu("cpu 1 2 3 99999999999999999999999\n"));  // overflows
}

TEST_CASE("the busy share is the non-idle ticks over all ticks between two readings",
          "[util][host_cpu]") {
  CpuTimes a{1000, 600};
  CHECK(BusyBetween(a, CpuTimes{2000, 850}) == Approx(0.75));
  CHECK(BusyBetween(a, CpuTimes{2000, 1600}) == Approx(0.0));
  CHECK(BusyBetween(a, CpuTimes{1100, 600}) == Approx(1.0));
  CHECK_FALSE(BusyBetween(a, a));                   // no tick passed
  CHECK_FALSE(BusyBetween(a, CpuTimes{900, 500}));  // counters went back (another host's file)
}

TEST_CASE("HostCpu reads its file once per interval and is never busy without one",
          "[util][host_cpu]") {
  char dir_template[] = "/tmp/govledger-hostcpu-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/stat";
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };

  HostCpu missing(std::string(dir_template) + "/absent");
  CHECK(missing.Busy(0) == 0.0);
  CHECK(missing.Busy(1000) == 0.0);

  write("cpu  100 0 0 900 0 0 0 0\n");
  HostCpu cpu(path, 100);
  CHECK(cpu.Busy(0) == 0.0);  // one reading: no interval yet
  write("cpu  400 0 0 1000 0 0 0 0\n");
  CHECK(cpu.Busy(50) == 0.0);            // inside the interval: the file is not read again
  CHECK(cpu.Busy(100) == Approx(0.75));  // 300 busy of 400 ticks
  write("cpu  400 0 0 1400 0 0 0 0\n");
  CHECK(cpu.Busy(150) == Approx(0.75));
  CHECK(cpu.Busy(200) == Approx(0.0));
  write("garbage\n");
  CHECK(cpu.Busy(300) == Approx(0.0));  // a file that stops parsing keeps the last answer
  write("cpu  500 0 0 1500 0 0 0 0\n");
  CHECK(cpu.Busy(400) == Approx(0.5));  // against the last reading that parsed

  std::remove(path.c_str());
  rmdir(dir_template);
}

TEST_CASE("this host's /proc/stat parses and gives a busy share between 0 and 1",
          "[util][host_cpu]") {
  std::ifstream in("/proc/stat");
  std::string first;
  REQUIRE(std::getline(in, first));
  auto t = ParseProcStatCpu(first + "\n");
  REQUIRE(t);
  CHECK(t->total > t->idle);
  HostCpu cpu("/proc/stat", 1);
  cpu.Busy(0);
  usleep(20'000);
  const double busy = cpu.Busy(1000);
  CHECK(busy >= 0.0);
  CHECK(busy <= 1.0);
}

}  // namespace
}  // namespace govledger

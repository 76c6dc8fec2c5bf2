// The test-only fault layer itself (tests/faults/fault_filter.h): control-file parsing and
// what happens to frames under each setting, on a real io_context with no network.
#include "tests/faults/fault_filter.h"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

namespace govledger::faults {
namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/govledger-faults-XXXXXX";
    int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tmpl;
  }
  ~Fixture() { std::remove(path.c_str()); }
  void Write(const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  // Sends `n` frames to `peer` through a fresh filter reading `control`; returns how many
  // were delivered once the io_context has run every delayed send.
  size_t Deliveries(const std::string& control, uint32_t peer, size_t n) {
    Write(control);
    FaultFilter filter(path, nullptr, false);
    filter.Poll(true);
    boost::asio::io_context io;
    size_t delivered = 0;
    for (size_t i = 0; i < n; ++i) {
      filter.Outgoing(io, peer, Bytes{static_cast<uint8_t>(i)}, [&](Bytes) { ++delivered; });
    }
    io.run();
    return delivered;
  }
  std::string path;
};

}  // namespace

TEST_CASE("fault control files with unknown settings or bad values are refused with the reason",
          "[faults]") {
  CHECK_FALSE(ParseFaultSettings("[]").ok());
  CHECK_FALSE(ParseFaultSettings("{\"peers\": {\"x\": {}}}").ok());
  CHECK_FALSE(ParseFaultSettings("{\"peers\": {\"1\": {\"sideways\": {}}}}").ok());
  auto bad = ParseFaultSettings("{\"peers\": {\"1\": {\"send\": {\"drop\": 1.5}}}}");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("drop") != std::string::npos);
  CHECK_FALSE(ParseFaultSettings("{\"byzantine\": [\"teleport\"]}").ok());
  CHECK_FALSE(ParseFaultSettings("{\"clock_skew\": 5}").ok());
  auto ok = ParseFaultSettings(
      "{\"peers\": {\"2\": {\"send\": {\"block\": true}}, \"*\": {\"receive\": {\"drop\": 0.5}}},"
      " \"clock_skew_ms\": -3000, \"byzantine\": [\"garbage\"], \"seed\": 4}");
  REQUIRE(ok.ok());
  CHECK(ok->For(2)->send.block);
  CHECK(ok->For(7)->receive.drop == 0.5);  // "*" for a peer without its own entry
  CHECK(ok->clock_skew_ms == -3000);
  CHECK(ok->byzantine.count("garbage") == 1);
}

TEST_CASE("fault layer blocks, drops, duplicates and delays frames as its control file says",
          "[faults]") {
  Fixture f;
  CHECK(f.Deliveries("{}", 1, 50) == 50);
  CHECK(f.Deliveries("{\"peers\": {\"1\": {\"send\": {\"block\": true}}}}", 1, 50) == 0);
  CHECK(f.Deliveries("{\"peers\": {\"1\": {\"send\": {\"block\": true}}}}", 2, 50) == 50);
  CHECK(f.Deliveries("{\"peers\": {\"*\": {\"send\": {\"drop\": 1}}}}", 3, 50) == 0);
  CHECK(f.Deliveries("{\"peers\": {\"*\": {\"send\": {\"duplicate\": 1}}}}", 3, 50) == 100);
  // Delayed and reordered frames all arrive, later.
  CHECK(f.Deliveries("{\"peers\": {\"*\": {\"send\": {\"delay_ms\": 2, \"jitter_ms\": 3,"
                     " \"reorder\": 0.5}}}}", 3, 50) == 50);
  size_t some = f.Deliveries("{\"seed\": 1, \"peers\": {\"*\": {\"send\": {\"drop\": 0.5}}}}", 3, 400);
  CHECK(some > 100);
  CHECK(some < 300);
}

TEST_CASE("fault layer keeps its settings when the control file is rewritten with an error",
          "[faults]") {
  Fixture f;
  f.Write("{\"peers\": {\"*\": {\"receive\": {\"block\": true}}}, \"clock_skew_ms\": 1500}");
  FaultFilter filter(f.path, nullptr, false);
  filter.Poll(true);
  CHECK_FALSE(filter.Incoming(0, Bytes{1}));
  CHECK(FaultFilter::clock_skew_ms() == 1500);
  f.Write("{\"peers\": ");
  filter.Poll(true);
  CHECK_FALSE(filter.Incoming(0, Bytes{1}));  // still blocked
  f.Write("{}");
  filter.Poll(true);
  CHECK(filter.Incoming(0, Bytes{1}));
  CHECK(FaultFilter::clock_skew_ms() == 0);
}

}  // namespace govledger::faults

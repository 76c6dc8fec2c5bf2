// Usage reports (ledger/report.h): counts per event kind, department, type and purpose over the
// blocks whose time is in a range.
#include <catch2/catch.hpp>

#include "ledger/report.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::PendingBlock;

uint64_t CountOf(const UsageReport& r, const std::string& kind, const std::string& dept) {
  uint64_t n = 0;
  for (const ReportRow& row : r.rows) {
    if (row.kind == kind && row.department == dept) n += row.count;
  }
  return n;
}

struct ReportChain {
  ReportChain() : net(testing::MakeNetwork(4)) {
    store = Store::Open(dir.path(), net.genesis).value();
    ChainBuilder b(net, store.get());
    PendingBlock b1;  // time T0 + 1 s
    first = b.Issue(b1, 0, 0);
    second = b.Issue(b1, 0, 0);
    b.Issue(b1, 0, 1);
    REQUIRE(b.Commit(b1).ok());
    PendingBlock b2;  // T0 + 2 s
    b.Revoke(b2, first, 0);
    REQUIRE(b.Commit(b2).ok());
    PendingBlock b3;  // T0 + 3 s
    b.Expire(b3, second);
    REQUIRE(b.Commit(b3).ok());
  }
  int64_t T0() const { return net.genesis.genesis_time_ms; }

  testing::TempDir dir;
  testing::TestNetwork net;
  std::unique_ptr<Store> store;
  std::string first, second;
};

TEST_CASE("a report counts issues, revocations and expiries per department", "[ledger][report]") {
  ReportChain c;
  auto r = BuildUsageReport(*c.store, {c.T0(), c.T0() + 10'000});
  REQUIRE(r.ok());
  CHECK(r->first_height == 1);
  CHECK(r->last_height == 3);
  CHECK(r->blocks == 3);
  CHECK(r->events == 5);
  CHECK_FALSE(r->truncated);
  CHECK(CountOf(*r, "ISSUE", "civil") == 2);
  CHECK(CountOf(*r, "ISSUE", "market") == 1);
  CHECK(CountOf(*r, "REVOKE", "civil") == 1);
  // A chain-emitted expiry is counted for the material's issuer.
  CHECK(CountOf(*r, "EXPIRE", "civil") == 1);
  for (const ReportRow& row : r->rows) CHECK(row.type == "LIC001");
}

TEST_CASE("a report covers only blocks whose time is inside the range", "[ledger][report]") {
  ReportChain c;
  auto r = BuildUsageReport(*c.store, {c.T0() + 1'500, c.T0() + 3'000});  // block 2 only
  REQUIRE(r.ok());
  CHECK(r->first_height == 2);
  CHECK(r->last_height == 2);
  CHECK(CountOf(*r, "ISSUE", "civil") == 0);
  CHECK(CountOf(*r, "REVOKE", "civil") == 1);
  CHECK(CountOf(*r, "EXPIRE", "civil") == 0);
  auto none = BuildUsageReport(*c.store, {c.T0() + 60'000, c.T0() + 70'000});
  REQUIRE(none.ok());
  CHECK(none->blocks == 0);
  CHECK(none->rows.empty());
}

TEST_CASE("a report cut at max_blocks says where to continue", "[ledger][report]") {
  ReportChain c;
  ReportQuery q{c.T0(), c.T0() + 10'000, 1};
  auto part = BuildUsageReport(*c.store, q);
  REQUIRE(part.ok());
  CHECK(part->truncated);
  CHECK(part->blocks == 1);
  q.from_ms = part->next_from_ms;
  q.max_blocks = 10;
  auto rest = BuildUsageReport(*c.store, q);
  REQUIRE(rest.ok());
  CHECK_FALSE(rest->truncated);
  CHECK(rest->first_height == 2);
  CHECK(part->events + rest->events == 5);
}

TEST_CASE("a report with an empty or reversed range is refused", "[ledger][report]") {
  ReportChain c;
  auto r = BuildUsageReport(*c.store, {c.T0() + 5, c.T0() + 5});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == "bad_range");
}

}  // namespace
}  // namespace govledger::ledger

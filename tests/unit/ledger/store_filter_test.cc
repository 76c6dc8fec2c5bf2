// The store's key filter (Store::StartKeyFilter, ledger/store_filter.cc): reads of material ids and
// transaction hashes the store does not hold are answered without LevelDB, and no read of one it
// holds ever is — committed before the build, during its scan, after it, or after a rebuild.
#include <catch2/catch.hpp>
#include <future>
#include <mutex>

#include "ledger/store.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::MakeNetwork;
using testing::PendingBlock;
using testing::TempDir;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

// Blocks of two issues each, and what they commit.
struct Issued {
  std::vector<std::string> ids;
  std::vector<Digest> txs;
};

Issued IssueBlocks(ChainBuilder& chain, size_t blocks) {
  Issued out;
  for (size_t i = 0; i < blocks; ++i) {
    PendingBlock b;
    out.ids.push_back(chain.Issue(b, 0));
    out.ids.push_back(chain.Issue(b, 0, 1));
    for (const auto& tx : b.txs) out.txs.push_back(tx.hash);
    REQUIRE(chain.Commit(b).ok());
  }
  return out;
}

// Every id and hash found, through each read that consults the filter.
void RequireAllFound(const Store& store, const Issued& issued) {
  for (const std::string& id : issued.ids) REQUIRE(store.GetMaterial(id));
  for (const Digest& h : issued.txs) {
    REQUIRE(store.HasTx(h));
    REQUIRE(store.FindTx(h));
  }
}

// Collects the build reports; Wait(n) returns once n builds have ended.
class Builds {
 public:
  Store::KeyFilterOptions Options() {
    Store::KeyFilterOptions o;
    o.on_built = [this](const Store::KeyFilterReport& r) {
      std::lock_guard<std::mutex> lock(mu_);
      reports_.push_back(r);
      cv_.notify_all();
    };
    return o;
  }
  std::vector<Store::KeyFilterReport> Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    REQUIRE(cv_.wait_for(lock, std::chrono::seconds(60), [&] { return reports_.size() >= n; }));
    return reports_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Store::KeyFilterReport> reports_;
};

TEST_CASE("the key filter answers reads of absent ids and hashes, and never of committed ones",
          "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  const Issued before = IssueBlocks(chain, 20);
  CHECK(store->key_filter_answers() == 0);  // not started: LevelDB answers

  Builds builds;
  store->StartKeyFilter(builds.Options());
  const auto reports = builds.Wait(1);
  REQUIRE(reports[0].built);
  CHECK(reports[0].keys == 80);  // 40 materials, 40 transactions
  CHECK(reports[0].capacity == 1u << 20);
  CHECK(reports[0].error.empty());
  RequireAllFound(*store, before);
  CHECK(store->key_filter_answers() == 0);

  // Ids and hashes of a block not committed: absent, and (but for the filter's ~1 % of false
  // positives) answered by it.
  PendingBlock pending;
  std::vector<std::string> absent_ids;
  for (int i = 0; i < 100; ++i) absent_ids.push_back(chain.Issue(pending, 0));
  for (const std::string& id : absent_ids) CHECK_FALSE(store->GetMaterial(id));
  for (const auto& tx : pending.txs) CHECK_FALSE(store->HasTx(tx.hash));
  CHECK(store->key_filter_answers() >= 190);
  CHECK(store->key_filter_answers() <= 200);

  // Committed after the build: found.
  REQUIRE(chain.Commit(pending).ok());
  Issued after;
  after.ids = absent_ids;
  for (const auto& tx : pending.txs) after.txs.push_back(tx.hash);
  RequireAllFound(*store, after);
  RequireAllFound(*store, IssueBlocks(chain, 5));
  RequireAllFound(*store, before);
}

TEST_CASE("the store counts its point reads of the main database by table; the key filter and "
          "the rows kept spare LevelDB the repeats",
          "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  const Issued issued = IssueBlocks(chain, 5);
  auto reads_of = [&](char table) {
    for (const auto& [t, n] : store->point_reads()) {
      if (t == table) return n;
    }
    return uint64_t{0};
  };
  const uint64_t s_before = reads_of('S');
  const uint64_t t_before = reads_of('T');
  for (const std::string& id : issued.ids) CHECK(store->GetMaterial(id));
  // Each committed id once (the commit dropped its kept row); read again, from the kept rows.
  CHECK(reads_of('S') == s_before + issued.ids.size());
  for (const std::string& id : issued.ids) CHECK(store->GetMaterial(id));
  CHECK(reads_of('S') == s_before + issued.ids.size());
  PendingBlock pending;
  const std::string absent = chain.Issue(pending, 0);
  CHECK_FALSE(store->GetMaterial(absent));
  CHECK(reads_of('S') == s_before + issued.ids.size() + 1);
  CHECK(reads_of('T') == t_before);
  for (const auto& [table, n] : store->point_reads()) CHECK(n > 0);
  CHECK(store->Snapshot().value()->point_reads().empty());

  // With the key filter built, the absent id no longer reaches LevelDB.
  Builds builds;
  store->StartKeyFilter(builds.Options());
  REQUIRE(builds.Wait(1)[0].built);
  PendingBlock more;
  const std::string absent2 = chain.Issue(more, 0);
  CHECK_FALSE(store->GetMaterial(absent2));
  CHECK(reads_of('S') == s_before + issued.ids.size() + 1);
}

TEST_CASE("blocks committed while the key filter scans are found once it is built", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  const Issued before = IssueBlocks(chain, 10);

  // The scan waits, after its snapshot, until these blocks are committed: their rows are not in
  // the snapshot, so only the commits' own additions can put them in the filter.
  std::promise<void> snapshot_taken;
  std::promise<void> committed;
  std::shared_future<void> go = committed.get_future().share();
  Builds builds;
  Store::KeyFilterOptions options = builds.Options();
  options.before_scan = [go, &snapshot_taken] {
    snapshot_taken.set_value();
    go.wait();
  };
  store->StartKeyFilter(std::move(options));
  snapshot_taken.get_future().wait();
  const Issued during = IssueBlocks(chain, 10);
  committed.set_value();
  const auto reports = builds.Wait(1);
  REQUIRE(reports[0].built);
  CHECK(reports[0].keys == 40);  // the snapshot's rows only
  RequireAllFound(*store, before);
  RequireAllFound(*store, during);
  CHECK(store->key_filter_answers() == 0);
}

TEST_CASE("a key filter filled past its capacity is rebuilt twice as large and finds every key",
          "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  const Issued first = IssueBlocks(chain, 6);  // 24 keys

  Builds builds;
  Store::KeyFilterOptions options = builds.Options();
  options.capacity = 8;
  store->StartKeyFilter(std::move(options));
  REQUIRE(builds.Wait(1)[0].built);
  // Past its capacity already: the next commit starts a rebuild from a snapshot that holds it.
  const Issued second = IssueBlocks(chain, 1);
  const auto reports = builds.Wait(2);
  REQUIRE(reports[1].built);
  CHECK(reports[1].capacity == 2 * (24 + 4));
  CHECK(reports[1].keys == 28);
  const Issued third = IssueBlocks(chain, 3);
  RequireAllFound(*store, first);
  RequireAllFound(*store, second);
  RequireAllFound(*store, third);

  // Reopened without the filter: LevelDB answers, and finds the same.
  store.reset();
  auto reopened = Store::Open(dir.path(), Net().genesis).value();
  RequireAllFound(*reopened, first);
  RequireAllFound(*reopened, third);
  CHECK_FALSE(reopened->GetMaterial("no-such-material"));
  CHECK(reopened->key_filter_answers() == 0);
}

// The store's destructor stops the scan and waits for its thread, which must not touch the
// closed database afterwards (ASan and TSan builds check that).
TEST_CASE("a store closed while its key filter scans waits for the scan and closes", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  IssueBlocks(chain, 3);
  std::promise<void> closing;
  std::shared_future<void> go = closing.get_future().share();
  Store::KeyFilterOptions options;
  options.before_scan = [go] { go.wait(); };
  store->StartKeyFilter(std::move(options));
  std::thread closer([&] { store.reset(); });
  closing.set_value();
  closer.join();
  CHECK_FALSE(store);
  auto reopened = Store::Open(dir.path(), Net().genesis);
  CHECK(reopened.ok());
}

}  // namespace
}  // namespace govledger::ledger

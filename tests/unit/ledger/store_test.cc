#include "ledger/store.h"

#include <leveldb/db.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "crypto/merkle.h"
#include "ledger/codec.h"
#include "ledger/store_internal.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::MakeNetwork;
using testing::PendingBlock;
using testing::TempDir;

constexpr int64_t kDay = 24LL * 3600 * 1000;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

std::unique_ptr<Store> OpenStore(const std::string& dir) {
  auto s = Store::Open(dir, Net().genesis);
  REQUIRE(s.ok());
  return std::move(s).value();
}

// A height-keyed row's key in the block store (BlockStoreDir).
std::string HeightKey(char table, uint64_t h) { return BlockRowKey(table, h); }

void PutRaw(const std::string& dir, const std::string& key, const std::string& value) {
  leveldb::DB* db = nullptr;
  leveldb::Options options;
  options.create_if_missing = true;
  REQUIRE(leveldb::DB::Open(options, dir, &db).ok());
  std::unique_ptr<leveldb::DB> owned(db);
  REQUIRE(owned->Put(leveldb::WriteOptions(), key, value).ok());
}

TEST_CASE("a new store starts at the genesis", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.Sub("data"));
  CHECK(store->height() == 0);
  CHECK(store->tip_hash() == GenesisHash(Net().genesis));
  CHECK(store->genesis_hash() == GenesisHash(Net().genesis));
  CHECK(store->log_size() == 0);
  CHECK(store->tip_time_ms() == Net().genesis.genesis_time_ms);
  CHECK(store->suite() == crypto::Suite::kP256);
  CHECK(store->GetBlock(1).status().code() == "not_found");
  CHECK(store->GetBlockBytes(0).status().code() == "not_found");
  CHECK(store->GetCommit(1).status().code() == "not_found");
  CHECK(store->GetBlockEvents(1).status().code() == "not_found");
}

TEST_CASE("store reopened after commit returns the same block and materials", "[ledger]") {
  TempDir dir;
  BlockWrite written;
  std::string id;
  Tx tx;
  {
    auto store = OpenStore(dir.path());
    ChainBuilder chain(Net(), store.get());
    PendingBlock b;
    id = chain.Issue(b, Net().genesis.genesis_time_ms + 10 * kDay);
    chain.Issue(b, 0, 1);
    tx = b.txs[0];
    written = chain.Build(b);
    REQUIRE(store->CommitBlock(written).ok());
    CHECK(store->height() == 1);
    CHECK(store->tip_hash() == written.block_hash);
  }
  auto store = OpenStore(dir.path());
  CHECK(store->height() == 1);
  CHECK(store->tip_hash() == written.block_hash);
  CHECK(store->log_size() == 2);
  CHECK(store->tip_time_ms() == written.block.header.time_ms);
  CHECK(store->FindBlock(written.block_hash) == std::optional<uint64_t>(1));
  CHECK_FALSE(store->FindBlock(Digest{}).has_value());

  auto bytes = store->GetBlockBytes(1);
  REQUIRE(bytes.ok());
  CHECK(*bytes == EncodeBlock(written.block));
  auto block = store->GetBlock(1);
  REQUIRE(block.ok());
  CHECK(block->header_bytes == written.block.header_bytes);
  CHECK(block->txs == written.block.txs);
  CHECK_FALSE(block->last_commit.has_value());
  auto commit = store->GetCommit(1);
  REQUIRE(commit.ok());
  CHECK(EncodeCommit(*commit) == EncodeCommit(written.commit));

  auto m = store->GetMaterial(id);
  REQUIRE(m.has_value());
  CHECK(EncodeMaterial(*m) == EncodeMaterial(written.materials[0]));
  CHECK_FALSE(store->GetMaterial("nope").has_value());

  CHECK(store->HasTx(tx.hash));
  CHECK_FALSE(store->HasTx(Digest{}));
  auto loc = store->FindTx(tx.hash);
  REQUIRE(loc.has_value());
  CHECK(loc->height == 1);
  CHECK(loc->index == 0);
  CHECK(loc->log_index == 0);
  CHECK(store->FindTx(written.tx_hashes[1])->log_index == 1);
  CHECK(store->GetTxBytes(*loc).value() == tx.raw);
  CHECK(store->GetTxBytes(TxLocation{1, 9, 0}).status().code() == "not_found");

  auto events = store->GetEvents(id);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == EventKind::kIssue);
  CHECK(EncodeEvents(store->GetBlockEvents(1).value()) == EncodeEvents(written.events));
}

TEST_CASE("the committed log nodes reproduce the header's log root", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  for (size_t n : {3, 0, 5, 1, 8}) chain.CommitBlocks(1, n);
  crypto::MerkleLog log(Net().genesis.suite, const_cast<crypto::NodeStore*>(&store->log_nodes()),
                        store->log_size());
  auto tip = store->GetBlock(store->height());
  REQUIRE(tip.ok());
  CHECK(store->log_size() == 17);
  CHECK(crypto::DigestBytes(log.Root().value()) == tip->header.log_root);
  // Earlier roots stay provable from the same nodes.
  auto third = store->GetBlock(3).value();
  CHECK(crypto::DigestBytes(log.Root(third.header.log_size).value()) == third.header.log_root);
}

TEST_CASE(
    "after its first block a store appends to the Merkle log and takes its root from the kept "
    "frontier, without LevelDB point reads, and every block's log root matches a log rebuilt "
    "from the transactions",
    "[ledger]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ChainBuilder(Net(), store.get()).CommitBlocks(3, 5);
  }
  auto store = OpenStore(dir.path());  // reopened: nothing of the log is kept yet
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(1, 3);
  const uint64_t after_first = testing::PointReads(*store, 'L');
  CHECK(after_first > 0);  // the frontier of the 15 leaves written before the reopen, read once
  // Sizes that carry through every level of a 255-leaf log, and blocks with no transaction.
  for (size_t n : {1, 7, 0, 16, 2, 33, 64, 1, 0, 31, 77}) chain.CommitBlocks(1, n);
  CHECK(testing::PointReads(*store, 'L') == after_first);
  REQUIRE(store->log_size() == 18 + 1 + 7 + 16 + 2 + 33 + 64 + 1 + 31 + 77);

  // Independently: the same leaves appended to a log in memory.
  crypto::MemoryNodeStore memory;
  crypto::MerkleLog rebuilt(Net().genesis.suite, &memory, 0);
  for (uint64_t h = 1; h <= store->height(); ++h) {
    Block b = store->GetBlock(h).value();
    for (const Bytes& raw : b.txs) rebuilt.Append(raw);
    REQUIRE(rebuilt.size() == b.header.log_size);
    CHECK(crypto::DigestBytes(rebuilt.Root().value()) == b.header.log_root);
  }
  // Nodes off the frontier (proofs of older leaves) are still read from LevelDB, and right.
  crypto::MerkleLog stored(Net().genesis.suite, const_cast<crypto::NodeStore*>(&store->log_nodes()),
                           store->log_size());
  for (uint64_t leaf = 0; leaf < store->log_size(); leaf += 3) {
    CHECK(stored.InclusionProof(leaf, store->log_size()).value() ==
          rebuilt.InclusionProof(leaf, store->log_size()).value());
  }
  CHECK(testing::PointReads(*store, 'L') > after_first);
}

TEST_CASE("a block with the wrong height or link is rejected and changes nothing", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(2, 1);
  const Digest tip = store->tip_hash();

  PendingBlock b;
  chain.Issue(b, 0);
  BlockWrite w = chain.Build(b);

  BlockWrite wrong_height = w;
  wrong_height.block.header.height = 5;
  wrong_height.block.header_bytes = EncodeHeader(wrong_height.block.header);
  wrong_height.block_hash = crypto::Hash(Net().genesis.suite, wrong_height.block.header_bytes);
  CHECK(store->CommitBlock(wrong_height).code() == "bad_height");

  BlockWrite wrong_link = w;
  wrong_link.block.header.prev_hash = Bytes(32, 0);
  wrong_link.block.header_bytes = EncodeHeader(wrong_link.block.header);
  wrong_link.block_hash = crypto::Hash(Net().genesis.suite, wrong_link.block.header_bytes);
  CHECK(store->CommitBlock(wrong_link).code() == "bad_prev_hash");

  BlockWrite wrong_hash = w;
  wrong_hash.block_hash[0] ^= 1;
  CHECK(store->CommitBlock(wrong_hash).code() == "bad_block");

  BlockWrite wrong_cert = w;
  wrong_cert.commit.height = 9;
  CHECK(store->CommitBlock(wrong_cert).code() == "bad_block");

  CHECK(store->height() == 2);
  CHECK(store->tip_hash() == tip);
  CHECK(store->log_size() == 2);
  CHECK_FALSE(store->HasTx(b.txs[0].hash));

  REQUIRE(store->CommitBlock(w).ok());
  CHECK(store->height() == 3);
  // The same block again is now one height too low.
  CHECK(store->CommitBlock(w).code() == "bad_height");
}

TEST_CASE("a transaction already committed cannot be committed again", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  chain.Issue(b, 0);
  REQUIRE(chain.Commit(b).ok());
  PendingBlock replay;
  replay.txs = b.txs;
  CHECK(chain.Commit(replay).code() == "duplicate_tx");
  CHECK(store->height() == 1);
}

// The store keeps the material and transaction rows it has read, present or absent
// (Store::Impl::latest); a commit must replace what it keeps of the rows it writes.
TEST_CASE("materials and transactions read before a commit are read as committed after it",
          "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  const std::string id = chain.Issue(b, 0);
  const Digest tx = b.txs[0].hash;
  CHECK_FALSE(store->GetMaterial(id));
  CHECK_FALSE(store->HasTx(tx));
  CHECK_FALSE(store->FindTx(tx));
  REQUIRE(chain.Commit(b).ok());
  REQUIRE(store->GetMaterial(id));
  CHECK(store->GetMaterial(id)->status == MaterialStatus::kActive);
  CHECK(store->HasTx(tx));
  REQUIRE(store->FindTx(tx));
  CHECK(store->FindTx(tx)->height == 1);

  // A later block changes the material: the new state, not the one read before.
  PendingBlock b2;
  chain.Revoke(b2, id);
  REQUIRE(chain.Commit(b2).ok());
  CHECK(store->GetMaterial(id)->status == MaterialStatus::kRevoked);
  CHECK(store->HasTx(b2.txs[0].hash));

  // A snapshot keeps answering for its own tip.
  auto snapshot = store->Snapshot().value();
  PendingBlock b3;
  const std::string id3 = chain.Issue(b3, 0);
  CHECK_FALSE(snapshot->GetMaterial(id3));
  REQUIRE(chain.Commit(b3).ok());
  CHECK_FALSE(snapshot->GetMaterial(id3));
  CHECK_FALSE(snapshot->HasTx(b3.txs[0].hash));
  CHECK(store->GetMaterial(id3));
}

// The rows a store keeps of what it read (store_internal::LatestRows, Store::Impl::latest).
TEST_CASE("a row read before a commit is not kept after it, and a commit forgets what it wrote",
          "[ledger]") {
  store_internal::LatestRows latest;
  uint64_t generation = 0;
  REQUIRE_FALSE(latest.Find("Sa", &generation));
  // A commit lands between the read and its Keep: what was read may be the row before it.
  latest.Forget({"Sb"});
  latest.Keep("Sa", std::nullopt, generation);
  CHECK_FALSE(latest.Find("Sa", &generation));
  CHECK(latest.rows() == 0);
  // No commit in between: kept, present or absent.
  latest.Keep("Sa", std::nullopt, generation);
  REQUIRE(latest.Find("Sa", &generation));
  CHECK_FALSE(latest.Find("Sa", &generation)->has_value());
  REQUIRE_FALSE(latest.Find("Tx", &generation));
  latest.Keep("Tx", std::string("loc"), generation);
  CHECK(latest.Find("Tx", &generation) ==
        std::optional<store_internal::LatestRows::Row>(std::string("loc")));
  // A commit that wrote the key drops it; one that did not, keeps it.
  latest.Forget({"Sa"});
  CHECK_FALSE(latest.Find("Sa", &generation));
  CHECK(latest.Find("Tx", &generation));
  CHECK(latest.rows() == 1);
}

TEST_CASE("the rows kept stay within their row and byte bounds", "[ledger]") {
  store_internal::LatestRows latest(/*max_rows=*/4, /*max_bytes=*/1000);
  uint64_t generation = 0;
  for (int i = 0; i < 10; ++i) {
    const std::string key = "S" + std::to_string(i);
    REQUIRE_FALSE(latest.Find(key, &generation));
    latest.Keep(key, std::nullopt, generation);
    CHECK(latest.rows() <= 4);
    CHECK(latest.Find(key, &generation));  // the newest is always kept
  }
  for (int i = 0; i < 10; ++i) {
    const std::string key = "T" + std::to_string(i);
    latest.Find(key, &generation);
    latest.Keep(key, std::string(300, 'x'), generation);
    CHECK(latest.bytes() <= 1000);
  }
  CHECK(latest.rows() <= 3);  // 300 bytes and more each
  std::vector<std::string> all;
  for (int i = 0; i < 10; ++i) all.push_back("T" + std::to_string(i));
  latest.Forget(all);
  CHECK(latest.rows() == 0);
  CHECK(latest.bytes() == 0);
}

// The log's frontier is filled by the commit thread while others read through it (block builds,
// proofs on the read workers): a reader of any committed size gets that size's root.
TEST_CASE("a reader beside commits computes every committed block's log root from the log nodes",
          "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  std::atomic<bool> done{false};
  std::atomic<size_t> checked{0}, wrong{0};
  std::thread reader([&] {
    while (!done) {
      const uint64_t h = store->height();
      if (h == 0) continue;
      Block b = store->GetBlock(h).value();
      crypto::MerkleLog log(Net().genesis.suite,
                            const_cast<crypto::NodeStore*>(&store->log_nodes()), b.header.log_size);
      auto root = log.Root();
      if (!root.ok() || crypto::DigestBytes(*root) != b.header.log_root) ++wrong;
      ++checked;
    }
  });
  for (size_t n = 1; n <= 60; ++n) chain.CommitBlocks(1, (n * 7) % 13);
  done = true;
  reader.join();
  CHECK(wrong == 0);
  CHECK(checked > 0);
}

// Readers run beside the commit thread (the io thread admits and builds while a block is
// written): a reader that has seen a height must see every material committed up to it.
TEST_CASE("a reader beside commits never sees a committed material as absent", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  std::vector<std::string> ids(40);
  std::vector<PendingBlock> blocks(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = chain.Issue(blocks[i], 0);
  std::atomic<bool> done{false};
  std::atomic<size_t> stale{0};
  std::thread reader([&] {
    while (!done) {
      const uint64_t h = store->height();
      // Block i + 1 commits ids[i]; ids of later blocks are read too, so that the store keeps
      // them as absent while their block is being written.
      for (size_t i = 0; i < ids.size(); ++i) {
        const bool found = store->GetMaterial(ids[i]).has_value();
        if (i + 1 <= h && !found) ++stale;
      }
    }
  });
  for (const PendingBlock& b : blocks) REQUIRE(chain.Commit(b).ok());
  done = true;
  reader.join();
  CHECK(stale == 0);
  for (const std::string& id : ids) CHECK(store->GetMaterial(id));
}

TEST_CASE("lookup indexes find materials by digest, holder, issuer and type", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(chain.Issue(b, 0, i % 2, i < 4 ? "LIC001" : "CERT01"));
  REQUIRE(chain.Commit(b).ok());

  const Material first = *store->GetMaterial(ids[0]);
  CHECK(store->MaterialsByDigest(first.doc_digest, {}) == std::vector<std::string>{ids[0]});
  CHECK(store->MaterialsByDigest(Bytes(32, 0), {}).empty());
  // Holders cycle through three values; ids[0] and ids[3] share one.
  CHECK(store->MaterialsByHolder(first.holder_commitment, {}) ==
        std::vector<std::string>{ids[0], ids[3]});
  CHECK(store->MaterialsByIssuer("civil", {}) == std::vector<std::string>{ids[0], ids[2], ids[4]});
  CHECK(store->MaterialsByIssuer("market", {}) == std::vector<std::string>{ids[1], ids[3], ids[5]});
  CHECK(store->MaterialsByIssuer("civi", {}).empty());
  CHECK(store->MaterialsByType("CERT01", {}) == std::vector<std::string>{ids[4], ids[5]});

  // Pagination: limit and resume after an id.
  ListQuery page{2, ""};
  CHECK(store->MaterialsByType("LIC001", page) == std::vector<std::string>{ids[0], ids[1]});
  page.after = ids[1];
  CHECK(store->MaterialsByType("LIC001", page) == std::vector<std::string>{ids[2], ids[3]});
  page.after = ids[3];
  CHECK(store->MaterialsByType("LIC001", page).empty());
  CHECK(store->MaterialsByType("LIC001", ListQuery{0, ""}).empty());
}

TEST_CASE("the expiry index follows status and validity changes", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  const int64_t t0 = Net().genesis.genesis_time_ms;
  PendingBlock b;
  std::string a = chain.Issue(b, t0 + 3 * kDay);
  std::string c = chain.Issue(b, t0 + 1 * kDay);
  std::string d = chain.Issue(b, t0 + 2 * kDay);
  std::string never = chain.Issue(b, 0);
  REQUIRE(chain.Commit(b).ok());

  CHECK(store->DueForExpiry(t0 + 10 * kDay, 100) == std::vector<std::string>{c, d, a});
  CHECK(store->DueForExpiry(t0 + 2 * kDay, 100) == std::vector<std::string>{c, d});
  CHECK(store->DueForExpiry(t0 + 10 * kDay, 1) == std::vector<std::string>{c});
  CHECK(store->DueForExpiry(t0, 100).empty());
  CHECK(store->MaterialsExpiringBetween(t0 + 2 * kDay, t0 + 3 * kDay, {}) ==
        std::vector<std::string>{d, a});
  ListQuery page{1, ""};
  CHECK(store->MaterialsExpiringBetween(0, t0 + 10 * kDay, page) == std::vector<std::string>{c});
  page.after = c;
  CHECK(store->MaterialsExpiringBetween(0, t0 + 10 * kDay, page) == std::vector<std::string>{d});
  page.after = d;
  CHECK(store->MaterialsExpiringBetween(0, t0 + 10 * kDay, page) == std::vector<std::string>{a});
  page.after = a;
  CHECK(store->MaterialsExpiringBetween(0, t0 + 10 * kDay, page).empty());

  // Revoking removes the entry; expiring removes it; amending the expiry moves it.
  PendingBlock next;
  chain.Revoke(next, d);
  chain.Expire(next, c);
  Material moved = *store->GetMaterial(a);
  moved.valid_until_ms = t0 + 5 * kDay;
  next.materials.push_back(moved);
  REQUIRE(chain.Commit(next).ok());
  CHECK(store->GetMaterial(d)->status == MaterialStatus::kRevoked);
  CHECK(store->GetMaterial(c)->status == MaterialStatus::kExpired);
  CHECK(store->DueForExpiry(t0 + 10 * kDay, 100) == std::vector<std::string>{a});
  CHECK(store->MaterialsExpiringBetween(t0 + 3 * kDay, t0 + 3 * kDay, {}).empty());
  CHECK(store->MaterialsExpiringBetween(t0 + 5 * kDay, t0 + 5 * kDay, {}) ==
        std::vector<std::string>{a});
  // The other indexes keep the revoked material: its digest still finds it.
  CHECK(store->MaterialsByDigest(store->GetMaterial(d)->doc_digest, {}) ==
        std::vector<std::string>{d});
  auto events = store->GetEvents(d);
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == EventKind::kRevoke);
  CHECK(events[1].seq == 1);
  CHECK(store->GetEvents(never).size() == 1);
}

TEST_CASE("opening a store with another genesis is genesis_mismatch", "[ledger]") {
  TempDir dir;
  { auto store = OpenStore(dir.path()); }
  Genesis other = Net().genesis;
  other.chain_id = "other-chain";
  auto s = Store::Open(dir.path(), other);
  CHECK(s.status().code() == "genesis_mismatch");
}

TEST_CASE("a second Open of a data directory in use fails with store_locked", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  auto second = Store::Open(dir.path(), Net().genesis);
  CHECK(second.status().code() == "store_locked");
  CHECK_THAT(second.status().message(), Catch::Contains("in use by another process"));
  store.reset();
  CHECK(Store::Open(dir.path(), Net().genesis).ok());
}

TEST_CASE("undecodable stored bytes read as corrupt_store", "[ledger]") {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ChainBuilder chain(Net(), store.get());
    chain.CommitBlocks(1, 1);
  }
  PutRaw(BlockStoreDir(dir.path()), HeightKey('B', 1), "\xff\xff\xff");
  PutRaw(BlockStoreDir(dir.path()), HeightKey('C', 1), "\xff\xff\xff");
  PutRaw(BlockStoreDir(dir.path()), HeightKey('W', 1), "\xff\xff\xff");
  auto store = OpenStore(dir.path());
  CHECK(store->GetBlock(1).status().code() == "corrupt_store");
  CHECK(store->GetBlockBytes(1).ok());
  CHECK(store->GetCommit(1).status().code() == "corrupt_store");
  CHECK(store->GetBlockEvents(1).status().code() == "corrupt_store");
}

TEST_CASE("a directory holding a foreign database or bad metadata is corrupt_store", "[ledger]") {
  TempDir dir;
  PutRaw(dir.path(), "hello", "world");
  CHECK(Store::Open(dir.path(), Net().genesis).status().code() == "corrupt_store");

  TempDir dir2;
  { auto store = OpenStore(dir2.path()); }
  PutRaw(dir2.path(), "Mheight", "x");
  CHECK(Store::Open(dir2.path(), Net().genesis).status().code() == "corrupt_store");
}

TEST_CASE("pending log nodes read through to the committed nodes", "[ledger]") {
  crypto::MemoryNodeStore base;
  Digest a{}, b{};
  a[0] = 1;
  b[0] = 2;
  base.PutNode(0, 0, a);
  PendingLogNodes pending(base);
  pending.PutNode(0, 1, b);
  CHECK(pending.GetNode(0, 0) == a);
  CHECK(pending.GetNode(0, 1) == b);
  CHECK_FALSE(base.GetNode(0, 1).has_value());
  auto writes = pending.TakeWrites();
  REQUIRE(writes.size() == 1);
  CHECK(writes[0] == std::make_tuple(0u, uint64_t{1}, b));
  CHECK(pending.TakeWrites().empty());
  CHECK_FALSE(pending.GetNode(0, 1).has_value());
}

}  // namespace
}  // namespace govledger::ledger

namespace govledger::ledger {
namespace {

TEST_CASE("TableSizes counts every row of every table once", "[ledger]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(4, 3);
  auto sizes = store->TableSizes();
  CHECK(sizes['B'].rows == 4);
  CHECK(sizes['C'].rows == 4);
  CHECK(sizes['T'].rows == 12);
  CHECK(sizes['S'].rows == 12);
  CHECK(sizes['B'].key_bytes == 4 * 9);  // 'B' and a u64 height
  CHECK(sizes['B'].value_bytes == [&] {
    uint64_t n = 0;
    for (uint64_t h = 1; h <= 4; ++h) n += store->GetBlockBytes(h).value().size();
    return n;
  }());
  CHECK(sizes.count('M') == 1);
}

}  // namespace
}  // namespace govledger::ledger

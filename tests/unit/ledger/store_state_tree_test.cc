// The state tree's storage layout (ledger/store_state_tree.h, "smt-v3"): the top levels live in
// memory and only the nodes below them (and the leaves) are stored; the top is rebuilt when the
// store opens, "smt-v1" and "smt-v2" stores are migrated, and damage to the stored nodes is caught
// by the startup check against the tip's state_root.
#include "ledger/store_state_tree.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/smt.h"
#include "ledger/codec.h"
#include "ledger/state_tree.h"
#include "ledger/store_check.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::PendingBlock;
using testing::TempDir;
using testing::TipStateRoot;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}


void CommitMaterials(Store& store, int blocks, int per_block, uint64_t& serial) {
  ChainBuilder(Net(), &store).CommitMaterials(blocks, per_block, serial);
}

// Every stored 'A' entry: position -> node.
std::map<crypto::SmtPos, crypto::SmtNode> StoredNodes(const std::string& dir) {
  std::map<crypto::SmtPos, crypto::SmtNode> out;
  testing::ForEachStoredNode(dir, [&](const std::string&, const std::string&,
                                      const crypto::SmtPos& pos, const crypto::SmtNode& node) {
    out.emplace(pos, node);
  });
  return out;
}

bool IsInternal(const crypto::SmtNode& n) { return std::holds_alternative<crypto::SmtInternal>(n); }

}  // namespace

TEST_CASE("the state tree's top is not stored and is rebuilt on reopen from the nodes below it",
          "[ledger][state_tree]") {
  // 150,000 keys: leaves around depth 17-19, so the top is rebuilt from stored depth-19 nodes.
  TempDir dir;
  uint64_t serial = 0;
  Digest root;
  size_t nodes_before = 0;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CommitMaterials(*store, 15, 10'000, serial);
    root = TipStateRoot(*store);
    REQUIRE(store->ForEachStateNode([&](const crypto::SmtPos&, const crypto::SmtNode&) {
                   ++nodes_before;
                 }).ok());
  }
  size_t below = 0;
  for (const auto& [pos, node] : StoredNodes(dir.path())) {
    if (pos.depth <= LevelStateTree::kTopDepth) CHECK_FALSE(IsInternal(node));
    if (pos.depth == LevelStateTree::kTopDepth + 1) ++below;
  }
  CHECK(below > 10'000);

  auto store = Store::Open(dir.path(), Net().genesis).value();
  REQUIRE(CheckTip(*store, Net().genesis, 1).ok());  // the rebuilt top hashes to the state_root
  size_t nodes_after = 0;
  REQUIRE(store->ForEachStateNode([&](const crypto::SmtPos&, const crypto::SmtNode&) {
                 ++nodes_after;
               }).ok());
  CHECK(nodes_after == nodes_before);
  StateProof p = store->ProveMaterial("M77777").value();
  CHECK(p.state_root == root);
  CHECK(VerifyMaterialState(store->suite(), root, "M77777", &*p.material, p.proof));
  // The next blocks build on it, and a snapshot proves against its own tip meanwhile.
  auto snapshot = store->Snapshot().value();
  CommitMaterials(*store, 1, 1'000, serial);
  REQUIRE(CheckTip(*store, Net().genesis, 1).ok());
  CHECK(snapshot->ProveMaterial("M5").value().state_root == root);
  CHECK(store->ProveMaterial("M5").value().state_root == TipStateRoot(*store));
}

namespace {

// Writes into the closed store at `dir` what a store of an older layout holds beyond this one's:
// the internal nodes at depths (`stored_from`, kTopDepth] of its current tree, and the layout's
// name. Returns those nodes.
std::vector<std::pair<crypto::SmtPos, crypto::SmtNode>> MakeOlderLayout(const std::string& dir,
                                                                        uint16_t stored_from,
                                                                        const std::string& name) {
  std::vector<std::pair<crypto::SmtPos, crypto::SmtNode>> top;
  {
    auto store = Store::Open(dir, Net().genesis).value();
    REQUIRE(store
                ->ForEachStateNode([&](const crypto::SmtPos& pos, const crypto::SmtNode& node) {
                  if (pos.depth > stored_from && pos.depth <= LevelStateTree::kTopDepth &&
                      IsInternal(node)) {
                    top.emplace_back(pos, node);
                  }
                })
                .ok());
  }
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteBatch batch;
  for (const auto& [pos, node] : top) {
    const Bytes key = crypto::SmtPosKey(pos);
    const Bytes value = crypto::EncodeSmtNode(node);
    batch.Put("A" + std::string(key.begin(), key.end()), std::string(value.begin(), value.end()));
  }
  batch.Put("Mstate_tree", name);
  REQUIRE(db->Write(leveldb::WriteOptions(), &batch).ok());
  return top;
}

std::string StoredLayout(const std::string& dir) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  REQUIRE(db->Get(leveldb::ReadOptions(), "Mstate_tree", &value).ok());
  return value;
}

// Opens the migrated store, checks its root and commits on it, and checks that no internal node
// of the top is stored any more.
void CheckMigrated(const std::string& dir, uint64_t& serial) {
  {
    auto store = Store::Open(dir, Net().genesis).value();
    REQUIRE(CheckTip(*store, Net().genesis, 4).ok());
    CommitMaterials(*store, 1, 10, serial);
    REQUIRE(CheckTip(*store, Net().genesis, 1).ok());
  }
  for (const auto& [pos, node] : StoredNodes(dir)) {
    if (pos.depth <= LevelStateTree::kTopDepth) CHECK_FALSE(IsInternal(node));
  }
  CHECK(StoredLayout(dir) == "smt-v3");
}

}  // namespace

TEST_CASE(
    "a store of the smt-v1 layout is migrated on open: its stored top internal nodes are "
    "dropped and rebuilt to the same root",
    "[ledger][state_tree]") {
  TempDir dir;
  uint64_t serial = 0;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CommitMaterials(*store, 3, 500, serial);
  }
  // What a v1 store holds: every node.
  const auto top = MakeOlderLayout(dir.path(), 0, "smt-v1");
  REQUIRE(top.size() > 100);
  CheckMigrated(dir.path(), serial);

  // A v3 store holding a top internal node was not written by this layout: refused.
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    const Bytes key = crypto::SmtPosKey(top.front().first);
    const Bytes node = crypto::EncodeSmtNode(top.front().second);
    REQUIRE(db->Put(leveldb::WriteOptions(), "A" + std::string(key.begin(), key.end()),
                    std::string(node.begin(), node.end()))
                .ok());
  }
  auto store = Store::Open(dir.path(), Net().genesis).value();  // opens, for the audit
  Status st = CheckTip(*store, Net().genesis, 1);
  CHECK(st.code() == "corrupt_store");
  CHECK_THAT(st.message(), Catch::Contains("which this layout never writes"));
}

TEST_CASE(
    "a store of the smt-v2 layout (top 16 levels in memory) is migrated on open: its "
    "stored internal nodes at depths 17 and 18 are dropped and the root is unchanged",
    "[ledger][state_tree]") {
  static_assert(LevelStateTree::kTopDepth == 18, "the smt-v2 layout stored depth 17 and 18");
  TempDir dir;
  uint64_t serial = 0;
  Digest root;
  {
    // 60,000 keys: thousands of internal nodes at depths 17 and 18.
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CommitMaterials(*store, 3, 20'000, serial);
    root = TipStateRoot(*store);
  }
  const auto stored_by_v2 = MakeOlderLayout(dir.path(), 16, "smt-v2");
  size_t at17 = 0, at18 = 0;
  for (const auto& [pos, node] : stored_by_v2) (pos.depth == 17 ? at17 : at18) += 1;
  CHECK(at17 > 1'000);
  CHECK(at18 > 1'000);
  CHECK(StoredNodes(dir.path()).size() > stored_by_v2.size());
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CHECK(TipStateRoot(*store) == root);
    StateProof p = store->ProveMaterial("M12345").value();
    CHECK(p.state_root == root);
    CHECK(VerifyMaterialState(store->suite(), root, "M12345", &*p.material, p.proof));
  }
  CheckMigrated(dir.path(), serial);
}

TEST_CASE(
    "a block's state update reads the tree's nodes below its top through an iterator, "
    "without LevelDB point reads, and reaches the same root",
    "[ledger][state_tree]") {
  TempDir dir;
  uint64_t serial = 0;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  // 60,000 keys: leaves below depth 18, so an update reads stored nodes.
  CommitMaterials(*store, 3, 20'000, serial);
  auto a_reads = [&] { return testing::PointReads(*store, 'A'); };
  const uint64_t before = a_reads();
  CommitMaterials(*store, 2, 2'000, serial);
  CHECK(a_reads() == before);
  REQUIRE(CheckTip(*store, Net().genesis, 1).ok());  // the state_root the update computed

  // The same update through the tree's own GetNode (LevelDB Get) reads stored nodes, so the
  // check above is not vacuous.
  PendingStateNodes pending(store->state_nodes());
  crypto::SparseMerkleTree tree(store->suite(), &pending);
  std::vector<crypto::SmtUpdate> changes;
  for (int i = 0; i < 100; ++i) {
    crypto::SmtUpdate u;
    u.key = crypto::Hash(store->suite(), Bytes{static_cast<uint8_t>(i), 7});
    u.value = u.key;
    changes.push_back(u);
  }
  std::sort(changes.begin(), changes.end(),
            [](const crypto::SmtUpdate& a, const crypto::SmtUpdate& b) { return a.key < b.key; });
  REQUIRE(tree.Update(changes).ok());
  CHECK(a_reads() > before);
}

TEST_CASE("a damaged stored state tree leaf fails the startup check against the state_root",
          "[ledger][state_tree]") {
  TempDir dir;
  uint64_t serial = 0;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CommitMaterials(*store, 2, 50, serial);
  }
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    it->Seek("A");
    REQUIRE(it->Valid());
    const std::string key = it->key().ToString();
    std::string value = it->value().ToString();
    it.reset();
    value.back() = static_cast<char>(value.back() ^ 0x01);  // the leaf's value
    REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
  }
  auto store = Store::Open(dir.path(), Net().genesis).value();
  Status st = CheckTip(*store, Net().genesis, 1);
  CHECK(st.code() == "corrupt_store");
  CHECK_THAT(st.message(), Catch::Contains("not to the block's state_root"));
}

}  // namespace govledger::ledger

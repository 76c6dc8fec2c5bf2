// The state part of the chain audit (ledger/audit_state.h) on a state map deep enough that the
// tree has stored internal nodes below the in-memory top: the stored tree walks in position
// order, the replay matches it node for node, and a stored node deleted, added or changed below
// the top (which the store's startup check does not read) is reported as bad_state_tree.
#include "ledger/audit_state.h"

#include <leveldb/db.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "crypto/smt.h"
#include "ledger/store_state_tree.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::TempDir;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}

// 12,000 materials in 4 blocks: about a thousand pairs of keys share their first 16 bits, so the
// tree has leaves and internal nodes below the top (depth > 16).
void FillDeep(const std::string& dir) {
  auto store = Store::Open(dir, Net().genesis).value();
  uint64_t serial = 0;
  ChainBuilder(Net(), store.get()).CommitMaterials(4, 3'000, serial);
}

// Replays every block and runs the final check.
std::optional<StateAudit::Failure> ReplayAndCheck(const std::string& dir, unsigned threads) {
  auto store = Store::Open(dir, Net().genesis).value();
  StateAudit audit(*store, store->suite(), threads);
  for (uint64_t h = 1; h <= store->height(); ++h) {
    const Status st = audit.CheckBlock(h, store->GetBlock(h)->header);
    REQUIRE(st.ok());
  }
  return audit.CheckFinalState(store->height());
}

// A stored node below depth kTopDepth + 1 (the deepest the store reads when it opens), internal
// or a leaf: its position and its stored key and value.
struct StoredNode {
  crypto::SmtPos pos;
  std::string key, value;
};
StoredNode DeepNode(const std::string& dir, bool internal) {
  std::optional<StoredNode> found;
  testing::ForEachStoredNode(dir, [&](const std::string& key, const std::string& value,
                                      const crypto::SmtPos& pos, const crypto::SmtNode& node) {
    if (!found && pos.depth > LevelStateTree::kTopDepth + 1 &&
        std::holds_alternative<crypto::SmtInternal>(node) == internal) {
      found = StoredNode{pos, key, value};
    }
  });
  if (!found) FAIL("no stored node below depth " << LevelStateTree::kTopDepth + 1);
  return *found;
}

void Rewrite(const std::string& dir, const std::string& key, const std::optional<std::string>& v) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  if (v) {
    REQUIRE(db->Put(leveldb::WriteOptions(), key, *v).ok());
  } else {
    REQUIRE(db->Delete(leveldb::WriteOptions(), key).ok());
  }
}

void CheckBadTree(const std::optional<StateAudit::Failure>& bad, uint64_t tip) {
  REQUIRE(bad.has_value());
  INFO(bad->code << ": " << bad->detail);
  CHECK(bad->code == "bad_state_tree");
  CHECK(bad->height == tip);
}

}  // namespace

TEST_CASE("the stored state tree walks in position order, top nodes among the stored ones",
          "[ledger][audit]") {
  TempDir dir;
  FillDeep(dir.path());
  auto store = Store::Open(dir.path(), Net().genesis).value();
  Bytes last;
  size_t count = 0, leaves = 0, top_internal = 0, deep = 0;
  REQUIRE(store->ForEachStateNode([&](const crypto::SmtPos& pos, const crypto::SmtNode& node) {
                 const Bytes key = crypto::SmtPosKey(pos);
                 if (count++ > 0) REQUIRE(last < key);
                 last = key;
                 if (std::holds_alternative<crypto::SmtLeaf>(node)) ++leaves;
                 if (pos.depth <= LevelStateTree::kTopDepth &&
                     std::holds_alternative<crypto::SmtInternal>(node)) {
                   ++top_internal;
                 }
                 if (pos.depth > LevelStateTree::kTopDepth) ++deep;
               }).ok());
  CHECK(leaves >= 12'000);  // the materials' keys and the genesis records'
  CHECK(top_internal > 1'000);
  CHECK(deep > 100);
}

TEST_CASE("state audit replays a deep state map and finds the stored tree exactly as replayed, "
          "with 1 and 3 threads",
          "[ledger][audit]") {
  TempDir dir;
  FillDeep(dir.path());
  CHECK_FALSE(ReplayAndCheck(dir.path(), 1).has_value());
  CHECK_FALSE(ReplayAndCheck(dir.path(), 3).has_value());
}

TEST_CASE("state audit reports a deleted, a changed and an added stored node below the top as "
          "bad_state_tree",
          "[ledger][audit]") {
  TempDir dir;
  FillDeep(dir.path());
  const StoredNode internal = DeepNode(dir.path(), true);
  SECTION("deleted") { Rewrite(dir.path(), internal.key, std::nullopt); }
  SECTION("changed") {
    std::string changed = internal.value;
    changed[5] = static_cast<char>(changed[5] ^ 0x01);
    Rewrite(dir.path(), internal.key, changed);
  }
  SECTION("added below a leaf, where the tree has nothing") {
    const StoredNode leaf = DeepNode(dir.path(), false);
    const Bytes below = crypto::SmtPosKey(crypto::SmtChild(leaf.pos, false));
    Rewrite(dir.path(), "A" + std::string(below.begin(), below.end()), leaf.value);
  }
  CheckBadTree(ReplayAndCheck(dir.path(), 2), 4);
}

}  // namespace govledger::ledger

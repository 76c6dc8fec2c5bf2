// A pending chain's state tree reads (ledger/pending_chain.h): a block's update computed on a
// chain of blocks not committed yet reads the pending writes over the store's tree through the
// store's iterator reader, without LevelDB point reads, also while the store commits the chain's
// own blocks underneath it on another thread (block sync), and reaches the same root and node
// writes as reading through the chain's state_nodes().
#include "ledger/pending_chain.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/hash.h"
#include "ledger/canonical.h"
#include "ledger/state_tree.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::PendingBlock;
using testing::TempDir;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}

Material NewMaterial(uint64_t serial, uint64_t height, uint8_t version) {
  Material m;
  m.material_id = "M" + std::to_string(serial);
  m.type_code = "LIC001";
  m.issuer = "civil";
  m.holder_commitment.assign(32, 1);
  m.doc_digest.assign(32, version);
  m.fields_root.assign(32, 3);
  m.issue_tx.assign(32, 4);
  m.last_event.assign(32, 5);
  m.updated_height = height;
  return m;
}

// The update of a block after the chain's tip that rewrites every material of `ids` and adds
// 500 new entries: it reads nodes the chain's pending block changed and nodes it did not.
std::vector<crypto::SmtUpdate> NextChanges(crypto::Suite suite,
                                           const std::vector<std::string>& ids) {
  std::vector<crypto::SmtUpdate> out;
  for (const std::string& id : ids) {
    crypto::SmtUpdate u;
    u.key = MaterialStateKey(suite, id);
    u.value = crypto::Hash(suite, Bytes(id.begin(), id.end()));
    out.push_back(u);
  }
  for (int i = 0; i < 500; ++i) {
    crypto::SmtUpdate u;
    u.key = crypto::Hash(suite, Bytes{static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8), 9});
    u.value = u.key;
    out.push_back(u);
  }
  return out;
}

// The same update through the chain's state_nodes(), the path every reader must agree with.
StateUpdate UpdateThroughStateNodes(const ChainView& chain,
                                    std::vector<crypto::SmtUpdate> changes) {
  std::sort(changes.begin(), changes.end(),
            [](const crypto::SmtUpdate& a, const crypto::SmtUpdate& b) { return a.key < b.key; });
  PendingStateNodes pending(chain.state_nodes());
  crypto::SparseMerkleTree tree(chain.suite(), &pending);
  StateUpdate out;
  out.root = tree.Update(changes).value();
  out.nodes = pending.TakeWrites();
  return out;
}

// A store of 60,000 materials (leaves below the top's 18 levels, so an update reads stored
// nodes); its next block, of `pending` new materials, built but not committed and pushed on a
// pending chain over the store; and the update of the block after it (NextChanges) computed
// through the chain's state_nodes().
struct StoreAndNextBlock {
  explicit StoreAndNextBlock(int pending) {
    store = Store::Open(dir.path(), Net().genesis).value();
    ChainBuilder builder(Net(), store.get());
    uint64_t serial = 0;
    builder.CommitMaterials(3, 20'000, serial);
    PendingBlock b;
    for (int i = 0; i < pending; ++i) {
      b.materials.push_back(NewMaterial(++serial, store->height() + 1, 2));
      ids.push_back(b.materials.back().material_id);
    }
    block = builder.Build(b);
    chain = std::make_unique<PendingChain>(*store);
    chain->Push(block);
    changes = NextChanges(store->suite(), ids);
    expected = UpdateThroughStateNodes(*chain, changes);
  }
  TempDir dir;
  std::unique_ptr<Store> store;
  BlockWrite block;
  std::vector<std::string> ids;  // of the block's materials
  std::unique_ptr<PendingChain> chain;
  std::vector<crypto::SmtUpdate> changes;
  StateUpdate expected;
};

}  // namespace

TEST_CASE(
    "a block's state update on a pending chain reads the store's tree below its top through "
    "an iterator, without LevelDB point reads, and matches reading through state_nodes()",
    "[ledger][state_tree]") {
  // One pending block of 5,000 new materials, and a chain over the chain holding it.
  StoreAndNextBlock s(5'000);
  Store* store = s.store.get();
  const PendingChain& chain = *s.chain;
  PendingChain over(static_cast<const ChainView&>(chain));
  const std::vector<crypto::SmtUpdate>& changes = s.changes;
  const StateUpdate& expected = s.expected;
  REQUIRE(testing::PointReads(*store, 'A') > 0);  // the expected path reads stored nodes by Get

  const uint64_t before = testing::PointReads(*store, 'A');
  for (const ChainView* view :
       {static_cast<const ChainView*>(&chain), static_cast<const ChainView*>(&over)}) {
    const StateUpdate update = ComputeStateUpdate(*view, changes);
    CHECK(update.root == expected.root);
    CHECK(update.nodes == expected.nodes);
  }
  CHECK(testing::PointReads(*store, 'A') == before);
}

TEST_CASE(
    "a block's state update on a pending chain is the same before, while and after the store "
    "commits the chain's pending block on another thread",
    "[ledger][state_tree]") {
  StoreAndNextBlock s(20'000);
  Store* store = s.store.get();
  const BlockWrite& pending = s.block;
  PendingChain& chain = *s.chain;
  const std::vector<crypto::SmtUpdate>& changes = s.changes;
  const StateUpdate& expected = s.expected;

  // Block sync's order: the chain's block is written while the next block executes on the
  // chain (its reader taken without the commit lock, its top and iterator perhaps of two tips).
  std::atomic<bool> written{false};
  Status write_status = Status::Ok();
  std::thread writer([&] {
    write_status = store->CommitBlocks({&pending});
    written = true;
  });
  int runs = 0;
  int differing = 0;
  for (int after = 0; after < 3; ++runs) {
    if (written) ++after;
    const StateUpdate update = ComputeStateUpdate(chain, changes);
    if (update.root != expected.root || update.nodes != expected.nodes) ++differing;
  }
  writer.join();
  REQUIRE(write_status.ok());
  INFO(runs << " updates computed");
  CHECK(differing == 0);
  REQUIRE(store->height() == 4);

  // Moved onto the store that now holds its block, the chain computes the same update, and so
  // does the store itself.
  chain.Rebase(*store);
  CHECK(ComputeStateUpdate(chain, changes).nodes == expected.nodes);
  const StateUpdate on_store = ComputeStateUpdate(*store, changes);
  CHECK(on_store.root == expected.root);
  CHECK(on_store.nodes == expected.nodes);
}

}  // namespace govledger::ledger

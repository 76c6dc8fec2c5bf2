// Store::Snapshot: a read-only view pinned to one committed tip while blocks keep committing, as
// the API's worker reads use it.
#include <leveldb/db.h>
#include <leveldb/iterator.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "crypto/merkle.h"
#include "ledger/store.h"
#include "tests/unit/ledger/chain_fixture.h"

using namespace govledger;
using namespace govledger::ledger;
using testing::ChainBuilder;
using testing::MakeNetwork;
using testing::PendingBlock;
using testing::TempDir;

namespace {

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

constexpr int64_t kYear = 365LL * 24 * 3600 * 1000;

// A new store in a temporary directory, with a chain builder on it.
struct NewStore {
  TempDir dir;
  std::unique_ptr<Store> opened = Store::Open(dir.path(), Net().genesis).value();
  Store& store = *opened;
  ChainBuilder chain{Net(), opened.get()};
};

}  // namespace

TEST_CASE("a store snapshot keeps answering from its tip while later blocks commit",
          "[ledger][snapshot]") {
  NewStore s;
  Store& store = s.store;
  ChainBuilder& chain = s.chain;
  PendingBlock b1;
  const std::string first = chain.Issue(b1, store.tip_time_ms() + kYear);
  REQUIRE(chain.Commit(b1).ok());

  auto snap = store.Snapshot();
  REQUIRE(snap.ok());
  const Store& view = **snap;
  const uint64_t h = store.height();
  const uint64_t log_size = store.log_size();
  const Digest tip = store.tip_hash();

  PendingBlock b2;
  const std::string second = chain.Issue(b2, store.tip_time_ms() + kYear);
  chain.Revoke(b2, first);
  REQUIRE(chain.Commit(b2).ok());
  REQUIRE(store.height() == h + 1);

  // The snapshot still sees the chain as it was.
  CHECK(view.height() == h);
  CHECK(view.log_size() == log_size);
  CHECK(view.tip_hash() == tip);
  CHECK_FALSE(view.GetBlock(h + 1).ok());
  CHECK_FALSE(view.GetMaterial(second).has_value());
  REQUIRE(view.GetMaterial(first).has_value());
  CHECK(view.GetMaterial(first)->status == MaterialStatus::kActive);
  // Its state proof is for its own tip, against that tip's state root.
  auto proof = view.ProveMaterial(first);
  REQUIRE(proof.ok());
  CHECK(proof->height == h);
  auto block = view.GetBlock(h);
  REQUIRE(block.ok());
  CHECK(crypto::DigestBytes(proof->state_root) == block->header.state_root);
  // Its Merkle log is the log of its tip.
  PendingLogNodes nodes(view.log_nodes());
  crypto::MerkleLog log(view.suite(), &nodes, view.log_size());
  auto root = log.Root(view.log_size());
  REQUIRE(root.ok());
  CHECK(crypto::DigestBytes(*root) == block->header.log_root);

  // The live store has moved on.
  CHECK(store.GetMaterial(first)->status == MaterialStatus::kRevoked);
  CHECK(store.GetMaterial(second).has_value());
}

TEST_CASE("a store snapshot refuses to commit a block", "[ledger][snapshot]") {
  NewStore s;
  Store& store = s.store;
  auto snap = store.Snapshot();
  REQUIRE(snap.ok());
  ChainBuilder on_snapshot(Net(), const_cast<Store*>(snap->get()));
  PendingBlock b;
  on_snapshot.Issue(b, store.tip_time_ms() + kYear);
  Status st = on_snapshot.Commit(b);
  CHECK_FALSE(st.ok());
  CHECK(store.height() == 0);
  CHECK((*snap)->height() == 0);
  // Nothing was written to the block store either (it is written first).
  snap->reset();
  s.opened.reset();
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), BlockStoreDir(s.dir.path()), &raw).ok());
  std::unique_ptr<leveldb::DB> blocks(raw);
  std::unique_ptr<leveldb::Iterator> it(blocks->NewIterator(leveldb::ReadOptions()));
  it->SeekToFirst();
  CHECK_FALSE(it->Valid());
}

TEST_CASE("snapshots read on another thread while the store commits", "[ledger][snapshot]") {
  NewStore s;
  Store& store = s.store;
  ChainBuilder& chain = s.chain;
  chain.CommitBlocks(2, 3);
  std::atomic<bool> done{false};
  std::atomic<int> inconsistent{0}, reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto snap = store.Snapshot();
      if (!snap.ok()) {
        ++inconsistent;
        continue;
      }
      // The snapshot's tip block exists, and its header agrees with the snapshot's metadata.
      auto block = (*snap)->GetBlock((*snap)->height());
      if (!block.ok() || block->header.log_size != (*snap)->log_size() ||
          (*snap)->GetBlock((*snap)->height() + 1).ok()) {
        ++inconsistent;
      }
      ++reads;
    }
  });
  chain.CommitBlocks(20, 2);
  // At least one read, however the threads are scheduled.
  while (reads.load() == 0) std::this_thread::yield();
  done = true;
  reader.join();
  CHECK(inconsistent.load() == 0);
}

// The node writes a decided block on its commit thread while the io thread keeps reading the
// committed store (admission's rule check, the API): every block the tip names must already be
// readable whole — its materials and its transactions — and nothing once read goes away.
TEST_CASE("reads of the committed store on another thread see every block up to the tip whole "
          "while CommitBlock writes the next",
          "[ledger][snapshot]") {
  NewStore s;
  Store& store = s.store;
  ChainBuilder& chain = s.chain;
  constexpr int kBlocks = 30;
  constexpr int kPerBlock = 3;
  struct Issued {
    std::string id;
    Digest tx_hash{};
  };
  // Block k (height k + 1) issues blocks[k]; prepared before the reader starts.
  std::vector<PendingBlock> pending(kBlocks);
  std::vector<std::vector<Issued>> issued(kBlocks);
  for (int k = 0; k < kBlocks; ++k) {
    for (int i = 0; i < kPerBlock; ++i) {
      std::string id = chain.Issue(pending[k], store.tip_time_ms() + kYear);
      issued[k].push_back({id, pending[k].txs.back().hash});
    }
  }
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0}, passes{0};
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t h = store.height();
      for (uint64_t k = 0; k < h && k < issued.size(); ++k) {
        for (const Issued& m : issued[k]) {
          auto material = store.GetMaterial(m.id);
          if (!material || material->material_id != m.id || material->status != MaterialStatus::kActive ||
              !store.HasTx(m.tx_hash)) {
            ++wrong;
          }
        }
      }
      if (!store.GetBlock(h).ok() && h > 0) ++wrong;
      ++passes;
    }
  });
  for (int k = 0; k < kBlocks; ++k) REQUIRE(chain.Commit(pending[k]).ok());
  while (passes.load() == 0) std::this_thread::yield();
  done = true;
  reader.join();
  CHECK(store.height() == kBlocks);
  CHECK(wrong.load() == 0);
}

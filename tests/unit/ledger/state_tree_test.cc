// The ledger's state map (ledger/state_tree.h) on a real Store: the header's state_root commits
// to every material and record-table entry, proofs at the tip verify offline and go stale,
// CommitBlock keeps the stored tree consistent, and the pinned byte layouts other verifiers must
// reproduce.
#include "ledger/state_tree.h"

#include <leveldb/db.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::PendingBlock;
using testing::TempDir;
using testing::TipStateRoot;

constexpr int64_t kYear = 365LL * 24 * 3600 * 1000;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}


// The root computed from scratch over every stored material and record entry.
Digest ReferenceRoot(const Store& store) {
  const crypto::Suite suite = store.suite();
  std::vector<crypto::SmtUpdate> all;
  store.ForEachStateEntry([&](const std::string& k, const std::string& v) {
    if (!InStateMap(k[0])) return;
    const Bytes bytes(v.begin(), v.end());
    const std::string_view key = std::string_view(k).substr(1);
    if (k[0] == kMaterialStateTable) {
      all.push_back(
          {MaterialStateKey(suite, key), MaterialStateValue(suite, *DecodeMaterial(bytes))});
    } else {
      all.push_back({StateKey(suite, k[0], key), RecordStateValue(suite, bytes)});
    }
  });
  crypto::MemorySmtNodeStore nodes;
  crypto::SparseMerkleTree tree(suite, &nodes);
  return tree.Update(all).value();
}

Event CounterEvent(const Store& store, const std::string& subject, const std::string& counter,
                   std::optional<uint64_t> value) {
  Event e;
  e.material_id = subject;
  e.kind = EventKind::kPropose;
  e.height = store.height() + 1;
  e.time_ms = store.tip_time_ms() + 1000;
  RecordWrite w;
  w.table = Table::kCounter;
  w.key = counter;
  if (value) w.value = EncodeU64(*value);
  e.records.push_back(w);
  return e;
}

TEST_CASE("material state bytes, state keys and record values match pinned vectors", "[ledger]") {
  Material m;
  m.material_id = "M1";
  m.type_code = "LIC001";
  m.issuer = "civil";
  m.holder_commitment.assign(32, 1);
  m.doc_digest.assign(32, 2);
  m.fields_root.assign(32, 3);
  m.field_names = {"name", "number"};
  m.valid_from_ms = 1000;
  m.valid_until_ms = 2000;
  m.status = MaterialStatus::kRevoked;
  m.issued_height = 3;
  m.issue_tx.assign(32, 4);
  m.updated_height = 5;
  m.event_count = 2;
  m.last_event.assign(32, 5);
  m.use_count = 7;
  // Computed independently (Python hashlib over the layout documented in canonical.h).
  CHECK(crypto::DigestHex(MaterialStateValue(crypto::Suite::kP256, m)) ==
        "1f3d13b72e13c5fb6468d23efdbe180c3b7ccb9ae9e938b431ee79d5323eb532");
  CHECK(crypto::DigestHex(MaterialStateKey(crypto::Suite::kP256, "M1")) ==
        "ca29fe338cd2ffd8e8eb7ee1b94056d20ec66a028f072f5c8116c6f5a325667c");
  CHECK(crypto::DigestHex(RecordStateValue(crypto::Suite::kP256, ToBytes("abc"))) ==
        "987a8867da2a5e4a1bb168d2a6f87802472fee85f26cea965fbdd8ddb410150b");
  // Every field is in the layout: changing any one changes the value.
  const Digest base = MaterialStateValue(crypto::Suite::kP256, m);
  std::vector<Material> variants(8, m);
  variants[0].status = MaterialStatus::kActive;
  variants[1].use_count = 8;
  variants[2].next_version = "M2";
  variants[3].suspended_by = "P";
  variants[4].holder_key = ToBytes("k");
  variants[5].field_names.pop_back();
  variants[6].valid_until_ms = 2001;
  variants[7].last_event.back() ^= 1;
  for (const Material& v : variants) CHECK(MaterialStateValue(crypto::Suite::kP256, v) != base);
}

TEST_CASE("the header state_root commits to every stored material and record entry", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  CHECK(TipStateRoot(*store) == crypto::kSmtEmpty);
  ChainBuilder chain(Net(), store.get());
  std::vector<std::string> ids;
  for (int h = 1; h <= 6; ++h) {
    PendingBlock b;
    for (int k = 0; k < h; ++k)
      ids.push_back(chain.Issue(b, Net().genesis.genesis_time_ms + kYear));
    if (h == 3) chain.Revoke(b, ids[1]);
    if (h == 4) b.events.push_back(CounterEvent(*store, "P1", "proposals", 1));
    if (h == 5) b.events.push_back(CounterEvent(*store, "P1", "proposals", 2));
    REQUIRE(chain.Commit(b).ok());
    INFO("height " << h);
    REQUIRE(TipStateRoot(*store) == ReferenceRoot(*store));
    REQUIRE(store->ProveMaterial(ids[0])->state_root == TipStateRoot(*store));
  }
  // Deleting the record brings the map back to materials only.
  const Digest before = TipStateRoot(*store);
  PendingBlock b;
  b.events.push_back(CounterEvent(*store, "P1", "proposals", std::nullopt));
  REQUIRE(chain.Commit(b).ok());
  CHECK(TipStateRoot(*store) != before);
  CHECK(TipStateRoot(*store) == ReferenceRoot(*store));
  // Each block's journal lists what it changed: block 6 issued six materials.
  CHECK(store->GetStateChanges(6)->size() == 6);
  CHECK(store->GetStateChanges(7)->size() == 1);
  CHECK_FALSE(store->GetStateChanges(7)->front().value.has_value());
}

TEST_CASE("a material's tip proof verifies offline and goes stale after it changes", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  PendingBlock b1;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(chain.Issue(b1, Net().genesis.genesis_time_ms + kYear));
  REQUIRE(chain.Commit(b1).ok());
  const crypto::Suite suite = store->suite();

  StateProof p = store->ProveMaterial(ids[3]).value();
  CHECK(p.height == 1);
  CHECK(p.state_root == TipStateRoot(*store));
  REQUIRE(p.material.has_value());
  CHECK(p.material->status == MaterialStatus::kActive);
  CHECK(VerifyMaterialState(suite, p.state_root, ids[3], &*p.material, p.proof));
  // The same proof does not support another id, another status, or absence.
  CHECK_FALSE(VerifyMaterialState(suite, p.state_root, ids[4], &*p.material, p.proof));
  Material revoked = *p.material;
  revoked.status = MaterialStatus::kRevoked;
  CHECK_FALSE(VerifyMaterialState(suite, p.state_root, ids[3], &revoked, p.proof));
  CHECK_FALSE(VerifyMaterialState(suite, p.state_root, ids[3], nullptr, p.proof));

  // A material that was never issued: proof of absence.
  StateProof none = store->ProveMaterial("M-never-issued").value();
  CHECK_FALSE(none.material.has_value());
  CHECK_FALSE(none.value.has_value());
  CHECK(VerifyMaterialState(suite, none.state_root, "M-never-issued", nullptr, none.proof));

  // Revoked in block 2: the old proof (ACTIVE at height 1) does not verify against the new root,
  // the new one does and shows REVOKED.
  PendingBlock b2;
  chain.Revoke(b2, ids[3]);
  REQUIRE(chain.Commit(b2).ok());
  StateProof q = store->ProveMaterial(ids[3]).value();
  CHECK(q.height == 2);
  REQUIRE(q.material.has_value());
  CHECK(q.material->status == MaterialStatus::kRevoked);
  CHECK(VerifyMaterialState(suite, q.state_root, ids[3], &*q.material, q.proof));
  CHECK_FALSE(VerifyMaterialState(suite, q.state_root, ids[3], &*p.material, p.proof));
  CHECK_FALSE(VerifyMaterialState(suite, q.state_root, ids[3], &*p.material, q.proof));
}

TEST_CASE("record entries have tip proofs too", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  chain.Issue(b, Net().genesis.genesis_time_ms + kYear);
  b.events.push_back(CounterEvent(*store, "P1", "proposals", 5));
  REQUIRE(chain.Commit(b).ok());
  StateProof p = store->ProveRecord(Table::kCounter, "proposals").value();
  REQUIRE(p.record.has_value());
  CHECK(*p.record == EncodeU64(5));
  CHECK(crypto::VerifyStateProof(store->suite(), TipStateRoot(*store),
                                 StateKey(store->suite(), 'N', "proposals"),
                                 RecordStateValue(store->suite(), *p.record), p.proof));
  StateProof none = store->ProveRecord(Table::kCounter, "other").value();
  CHECK_FALSE(none.record.has_value());
  CHECK(crypto::VerifyStateProof(store->suite(), TipStateRoot(*store),
                                 StateKey(store->suite(), 'N', "other"), std::nullopt, none.proof));
}

TEST_CASE("CommitBlock computes a missing state update and rejects a wrong or stale one",
          "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(2, 3);
  PendingBlock b;
  chain.Issue(b, Net().genesis.genesis_time_ms + kYear);
  BlockWrite w = chain.Build(b);

  BlockWrite stale = w;
  stale.state->base_height = 1;
  CHECK(store->CommitBlock(stale).code() == "bad_block");

  BlockWrite wrong_root = w;
  wrong_root.state->root[0] ^= 1;
  CHECK(store->CommitBlock(wrong_root).code() == "bad_state_root");

  BlockWrite without = w;
  without.state.reset();
  REQUIRE(store->CommitBlock(without).ok());
  CHECK(TipStateRoot(*store) == ReferenceRoot(*store));
  StateProof p = store->ProveMaterial(b.materials[0].material_id).value();
  CHECK(VerifyMaterialState(store->suite(), TipStateRoot(*store), b.materials[0].material_id,
                            &*p.material, p.proof));
}

TEST_CASE("the state tree survives reopening the store", "[ledger]") {
  TempDir dir;
  std::string id;
  Digest root;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    ChainBuilder chain(Net(), store.get());
    chain.CommitBlocks(3, 4);
    PendingBlock b;
    id = chain.Issue(b, Net().genesis.genesis_time_ms + kYear);
    REQUIRE(chain.Commit(b).ok());
    root = TipStateRoot(*store);
  }
  auto store = Store::Open(dir.path(), Net().genesis).value();
  StateProof p = store->ProveMaterial(id).value();
  CHECK(p.state_root == root);
  CHECK(VerifyMaterialState(store->suite(), root, id, &*p.material, p.proof));
  // And the next block builds on it.
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(1, 2);
  CHECK(TipStateRoot(*store) == ReferenceRoot(*store));
}

TEST_CASE("a store with blocks but no state tree is store_outdated", "[ledger]") {
  TempDir dir;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    ChainBuilder chain(Net(), store.get());
    chain.CommitBlocks(1, 1);
  }
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    REQUIRE(db->Delete(leveldb::WriteOptions(), "Mstate_tree").ok());
  }
  auto reopened = Store::Open(dir.path(), Net().genesis);
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.status().code() == "store_outdated");
}

TEST_CASE("state journal encoding round trips and rejects malformed bytes", "[ledger]") {
  std::vector<crypto::SmtUpdate> changes(3);
  changes[0].key.fill(1);
  changes[0].value = crypto::Digest{};
  changes[1].key.fill(2);
  changes[2].key.fill(3);
  changes[2].value.emplace().fill(9);
  const Bytes raw = EncodeStateChanges(changes);
  CHECK(raw.size() == 4 + 3 * 33 + 2 * 32);
  CHECK(DecodeStateChanges(raw).value() == changes);
  for (size_t n = 0; n < raw.size(); ++n) {
    CHECK_FALSE(DecodeStateChanges(Bytes(raw.begin(), raw.begin() + static_cast<long>(n))).ok());
  }
  Bytes trailing = raw;
  trailing.push_back(0);
  CHECK(DecodeStateChanges(trailing).status().code() == "corrupt_store");
  Bytes bad_flag = raw;
  bad_flag[4 + 32] = 7;
  CHECK_FALSE(DecodeStateChanges(bad_flag).ok());
  Bytes huge_count = {0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(DecodeStateChanges(huge_count).ok());
}

// CPU time of this thread in milliseconds: the machine is shared, wall time is not this code's.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Per-block cost of the state root on LevelDB as the state grows: blocks of 2000 new materials
// (the issue-6 target block), timing ComputeStateUpdate alone, then a block of 1000 new and 1000
// changed materials. Run by hand: unit_ledger "[.bench]".
TEST_CASE("state root per-block cost on LevelDB (printed, not asserted)", "[ledger][.bench]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  const crypto::Suite suite = store->suite();
  constexpr int kBlock = 2000;
  constexpr int kBlocks = 100;  // 200k materials
  Material proto;
  proto.type_code = "LIC001";
  proto.issuer = "civil";
  proto.holder_commitment.assign(32, 1);
  proto.doc_digest.assign(32, 2);
  proto.fields_root.assign(32, 3);
  proto.field_names = {"name", "number"};
  proto.valid_until_ms = 0;
  proto.issue_tx.assign(32, 4);
  proto.last_event.assign(32, 5);
  double last_tree_ms = 0;
  auto commit = [&](std::vector<Material> materials) -> double {
    BlockWrite w;
    const uint64_t height = store->height() + 1;
    w.materials = std::move(materials);
    const double t0 = ThreadCpuMs();
    std::map<std::string, Material, std::less<>> by_id;
    for (const Material& m : w.materials) by_id[m.material_id] = m;
    std::vector<crypto::SmtUpdate> changes = StateChanges(suite, by_id, {});
    const double t_changes = ThreadCpuMs();
    w.state = ComputeStateUpdate(*store, std::move(changes));
    const double t1 = ThreadCpuMs();
    last_tree_ms = t1 - t_changes;
    BlockHeader& h = w.block.header;
    h.chain_id = Net().genesis.chain_id;
    h.height = height;
    h.time_ms = store->tip_time_ms() + 1000;
    h.prev_hash = crypto::DigestBytes(store->tip_hash());
    h.log_size = store->log_size();
    h.state_root = crypto::DigestBytes(w.state->root);
    w.block.header_bytes = EncodeHeader(h);
    w.block_hash = crypto::Hash(suite, w.block.header_bytes);
    w.commit.height = height;
    w.commit.block_hash = crypto::DigestBytes(w.block_hash);
    REQUIRE(store->CommitBlock(w).ok());
    return t1 - t0;
  };
  uint64_t serial = 0;
  auto fresh = [&](int n) {
    std::vector<Material> out;
    for (int i = 0; i < n; ++i) {
      Material m = proto;
      m.material_id = "M" + std::to_string(++serial);
      m.updated_height = store->height() + 1;
      out.push_back(std::move(m));
    }
    return out;
  };
  // Process CPU (every thread: LevelDB's compaction too) and wall time of the whole fill.
  auto process_cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1000 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  const double fill_cpu0 = process_cpu_ms();
  const auto fill_wall0 = std::chrono::steady_clock::now();
  for (int b = 1; b <= kBlocks; ++b) {
    const double ms = commit(fresh(kBlock));
    if (b == 1 || b % 25 == 0) {
      std::printf("state root: block of %d new materials over n=%d: %.1f ms CPU (tree %.1f)\n",
                  kBlock, (b - 1) * kBlock, ms, last_tree_ms);
    }
  }
  const auto fill_wall = std::chrono::steady_clock::now() - fill_wall0;
  std::this_thread::sleep_for(std::chrono::seconds(3));  // LevelDB's background compactions
  std::printf("state root: %d blocks of %d committed: %.0f ms process CPU (compactions "
              "included), %.0f ms wall\n",
              kBlocks, kBlock, process_cpu_ms() - fill_cpu0,
              std::chrono::duration<double, std::milli>(fill_wall).count());
  std::vector<Material> mixed = fresh(kBlock / 2);
  for (int i = 0; i < kBlock / 2; ++i) {
    Material m = *store->GetMaterial("M" + std::to_string(1 + i * 97));
    m.status = MaterialStatus::kRevoked;
    m.updated_height = store->height() + 1;
    mixed.push_back(std::move(m));
  }
  std::printf("state root: block of %d new + %d changed over n=%d: %.1f ms CPU\n", kBlock / 2,
              kBlock / 2, kBlocks * kBlock, commit(std::move(mixed)));
  const double t0 = ThreadCpuMs();
  for (int i = 0; i < 1000; ++i)
    REQUIRE(store->ProveMaterial("M" + std::to_string(1 + i * 13)).ok());
  std::printf("state proof at the tip (n=%d): %.1f us CPU each\n", kBlocks * kBlock + kBlock / 2,
              (ThreadCpuMs() - t0));
}

}  // namespace
}  // namespace govledger::ledger

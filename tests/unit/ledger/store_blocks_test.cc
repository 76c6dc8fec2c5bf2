// The block store (ledger/store_blocks.cc): the migration of a store written with its blocks in
// the main database, the rows a crash can leave above the tip, a missing block store, and the
// scan of several height-keyed tables at once.
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "ledger/audit.h"
#include "ledger/codec.h"
#include "ledger/store.h"
#include "ledger/store_check.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::MakeNetwork;
using testing::TempDir;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

std::unique_ptr<leveldb::DB> OpenRaw(const std::string& dir) {
  leveldb::DB* raw = nullptr;
  leveldb::Options options;
  REQUIRE(leveldb::DB::Open(options, dir, &raw).ok());
  return std::unique_ptr<leveldb::DB>(raw);
}

// Every (key, value) of a raw LevelDB directory.
std::vector<std::pair<std::string, std::string>> Rows(const std::string& dir) {
  auto db = OpenRaw(dir);
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  return out;
}

// What a store keeps by height, read through the Store.
struct Chain {
  std::vector<Bytes> blocks;
  std::vector<uint64_t> commit_heights;
  std::vector<std::vector<Event>> events;
  std::vector<std::vector<crypto::SmtUpdate>> changes;
};

Chain ReadChain(const Store& store) {
  Chain c;
  for (uint64_t h = 1; h <= store.height(); ++h) {
    c.blocks.push_back(store.GetBlockBytes(h).value());
    c.commit_heights.push_back(store.GetCommit(h).value().height);
    c.events.push_back(store.GetBlockEvents(h).value());
    c.changes.push_back(store.GetStateChanges(h).value());
  }
  return c;
}

void RequireSameChain(const Chain& a, const Chain& b) {
  REQUIRE(a.blocks.size() == b.blocks.size());
  CHECK(a.blocks == b.blocks);
  CHECK(a.commit_heights == b.commit_heights);
  CHECK(a.changes == b.changes);
  REQUIRE(a.events.size() == b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    CHECK(EncodeEvents(a.events[i]) == EncodeEvents(b.events[i]));
  }
}

// A chain of `blocks` blocks of `txs` issues committed in `dir`, as read back before the store
// closes.
Chain CommitChain(const std::string& dir, size_t blocks, size_t txs) {
  auto store = Store::Open(dir, Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(blocks, txs);
  return ReadChain(*store);
}

// Rewrites a store in the layout of before 7 Dec 2026: its block-store rows back in the main
// database as table byte + height, no "block_store" metadata, no block store directory.
void ToOldLayout(const std::string& dir) {
  const auto rows = Rows(BlockStoreDir(dir));
  REQUIRE_FALSE(rows.empty());
  {
    auto db = OpenRaw(dir);
    leveldb::WriteBatch batch;
    for (const auto& [key, value] : rows) {
      REQUIRE(key.size() == 9);
      std::string old(1, key[8]);
      old.append(key, 0, 8);
      batch.Put(old, value);
    }
    batch.Delete("Mblock_store");
    REQUIRE(db->Write(leveldb::WriteOptions(), &batch).ok());
  }
  std::filesystem::remove_all(BlockStoreDir(dir));
}

size_t OldLayoutRows(const std::string& dir) {
  size_t n = 0;
  for (const auto& [key, value] : Rows(dir)) {
    const char t = key[0];
    n += key.size() == 9 && (t == 'B' || t == 'C' || t == 'W' || t == 'J');
  }
  return n;
}

TEST_CASE(
    "a store with its blocks in the main database opens with them moved to the block "
    "store, reading and auditing the same",
    "[ledger][store_blocks]") {
  TempDir dir;
  const Chain before = CommitChain(dir.path(), 7, 3);
  ToOldLayout(dir.path());
  REQUIRE(OldLayoutRows(dir.path()) == 7 * 4);

  {
    auto store = Store::Open(dir.path(), Net().genesis);
    REQUIRE(store.ok());
    CHECK((*store)->height() == 7);
    RequireSameChain(ReadChain(**store), before);
    CHECK(CheckStoreOnStart(**store, Net().genesis, {}).ok());
    const AuditReport report = AuditChain(**store, Net().genesis, {});
    INFO(report.reason_code << ": " << report.detail);
    CHECK(report.ok);
    CHECK(report.checked_height == 7);
    // It keeps committing on the moved chain.
    ChainBuilder chain(Net(), store->get());
    chain.CommitBlocks(2, 2);
    CHECK((*store)->GetBlock(9).ok());
  }
  CHECK(OldLayoutRows(dir.path()) == 0);
  CHECK(Rows(BlockStoreDir(dir.path())).size() == 9 * 4);
}

TEST_CASE(
    "a migration interrupted after it recorded the block store finishes deleting the old "
    "rows on the next open",
    "[ledger][store_blocks]") {
  TempDir dir;
  const Chain before = CommitChain(dir.path(), 4, 2);
  // The state a crash during DropOldBlockRows leaves: the block store complete and recorded, old
  // rows still in the main database (here all of them, with one of them different: the block
  // store's copy is the one read).
  const auto rows = Rows(BlockStoreDir(dir.path()));
  {
    auto db = OpenRaw(dir.path());
    for (const auto& [key, value] : rows) {
      std::string old(1, key[8]);
      old.append(key, 0, 8);
      REQUIRE(db->Put(leveldb::WriteOptions(), old, key[8] == 'B' ? "stale" : value).ok());
    }
  }
  REQUIRE(OldLayoutRows(dir.path()) == 4 * 4);
  {
    auto store = Store::Open(dir.path(), Net().genesis);
    REQUIRE(store.ok());
    RequireSameChain(ReadChain(**store), before);
  }
  CHECK(OldLayoutRows(dir.path()) == 0);
}

TEST_CASE(
    "block-store rows above the tip, left by a crash between the two writes, are never "
    "read and are deleted on open",
    "[ledger][store_blocks]") {
  TempDir dir;
  CommitChain(dir.path(), 3, 2);
  {
    // Block 3's rows copied to heights 4 and 5, as if their block-store write had landed and
    // the main database's had not.
    auto db = OpenRaw(BlockStoreDir(dir.path()));
    for (char table : {'B', 'C', 'W', 'J'}) {
      std::string value;
      REQUIRE(db->Get(leveldb::ReadOptions(), BlockRowKey(table, 3), &value).ok());
      REQUIRE(db->Put(leveldb::WriteOptions(), BlockRowKey(table, 4), value).ok());
      REQUIRE(db->Put(leveldb::WriteOptions(), BlockRowKey(table, 5), value).ok());
    }
  }
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    CHECK(store->height() == 3);
    CHECK(store->GetBlock(4).status().code() == "not_found");
    CHECK(store->GetCommit(5).status().code() == "not_found");
    // Block 4 is committed for real afterwards, over the same heights.
    ChainBuilder chain(Net(), store.get());
    chain.CommitBlocks(1, 1);
    CHECK(store->GetBlock(4).value().header.height == 4);
    CHECK(store->GetBlock(5).status().code() == "not_found");
  }
  for (const auto& [key, value] : Rows(BlockStoreDir(dir.path()))) {
    CHECK(ReadU64BE(reinterpret_cast<const uint8_t*>(key.data())) <= 4);
  }
}

TEST_CASE("a snapshot does not read a block committed after it from the block store",
          "[ledger][store_blocks]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(2, 1);
  auto snapshot = store->Snapshot().value();
  chain.CommitBlocks(1, 1);
  CHECK(store->GetBlock(3).ok());
  CHECK(snapshot->height() == 2);
  CHECK(snapshot->GetBlock(3).status().code() == "not_found");
  CHECK(snapshot->GetCommit(3).status().code() == "not_found");
  CHECK(snapshot->GetStateChanges(3).status().code() == "not_found");
  std::map<char, Store::HeightRows> rows;
  REQUIRE(snapshot->ScanHeights("B", 1, 3, &rows).ok());
  CHECK(rows['B'].rows[1].has_value());
  CHECK_FALSE(rows['B'].rows[2].has_value());
}

TEST_CASE("a store with blocks whose block store is missing refuses to open",
          "[ledger][store_blocks]") {
  TempDir dir;
  CommitChain(dir.path(), 2, 1);
  std::filesystem::remove_all(BlockStoreDir(dir.path()));
  auto store = Store::Open(dir.path(), Net().genesis);
  CHECK(store.status().code() == "corrupt_store");
  CHECK_THAT(store.status().message(), Catch::Contains("block store"));
  CHECK_FALSE(std::filesystem::exists(BlockStoreDir(dir.path())));  // not recreated empty
}

TEST_CASE("scanning several height-keyed tables at once returns what each point read returns",
          "[ledger][store_blocks]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  chain.CommitBlocks(5, 2);
  std::map<char, Store::HeightRows> rows;
  REQUIRE(store->ScanHeights("BCWJ", 2, 6, &rows).ok());
  REQUIRE(rows.size() == 4);
  for (uint64_t h = 2; h <= 5; ++h) {
    const size_t i = h - 2;
    for (char t : {'B', 'C', 'W', 'J'}) REQUIRE(rows[t].rows[i].has_value());
    CHECK(*rows['B'].rows[i] == store->GetBlockBytes(h).value());
    CHECK(DecodeCommit(*rows['C'].rows[i]).value().height == h);
    CHECK(EncodeEvents(DecodeEvents(*rows['W'].rows[i]).value()) ==
          EncodeEvents(store->GetBlockEvents(h).value()));
    CHECK(DecodeStateChanges(*rows['J'].rows[i]).value() == store->GetStateChanges(h).value());
  }
  for (char t : {'B', 'C', 'W', 'J'}) {
    CHECK_FALSE(rows[t].rows[4].has_value());  // height 6: past the tip
    CHECK(rows[t].errors == std::vector<std::string>(6));
  }
  // One table alone: only its rows.
  REQUIRE(store->ScanHeights("J", 3, 1, &rows).ok());
  REQUIRE(rows.size() == 1);
  CHECK(DecodeStateChanges(*rows['J'].rows.at(0)).value() == store->GetStateChanges(3).value());
  CHECK(store->ScanHeights("BS", 1, 1, &rows).code() == "invalid_argument");
}

}  // namespace
}  // namespace govledger::ledger

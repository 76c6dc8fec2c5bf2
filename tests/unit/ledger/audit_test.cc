#include "ledger/audit.h"

#include <leveldb/db.h>

#include <catch2/catch.hpp>
#include <limits>

#include "ledger/codec.h"
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

// A height-keyed row's key in the block store (BlockStoreDir).
std::string HeightKey(char table, uint64_t h) { return BlockRowKey(table, h); }

// A data directory with a 10-block chain: blocks of 0..3 issues, revokes and expiries.
void BuildChain(const std::string& dir) {
  auto store = Store::Open(dir, Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  const int64_t t0 = Net().genesis.genesis_time_ms;
  std::vector<std::string> ids;
  for (int h = 1; h <= 10; ++h) {
    PendingBlock b;
    for (int k = 0; k < h % 4; ++k) ids.push_back(chain.Issue(b, t0 + 1000LL * (h + 3), k % 2));
    if (h == 4) chain.Revoke(b, ids[0]);
    if (h == 6) chain.Expire(b, ids[1]);
    REQUIRE(chain.Commit(b).ok());
  }
}

// Rewrites one stored value with one byte flipped (the store must be closed).
void FlipStoredByte(const std::string& dir, const std::string& key, size_t offset) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  REQUIRE(db->Get(leveldb::ReadOptions(), key, &value).ok());
  REQUIRE(offset < value.size());
  value[offset] = static_cast<char>(value[offset] ^ 0x01);
  REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
}

std::string FirstKeyWithPrefix(const std::string& dir, const std::string& prefix) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  it->Seek(prefix);
  REQUIRE(it->Valid());
  REQUIRE(it->key().starts_with(prefix));
  return it->key().ToString();
}

std::string ReadStored(const std::string& dir, const std::string& key) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  REQUIRE(db->Get(leveldb::ReadOptions(), key, &value).ok());
  return value;
}

AuditReport Audit(const std::string& dir, AuditOptions opts = {}) {
  auto store = Store::Open(dir, Net().genesis);
  REQUIRE(store.ok());
  return AuditChain(**store, Net().genesis, opts);
}

void CheckBadAt5(const AuditReport& r, const std::string& reason) {
  INFO(r.reason_code << ": " << r.detail);
  CHECK_FALSE(r.ok);
  CHECK(r.bad_height == 5);
  CHECK(r.checked_height == 4);
  CHECK(r.reason_code == reason);
  CHECK_FALSE(r.detail.empty());
}

TEST_CASE("audit passes a clean chain and counts its transactions", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  AuditOptions opts;
  opts.progress_every = 3;
  opts.progress = [&progress](uint64_t done, uint64_t total) {
    progress.emplace_back(done, total);
  };
  AuditReport r = Audit(dir.path(), opts);
  INFO(r.reason_code << ": " << r.detail);
  CHECK(r.ok);
  CHECK(r.checked_height == 10);
  CHECK(r.bad_height == 0);
  CHECK(r.reason_code.empty());
  // h % 4 issues per block (1+2+3+0+1+2+3+0+1+2) plus one revoke.
  CHECK(r.txs_checked == 16);
  CHECK(progress ==
        std::vector<std::pair<uint64_t, uint64_t>>{{3, 10}, {6, 10}, {9, 10}, {10, 10}});
}

TEST_CASE("audit in batches on several threads reports the same first bad height", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string cert = ReadStored(BlockStoreDir(dir.path()), HeightKey('C', 5));
  const std::string block = ReadStored(BlockStoreDir(dir.path()), HeightKey('B', 5));
  // Batches of 1, 2 (block 5 opens a batch: its previous certificate is read from the batch
  // before) and 4 (block 5 inside a batch), on 1, 3 and 8 threads.
  const std::vector<std::pair<unsigned, uint64_t>> layouts{{1, 1}, {3, 2}, {8, 4}};
  for (const auto& [threads, batch] : layouts) {
    AuditOptions opts;
    opts.threads = threads;
    opts.batch_blocks = batch;
    INFO("threads " << threads << ", batch " << batch);
    AuditReport clean = Audit(dir.path(), opts);
    CHECK(clean.ok);
    CHECK(clean.checked_height == 10);
    CHECK(clean.txs_checked == 16);
  }
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('C', 5), cert.size() - 2);
  for (const auto& [threads, batch] : layouts) {
    AuditOptions opts;
    opts.threads = threads;
    opts.batch_blocks = batch;
    INFO("threads " << threads << ", batch " << batch);
    CheckBadAt5(Audit(dir.path(), opts), "bad_commit");
  }
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('C', 5), cert.size() - 2);  // restored
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('B', 5),
                 block.size() - 1);  // the embedded last commit
  for (const auto& [threads, batch] : layouts) {
    AuditOptions opts;
    opts.threads = threads;
    opts.batch_blocks = batch;
    INFO("threads " << threads << ", batch " << batch);
    CheckBadAt5(Audit(dir.path(), opts), "bad_last_commit");
  }
}

TEST_CASE("audit of an empty chain passes", "[ledger]") {
  TempDir dir;
  { auto store = Store::Open(dir.path(), Net().genesis).value(); }
  AuditReport r = Audit(dir.path());
  CHECK(r.ok);
  CHECK(r.checked_height == 0);
}

TEST_CASE("audit reports a flipped header byte in block 5 as bad_block_hash at 5", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  // The header is field 1 of pb::Block: tag, one length byte, then the header bytes. Flip a byte
  // near the end of the header (inside events_hash), which keeps it decodable.
  const std::string block = ReadStored(BlockStoreDir(dir.path()), HeightKey('B', 5));
  const Block decoded = DecodeBlock(Bytes(block.begin(), block.end())).value();
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('B', 5), 2 + decoded.header_bytes.size() - 3);
  CheckBadAt5(Audit(dir.path()), "bad_block_hash");
}

TEST_CASE("audit reports an undecodable block 5 as bad_block_encoding at 5", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('B', 5),
                 0);  // the first field tag becomes invalid
  CheckBadAt5(Audit(dir.path()), "bad_block_encoding");
}

TEST_CASE("audit reports a tampered tx signature in block 5 as bad_tx_signature", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string block = ReadStored(BlockStoreDir(dir.path()), HeightKey('B', 5));
  const Block decoded = DecodeBlock(Bytes(block.begin(), block.end())).value();
  REQUIRE(!decoded.txs.empty());
  // The signature is the last field of the first SignedTx; its last byte sits just before the
  // end of that tx inside the block bytes.
  const std::string tx(decoded.txs[0].begin(), decoded.txs[0].end());
  const size_t at = block.find(tx);
  REQUIRE(at != std::string::npos);
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('B', 5), at + tx.size() - 1);
  CheckBadAt5(Audit(dir.path()), "bad_tx_signature");

  AuditOptions no_sigs;
  no_sigs.verify_tx_signatures = false;
  // Without signature checks the tampered bytes still break the log root.
  CheckBadAt5(Audit(dir.path(), no_sigs), "bad_log_root");
}

// The transaction index key ('T' + tx hash) of the first transaction of block `h`.
std::string FirstTxIndexKey(const std::string& dir, uint64_t h) {
  const std::string block = ReadStored(BlockStoreDir(dir), HeightKey('B', h));
  const Block decoded = DecodeBlock(Bytes(block.begin(), block.end())).value();
  REQUIRE(!decoded.txs.empty());
  const Tx tx =
      DecodeTx(Net().genesis.suite, decoded.txs[0], std::numeric_limits<size_t>::max()).value();
  return "T" + std::string(tx.hash.begin(), tx.hash.end());
}

void DeleteStored(const std::string& dir, const std::string& key) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  REQUIRE(db->Delete(leveldb::WriteOptions(), key).ok());
}

TEST_CASE("audit reports a missing or misdirected tx index entry in block 5 as bad_tx_location "
          "at 5",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());  // blocks 1-4 hold 1 + 2 + 3 + 1 transactions (4: a revocation)
  const std::string key = FirstTxIndexKey(dir.path(), 5);
  const TxLocation right = DecodeTxLocation(ToBytes(ReadStored(dir.path(), key))).value();
  REQUIRE(right.height == 5);
  REQUIRE(right.log_index == 7);
  auto rewrite = [&](const TxLocation& loc) {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    const Bytes v = EncodeTxLocation(loc);
    REQUIRE(db->Put(leveldb::WriteOptions(), key, std::string(v.begin(), v.end())).ok());
  };
  SECTION("deleted") { DeleteStored(dir.path(), key); }
  SECTION("another height") { rewrite(TxLocation{6, right.index, right.log_index}); }
  SECTION("another index in the block") { rewrite(TxLocation{5, 1, right.log_index}); }
  SECTION("another log index") { rewrite(TxLocation{5, right.index, right.log_index + 1}); }
  for (unsigned threads : {1u, 3u}) {
    AuditOptions opts;
    opts.threads = threads;
    const AuditReport r = Audit(dir.path(), opts);
    CheckBadAt5(r, "bad_tx_location");
    CHECK(r.txs_checked == 7);
  }
}

TEST_CASE("audit reports a missing tx index entry before a later failure, and not before an "
          "earlier one",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  DeleteStored(dir.path(), FirstTxIndexKey(dir.path(), 5));
  SECTION("a later bad certificate at 7: the index entry at 5 comes first") {
    const std::string cert = ReadStored(BlockStoreDir(dir.path()), HeightKey('C', 7));
    FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('C', 7), cert.size() - 2);
    CheckBadAt5(Audit(dir.path()), "bad_tx_location");
  }
  SECTION("a bad certificate at 5 itself is checked before its transactions") {
    const std::string cert = ReadStored(BlockStoreDir(dir.path()), HeightKey('C', 5));
    FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('C', 5), cert.size() - 2);
    CheckBadAt5(Audit(dir.path()), "bad_commit");
  }
  SECTION("a flipped state tree node (reported at the tip) is checked after the whole chain") {
    const std::string node_key = FirstKeyWithPrefix(dir.path(), "A");
    FlipStoredByte(dir.path(), node_key, ReadStored(dir.path(), node_key).size() - 1);
    CheckBadAt5(Audit(dir.path()), "bad_tx_location");
  }
}

TEST_CASE("audit reports a flipped byte in certificate 5 as bad_commit at 5", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string cert = ReadStored(BlockStoreDir(dir.path()), HeightKey('C', 5));
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('C', 5),
                 cert.size() - 2);  // inside the last signature
  CheckBadAt5(Audit(dir.path()), "bad_commit");
}

TEST_CASE("audit reports a flipped byte in block 5's events as bad_events_hash at 5", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string events = ReadStored(BlockStoreDir(dir.path()), HeightKey('W', 5));
  REQUIRE(events.size() > 10);
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('W', 5), events.size() - 1);
  CheckBadAt5(Audit(dir.path()), "bad_events_hash");
}

TEST_CASE("audit reports a tampered embedded last commit as bad_last_commit", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  // The last commit is the final field of pb::Block; its last byte ends a signature.
  const std::string block = ReadStored(BlockStoreDir(dir.path()), HeightKey('B', 5));
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('B', 5), block.size() - 1);
  CheckBadAt5(Audit(dir.path()), "bad_last_commit");
}

// The id of the material block 5 issued (BuildChain issues one there).
std::string IssuedAt5(const std::string& dir) {
  auto store = Store::Open(dir, Net().genesis).value();
  auto events = store->GetBlockEvents(5).value();
  REQUIRE(events.size() == 1);
  REQUIRE(events[0].kind == EventKind::kIssue);
  return events[0].material_id;
}

TEST_CASE("audit reports a flipped stored material state as bad_state_entry at the height that "
          "wrote it",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string id = IssuedAt5(dir.path());
  const std::string key = "S" + id;
  const std::string stored = ReadStored(dir.path(), key);
  SECTION("a byte in the middle (the record still decodes)") {
    // The doc digest sits early in the record; its bytes decode to any value.
    const Material m = DecodeMaterial(Bytes(stored.begin(), stored.end())).value();
    const size_t at = stored.find(std::string(m.doc_digest.begin(), m.doc_digest.end()));
    REQUIRE(at != std::string::npos);
    FlipStoredByte(dir.path(), key, at + 3);
    CheckBadAt5(Audit(dir.path()), "bad_state_entry");
  }
  SECTION("the last byte") {
    FlipStoredByte(dir.path(), key, stored.size() - 1);
    CheckBadAt5(Audit(dir.path()), "bad_state_entry");
  }
}

TEST_CASE("audit reports a deleted material state as bad_state_entry at the height that wrote it",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string id = IssuedAt5(dir.path());
  {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir.path(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    REQUIRE(db->Delete(leveldb::WriteOptions(), "S" + id).ok());
  }
  CheckBadAt5(Audit(dir.path()), "bad_state_entry");
}

TEST_CASE("audit reports a flipped byte in block 5's state changes as bad_state_root at 5",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  const std::string journal = ReadStored(BlockStoreDir(dir.path()), HeightKey('J', 5));
  FlipStoredByte(BlockStoreDir(dir.path()), HeightKey('J', 5),
                 journal.size() - 1);  // inside the last value
  CheckBadAt5(Audit(dir.path()), "bad_state_root");
}

TEST_CASE("audit reports a flipped stored state tree node as bad_state_tree at the tip",
          "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  // The first stored node ('A' u16 depth, path bytes): a leaf, since the tree's top internal
  // nodes live in memory (ledger/store_state_tree.h).
  const std::string node_key = FirstKeyWithPrefix(dir.path(), "A");
  const std::string node = ReadStored(dir.path(), node_key);
  FlipStoredByte(dir.path(), node_key, node.size() - 1);
  AuditReport r = Audit(dir.path());
  INFO(r.reason_code << ": " << r.detail);
  CHECK_FALSE(r.ok);
  CHECK(r.reason_code == "bad_state_tree");
  CHECK(r.bad_height == 10);
}

TEST_CASE("audit rejects a chain checked against another genesis", "[ledger]") {
  TempDir dir;
  BuildChain(dir.path());
  auto store = Store::Open(dir.path(), Net().genesis).value();
  Genesis other = Net().genesis;
  other.chain_id = "other";
  AuditReport r = AuditChain(*store, other, {});
  CHECK_FALSE(r.ok);
  CHECK(r.reason_code == "genesis_mismatch");
}

}  // namespace
}  // namespace govledger::ledger

namespace govledger::ledger {
namespace {

TEST_CASE("audit recomputes the log root for many log sizes in bounded memory", "[ledger]") {
  TempDir dir;
  {
    auto store = Store::Open(dir.path(), Net().genesis).value();
    ChainBuilder chain(Net(), store.get());
    for (size_t h = 1; h <= 14; ++h) chain.CommitBlocks(1, (h * 5) % 9);
  }
  AuditReport r = Audit(dir.path());
  INFO(r.reason_code << ": " << r.detail);
  CHECK(r.ok);
  CHECK(r.checked_height == 14);
  CHECK(r.txs_checked == 57);  // sum of (h * 5) % 9
}

TEST_CASE("audit passes a clean chain of the sm suite", "[ledger]") {
  testing::TestNetwork sm = testing::MakeNetwork(4, crypto::Suite::kSm);
  TempDir dir;
  auto store = Store::Open(dir.path(), sm.genesis).value();
  ChainBuilder chain(sm, store.get());
  chain.CommitBlocks(4, 2);
  AuditReport r = AuditChain(*store, sm.genesis, {});
  INFO(r.reason_code << ": " << r.detail);
  CHECK(r.ok);
  CHECK(r.txs_checked == 8);
  // The same chain checked with the suite's hash swapped fails at once.
  Genesis p256 = sm.genesis;
  p256.suite = crypto::Suite::kP256;
  CHECK_FALSE(AuditChain(*store, p256, {}).ok);
}

}  // namespace
}  // namespace govledger::ledger

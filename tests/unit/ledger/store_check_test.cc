#include "ledger/store_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <leveldb/db.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "ledger/audit.h"
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

// Tables this file's helpers write are uncompressed (see BuildChainInTables).
leveldb::Options Uncompressed() {
  leveldb::Options options;
  options.compression = leveldb::kNoCompression;
  return options;
}

// A 10-block chain whose data ends up in LevelDB table files: reopening each of the store's two
// databases replays its log into one level-0 table, written uncompressed so that stored values
// occur in the file byte for byte. (Snappy is not that: it may encode even part of a random
// signature as a copy of earlier bytes, and a search for the signature's bytes then fails about
// once in 60 runs.)
void BuildChainInTables(const std::string& dir) {
  {
    auto store = Store::Open(dir, Net().genesis).value();
    ChainBuilder chain(Net(), store.get());
    const int64_t t0 = Net().genesis.genesis_time_ms;
    for (int h = 1; h <= 10; ++h) {
      PendingBlock b;
      for (int k = 0; k < 3; ++k) chain.Issue(b, t0 + 1000LL * (h + 100), k % 2);
      REQUIRE(chain.Commit(b).ok());
    }
  }
  for (const std::string& db : {dir, BlockStoreDir(dir)}) {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(Uncompressed(), db, &raw).ok());
    delete raw;
  }
}

// The largest .ldb file of a LevelDB directory.
std::string LargestTable(const std::string& dir) {
  std::string best;
  off_t best_size = -1;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".ldb") != 0) continue;
    struct stat st {};
    REQUIRE(::stat((dir + "/" + name).c_str(), &st) == 0);
    if (st.st_size > best_size) {
      best_size = st.st_size;
      best = dir + "/" + name;
    }
  }
  ::closedir(d);
  REQUIRE_FALSE(best.empty());
  return best;
}

// Every .ldb file of a LevelDB directory.
std::vector<std::string> TableFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, ".ldb") == 0) {
      out.push_back(dir + "/" + name);
    }
  }
  ::closedir(d);
  REQUIRE_FALSE(out.empty());
  return out;
}

std::string ReadWholeFile(const std::string& path) {
  std::string data;
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  data.resize(static_cast<size_t>(st.st_size));
  REQUIRE(::pread(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
  ::close(fd);
  return data;
}

// Rewrites one stored value with one byte flipped, through LevelDB (checksums stay valid: what
// a bad disk controller, a bug or an intruder with file access could leave behind).
void RewriteWithFlippedByte(const std::string& dir, const std::string& key, size_t offset) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(Uncompressed(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  REQUIRE(db->Get(leveldb::ReadOptions(), key, &value).ok());
  REQUIRE(offset < value.size());
  value[offset] = static_cast<char>(value[offset] ^ 0x01);
  REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
}

// Offset of a byte inside the header's last fields (keeps the block decodable).
size_t HeaderByte(const std::string& dir, uint64_t h) {
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(Uncompressed(), BlockStoreDir(dir), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  REQUIRE(db->Get(leveldb::ReadOptions(), HeightKey('B', h), &value).ok());
  const Block b = DecodeBlock(Bytes(value.begin(), value.end())).value();
  return 2 + b.header_bytes.size() - 3;
}

// OpenCheckedStore: Store::Open (with the diagnosis) or the startup check.
Status OpenAndCheck(const std::string& dir, StartupCheckOptions opts = {}) {
  auto store = OpenCheckedStore(dir, Net().genesis, opts);
  return store.ok() ? Status::Ok() : store.status();
}

TEST_CASE("the startup check passes an intact store", "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  Status st = OpenAndCheck(dir.path());
  INFO(st.ToString());
  CHECK(st.ok());
}

TEST_CASE("a truncated LevelDB table file fails the startup check naming the file",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  const std::string table = LargestTable(dir.path());
  struct stat st {};
  REQUIRE(::stat(table.c_str(), &st) == 0);
  REQUIRE(::truncate(table.c_str(), st.st_size / 2) == 0);
  Status s = OpenAndCheck(dir.path());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == "corrupt_store");
  CHECK_THAT(s.message(), Catch::Contains(table) && Catch::Contains("truncated"));
}

TEST_CASE("a flipped byte inside a LevelDB table file is refused as corrupt_store",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  const std::string table = LargestTable(dir.path());
  struct stat st {};
  REQUIRE(::stat(table.c_str(), &st) == 0);
  // Data blocks come first in a table; the middle of the file is block data.
  for (off_t at : {st.st_size / 4, st.st_size / 2}) {
    TempDir copy;
    // Work on a fresh copy for each offset.
    BuildChainInTables(copy.path());
    const std::string t = LargestTable(copy.path());
    int fd = ::open(t.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    uint8_t b = 0;
    REQUIRE(::pread(fd, &b, 1, at) == 1);
    b ^= 0x10;
    REQUIRE(::pwrite(fd, &b, 1, at) == 1);
    ::close(fd);
    Status s = OpenAndCheck(copy.path());
    INFO("offset " << at << ": " << s.ToString());
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == "corrupt_store");
    CHECK_THAT(s.message(), Catch::Contains("orruption"));  // LevelDB's "Corruption: ..."
  }
}

TEST_CASE("a rewritten tip block fails the tip check at its height", "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  RewriteWithFlippedByte(BlockStoreDir(dir.path()), HeightKey('B', 10), HeaderByte(dir.path(), 10));
  Status s = OpenAndCheck(dir.path());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == "corrupt_store");
  CHECK_THAT(s.message(), Catch::StartsWith("block 10: "));
}

TEST_CASE("a rewritten certificate near the tip fails the tip check at its height",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  RewriteWithFlippedByte(BlockStoreDir(dir.path()), HeightKey('C', 8), 20);
  Status s = OpenAndCheck(dir.path());
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::StartsWith("block 8: "));
}

TEST_CASE("a rewritten old block passes the tip window but audit chain names its height",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  RewriteWithFlippedByte(BlockStoreDir(dir.path()), HeightKey('B', 3), HeaderByte(dir.path(), 3));
  StartupCheckOptions opts;
  opts.tip_blocks = 4;
  CHECK(OpenAndCheck(dir.path(), opts).ok());
  auto store = Store::Open(dir.path(), Net().genesis).value();
  AuditReport r = AuditChain(*store, Net().genesis, {});
  CHECK_FALSE(r.ok);
  CHECK(r.bad_height == 3);
}

TEST_CASE("a block unreadable from a damaged table is named by audit chain",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  // Find block 1's bytes in whichever table holds them (which table that is depends on when
  // LevelDB's background compaction ran) and flip one inside that table's data block.
  auto store_probe = Store::Open(dir.path(), Net().genesis).value();
  const Bytes block1 = store_probe->GetBlockBytes(1).value();
  store_probe.reset();
  // The table is uncompressed (BuildChainInTables): the last 32 bytes of the block (inside a
  // signature) occur in the file.
  const std::string tail(block1.end() - 32, block1.end());
  std::string table;
  std::string data;
  size_t at = std::string::npos;
  for (const std::string& t : TableFiles(BlockStoreDir(dir.path()))) {
    data = ReadWholeFile(t);
    at = data.find(tail);
    if (at != std::string::npos) {
      table = t;
      break;
    }
  }
  REQUIRE(at != std::string::npos);
  int fd = ::open(table.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  char b = static_cast<char>(data[at + 5] ^ 0x01);
  REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(at + 5)) == 1);
  ::close(fd);
  auto store = Store::Open(dir.path(), Net().genesis);
  REQUIRE(store.ok());  // the tip's metadata lives in the main database
  auto read = (*store)->GetBlockBytes(1);
  REQUIRE_FALSE(read.ok());  // never the damaged bytes
  CHECK(read.status().code() == "corrupt_store");
  AuditReport r = AuditChain(**store, Net().genesis, {});
  CHECK_FALSE(r.ok);
  CHECK(r.bad_height == 1);
  CHECK(r.reason_code == "unreadable_block");
}

TEST_CASE("a damaged table block of the tx index is found by the audit's index check as "
          "bad_tx_location, not passed over",
          "[ledger][store_check]") {
  TempDir dir;
  BuildChainInTables(dir.path());
  // Block 5's first transaction: its hash's last bytes occur in the table files in its index
  // key ('T' + hash; not shared with the key before it) and in its material's record (issue_tx).
  // Flip a byte at each occurrence in turn until the index entry is the one damaged.
  auto store_probe = Store::Open(dir.path(), Net().genesis).value();
  const Block block5 = store_probe->GetBlock(5).value();
  const Tx tx = DecodeTx(Net().genesis.suite, block5.txs[0], 1 << 20).value();
  store_probe.reset();
  const std::string tail(tx.hash.end() - 16, tx.hash.end());
  auto flip = [](const std::string& file, size_t at) {
    int fd = ::open(file.c_str(), O_RDWR);
    REQUIRE(fd >= 0);
    char b = 0;
    REQUIRE(::pread(fd, &b, 1, static_cast<off_t>(at)) == 1);
    b = static_cast<char>(b ^ 0x01);
    REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(at)) == 1);
    ::close(fd);
  };
  std::unique_ptr<Store> store;
  for (const std::string& t : TableFiles(dir.path())) {
    const std::string data = ReadWholeFile(t);
    for (size_t at = data.find(tail); at != std::string::npos && !store;
         at = data.find(tail, at + 1)) {
      flip(t, at + 3);
      auto opened = Store::Open(dir.path(), Net().genesis);
      if (opened.ok() && !(*opened)->FindTx(tx.hash).has_value()) {
        store = std::move(opened).value();
      } else {
        opened = Status::Error("closed", "");
        flip(t, at + 3);  // restored: not the index entry
      }
    }
    if (store) break;
  }
  REQUIRE(store != nullptr);
  AuditReport r = AuditChain(*store, Net().genesis, {});
  INFO(r.reason_code << " at " << r.bad_height << ": " << r.detail);
  CHECK_FALSE(r.ok);
  CHECK(r.reason_code == "bad_tx_location");
  CHECK(r.bad_height >= 1);
  CHECK(r.bad_height <= 5);  // the damaged block holds block 5's entry, maybe earlier ones too
}

}  // namespace
}  // namespace govledger::ledger

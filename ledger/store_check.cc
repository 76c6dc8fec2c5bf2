#include "ledger/store_check.h"

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/smt.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "ledger/store_internal.h"
#include "util/bytes.h"

namespace govledger::ledger {

using namespace store_internal;  // the key layout (ledger/store_internal.h)

namespace {

// A readable name for a store key in error messages: block/certificate heights, else the table.
std::string DescribeKey(const std::string& k, bool block_store) {
  if (k.empty()) return "the start of the store";
  if (block_store && k.size() == kBlockRowKeySize) {
    const char table = k.back();
    const std::string height =
        std::to_string(ReadU64BE(reinterpret_cast<const uint8_t*>(k.data())));
    if (table == kBlock) return "block " + height;
    if (table == kCommit) return "the certificate of block " + height;
    return std::string("the '") + table + "' row of block " + height;
  }
  if (block_store) return "a key of the block store";
  return std::string("a key of table '") + k[0] + "'";
}

}  // namespace

namespace {

struct LiveTable {
  std::string path;
  uint64_t size = 0;  // as the manifest recorded it
};

// The table files LevelDB's current version uses, from the "leveldb.sstables" property: lines
// " <number>:<size>[<smallest key> .. <largest key>]" under "--- level N ---" headers.
Result<std::vector<LiveTable>> LiveTables(leveldb::DB* db, const std::string& dir) {
  std::string listing;
  if (!db->GetProperty("leveldb.sstables", &listing)) {
    return CorruptStore("cannot list the table files of " + dir);
  }
  std::vector<LiveTable> out;
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != ' ') continue;
    const size_t colon = line.find(':');
    const size_t bracket = line.find('[');
    if (colon == std::string::npos || bracket == std::string::npos || bracket < colon) continue;
    const uint64_t number = std::strtoull(line.c_str() + 1, nullptr, 10);
    char name[32];
    std::snprintf(name, sizeof name, "/%06llu", static_cast<unsigned long long>(number));
    std::string path = dir + name + ".ldb";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && ::stat((dir + name + ".sst").c_str(), &st) == 0) {
      path = dir + name + ".sst";  // the name older LevelDB versions wrote
    }
    out.push_back({path, std::strtoull(line.c_str() + colon + 1, nullptr, 10)});
  }
  return out;
}

// Reads one table file on its own, verifying every block: which file a checksum error is in.
Status CheckTableFile(const LiveTable& t) {
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::RandomAccessFile* raw_file = nullptr;
  leveldb::Status s = env->NewRandomAccessFile(t.path, &raw_file);
  if (!s.ok()) return CorruptStore(t.path + ": " + s.ToString());
  std::unique_ptr<leveldb::RandomAccessFile> file(raw_file);
  leveldb::Options options;
  options.paranoid_checks = true;
  leveldb::Table* raw_table = nullptr;
  s = leveldb::Table::Open(options, file.get(), t.size, &raw_table);
  if (!s.ok()) return CorruptStore(t.path + ": " + s.ToString());
  std::unique_ptr<leveldb::Table> table(raw_table);
  std::unique_ptr<leveldb::Iterator> it(table->NewIterator(Checked()));
  for (it->SeekToFirst(); it->Valid() && it->status().ok(); it->Next()) {
  }
  if (!it->status().ok()) return CorruptStore(t.path + ": " + it->status().ToString());
  return Status::Ok();
}

// The file exists and has the size the manifest recorded when LevelDB wrote it.
Status CheckTableSize(const LiveTable& t) {
  struct stat st {};
  if (::stat(t.path.c_str(), &st) != 0) {
    return CorruptStore("table file " + t.path + " is missing (the manifest lists it)");
  }
  if (static_cast<uint64_t>(st.st_size) != t.size) {
    return CorruptStore("table file " + t.path + " has " + std::to_string(st.st_size) +
                        " bytes but was written with " + std::to_string(t.size) +
                        " (truncated or overwritten)");
  }
  return Status::Ok();
}

Status VerifyTableFilesOf(leveldb::DB* db, const std::string& dir) {
  auto tables = LiveTables(db, dir);
  if (!tables.ok()) return tables.status();
  for (const LiveTable& t : *tables) {
    GOVLEDGER_RETURN_IF_ERROR(CheckTableSize(t));
  }
  return Status::Ok();
}

Status VerifyAllChecksumsOf(leveldb::DB* db, const std::string& dir, bool block_store) {
  leveldb::ReadOptions o = Checked();
  o.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(o));
  std::string last;
  // LevelDB's iterator steps over a block it cannot read and only remembers the error, so the
  // status is checked at every step to name the last key before the damage.
  for (it->SeekToFirst(); it->Valid() && it->status().ok(); it->Next()) {
    last = it->key().ToString();
  }
  if (it->status().ok()) return Status::Ok();
  std::string where;
  if (auto tables = LiveTables(db, dir); tables.ok()) {
    for (const LiveTable& t : *tables) {
      if (Status st = CheckTableFile(t); !st.ok()) {
        where = " (in " + st.message() + ")";
        break;
      }
    }
  }
  return CorruptStore("checksum verification of " + dir + " failed after " +
                      DescribeKey(last, block_store) + ": " + it->status().ToString() + where);
}

// Opens one of the store's two databases with LevelDB alone and checks each of its table files.
Status DiagnoseDb(const std::string& dir) {
  leveldb::Options options;
  options.paranoid_checks = true;
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
  if (!s.ok()) return CorruptStore(s.ToString());
  std::unique_ptr<leveldb::DB> db(raw);
  auto tables = LiveTables(db.get(), dir);
  if (!tables.ok()) return tables.status();
  for (const LiveTable& t : *tables) {
    GOVLEDGER_RETURN_IF_ERROR(CheckTableSize(t));
    GOVLEDGER_RETURN_IF_ERROR(CheckTableFile(t));
  }
  return Status::Ok();
}

}  // namespace

Status Store::VerifyTableFiles() const {
  GOVLEDGER_RETURN_IF_ERROR(VerifyTableFilesOf(impl_->db.get(), data_dir()));
  return VerifyTableFilesOf(impl_->blocks.get(), BlockStoreDir(data_dir()));
}

Status Store::VerifyAllChecksums() const {
  GOVLEDGER_RETURN_IF_ERROR(VerifyAllChecksumsOf(impl_->db.get(), data_dir(), false));
  return VerifyAllChecksumsOf(impl_->blocks.get(), BlockStoreDir(data_dir()), true);
}

Status DiagnoseStoreDir(const std::string& dir) {
  GOVLEDGER_RETURN_IF_ERROR(DiagnoseDb(dir));
  // A store written before the block store existed has none yet.
  struct stat st {};
  const std::string blocks = BlockStoreDir(dir);
  if (::stat(blocks.c_str(), &st) != 0) return Status::Ok();
  return DiagnoseDb(blocks);
}

Status CheckTip(const Store& store, const Genesis& genesis, uint64_t count) {
  const uint64_t tip = store.height();
  if (tip == 0 || count == 0) return Status::Ok();
  const uint64_t first = tip > count ? tip - count + 1 : 1;
  const auto changes = GetValidatorChanges(store);
  auto fail = [](uint64_t h, const std::string& what) {
    return CorruptStore("block " + std::to_string(h) + ": " + what);
  };
  Bytes prev_hash;
  Bytes tip_state_root;
  if (first == 1) {
    prev_hash = crypto::DigestBytes(store.genesis_hash());
  } else {
    auto before = store.GetBlockBytes(first - 1);
    if (!before.ok()) return fail(first - 1, before.status().ToString());
    auto decoded = DecodeBlock(*before);
    if (!decoded.ok()) return fail(first - 1, decoded.status().ToString());
    prev_hash = crypto::DigestBytes(crypto::Hash(genesis.suite, decoded->header_bytes));
  }
  for (uint64_t h = first; h <= tip; ++h) {
    auto raw = store.GetBlockBytes(h);
    if (!raw.ok()) return fail(h, raw.status().ToString());
    auto block = DecodeBlock(*raw);
    if (!block.ok()) return fail(h, "does not decode: " + block.status().ToString());
    if (block->header.height != h) {
      return fail(h, "its header says height " + std::to_string(block->header.height));
    }
    if (block->header.prev_hash != prev_hash) {
      return fail(h, "does not link to the block before it (prev_hash " +
                         HexEncode(block->header.prev_hash) + ", expected " +
                         HexEncode(prev_hash) + ")");
    }
    const crypto::Digest hash = crypto::Hash(genesis.suite, block->header_bytes);
    std::optional<uint64_t> indexed = store.FindBlock(hash);
    if (!indexed || *indexed != h) {
      return fail(h, "its hash " + crypto::DigestHex(hash) + " is not indexed at this height");
    }
    auto cert = store.GetCommit(h);
    if (!cert.ok()) return fail(h, "certificate: " + cert.status().ToString());
    Status st = VerifyCommit(genesis.suite, genesis.chain_id,
                             ValidatorsAt(genesis.validators, changes, h), *cert, h,
                             crypto::DigestBytes(hash));
    if (!st.ok()) return fail(h, "certificate does not verify: " + st.ToString());
    prev_hash = crypto::DigestBytes(hash);
    tip_state_root = block->header.state_root;
  }
  if (prev_hash != crypto::DigestBytes(store.tip_hash())) {
    return fail(tip, "the stored tip hash " + crypto::DigestHex(store.tip_hash()) +
                         " is not the hash of the last block");
  }
  // The state tree as stored (its top rebuilt on open) must hash to the tip's state_root.
  // (Hand-built test chains leave state_root empty; the chain audit flags them.)
  if (!tip_state_root.empty()) {
    auto root = store.state_nodes().GetNode(crypto::SmtPos{});
    if (!root.ok()) return fail(tip, "state tree: " + root.status().ToString());
    const Digest stored = *root ? crypto::SmtNodeHash(genesis.suite, **root) : crypto::kSmtEmpty;
    if (crypto::DigestBytes(stored) != tip_state_root) {
      return fail(tip, "the stored state tree hashes to " + crypto::DigestHex(stored) +
                           ", not to the block's state_root (run `govledger audit chain` on this "
                           "data directory)");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenCheckedStore(const std::string& dir, const Genesis& genesis,
                                                const StartupCheckOptions& opts) {
  auto store = Store::Open(dir, genesis);
  if (!store.ok()) {
    if (store.status().code() != "corrupt_store") return store.status();
    std::string detail = store.status().message();
    if (Status named = DiagnoseStoreDir(dir); !named.ok()) detail += "; " + named.message();
    return CorruptStore(detail);
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckStoreOnStart(**store, genesis, opts));
  return store;
}

Status CheckStoreOnStart(const Store& store, const Genesis& genesis,
                         const StartupCheckOptions& opts) {
  GOVLEDGER_RETURN_IF_ERROR(store.VerifyTableFiles());
  if (opts.full_scan) GOVLEDGER_RETURN_IF_ERROR(store.VerifyAllChecksums());
  return CheckTip(store, genesis, opts.tip_blocks);
}

}  // namespace govledger::ledger

// The Store's whole-table scans (ledger/store.h), for the chain audit and offline tools: the
// transaction index, the state entries, the state tree, table sizes (the rows by height are read
// in ledger/store_blocks.cc).
#include <leveldb/db.h>
#include <leveldb/iterator.h>

#include <cstring>
#include <map>
#include <memory>

#include "ledger/store.h"
#include "ledger/store_internal.h"
#include "ledger/store_state_tree.h"

namespace govledger::ledger {

using namespace store_internal;  // the key layout (ledger/store_internal.h)

Status Store::ForEachTxLocation(
    const std::function<void(const Digest& tx_hash, const TxLocation& loc)>& fn) const {
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(ro));
  const char prefix = kTxLoc;
  for (it->Seek(leveldb::Slice(&prefix, 1)); it->Valid() && it->key()[0] == kTxLoc; it->Next()) {
    const leveldb::Slice k = it->key();
    if (k.size() != 1 + crypto::kDigestSize) continue;
    const leveldb::Slice v = it->value();
    auto loc = DecodeTxLocation(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    if (!loc.ok()) continue;
    Digest hash;
    std::memcpy(hash.data(), k.data() + 1, crypto::kDigestSize);
    fn(hash, *loc);
  }
  if (!it->status().ok()) return CorruptStore("scanning the tx index: " + it->status().ToString());
  return Status::Ok();
}

void Store::ForEachStateEntry(
    const std::function<void(const std::string& key, const std::string& value)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(Checked()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.empty()) continue;
    const char t = k[0];
    const bool state = t == kState || t == kMaterialEvent || t == kDigestIndex ||
                       t == kHolderIndex || t == kIssuerIndex || t == kTypeIndex ||
                       t == kExpiryIndex || t == kTxLoc || IsRecordTable(t);
    if (state) fn(k.ToString(), it->value().ToString());
  }
}

Status Store::ForEachStateMapEntry(
    const std::function<void(std::string_view key, std::string_view value)>& fn) const {
  std::string tables;  // in LevelDB's (unsigned byte) order, so keys come in order throughout
  for (int c = 0; c < 256; ++c) {
    if (InStateMap(static_cast<char>(c))) tables.push_back(static_cast<char>(c));
  }
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(ro));
  for (char t : tables) {
    for (it->Seek(leveldb::Slice(&t, 1)); it->Valid() && it->key()[0] == t; it->Next()) {
      fn(std::string_view(it->key().data(), it->key().size()),
         std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) {
      return CorruptStore(std::string("scanning state table '") + t +
                          "': " + it->status().ToString());
    }
  }
  return Status::Ok();
}

Status Store::ForEachStateNode(
    const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const {
  return impl_->state_tree.ForEachNode(fn);
}

std::map<char, Store::TableUsage> Store::TableSizes() const {
  std::map<char, TableUsage> out;
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    TableUsage& u = out[k.empty() ? '\0' : k[0]];
    ++u.rows;
    u.key_bytes += k.size();
    u.value_bytes += it->value().size();
  }
  for (auto& [table, usage] : out) {
    const std::string begin(1, table);
    const std::string end(1, static_cast<char>(table + 1));
    leveldb::Range r(begin, end);
    uint64_t size = 0;
    impl_->db->GetApproximateSizes(&r, 1, &size);
    usage.disk_bytes = size;
  }
  // The block store's rows are interleaved by height: its size on disk is shared out among its
  // tables in proportion to their bytes.
  std::map<char, TableUsage> blocks;
  uint64_t block_bytes = 0;
  std::unique_ptr<leveldb::Iterator> bit(impl_->blocks->NewIterator(ro));
  for (bit->SeekToFirst(); bit->Valid(); bit->Next()) {
    leveldb::Slice k = bit->key();
    TableUsage& u = blocks[k.empty() ? '\0' : k[k.size() - 1]];
    ++u.rows;
    u.key_bytes += k.size();
    u.value_bytes += bit->value().size();
    block_bytes += k.size() + bit->value().size();
  }
  const std::string all_begin;
  const std::string all_end(9, '\xff');
  leveldb::Range all(all_begin, all_end);
  uint64_t block_disk = 0;
  impl_->blocks->GetApproximateSizes(&all, 1, &block_disk);
  for (auto& [table, usage] : blocks) {
    TableUsage& u = out[table];
    u.rows += usage.rows;
    u.key_bytes += usage.key_bytes;
    u.value_bytes += usage.value_bytes;
    if (block_bytes > 0) {
      u.disk_bytes +=
          static_cast<uint64_t>(static_cast<double>(block_disk) *
                                static_cast<double>(usage.key_bytes + usage.value_bytes) /
                                static_cast<double>(block_bytes));
    }
  }
  return out;
}

}  // namespace govledger::ledger

// The Store's whole-table scans (ledger/store.h), for the chain audit and offline tools: the
// transaction index, the state entries, the state tree, one table's rows by height, table sizes.
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

Status Store::ScanHeights(char table, uint64_t from, uint64_t count,
                          std::vector<std::optional<Bytes>>* out,
                          std::vector<std::string>* errors) const {
  if (table != kBlock && table != kCommit && table != kBlockEvents &&
      table != LevelStateTree::kJournalTable) {
    return Status::Error("invalid_argument", std::string("table '") + table +
                                                 "' is not keyed by height");
  }
  out->assign(count, std::nullopt);
  errors->assign(count, std::string());
  if (count == 0) return Status::Ok();
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;  // a scan of the whole chain would only evict the node's hot entries
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(ro));
  for (it->Seek(U64Key(table, from)); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() != 9 || k[0] != table) break;
    const uint64_t h = ReadU64BE(reinterpret_cast<const uint8_t*>(k.data()) + 1);
    if (h >= from + count) break;
    leveldb::Slice v = it->value();
    (*out)[h - from] = Bytes(reinterpret_cast<const uint8_t*>(v.data()),
                             reinterpret_cast<const uint8_t*>(v.data()) + v.size());
  }
  if (!it->status().ok()) {
    // LevelDB skips a damaged block and reports it at the end: read what is missing one by one.
    for (uint64_t i = 0; i < count; ++i) {
      if ((*out)[i]) continue;
      auto raw = impl_->Get(U64Key(table, from + i),
                            std::string(1, table) + " row of height " + std::to_string(from + i));
      if (raw.ok()) {
        (*out)[i] = ToBytesS(*raw);
      } else if (raw.status().code() != "not_found") {
        (*errors)[i] = raw.status().ToString();
      }
    }
  }
  return Status::Ok();
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
  return out;
}

}  // namespace govledger::ledger

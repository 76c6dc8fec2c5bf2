#include "ledger/store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <mutex>
#include <utility>

#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/store_internal.h"
#include "ledger/store_state_tree.h"
#include "util/file.h"

namespace govledger::ledger {

using namespace store_internal;  // the key layout (ledger/store_internal.h)

// ------------------------------------------------------------------ Store::Impl

Result<std::string> Store::Impl::Get(const std::string& key, const std::string& what) const {
  std::string value;
  leveldb::Status s = db->Get(Checked(), key, &value);
  if (s.IsNotFound()) return Status::Error("not_found", what + " not found");
  if (!s.ok()) return CorruptStore("reading " + what + ": " + s.ToString());
  return value;
}

Store::Impl::Pinned Store::Impl::PinTip() const {
  std::lock_guard<std::mutex> lock(commit_mu);
  return {std::make_unique<SnapshotGuard>(db.get(), db->GetSnapshot()), state_tree.top()};
}

Status Store::Impl::LoadTip() {
  auto read_u64 = [this](std::string_view name) -> Result<uint64_t> {
    auto raw = Get(Key(kMeta, name), "metadata " + std::string(name));
    if (!raw.ok()) return CorruptStore(raw.status().message());
    if (raw->size() != 8) {
      return CorruptStore("metadata " + std::string(name) + " has a bad size");
    }
    return ReadU64BE(reinterpret_cast<const uint8_t*>(raw->data()));
  };
  auto h = read_u64(kMetaHeight);
  if (!h.ok()) return h.status();
  auto size = read_u64(kMetaLogSize);
  if (!size.ok()) return size.status();
  auto time = read_u64(kMetaTipTime);
  if (!time.ok()) return time.status();
  auto tip_raw = Get(Key(kMeta, kMetaTipHash), "metadata tip_hash");
  if (!tip_raw.ok()) return CorruptStore(tip_raw.status().message());
  auto tip = crypto::DigestFromBytes(ToBytesS(*tip_raw));
  if (!tip.ok()) return CorruptStore("metadata tip_hash has a bad size");
  height = *h;
  log_size = *size;
  tip_time_ms = static_cast<int64_t>(*time);
  tip_hash = *tip;
  return Status::Ok();
}

Status Store::Impl::LoadRegistry() {
  const std::string prefix(1, static_cast<char>(Table::kRegistry));
  auto rows = std::make_shared<RecordMap>();
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(Checked()));
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    const leveldb::Slice k = it->key();
    const leveldb::Slice v = it->value();
    rows->emplace(std::string(k.data() + 1, k.size() - 1),
                  Bytes(reinterpret_cast<const uint8_t*>(v.data()),
                        reinterpret_cast<const uint8_t*>(v.data()) + v.size()));
  }
  if (!it->status().ok()) return CorruptStore("reading the registry: " + it->status().ToString());
  std::lock_guard<std::mutex> lock(registry_mu);
  registry = std::move(rows);
  return Status::Ok();
}

std::optional<LatestRows::Row> LatestRows::Find(const std::string& key,
                                                uint64_t* generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rows_.find(key);
  if (it != rows_.end()) return it->second;
  *generation = generation_;
  return std::nullopt;
}

void LatestRows::Keep(const std::string& key, const Row& row, uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_) return;  // a commit came between the read and now
  const size_t cost = Cost(key, row);
  if (rows_.size() >= max_rows_ || bytes_ + cost > max_bytes_) {
    rows_.clear();
    bytes_ = 0;
  }
  if (rows_.emplace(key, row).second) bytes_ += cost;
}

void LatestRows::Forget(const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  for (const std::string& key : keys) {
    auto it = rows_.find(key);
    if (it == rows_.end()) continue;
    bytes_ -= Cost(it->first, it->second);
    rows_.erase(it);
  }
}

size_t LatestRows::rows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_.size();
}

size_t LatestRows::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

Result<std::optional<std::string>> Store::Impl::GetLatest(const std::string& key) const {
  if (FilterSaysAbsent(key)) return std::optional<std::string>();
  uint64_t generation = 0;
  if (std::optional<LatestRows::Row> kept = latest.Find(key, &generation)) return *kept;
  std::string value;
  leveldb::Status s = db->Get(Checked(), key, &value);
  if (!s.ok() && !s.IsNotFound()) return CorruptStore(s.ToString());
  LatestRows::Row row;
  if (s.ok()) row = std::move(value);
  latest.Keep(key, row, generation);
  return row;
}

Result<std::optional<Material>> Store::Impl::ReadMaterial(std::string_view id) const {
  auto raw = GetLatest(Key(kState, id));
  if (!raw.ok())
    return CorruptStore("reading material " + std::string(id) + ": " + raw.status().message());
  if (!*raw) return std::optional<Material>();
  auto m = DecodeMaterial(ToBytesS(**raw));
  if (!m.ok()) return CorruptStore("material " + std::string(id) + ": " + m.status().message());
  return std::optional<Material>(std::move(m).value());
}

std::vector<std::string> Store::Impl::ScanIds(const std::string& prefix, const ListQuery& q) const {
  std::vector<std::string> out;
  if (q.limit == 0) return out;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(Checked()));
  const std::string start = prefix + q.after;
  it->Seek(start);
  if (!q.after.empty() && it->Valid() && it->key() == leveldb::Slice(start)) it->Next();
  for (; it->Valid() && out.size() < q.limit; it->Next()) {
    leveldb::Slice k = it->key();
    if (!StartsWith(k, prefix)) break;
    out.emplace_back(k.data() + prefix.size(), k.size() - prefix.size());
  }
  return out;
}

std::vector<std::string> Store::Impl::ScanExpiry(const std::string& start, bool skip_start,
                                                 int64_t to_ms, size_t limit) const {
  std::vector<std::string> out;
  if (limit == 0 || to_ms <= 0) return out;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(Checked()));
  it->Seek(start);
  if (skip_start && it->Valid() && it->key() == leveldb::Slice(start)) it->Next();
  for (; it->Valid() && out.size() < limit; it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() < 9 || k[0] != kExpiryIndex) break;
    uint64_t until = ReadU64BE(reinterpret_cast<const uint8_t*>(k.data() + 1));
    if (until > static_cast<uint64_t>(to_ms)) break;
    out.emplace_back(k.data() + 9, k.size() - 9);
  }
  return out;
}

// ------------------------------------------------------------------ Store


Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Genesis& genesis) {
  GOVLEDGER_RETURN_IF_ERROR(EnsureDir(dir));
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->suite = genesis.suite;
  impl->genesis_hash = GenesisHash(genesis);
  impl->genesis_time_ms = genesis.genesis_time_ms;
  impl->filter.reset(leveldb::NewBloomFilterPolicy(10));
  impl->cache.reset(leveldb::NewLRUCache(64u << 20));

  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.filter_policy = impl->filter.get();
  options.block_cache = impl->cache.get();
  options.write_buffer_size = 16u << 20;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &db);
  if (!s.ok()) {
    // LevelDB reports its LOCK file (held by another process, or by another Store in this one)
    // as an I/O error on "lock <dir>/LOCK".
    if (s.IsIOError() && s.ToString().find("lock ") != std::string::npos) {
      return Status::Error("store_locked",
                           "data directory " + dir + " is in use by another process");
    }
    return CorruptStore("cannot open " + dir + ": " + s.ToString());
  }
  auto counting = std::make_unique<CountingDB>(std::unique_ptr<leveldb::DB>(db));
  impl->counting = counting.get();
  impl->db = std::move(counting);
  db = impl->db.get();
  impl->nodes.set_db(db);
  impl->state_tree.set_db(db);

  auto genesis_raw = impl->Get(Key(kMeta, kMetaGenesis), "genesis hash");
  if (!genesis_raw.ok() && genesis_raw.status().code() != "not_found") return genesis_raw.status();
  if (!genesis_raw.ok()) {
    // A new store, unless the directory holds some other LevelDB database.
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(Checked()));
    it->SeekToFirst();
    if (it->Valid()) return CorruptStore(dir + " holds data that is not a govledger store");
    leveldb::WriteBatch batch;
    batch.Put(Key(kMeta, kMetaGenesis),
              std::string(impl->genesis_hash.begin(), impl->genesis_hash.end()));
    batch.Put(Key(kMeta, kMetaHeight), U64String(0));
    batch.Put(Key(kMeta, kMetaTipHash),
              std::string(impl->genesis_hash.begin(), impl->genesis_hash.end()));
    batch.Put(Key(kMeta, kMetaLogSize), U64String(0));
    batch.Put(Key(kMeta, kMetaTipTime), U64String(static_cast<uint64_t>(genesis.genesis_time_ms)));
    batch.Put(Key(kMeta, kMetaStateTree), std::string(kStateTreeVersion));
    batch.Put(Key(kMeta, kMetaBlockStore), std::string(kBlockStoreVersion));
    leveldb::WriteOptions wo;
    wo.sync = true;
    s = db->Write(wo, &batch);
    if (!s.ok())
      return Status::Error("store_write_failed", "initialising " + dir + ": " + s.ToString());
    genesis_raw = std::string(impl->genesis_hash.begin(), impl->genesis_hash.end());
  }
  if (ToBytesS(*genesis_raw) != crypto::DigestBytes(impl->genesis_hash)) {
    return Status::Error("genesis_mismatch", "data directory " + dir +
                                                 " belongs to the chain with genesis " +
                                                 HexEncode(ToBytesS(*genesis_raw)) + ", not " +
                                                 crypto::DigestHex(impl->genesis_hash));
  }

  GOVLEDGER_RETURN_IF_ERROR(impl->LoadTip());
  GOVLEDGER_RETURN_IF_ERROR(impl->LoadRegistry());
  auto tree_version = impl->Get(Key(kMeta, kMetaStateTree), "metadata state_tree");
  if (!tree_version.ok() && tree_version.status().code() != "not_found") {
    return tree_version.status();
  }
  if (!tree_version.ok() && impl->height > 0) {
    return Status::Error("store_outdated",
                         "data directory " + dir +
                             " was written by a version without the state root; move it away "
                             "and let the node sync again from its peers");
  }
  if (!tree_version.ok()) {
    // An empty store of that older version: nothing to migrate.
    leveldb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, Key(kMeta, kMetaStateTree), std::string(kStateTreeVersion));
    if (!s.ok()) {
      return Status::Error("store_write_failed", "initialising " + dir + ": " + s.ToString());
    }
  } else if (*tree_version != kStateTreeVersion && *tree_version != kStateTreeV2 &&
             *tree_version != kStateTreeV1) {
    return CorruptStore("unknown state tree layout \"" + *tree_version + "\"");
  }
  const bool migrate =
      tree_version.ok() && (*tree_version == kStateTreeV1 || *tree_version == kStateTreeV2);
  // Rebuilds the tree's top levels; whether they hash to the tip's state_root is a startup check
  // (ledger/store_check.h) and the chain audit's, so that a damaged store still opens for them.
  const Status loaded = impl->state_tree.Load(impl->suite, migrate);
  if (!loaded.ok() && loaded.code() != "corrupt_store") return loaded;
  if (migrate && loaded.ok()) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, Key(kMeta, kMetaStateTree), std::string(kStateTreeVersion));
    if (!s.ok()) {
      return Status::Error("store_write_failed", "migrating " + dir + ": " + s.ToString());
    }
  }
  GOVLEDGER_RETURN_IF_ERROR(impl->OpenBlocks(options));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

crypto::Suite Store::suite() const { return impl_->suite; }

std::vector<std::pair<char, uint64_t>> Store::point_reads() const {
  return impl_->counting ? impl_->counting->reads() : std::vector<std::pair<char, uint64_t>>();
}
const std::string& Store::data_dir() const { return impl_->dir; }
const Digest& Store::genesis_hash() const { return impl_->genesis_hash; }
uint64_t Store::height() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->height;
}
Digest Store::tip_hash() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->tip_hash;
}
uint64_t Store::log_size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log_size;
}
int64_t Store::tip_time_ms() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->tip_time_ms;
}

Result<Bytes> Store::GetBlockBytes(uint64_t height) const {
  auto raw = impl_->GetAt(kBlock, height, this->height(), "block " + std::to_string(height));
  if (!raw.ok()) return raw.status();
  return ToBytesS(*raw);
}

Result<Block> Store::GetBlock(uint64_t height) const {
  auto raw = GetBlockBytes(height);
  if (!raw.ok()) return raw.status();
  auto block = DecodeBlock(*raw);
  if (!block.ok()) {
    return CorruptStore("block " + std::to_string(height) + ": " + block.status().message());
  }
  return block;
}

Result<Commit> Store::GetCommit(uint64_t height) const {
  auto raw = impl_->GetAt(kCommit, height, this->height(),
                          "certificate of block " + std::to_string(height));
  if (!raw.ok()) return raw.status();
  auto commit = DecodeCommit(ToBytesS(*raw));
  if (!commit.ok()) {
    return CorruptStore("certificate of block " + std::to_string(height) + ": " +
                        commit.status().message());
  }
  return commit;
}

std::optional<uint64_t> Store::FindBlock(const Digest& block_hash) const {
  auto raw = impl_->Get(Key(kBlockHash, block_hash), "block hash");
  if (!raw.ok() || raw->size() != 8) return std::nullopt;
  return ReadU64BE(reinterpret_cast<const uint8_t*>(raw->data()));
}

std::optional<TxLocation> Store::FindTx(const Digest& tx_hash) const {
  auto raw = impl_->GetLatest(Key(kTxLoc, tx_hash));
  if (!raw.ok() || !*raw) return std::nullopt;
  auto loc = DecodeTxLocation(ToBytesS(**raw));
  if (!loc.ok()) return std::nullopt;
  return *loc;
}

Result<Bytes> Store::GetTxBytes(const TxLocation& loc) const {
  auto block = GetBlock(loc.height);
  if (!block.ok()) return block.status();
  if (loc.index >= block->txs.size()) {
    return Status::Error("not_found", "block " + std::to_string(loc.height) + " has no tx " +
                                          std::to_string(loc.index));
  }
  return std::move(block->txs[loc.index]);
}

std::vector<Event> Store::GetEvents(std::string_view material_id) const {
  std::vector<Event> out;
  const std::string prefix = SeparatedPrefix(kMaterialEvent, material_id);
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(Checked()));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (!StartsWith(k, prefix)) break;
    if (k.size() != prefix.size() + 4) continue;  // an id that merely starts with this one
    auto e = DecodeEvent(ToBytesS(it->value().ToString()));
    if (!e.ok()) {
      FatalStateRead("event of material " + std::string(material_id) + ": " + e.status().message());
    }
    out.push_back(std::move(e).value());
  }
  return out;
}

Result<std::vector<Event>> Store::GetBlockEvents(uint64_t height) const {
  auto raw = impl_->GetAt(kBlockEvents, height, this->height(),
                          "events of block " + std::to_string(height));
  if (!raw.ok()) return raw.status();
  auto events = DecodeEvents(ToBytesS(*raw));
  if (!events.ok()) {
    return CorruptStore("events of block " + std::to_string(height) + ": " +
                        events.status().message());
  }
  return events;
}

std::optional<Material> Store::GetMaterial(std::string_view id) const {
  auto m = impl_->ReadMaterial(id);
  if (!m.ok()) FatalStateRead(m.status().ToString());
  return std::move(m).value();
}

bool Store::HasTx(const Digest& tx_hash) const {
  auto raw = impl_->GetLatest(Key(kTxLoc, tx_hash));
  if (!raw.ok()) {
    FatalStateRead("reading transaction " + crypto::DigestHex(tx_hash) + ": " +
                   raw.status().message());
  }
  return raw->has_value();
}

std::vector<std::string> Store::DueForExpiry(int64_t time_ms, size_t limit) const {
  return impl_->ScanExpiry(ExpiryKey(1, ""), false, time_ms, limit);
}

std::optional<Bytes> Store::GetRecord(Table table, std::string_view key) const {
  if (table == Table::kRegistry) {
    const auto registry = impl_->Registry();
    auto it = registry->find(key);
    if (it == registry->end()) return std::nullopt;
    return it->second;
  }
  auto raw = impl_->Get(Key(static_cast<char>(table), key), "record");
  if (raw.ok()) return ToBytesS(*raw);
  if (raw.status().code() != "not_found") FatalStateRead(raw.status().ToString());
  return std::nullopt;
}

std::vector<std::pair<std::string, Bytes>> Store::ScanRecords(Table table, std::string_view prefix,
                                                              std::string_view after,
                                                              size_t limit) const {
  std::vector<std::pair<std::string, Bytes>> out;
  if (limit == 0) return out;
  // From just after `after` when it is at or past the prefix's start, else from that start.
  const bool resume = !after.empty() && after >= prefix;
  const std::string_view from = resume ? after : prefix;
  if (table == Table::kRegistry) {
    const auto registry = impl_->Registry();
    auto it = registry->lower_bound(from);
    if (resume && it != registry->end() && it->first == after) ++it;
    for (; it != registry->end() && out.size() < limit && it->first.starts_with(prefix); ++it) {
      out.emplace_back(it->first, it->second);
    }
    return out;
  }
  const std::string full_prefix = Key(static_cast<char>(table), prefix);
  const std::string start = Key(static_cast<char>(table), from);
  std::unique_ptr<leveldb::Iterator> it(impl_->db->NewIterator(Checked()));
  it->Seek(start);
  if (resume && it->Valid() && it->key() == leveldb::Slice(start)) it->Next();
  for (; it->Valid() && out.size() < limit; it->Next()) {
    leveldb::Slice k = it->key();
    if (!StartsWith(k, full_prefix)) break;
    leveldb::Slice v = it->value();
    out.emplace_back(std::string(k.data() + 1, k.size() - 1),
                     Bytes(reinterpret_cast<const uint8_t*>(v.data()),
                           reinterpret_cast<const uint8_t*>(v.data()) + v.size()));
  }
  if (!it->status().ok()) FatalStateRead("scanning records: " + it->status().ToString());
  return out;
}

std::vector<std::string> Store::MaterialsByDigest(const Bytes& doc_digest,
                                                  const ListQuery& q) const {
  return impl_->ScanIds(Key(kDigestIndex, doc_digest), q);
}

std::vector<std::string> Store::MaterialsByHolder(const Bytes& holder_commitment,
                                                  const ListQuery& q) const {
  return impl_->ScanIds(Key(kHolderIndex, holder_commitment), q);
}

std::vector<std::string> Store::MaterialsByIssuer(std::string_view dept, const ListQuery& q) const {
  return impl_->ScanIds(SeparatedPrefix(kIssuerIndex, dept), q);
}

std::vector<std::string> Store::MaterialsByType(std::string_view type_code,
                                                const ListQuery& q) const {
  return impl_->ScanIds(SeparatedPrefix(kTypeIndex, type_code), q);
}

std::vector<std::string> Store::MaterialsExpiringBetween(int64_t from_ms, int64_t to_ms,
                                                         const ListQuery& q) const {
  std::string start = ExpiryKey(std::max<int64_t>(from_ms, 1), "");
  bool skip_start = false;
  if (!q.after.empty()) {
    // The index is ordered by (expiry, id): resume at the `after` material's own position.
    auto after = impl_->ReadMaterial(q.after);
    if (!after.ok() || !*after) return {};
    std::string resume = ExpiryKey((*after)->valid_until_ms, q.after);
    if ((*after)->valid_until_ms > 0 && resume > start) {
      start = std::move(resume);
      skip_start = true;
    }
  }
  return impl_->ScanExpiry(start, skip_start, to_ms, q.limit);
}

const crypto::NodeStore& Store::log_nodes() const { return impl_->nodes; }

const crypto::SmtNodeStore& Store::state_nodes() const { return impl_->state_tree; }

std::unique_ptr<const crypto::SmtNodeStore> Store::StateNodeReader() const {
  // The commit lock: no commit's LevelDB write between the top and the iterator.
  std::lock_guard<std::mutex> lock(impl_->commit_mu);
  return impl_->state_tree.IteratorReader();
}

std::unique_ptr<const crypto::SmtNodeStore> Store::StateNodeReaderUnderPending() const {
  return impl_->state_tree.IteratorReader();
}

Result<std::vector<crypto::SmtUpdate>> Store::GetStateChanges(uint64_t height) const {
  auto raw = impl_->GetAt(LevelStateTree::kJournalTable, height, this->height(),
                          "state changes of block " + std::to_string(height));
  if (!raw.ok()) return raw.status();
  return DecodeStateChanges(ToBytesS(*raw));
}

Result<StateProof> Store::ProveMaterial(std::string_view material_id) const {
  const crypto::Suite suite = impl_->suite;
  std::optional<Material> material;
  Impl::Pinned tip = impl_->PinTip();
  auto proof = LevelStateTree::Prove(
      impl_->db.get(), tip.snapshot->get(), tip.top, suite, MaterialStateKey(suite, material_id),
      Key(kMeta, kMetaHeight),
      [&](const leveldb::ReadOptions& o) -> Result<std::optional<Digest>> {
        std::string raw;
        leveldb::Status s = impl_->db->Get(o, Key(kState, material_id), &raw);
        if (s.IsNotFound()) return std::optional<Digest>();
        if (!s.ok()) return CorruptStore("reading material " + std::string(material_id));
        auto m = DecodeMaterial(ToBytesS(raw));
        if (!m.ok()) return CorruptStore("material " + std::string(material_id) + ": " +
                                         m.status().message());
        material = std::move(m).value();
        return std::optional<Digest>(MaterialStateValue(suite, *material));
      });
  if (!proof.ok()) return proof.status();
  proof->material = std::move(material);
  return proof;
}

Result<StateProof> Store::ProveRecord(Table table, std::string_view key) const {
  const crypto::Suite suite = impl_->suite;
  const char t = static_cast<char>(table);
  std::optional<Bytes> record;
  Impl::Pinned tip = impl_->PinTip();
  auto proof = LevelStateTree::Prove(impl_->db.get(), tip.snapshot->get(), tip.top, suite,
                                     StateKey(suite, t, key), Key(kMeta, kMetaHeight),
      [&](const leveldb::ReadOptions& o) -> Result<std::optional<Digest>> {
        std::string raw;
        leveldb::Status s = impl_->db->Get(o, Key(t, key), &raw);
        if (s.IsNotFound()) return std::optional<Digest>();
        if (!s.ok()) return CorruptStore("reading a record");
        record = ToBytesS(raw);
        return std::optional<Digest>(RecordStateValue(suite, *record));
      });
  if (!proof.ok()) return proof.status();
  proof->record = std::move(record);
  return proof;
}

// ------------------------------------------------------------------ bulk reads

// ------------------------------------------------------------------ Snapshot

namespace {

// A leveldb::DB that reads the base database under one snapshot and refuses writes, so that a
// Store built over it (Store::Snapshot) reads one consistent tip through its ordinary code paths.
class SnapshotDB : public leveldb::DB {
 public:
  explicit SnapshotDB(leveldb::DB* base) : base_(base), snapshot_(base->GetSnapshot()) {}
  ~SnapshotDB() override { base_->ReleaseSnapshot(snapshot_); }

  leveldb::Status Put(const leveldb::WriteOptions&, const leveldb::Slice&,
                      const leveldb::Slice&) override {
    return ReadOnly();
  }
  leveldb::Status Delete(const leveldb::WriteOptions&, const leveldb::Slice&) override {
    return ReadOnly();
  }
  leveldb::Status Write(const leveldb::WriteOptions&, leveldb::WriteBatch*) override {
    return ReadOnly();
  }
  leveldb::Status Get(const leveldb::ReadOptions& options, const leveldb::Slice& key,
                      std::string* value) override {
    return base_->Get(Pinned(options), key, value);
  }
  leveldb::Iterator* NewIterator(const leveldb::ReadOptions& options) override {
    return base_->NewIterator(Pinned(options));
  }
  // A reader asking for "a snapshot" (the state proofs do) gets this view's own one.
  const leveldb::Snapshot* GetSnapshot() override { return snapshot_; }
  void ReleaseSnapshot(const leveldb::Snapshot*) override {}
  bool GetProperty(const leveldb::Slice& property, std::string* value) override {
    return base_->GetProperty(property, value);
  }
  void GetApproximateSizes(const leveldb::Range* range, int n, uint64_t* sizes) override {
    base_->GetApproximateSizes(range, n, sizes);
  }
  void CompactRange(const leveldb::Slice*, const leveldb::Slice*) override {}

 private:
  static leveldb::Status ReadOnly() {
    return leveldb::Status::NotSupported("read_only", "a store snapshot cannot be written");
  }
  leveldb::ReadOptions Pinned(leveldb::ReadOptions o) const {
    o.snapshot = snapshot_;
    return o;
  }

  leveldb::DB* base_;
  const leveldb::Snapshot* snapshot_;
};

}  // namespace

Result<std::shared_ptr<const Store>> Store::Snapshot() const {
  auto impl = std::make_unique<Impl>();
  impl->dir = impl_->dir;
  impl->suite = impl_->suite;
  impl->genesis_hash = impl_->genesis_hash;
  impl->genesis_time_ms = impl_->genesis_time_ms;
  {
    // The LevelDB snapshot and the state tree's top of one tip.
    std::lock_guard<std::mutex> lock(impl_->commit_mu);
    impl->db = std::make_unique<SnapshotDB>(impl_->db.get());
    impl->blocks = std::make_unique<SnapshotDB>(impl_->blocks.get());
    impl->state_tree.set_top(impl_->state_tree.top());
    impl->registry = impl_->Registry();
  }
  impl->nodes.set_db(impl->db.get());
  impl->state_tree.set_db(impl->db.get());
  GOVLEDGER_RETURN_IF_ERROR(impl->LoadTip());
  return std::shared_ptr<const Store>(new Store(std::move(impl)));
}

// ------------------------------------------------------------------ PendingLogNodes

std::optional<Digest> PendingLogNodes::GetNode(uint32_t level, uint64_t index) const {
  auto it = writes_.find({level, index});
  if (it != writes_.end()) return it->second;
  return base_->GetNode(level, index);
}

void PendingLogNodes::PutNode(uint32_t level, uint64_t index, const Digest& hash) {
  writes_[{level, index}] = hash;
}

std::vector<std::tuple<uint32_t, uint64_t, Digest>> PendingLogNodes::TakeWrites() {
  std::vector<std::tuple<uint32_t, uint64_t, Digest>> out;
  out.reserve(writes_.size());
  for (const auto& [pos, hash] : writes_) out.emplace_back(pos.first, pos.second, hash);
  writes_.clear();
  return out;
}

}  // namespace govledger::ledger

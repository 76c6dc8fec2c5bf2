#include "ledger/store_state_tree.h"

#include <leveldb/iterator.h>

#include <cstring>

namespace govledger::ledger {

namespace {

leveldb::ReadOptions Checked(const leveldb::Snapshot* snapshot) {
  leveldb::ReadOptions o;
  o.verify_checksums = true;
  o.snapshot = snapshot;
  return o;
}

Status CorruptStore(const std::string& what) { return Status::Error("corrupt_store", what); }

std::string NodeKey(const crypto::SmtPos& pos) {
  std::string k(1, LevelStateTree::kNodeTable);
  const Bytes rest = crypto::SmtPosKey(pos);
  k.append(rest.begin(), rest.end());
  return k;
}

std::string JournalKey(uint64_t height) {
  std::string k(1, LevelStateTree::kJournalTable);
  AppendU64BE(k, height);
  return k;
}

leveldb::Slice AsSlice(const Bytes& b) {
  return leveldb::Slice(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace

Result<std::optional<crypto::SmtNode>> LevelStateTree::Read(const crypto::SmtPos& pos) const {
  std::string value;
  leveldb::Status s = db_->Get(Checked(snapshot_), NodeKey(pos), &value);
  if (s.IsNotFound()) return std::optional<crypto::SmtNode>();
  if (!s.ok()) return CorruptStore("reading a state tree node: " + s.ToString());
  auto node = crypto::DecodeSmtNode(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  if (!node.ok()) return node.status();
  return std::optional<crypto::SmtNode>(*node);
}

Result<std::optional<crypto::SmtNode>> LevelStateTree::GetNode(const crypto::SmtPos& pos) const {
  const bool cacheable = cached_ && pos.depth <= kCachedDepth;
  uint64_t generation = 0;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(pos);
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  auto node = Read(pos);
  if (cacheable && node.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    // A commit between the read and now may have changed the node: then leave it uncached.
    if (generation == generation_) cache_.emplace(pos, *node);
  }
  return node;
}

void LevelStateTree::PutNode(const crypto::SmtPos&, const crypto::SmtNode&) {
  GOVLEDGER_CHECK(false && "the committed state tree is read-only; use PendingStateNodes");
}

void LevelStateTree::DeleteNode(const crypto::SmtPos&) {
  GOVLEDGER_CHECK(false && "the committed state tree is read-only; use PendingStateNodes");
}

void LevelStateTree::Write(leveldb::WriteBatch& batch, uint64_t height,
                           const StateUpdate& update) const {
  for (const auto& [pos, node] : update.nodes) {
    if (node) {
      batch.Put(NodeKey(pos), AsSlice(crypto::EncodeSmtNode(*node)));
    } else {
      batch.Delete(NodeKey(pos));
    }
  }
  batch.Put(JournalKey(height), AsSlice(EncodeStateChanges(update.changes)));
}

void LevelStateTree::Committed(const StateUpdate& update) {
  if (!cached_) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  for (const auto& [pos, node] : update.nodes) {
    if (pos.depth <= kCachedDepth) cache_[pos] = node;
  }
}

Result<std::vector<crypto::SmtUpdate>> LevelStateTree::Changes(uint64_t height) const {
  std::string value;
  leveldb::Status s = db_->Get(Checked(snapshot_), JournalKey(height), &value);
  if (s.IsNotFound()) {
    return Status::Error("not_found",
                         "state changes of block " + std::to_string(height) + " not found");
  }
  if (!s.ok()) return CorruptStore("reading state changes: " + s.ToString());
  return DecodeStateChanges(Bytes(value.begin(), value.end()));
}

Status LevelStateTree::ForEachNode(
    const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Checked(snapshot_)));
  const std::string prefix(1, kNodeTable);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() < 1 || k[0] != kNodeTable) break;
    auto pos = crypto::SmtPosFromKey(reinterpret_cast<const uint8_t*>(k.data()) + 1, k.size() - 1);
    if (!pos.ok()) return pos.status();
    leveldb::Slice v = it->value();
    auto node = crypto::DecodeSmtNode(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    if (!node.ok()) return node.status();
    fn(*pos, *node);
  }
  if (!it->status().ok())
    return CorruptStore("scanning the state tree: " + it->status().ToString());
  return Status::Ok();
}

namespace {

// Releases a LevelDB snapshot on scope exit.
class SnapshotGuard {
 public:
  explicit SnapshotGuard(leveldb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~SnapshotGuard() { db_->ReleaseSnapshot(snapshot_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  const leveldb::Snapshot* get() const { return snapshot_; }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_;
};

}  // namespace

Result<StateProof> LevelStateTree::Prove(leveldb::DB* db, crypto::Suite suite, const Digest& key,
                                         const std::string& height_key,
                                         const ContentReader& content) {
  SnapshotGuard snap(db);
  const leveldb::ReadOptions o = Checked(snap.get());
  std::string height_raw;
  leveldb::Status s = db->Get(o, height_key, &height_raw);
  if (!s.ok() || height_raw.size() != 8) return CorruptStore("reading the tip height for a proof");
  StateProof out;
  out.height = ReadU64BE(reinterpret_cast<const uint8_t*>(height_raw.data()));
  out.key = key;
  LevelStateTree nodes(db, snap.get());
  crypto::SparseMerkleTree tree(suite, &nodes);
  auto root = tree.Root();
  if (!root.ok()) return root.status();
  out.state_root = *root;
  auto lookup = tree.Prove(key);
  if (!lookup.ok()) return lookup.status();
  out.value = lookup->value;
  out.proof = std::move(lookup->proof);
  auto stored = content(o);
  if (!stored.ok()) return stored.status();
  if (*stored != out.value) {
    return CorruptStore(
        "the stored state entry does not match the state tree (run `govledger audit chain` on "
        "this data directory)");
  }
  return out;
}

}  // namespace govledger::ledger

// The Store's state tree on LevelDB (an internal part of ledger/store.cc; use Store's API): node
// access for the 'A' table with an in-memory cache of the tree's top levels, the block journal
// ('J'), the batch writes of a block's StateUpdate, and tip proofs read under a snapshot.
//
// The cache holds the nodes at depth <= kCachedDepth (at most 2^17 of them, about 15 MB), which
// every block's update passes through: with it an update of k keys reads about
// k * (log2(n) - kCachedDepth) nodes from LevelDB instead of k * log2(n). It is filled on read and
// updated by Committed() after each block's batch is durable; a read that raced with a commit is
// not cached (generation check), so the cache never holds a node older than the tip.
#pragma once

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/smt.h"
#include "ledger/state_tree.h"
#include "ledger/store.h"

namespace govledger::ledger {

class LevelStateTree : public crypto::SmtNodeStore {
 public:
  static constexpr char kNodeTable = 'A';
  static constexpr char kJournalTable = 'J';
  static constexpr uint16_t kCachedDepth = 16;

  LevelStateTree() = default;
  // Without a cache and pinned to `snapshot`: for proofs.
  LevelStateTree(leveldb::DB* db, const leveldb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot), cached_(false) {}
  void set_db(leveldb::DB* db) { db_ = db; }

  // SmtNodeStore over the committed tip; read-only (updates go through PendingStateNodes).
  Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override;
  void PutNode(const crypto::SmtPos& pos, const crypto::SmtNode& node) override;
  void DeleteNode(const crypto::SmtPos& pos) override;

  // Adds block `height`'s node writes and journal to its batch.
  void Write(leveldb::WriteBatch& batch, uint64_t height, const StateUpdate& update) const;
  // After that batch is durable: brings the cache to the new tip.
  void Committed(const StateUpdate& update);

  Result<std::vector<crypto::SmtUpdate>> Changes(uint64_t height) const;
  Status ForEachNode(
      const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const;

  // The entry's bytes under the proof's snapshot, as its state-map value (nullopt: absent).
  using ContentReader = std::function<Result<std::optional<Digest>>(const leveldb::ReadOptions&)>;
  // Reads the tip height (metadata key `height_key`), the root, the proof of `key` and the
  // entry's content under one snapshot; "corrupt_store" when the content does not hash to the
  // tree's value.
  static Result<StateProof> Prove(leveldb::DB* db, crypto::Suite suite, const Digest& key,
                                  const std::string& height_key, const ContentReader& content);

 private:
  Result<std::optional<crypto::SmtNode>> Read(const crypto::SmtPos& pos) const;

  leveldb::DB* db_ = nullptr;
  const leveldb::Snapshot* snapshot_ = nullptr;
  bool cached_ = true;
  mutable std::mutex mu_;
  mutable std::unordered_map<crypto::SmtPos, std::optional<crypto::SmtNode>, crypto::SmtPosHash>
      cache_;
  uint64_t generation_ = 0;  // bumped by every Committed()
};

}  // namespace govledger::ledger

// The Store's state tree on LevelDB (an internal part of ledger/store.cc; use Store's API): node
// access for the 'A' table, the block journal ('J'), the batch writes of a block's StateUpdate,
// and tip proofs.
//
// Layout "smt-v3". The top of the tree — every node at depth <= kTopDepth, at most 2^19 of them —
// lives in memory as an immutable binary tree (TopTree) that each block replaces by path copying;
// of those nodes only the leaves are written to LevelDB. Every block's update passes through the
// top levels, so not writing their internal nodes removes most of the tree's LevelDB writes (and
// the compaction that rewrote them level by level): an update of k keys writes about
// k * (log2(n) - kTopDepth) nodes instead of k * log2(n). Opening a store rebuilds the top from
// the persisted nodes at depth kTopDepth + 1 and the shallow leaves (a bounded read, whatever the
// ledger's size) and checks the root against the tip's state_root. A snapshot (proofs, heavy
// reads) pairs a LevelDB snapshot with the TopTree version of the same tip, taken together under
// the store's commit lock. A "smt-v1" store (which wrote every node) and a "smt-v2" store (whose
// top ended at depth 16, so it wrote the internal nodes at depths 17 and 18) are migrated on open
// by deleting their persisted internal nodes at depth <= kTopDepth.
#pragma once

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/smt.h"
#include "ledger/state_tree.h"
#include "ledger/store.h"

namespace govledger::ledger {

// One version of the tree's top levels: immutable, shared between versions (path copying).
struct TopNode {
  std::optional<crypto::SmtNode> node;     // the node at this position; nullopt: none
  std::shared_ptr<const TopNode> child[2];  // the positions below (left: bit 0)
};
using TopTree = std::shared_ptr<const TopNode>;

class LevelStateTree : public ReadOnlySmtNodes {
 public:
  static constexpr char kNodeTable = 'A';
  static constexpr char kJournalTable = 'J';
  // 18 levels: ~64 MiB once the top is full (about 500,000 materials and up), for two fewer node
  // reads and writes per update than the 16 of "smt-v2" at any ledger size.
  static constexpr uint16_t kTopDepth = 18;

  LevelStateTree() = default;
  // Read-only, pinned to `snapshot` and the top of the same tip: for proofs and store snapshots.
  LevelStateTree(leveldb::DB* db, const leveldb::Snapshot* snapshot, TopTree top)
      : db_(db), snapshot_(snapshot), top_(std::move(top)) {}
  void set_db(leveldb::DB* db) { db_ = db; }

  // Builds the top levels from the persisted nodes (migrating a "smt-v1" or "smt-v2" store when
  // `migrate`: its persisted internal nodes at depth <= kTopDepth are deleted). On failure
  // (damaged nodes) the tree stays unreadable: every read of the top returns the error, so the
  // store still opens for the startup checks and the chain audit, which report it (and which
  // compare the root with the tip's state_root).
  Status Load(crypto::Suite suite, bool migrate);
  // The current top (for a snapshot of the tip; the caller holds the commit lock).
  TopTree top() const;
  void set_top(TopTree top) { top_ = std::move(top); }

  // SmtNodeStore over the committed tip; read-only (updates go through PendingStateNodes).
  Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override;
  // The same tree read by one thread for one block's update: the top as of now, the nodes below
  // it through one LevelDB iterator made now. They are of one tip only if no write lands between
  // the two: Store::StateNodeReader holds the commit lock for that; a pending chain's reader
  // (Store::StateNodeReaderUnderPending) does not need it, see ChainView. LevelDB charges a Get
  // that probes two table files to the first and compacts a file charged ~100 times; below its
  // write limit, where a node runs, those compactions took half of a large store's compaction
  // (doc/performance.md, "A ledger of a million materials"). An iterator is charged only by
  // sampling.
  std::unique_ptr<const crypto::SmtNodeStore> IteratorReader() const;

  // Adds a block's node writes to its batch (its journal, the 'J' row, goes to the block store:
  // Store::CommitBlocks); `top` is the top of the tree the update was computed on (top() for the
  // committed tip; After() of it for a block committed after another in the same batch).
  void Write(leveldb::WriteBatch& batch, const StateUpdate& update, const TopTree& top) const;
  // The top after `update` (a new tree sharing the unchanged subtrees with `top`).
  static TopTree After(const TopTree& top, const StateUpdate& update);
  // After the batch is durable (under the commit lock): the top moves to the new tip.
  void Committed(TopTree top);

  // Every node of the tree in position order (by depth, then path): the top's internal nodes
  // from memory, the rest from LevelDB.
  Status ForEachNode(
      const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const;

  // The entry's bytes under the proof's snapshot, as its state-map value (nullopt: absent).
  using ContentReader = std::function<Result<std::optional<Digest>>(const leveldb::ReadOptions&)>;
  // Reads the tip height (metadata key `height_key`), the root, the proof of `key` and the
  // entry's content under `snapshot` (with `top`, the top of the same tip); "corrupt_store" when
  // the content does not hash to the tree's value.
  static Result<StateProof> Prove(leveldb::DB* db, const leveldb::Snapshot* snapshot, TopTree top,
                                  crypto::Suite suite, const Digest& key,
                                  const std::string& height_key, const ContentReader& content);

 private:
  Result<std::optional<crypto::SmtNode>> Read(const crypto::SmtPos& pos) const;
  Result<TopTree> LoadTop(crypto::Suite suite, bool migrate);
  TopTree CurrentTop() const;

  leveldb::DB* db_ = nullptr;
  const leveldb::Snapshot* snapshot_ = nullptr;
  mutable std::mutex mu_;  // guards top_ (a pointer swap per block) and top_error_
  TopTree top_;
  Status top_error_ = Status::Ok();  // why the top could not be built, if it could not
};

}  // namespace govledger::ledger

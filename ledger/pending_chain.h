// Blocks executed on top of a chain view but not committed yet, seen as the chain after them:
// the last one's tip (height, hash, time, log size) and certificates, and their writes flattened
// over the base's state, Merkle log nodes and state tree nodes (one layer however many blocks are
// pending, so a read costs the same for the 64th block as for the first). Block sync executes the
// blocks of a fetched batch each on the chain the ones before it leave and commits them with one
// Store::CommitBlocks (one synced write), instead of one fsync per block (doc/design.md,
// decisions of 6 Dec).
//
// A PendingChain holds a reference to its base view, which must outlive it, and whose reads must
// not change while it is read except by the base's own pending blocks becoming committed (block
// sync executes on a chain while the blocks under it are written on another thread). It copies
// what it needs from each BlockWrite. Not thread-safe.
#pragma once

#include <map>

#include "ledger/chain_view.h"
#include "ledger/state_tree.h"
#include "ledger/store.h"

namespace govledger::ledger {

class PendingChain : public ChainView {
 public:
  explicit PendingChain(const ChainView& base);
  // A copy would read the same base, not the copied chain: a chain over a chain is built from
  // it as a ChainView (PendingChain(static_cast<const ChainView&>(other))).
  PendingChain(const PendingChain&) = delete;
  PendingChain& operator=(const PendingChain&) = delete;

  // Adds block height() + 1, executed on this chain as it stands: its state update (required)
  // was computed on this chain's tree and its log nodes extend this chain's log. Checked (a
  // caller's bug otherwise, not input): aborts on a mismatch.
  void Push(const BlockWrite& write);
  size_t pending_blocks() const { return commits_.size(); }
  // Reads what is not pending from `base` from now on. For a base that holds exactly the state
  // the old one held — the old base's own pending blocks written to the store it was built on
  // (block sync: a chain over the chain whose blocks are being written moves to the store once
  // they are durable). The caller's promise; nothing is checked.
  void Rebase(const ChainView& base);

  crypto::Suite suite() const override { return base_->suite(); }
  uint64_t height() const override { return height_; }
  Digest tip_hash() const override { return hash_; }
  uint64_t log_size() const override { return log_size_; }
  int64_t tip_time_ms() const override { return time_ms_; }
  Result<Commit> GetCommit(uint64_t height) const override;
  const crypto::NodeStore& log_nodes() const override { return log_; }
  const crypto::SmtNodeStore& state_nodes() const override { return state_; }
  // The pending blocks' tree writes over the base's StateNodeReaderUnderPending: both readers
  // are that one, since this chain's base may be being written (see the class comment).
  std::unique_ptr<const crypto::SmtNodeStore> StateNodeReader() const override {
    return StateNodeReaderUnderPending();
  }
  std::unique_ptr<const crypto::SmtNodeStore> StateNodeReaderUnderPending() const override;

  // StateReader: the pending blocks' writes (the latest of each entry) over the base's state.
  std::optional<Material> GetMaterial(std::string_view id) const override {
    return overlay_.GetMaterial(id);
  }
  bool HasTx(const Digest& tx_hash) const override { return overlay_.HasTx(tx_hash); }
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override {
    return overlay_.DueForExpiry(time_ms, limit);
  }
  std::optional<Bytes> GetRecord(Table table, std::string_view key) const override {
    return overlay_.GetRecord(table, key);
  }
  std::vector<std::pair<std::string, Bytes>> ScanRecords(Table table, std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override {
    return overlay_.ScanRecords(table, prefix, after, limit);
  }

 private:
  const ChainView* base_;
  uint64_t height_;
  Digest hash_;
  uint64_t log_size_;
  int64_t time_ms_;
  std::map<uint64_t, Commit> commits_;  // of the pending blocks, by height
  Overlay overlay_;
  PendingLogNodes log_;
  PendingStateNodes state_;
};

}  // namespace govledger::ledger

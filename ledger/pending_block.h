// A block executed on top of a chain view but not committed yet, seen as the chain after it: its
// tip (height, hash, time, log size, its own certificate) and its writes layered over its
// parent's state, Merkle log nodes and state tree nodes. Block sync executes the blocks of a
// fetched batch each on the PendingBlock of the one before and commits them with one
// Store::CommitBlocks (one synced write), instead of one fsync per block (doc/design.md,
// decisions of 7 Dec).
//
// A PendingBlock holds a reference to its parent view, which must outlive it, and is read on one
// thread. It copies what it needs from the BlockWrite.
#pragma once

#include "ledger/chain_view.h"
#include "ledger/state_tree.h"
#include "ledger/store.h"

namespace govledger::ledger {

class PendingBlock : public ChainView {
 public:
  // `write` is block parent.height() + 1, executed on `parent`: its state update (required) was
  // computed on parent's tree and its log nodes extend parent's log. Checked (a caller's bug
  // otherwise, not input): aborts on a mismatch.
  PendingBlock(const ChainView& parent, const BlockWrite& write);

  crypto::Suite suite() const override { return parent_.suite(); }
  uint64_t height() const override { return height_; }
  Digest tip_hash() const override { return hash_; }
  uint64_t log_size() const override { return log_size_; }
  int64_t tip_time_ms() const override { return time_ms_; }
  Result<Commit> GetCommit(uint64_t height) const override;
  const crypto::NodeStore& log_nodes() const override { return log_; }
  const crypto::SmtNodeStore& state_nodes() const override { return state_; }

  // StateReader: the block's writes over the parent's state.
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
  const ChainView& parent_;
  uint64_t height_;
  Digest hash_;
  uint64_t log_size_;
  int64_t time_ms_;
  Commit commit_;
  Overlay overlay_;
  PendingLogNodes log_;
  PendingStateNodes state_;
};

}  // namespace govledger::ledger

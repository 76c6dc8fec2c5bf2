#include "ledger/pending_block.h"

#include "util/status.h"

namespace govledger::ledger {

PendingBlock::PendingBlock(const ChainView& parent, const BlockWrite& write)
    : parent_(parent),
      height_(write.block.header.height),
      hash_(write.block_hash),
      log_size_(write.block.header.log_size),
      time_ms_(write.block.header.time_ms),
      commit_(write.commit),
      overlay_(parent),
      log_(parent.log_nodes()),
      state_(parent.state_nodes()) {
  GOVLEDGER_CHECK(height_ == parent.height() + 1);
  GOVLEDGER_CHECK(write.state.has_value() && write.state->base_height == parent.height());
  GOVLEDGER_CHECK(log_size_ == parent.log_size() + write.block.txs.size());
  for (const Material& m : write.materials) overlay_.PutMaterial(m);
  for (const Event& e : write.events) overlay_.AddEvent(e);
  for (const Digest& h : write.tx_hashes) overlay_.AddTx(h);
  for (const auto& [level, index, hash] : write.log_nodes) log_.PutNode(level, index, hash);
  for (const auto& [pos, node] : write.state->nodes) {
    if (node) {
      state_.PutNode(pos, *node);
    } else {
      state_.DeleteNode(pos);
    }
  }
}

Result<Commit> PendingBlock::GetCommit(uint64_t height) const {
  if (height == height_) return commit_;
  return parent_.GetCommit(height);
}

}  // namespace govledger::ledger

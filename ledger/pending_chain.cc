#include "ledger/pending_chain.h"

#include "util/status.h"

namespace govledger::ledger {

PendingChain::PendingChain(const ChainView& base)
    : base_(&base),
      height_(base.height()),
      hash_(base.tip_hash()),
      log_size_(base.log_size()),
      time_ms_(base.tip_time_ms()),
      overlay_(base),
      log_(base.log_nodes()),
      state_(base.state_nodes()) {}

void PendingChain::Push(const BlockWrite& write) {
  const BlockHeader& h = write.block.header;
  GOVLEDGER_CHECK(h.height == height_ + 1);
  GOVLEDGER_CHECK(write.state.has_value() && write.state->base_height == height_);
  GOVLEDGER_CHECK(h.log_size == log_size_ + write.block.txs.size());
  for (const Material& m : write.materials) overlay_.PutMaterial(m);
  for (const Event& e : write.events) {
    for (const RecordWrite& r : e.records) overlay_.PutRecord(r);
  }
  for (const Digest& tx : write.tx_hashes) overlay_.AddTx(tx);
  for (const auto& [level, index, hash] : write.log_nodes) log_.PutNode(level, index, hash);
  for (const auto& [pos, node] : write.state->nodes) {
    if (node) {
      state_.PutNode(pos, *node);
    } else {
      state_.DeleteNode(pos);
    }
  }
  height_ = h.height;
  hash_ = write.block_hash;
  log_size_ = h.log_size;
  time_ms_ = h.time_ms;
  commits_[height_] = write.commit;
}

Result<Commit> PendingChain::GetCommit(uint64_t height) const {
  if (auto it = commits_.find(height); it != commits_.end()) return it->second;
  return base_->GetCommit(height);
}

std::unique_ptr<const crypto::SmtNodeStore> PendingChain::StateNodeReaderUnderPending() const {
  std::unique_ptr<const crypto::SmtNodeStore> base = base_->StateNodeReaderUnderPending();
  if (!base) return nullptr;  // state_ reads base_->state_nodes()
  return state_.Over(std::move(base));
}

void PendingChain::Rebase(const ChainView& base) {
  base_ = &base;
  overlay_.Rebase(base);
  log_.Rebase(base.log_nodes());
  state_.Rebase(base.state_nodes());
}

}  // namespace govledger::ledger

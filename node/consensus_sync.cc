// Block sync, the ConsensusDriver's catching up (node/consensus_driver.h): requesting batches of
// blocks from a peer that is ahead, verifying their transactions' signatures and certificates on
// the verifier's workers, and applying them in height order on the io thread.
#include "node/consensus_driver.h"

#include <algorithm>
#include <optional>

#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/pending_chain.h"
#include "node/log.h"
#include "node/p2p_messages.h"
#include "proto/p2p.pb.h"
#include "util/time.h"

namespace govledger::node {

void ConsensusDriver::RequestBlocks(uint32_t peer, uint64_t from_height) {
  if (!p2p_) return;
  sync_requested_at_ms_ = SteadyMs();
  sync_requested_from_ = from_height ? from_height : store_.height() + 1;
  pb::P2pMessage req;
  req.mutable_block_request()->set_from_height(sync_requested_from_);
  req.mutable_block_request()->set_max_blocks(kMaxSyncBlocks);
  p2p_->Send(peer, Serialize(req));
}

void ConsensusDriver::OnBlocks(uint32_t peer, const pb::P2pMessage& msg) {
  // Blocks continue the store's tip, or the last batch being verified or waiting to be applied.
  uint64_t next = std::max(store_.height(), SyncInHandTo()) + 1;
  std::vector<FetchedBlock> fetched;
  for (const auto& sb : msg.blocks().blocks()) {
    auto block = ledger::DecodeBlock(ToBytes(sb.block()));
    auto commit = ledger::DecodeCommit(ToBytes(sb.commit()));
    if (!block.ok() || !commit.ok()) {
      GOVLEDGER_LOG(kWarn, "sync: peer " << peer << " sent an undecodable block; ignored");
      break;
    }
    const uint64_t h = block->header.height;
    if (h < next) continue;
    if (h != next) break;
    fetched.push_back({std::move(*block), std::move(*commit)});
    ++next;
  }
  if (fetched.empty()) return;
  if (sync_batches_.size() >= kSyncBatchesInFlight) {
    if (!sync_next_) sync_next_.emplace(peer, std::move(fetched));
    return;
  }
  VerifyFetched(peer, std::move(fetched));
}

uint64_t ConsensusDriver::SyncInHandTo() const {
  return sync_batches_.empty() ? 0 : sync_batches_.back()->blocks.back().block.header.height;
}

void ConsensusDriver::VerifyFetched(uint32_t peer, std::vector<FetchedBlock> fetched) {
  auto batch = std::make_shared<FetchedBatch>();
  batch->peer = peer;
  batch->blocks = std::move(fetched);
  sync_batches_.push_back(batch);
  // The next batch travels while this one is verified and the one before it applied.
  if (peer_heights_[peer] > SyncInHandTo()) RequestBlocks(peer, SyncInHandTo() + 1);
  auto verified = [this, batch] {
    if (--batch->pending == 0 && !stopped_) ApplyVerified();
  };
  batch->pending = 1;  // until both verifications are on their way
  if (hooks_.preverify_txs) {
    auto raws = std::make_shared<std::vector<Bytes>>();
    for (const FetchedBlock& f : batch->blocks) {
      raws->insert(raws->end(), f.block.txs.begin(), f.block.txs.end());
    }
    ++batch->pending;
    hooks_.preverify_txs(std::move(raws), verified);
  }
  // A block's certificate is the one the next block of the batch embeds as its last_commit:
  // bound to that block by its hash, it is vouched for through it and not checked on its own
  // (ApplyFetched checks the last block of each write); the certificate the peer sent beside the
  // block is then not used. (Validators hold different certificates for one block — other sets
  // of 2f+1 signatures — so the one sent beside it is often not the embedded one.)
  for (size_t i = 0; i + 1 < batch->blocks.size(); ++i) {
    const std::optional<ledger::Commit>& next = batch->blocks[i + 1].block.last_commit;
    if (!next) continue;
    batch->blocks[i].commit = *next;
    batch->blocks[i].vouched = true;
  }
  if (hooks_.on_workers) {
    batch->set = executor_.ValidatorsAt(store_.height() + 1);
    ++batch->pending;
    // Workers read the batch's blocks and set and write only their own block's flag; the io
    // thread leaves the batch alone until `verified` runs.
    hooks_.on_workers(
        batch->blocks.size(),
        [batch, suite = genesis_.suite, chain_id = genesis_.chain_id](size_t i) {
          FetchedBlock& f = batch->blocks[i];
          if (f.vouched) return;  // checked through the block that embeds it
          const Bytes hash = crypto::DigestBytes(crypto::Hash(suite, f.block.header_bytes));
          f.certified = ledger::VerifyCommit(suite, chain_id, batch->set, f.commit,
                                             f.block.header.height, hash)
                            .ok();
        },
        verified);
  }
  verified();
}

namespace {

// Whether two validator sets accept the same certificates: VerifyCommit reads only the keys.
bool SameKeys(const std::vector<ledger::Validator>& a, const std::vector<ledger::Validator>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const ledger::Validator& x, const ledger::Validator& y) {
                      return x.key == y.key;
                    });
}

}  // namespace

void ConsensusDriver::ApplyVerified() {
  if (sync_applying_) return;  // the loop below takes it
  if (committing_) {
    sync_apply_deferred_ = true;  // FinishCommit calls again: one write at a time
    return;
  }
  sync_applying_ = true;
  std::optional<uint32_t> peer;  // of the last batch applied
  bool stopped_short = false;
  while (!sync_batches_.empty() && sync_batches_.front()->pending == 0) {
    std::shared_ptr<FetchedBatch> batch = std::move(sync_batches_.front());
    sync_batches_.pop_front();
    peer = batch->peer;
    if (!ApplyFetched(*batch)) {
      // The tip stopped short of the batch's end (a block that does not check, execute or
      // commit): what was fetched after it cannot continue the tip either. Verifications still
      // running for those batches find them gone.
      sync_batches_.clear();
      sync_next_.reset();
      stopped_short = true;
      break;
    }
  }
  sync_applying_ = false;
  if (!peer) return;  // the head of the queue is still being verified
  // Not asked again at once: a peer that serves bad blocks would be asked again and again and
  // the honest ones never. The next request follows a peer's status, kSyncRetryMs after the
  // last one, whichever peer that is.
  if (stopped_short) return;
  if (sync_next_ && sync_batches_.size() < kSyncBatchesInFlight) {
    auto [next_peer, next_batch] = std::move(*sync_next_);
    sync_next_.reset();
    // ApplyFetched skips what consensus committed meanwhile.
    VerifyFetched(next_peer, std::move(next_batch));
    return;
  }
  if (!sync_batches_.empty()) return;  // more is being verified; its turn comes
  // The batch requested ahead may still be on its way: asking again would fetch it twice.
  if (sync_requested_from_ == store_.height() + 1 &&
      SteadyMs() - sync_requested_at_ms_ <= kSyncRetryMs) {
    return;
  }
  sync_requested_at_ms_ = 0;  // the next status from a peer ahead asks at once
  if (peer_heights_[*peer] > store_.height()) RequestBlocks(*peer);
}

bool ConsensusDriver::ApplyFetched(const FetchedBatch& batch) {
  const uint32_t peer = batch.peer;
  const std::vector<FetchedBlock>& fetched = batch.blocks;
  const uint64_t before = store_.height();
  // Blocks executed but not committed yet, each on the chain the ones before it leave (the first
  // on the store), committed together: one synced write for up to kSyncCommitBlocks blocks or
  // kSyncCommitTxs transactions instead of an fsync per block.
  std::vector<BuiltBlock> built;
  std::optional<ledger::PendingChain> pending;
  size_t pending_txs = 0;
  // Whether the last built block's certificate was checked by its signatures, and if not, the
  // validator set to check it against: a write must end on a block whose certificate was (the
  // blocks before it are bound to it by their hashes and vouched for by embedded certificates).
  bool last_checked = false;
  std::vector<ledger::Validator> last_set;
  auto certificate_ok = [&](const std::vector<ledger::Validator>& set, const ledger::Commit& c,
                            uint64_t h, const crypto::Digest& block_hash) {
    Status st = ledger::VerifyCommit(genesis_.suite, genesis_.chain_id, set, c, h,
                                     crypto::DigestBytes(block_hash));
    if (!st.ok()) {
      GOVLEDGER_LOG(kWarn, "sync: peer " << peer << " sent block " << h
                                         << " with a bad certificate: " << st.ToString());
    }
    return st.ok();
  };
  auto tip = [&]() -> const ledger::ChainView& {
    if (pending) return *pending;
    return store_;
  };
  auto commit = [&]() -> bool {
    if (built.empty()) return true;
    const uint64_t last = built.back().write.block.header.height;
    // Nothing of this write is taken unless its last certificate holds: the blocks before it
    // were vouched for by it.
    const ledger::BlockWrite& w = built.back().write;
    if (!last_checked && !certificate_ok(last_set, w.commit, last, w.block_hash)) return false;
    if (hooks_.can_commit && !hooks_.can_commit(last)) return false;  // retried next round
    std::vector<const ledger::BlockWrite*> writes;
    for (const BuiltBlock& b : built) writes.push_back(&b.write);
    if (Status cs = store_.CommitBlocks(writes); !cs.ok()) {
      GOVLEDGER_LOG(kError, "sync: cannot commit blocks " << last - built.size() + 1 << " to "
                                                          << last << ": " << cs.ToString());
      return false;
    }
    stats_.synced_blocks += built.size();
    for (const BuiltBlock& b : built) hooks_.on_commit(b);
    pending.reset();
    built.clear();
    pending_txs = 0;
    return true;
  };
  bool committed = true;
  for (const FetchedBlock& f : fetched) {
    const uint64_t h = f.block.header.height;
    if (h <= tip().height()) continue;  // consensus committed it meanwhile
    if (h != tip().height() + 1) break;
    // A certificate is checked against the validator set before the block is executed: on a
    // worker already, unless the set changed within the batch, or, when the next block embeds
    // it, through that block (vouched; the write's last block is checked in commit()).
    std::vector<ledger::Validator> set = executor_.ValidatorsOn(tip(), h);
    bool checked = f.certified && SameKeys(set, batch.set);
    if (!checked && !f.vouched) {
      if (!certificate_ok(set, f.commit, h, crypto::Hash(genesis_.suite, f.block.header_bytes))) {
        break;
      }
      checked = true;
    }
    auto executed = executor_.ExecuteOn(tip(), f.block);
    if (!executed.ok()) {
      GOVLEDGER_LOG(kWarn, "sync: block " << h << " from peer " << peer
                                          << " does not execute: " << executed.status().ToString());
      break;
    }
    executed->write.commit = f.commit;
    pending_txs += f.block.txs.size();
    built.push_back(std::move(*executed));
    last_checked = checked;
    last_set = std::move(set);
    if (built.size() >= kSyncCommitBlocks || pending_txs >= kSyncCommitTxs) {
      if (!(committed = commit())) break;
      continue;
    }
    // The next block executes on this one.
    if (!pending) pending.emplace(store_);
    pending->Push(built.back().write);
  }
  // The blocks executed before one that does not check or execute are good: committed.
  if (committed) commit();
  if (store_.height() > before) {
    GOVLEDGER_LOG(kInfo, "sync: caught up from " << before << " to " << store_.height());
    if (core_->height() <= store_.height()) StartHeight();
  }
  return store_.height() >= fetched.back().block.header.height;
}

}  // namespace govledger::node

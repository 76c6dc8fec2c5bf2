// Block sync, the ConsensusDriver's catching up (node/consensus_driver.h): requesting batches of
// blocks from a peer that is ahead, verifying their transactions' signatures and certificates on
// the verifier's workers, executing them in height order on the io thread and writing them on
// the commit thread.
#include "node/consensus_driver.h"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <memory>
#include <optional>

#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/pending_chain.h"
#include "node/log.h"
#include "node/p2p_messages.h"
#include "proto/p2p.pb.h"
#include "util/time.h"

namespace govledger::node {

namespace asio = boost::asio;

void ConsensusDriver::RequestBlocks(uint32_t peer, uint64_t from_height) {
  if (!p2p_) return;
  sync_requested_at_ms_ = SteadyMs();
  sync_requested_from_ = from_height ? from_height : SyncTip().height() + 1;
  pb::P2pMessage req;
  req.mutable_block_request()->set_from_height(sync_requested_from_);
  req.mutable_block_request()->set_max_blocks(kMaxSyncBlocks);
  p2p_->Send(peer, Serialize(req));
}

void ConsensusDriver::OnBlocks(uint32_t peer, const pb::P2pMessage& msg) {
  // Blocks continue the sync tip (the store's, or the last block executed on it), or the last
  // batch being verified or waiting to be applied.
  uint64_t next = std::max(SyncTip().height(), SyncInHandTo()) + 1;
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
    const ledger::ChainView& tip = SyncTip();
    batch->set = executor_.ValidatorsOn(tip, tip.height() + 1);
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

size_t TxCount(const std::vector<BuiltBlock>& blocks) {
  size_t n = 0;
  for (const BuiltBlock& b : blocks) n += b.write.block.txs.size();
  return n;
}

}  // namespace

const ledger::ChainView& ConsensusDriver::SyncTip() const {
  if (sync_chain_) return *sync_chain_;
  if (sync_written_chain_) return *sync_written_chain_;
  return store_;
}

void ConsensusDriver::ApplyVerified() {
  if (sync_applying_) return;  // the call in progress takes it
  if (writing_ == Write::kDecided) {
    sync_apply_deferred_ = true;  // a decided block is being written: FinishCommit calls again
    return;
  }
  // The core's inputs wait while a write is in flight; when many have queued, the pipeline
  // drains (the write finishes, nothing new is executed) so that they run, before it goes on:
  // FinishSyncWrite calls again. Otherwise a long sync would hold every proposal and vote sent
  // meanwhile.
  if (writing_ == Write::kSynced && inputs_.size() >= kSyncDrainInputs) return;
  if (sync_batches_.empty() || sync_batches_.front()->pending != 0) return;  // still verifying
  // One batch per turn of the io loop: a finished write (FinishSyncWrite), arriving batches and
  // the API run between batches, and the next turn takes the next one.
  std::shared_ptr<FetchedBatch> batch = std::move(sync_batches_.front());
  sync_batches_.pop_front();
  const uint32_t peer = batch->peer;
  sync_applying_ = true;
  const bool reached = ApplyFetched(*batch);
  sync_applying_ = false;
  if (!reached) {
    // The tip stopped short of the batch's end (a block that does not check or execute, or a
    // write the storage guard holds back): what was fetched after it cannot continue the tip
    // either. Verifications still running for those batches find them gone. Not asked again at
    // once: a peer that serves bad blocks would be asked again and again and the honest ones
    // never. The next request follows a peer's status, kSyncRetryMs after the last one.
    sync_batches_.clear();
    sync_next_.reset();
    return;
  }
  if (!sync_batches_.empty() && sync_batches_.front()->pending == 0 && !sync_apply_posted_) {
    sync_apply_posted_ = true;
    asio::post(io_, [this] {
      sync_apply_posted_ = false;
      if (!stopped_) ApplyVerified();
    });
  }
  if (sync_next_ && sync_batches_.size() < kSyncBatchesInFlight) {
    auto [next_peer, next_batch] = std::move(*sync_next_);
    sync_next_.reset();
    // ApplyFetched skips what is already on the tip.
    VerifyFetched(next_peer, std::move(next_batch));
    return;
  }
  if (!sync_batches_.empty()) return;  // more is being verified; its turn comes
  // The batch requested ahead may still be on its way: asking again would fetch it twice.
  const uint64_t tip = SyncTip().height();
  if (sync_requested_from_ == tip + 1 && SteadyMs() - sync_requested_at_ms_ <= kSyncRetryMs) {
    return;
  }
  sync_requested_at_ms_ = 0;  // the next status from a peer ahead asks at once
  if (peer_heights_[peer] > tip) RequestBlocks(peer);
}

bool ConsensusDriver::SyncCertificateOk(uint32_t peer, const std::vector<ledger::Validator>& set,
                                        const ledger::Commit& c, uint64_t height,
                                        const crypto::Digest& block_hash) const {
  Status st = ledger::VerifyCommit(genesis_.suite, genesis_.chain_id, set, c, height,
                                   crypto::DigestBytes(block_hash));
  if (!st.ok()) {
    GOVLEDGER_LOG(kWarn, "sync: peer " << peer << " sent block " << height
                                       << " with a bad certificate: " << st.ToString());
  }
  return st.ok();
}

bool ConsensusDriver::ApplyFetched(const FetchedBatch& batch) {
  const uint32_t peer = batch.peer;
  const std::vector<FetchedBlock>& fetched = batch.blocks;
  bool whole = true;
  for (const FetchedBlock& f : fetched) {
    const ledger::ChainView& tip = SyncTip();
    const uint64_t h = f.block.header.height;
    if (h <= tip.height()) continue;  // already on the tip (consensus committed it meanwhile)
    if (h != tip.height() + 1) {
      whole = false;
      break;
    }
    // A certificate is checked against the validator set before the block is executed: on a
    // worker already, unless the set changed within the batch, or, when the next block embeds
    // it, through that block (vouched; the last block of a write is checked in StartSyncWrite).
    std::vector<ledger::Validator> set = executor_.ValidatorsOn(tip, h);
    bool checked = f.certified && SameKeys(set, batch.set);
    if (!checked && !f.vouched) {
      if (!SyncCertificateOk(peer, set, f.commit, h,
                             crypto::Hash(genesis_.suite, f.block.header_bytes))) {
        whole = false;
        break;
      }
      checked = true;
    }
    auto executed = executor_.ExecuteOn(tip, f.block);
    if (!executed.ok()) {
      GOVLEDGER_LOG(kWarn, "sync: block " << h << " from peer " << peer
                                          << " does not execute: " << executed.status().ToString());
      whole = false;
      break;
    }
    executed->write.commit = f.commit;
    // The next block executes on this one.
    if (!sync_chain_) sync_chain_ = std::make_unique<ledger::PendingChain>(tip);
    sync_chain_->Push(executed->write);
    sync_built_.push_back(std::move(*executed));
    sync_last_checked_ = checked;
    sync_last_set_ = std::move(set);
    sync_last_peer_ = peer;
    // A full write goes as soon as the commit thread is free; otherwise the blocks wait for it
    // (at most the batches in hand) while the next ones execute.
    if (writing_ == Write::kNone &&
        (sync_built_.size() >= kSyncCommitBlocks || TxCount(sync_built_) >= kSyncCommitTxs) &&
        !StartSyncWrite()) {
      return false;
    }
  }
  // The blocks executed before one that does not check or execute are good: written.
  if (writing_ == Write::kNone && !sync_built_.empty() && !StartSyncWrite()) return false;
  return whole;
}

bool ConsensusDriver::StartSyncWrite() {
  GOVLEDGER_CHECK(writing_ == Write::kNone && !sync_built_.empty() && !sync_written_chain_);
  const ledger::BlockWrite& last = sync_built_.back().write;
  const uint64_t h = last.block.header.height;
  // Nothing of this write is taken unless its last certificate holds: the blocks before it were
  // vouched for by it.
  if ((!sync_last_checked_ &&
       !SyncCertificateOk(sync_last_peer_, sync_last_set_, last.commit, h, last.block_hash)) ||
      (hooks_.can_commit && !hooks_.can_commit(h))) {  // the storage guard: fetched again later
    DropSyncBlocks();
    return false;
  }
  auto blocks = std::make_shared<std::vector<BuiltBlock>>(std::move(sync_built_));
  sync_built_.clear();
  // Their chain (over the store: no write is in flight) is what the next blocks execute on.
  sync_written_chain_ = std::move(sync_chain_);
  writing_ = Write::kSynced;  // the core's inputs wait, as for a decided block (Pump)
  asio::post(commit_thread_, [this, blocks] {
    std::vector<const ledger::BlockWrite*> writes;
    for (const BuiltBlock& b : *blocks) writes.push_back(&b.write);
    Status st = store_.CommitBlocks(writes);
    asio::post(io_, [this, blocks, st = std::move(st)] { FinishSyncWrite(blocks, st); });
  });
  return true;
}

void ConsensusDriver::DropSyncBlocks() {
  sync_built_.clear();
  sync_chain_.reset();
  if (writing_ == Write::kNone) sync_written_chain_.reset();
}

void ConsensusDriver::FinishSyncWrite(std::shared_ptr<std::vector<BuiltBlock>> blocks, Status st) {
  writing_ = Write::kNone;
  if (stopped_) return;
  const uint64_t first = blocks->front().write.block.header.height;
  const uint64_t last = blocks->back().write.block.header.height;
  if (!st.ok()) {
    GOVLEDGER_LOG(
        kError, "sync: cannot commit blocks " << first << " to " << last << ": " << st.ToString());
    // What was executed on them goes too; the blocks are fetched again (kSyncRetryMs).
    DropSyncBlocks();
    sync_batches_.clear();
    sync_next_.reset();
  } else {
    stats_.synced_blocks += blocks->size();
    for (const BuiltBlock& b : *blocks) hooks_.on_commit(b);
    GOVLEDGER_LOG(kInfo, "sync: caught up from " << first - 1 << " to " << last);
    // The blocks executed meanwhile read through the written blocks' chain; the store now holds
    // the same, so their chain moves onto it and the written one goes (freed on the commit
    // thread, off the io thread's path). They are the next write.
    if (sync_chain_) sync_chain_->Rebase(store_);
    asio::post(
        commit_thread_,
        [written = std::shared_ptr<ledger::PendingChain>(std::move(sync_written_chain_))] {});
    if (!sync_built_.empty()) StartSyncWrite();
  }
  if (writing_ == Write::kNone) {
    // Drained: consensus takes over from the new tip with what arrived meanwhile.
    if (core_->height() <= store_.height()) StartHeight();
    Pump();
  }
  ApplyVerified();
}

}  // namespace govledger::node

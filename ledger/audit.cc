#include "ledger/audit.h"

#include <algorithm>
#include <array>
#include <future>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/merkle.h"
#include "ledger/audit_prepare.h"
#include "ledger/audit_state.h"
#include "ledger/canonical.h"

namespace govledger::ledger {

namespace {

unsigned ThreadCount(const AuditOptions& opts) {
  return opts.threads > 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
}

// Walks the chain once in batches of heights: the next batch is read and checked block by block
// on the thread pool (ledger/audit_prepare.h) while this thread links the current one to the
// chain (previous hash, time, Merkle log, state root) in height order; the first failed check
// ends the walk.
class Auditor {
 public:
  Auditor(const Store& store, const Genesis& genesis, const AuditOptions& opts)
      : store_(store),
        genesis_(genesis),
        opts_(opts),
        suite_(genesis.suite),
        sets_(genesis, GetValidatorChanges(store)),
        log_(suite_, &log_nodes_, 0),
        state_(store, suite_, ThreadCount(opts)) {}

  AuditReport Run() {
    const Digest genesis_hash = GenesisHash(genesis_);
    if (store_.genesis_hash() != genesis_hash) {
      Fail(0, "genesis_mismatch",
           "the store was created for genesis " + crypto::DigestHex(store_.genesis_hash()) +
               ", not " + crypto::DigestHex(genesis_hash));
      return report_;
    }
    prev_hash_ = crypto::DigestBytes(genesis_hash);
    const uint64_t total = store_.height();
    const unsigned threads = ThreadCount(opts_);
    const PrepareContext ctx{store_, genesis_, sets_, opts_.verify_tx_signatures, threads};
    // Batches of about kBatchTxs transactions (sized from the chain's average block), so that a
    // batch spreads over every thread however small the blocks are.
    const uint64_t avg_txs = total > 0 ? std::max<uint64_t>(1, store_.log_size() / total) : 1;
    const uint64_t batch = opts_.batch_blocks > 0
                               ? opts_.batch_blocks
                               : std::clamp<uint64_t>(kBatchTxs / avg_txs, 1, kMaxBatchBlocks);
    auto prepare = [&ctx, total, batch](uint64_t from) {
      return PrepareBlocks(ctx, from, std::min(batch, total - from + 1));
    };
    std::future<std::vector<PreparedBlock>> next;
    if (total > 0) next = std::async(std::launch::async, prepare, uint64_t{1});
    for (uint64_t from = 1; from <= total;) {
      std::vector<PreparedBlock> blocks = next.get();
      const uint64_t after = from + blocks.size();
      if (after <= total) next = std::async(std::launch::async, prepare, after);
      for (PreparedBlock& b : blocks) {
        if (!CheckBlock(b)) {
          if (next.valid()) next.wait();
          // A transaction before the failure without its index entry is the first failure.
          if (auto bad = FirstUnindexed(tx_hashes_.size())) FailUnindexed(*bad);
          return report_;
        }
        report_.checked_height = b.height;
        if (opts_.progress && opts_.progress_every > 0 && b.height % opts_.progress_every == 0) {
          opts_.progress(b.height, total);
        }
      }
      from = after;
    }
    // In the order of a block-by-block audit: every transaction's index entry (the scan of the
    // index runs beside the rest), the tip metadata, the final state.
    auto unindexed = std::async(std::launch::async,
                                [this] { return FirstUnindexed(tx_hashes_.size()); });
    const bool bad_tip = total > 0 && (crypto::DigestBytes(store_.tip_hash()) != prev_hash_ ||
                                       store_.log_size() != log_.size());
    std::optional<StateAudit::Failure> bad_state;
    if (!bad_tip) bad_state = state_.CheckFinalState(total);
    if (auto bad = unindexed.get()) {
      FailUnindexed(*bad);
      return report_;
    }
    if (bad_tip) {
      Fail(total, "bad_tip", "the store's tip metadata does not match its last block");
      return report_;
    }
    if (bad_state) {
      Fail(bad_state->height, bad_state->code, bad_state->detail);
      report_.checked_height = bad_state->height > 0 ? bad_state->height - 1 : 0;
      return report_;
    }
    // A final report unless the loop just made it.
    if (opts_.progress && (opts_.progress_every == 0 || total % opts_.progress_every != 0)) {
      opts_.progress(total, total);
    }
    return report_;
  }

 private:
  static constexpr uint64_t kBatchTxs = 8192;
  static constexpr uint64_t kMaxBatchBlocks = 512;

  void Fail(uint64_t height, std::string code, std::string detail) {
    report_.ok = false;
    report_.bad_height = height;
    report_.reason_code = std::move(code);
    report_.detail = std::move(detail);
  }
  bool Fail(uint64_t height, const AuditFailure& f) {
    Fail(height, f.code, f.detail);
    return false;
  }

  // The height and index in its block of the transaction at `log_index` (one walked).
  std::pair<uint64_t, uint32_t> Place(uint64_t log_index) const {
    // The last block starting at or before it: empty blocks share their start with the next.
    auto it = std::upper_bound(block_first_log_.begin(), block_first_log_.end(), log_index);
    const size_t k = static_cast<size_t>(it - block_first_log_.begin()) - 1;
    return {k + 1, static_cast<uint32_t>(log_index - block_first_log_[k])};
  }

  // The first of the transactions [0, limit) of the walk whose index entry is missing or does not
  // give its height, index and log index. Checked with one scan of the index (in hash order)
  // rather than a random read per transaction; where LevelDB reports a damaged part of the index,
  // the entries not seen are read one by one, as the node would read them.
  std::optional<uint64_t> FirstUnindexed(uint64_t limit) const {
    if (limit == 0) return std::nullopt;
    auto points_here = [&](const Digest& hash, const TxLocation& loc) {
      if (loc.log_index >= limit || tx_hashes_[loc.log_index] != hash) return false;
      const auto [h, i] = Place(loc.log_index);
      return loc.height == h && loc.index == i;
    };
    std::vector<bool> indexed(limit, false);
    const Status scanned = store_.ForEachTxLocation([&](const Digest& hash, const TxLocation& loc) {
      if (points_here(hash, loc)) indexed[loc.log_index] = true;
    });
    for (uint64_t l = 0; l < limit; ++l) {
      if (indexed[l]) continue;
      if (!scanned.ok()) {
        std::optional<TxLocation> loc = store_.FindTx(tx_hashes_[l]);
        if (loc && points_here(tx_hashes_[l], *loc)) continue;
      }
      return l;
    }
    return std::nullopt;
  }

  void FailUnindexed(uint64_t log_index) {
    const auto [h, i] = Place(log_index);
    Fail(h, "bad_tx_location",
         "tx " + std::to_string(i) + ": the tx index entry for " +
             crypto::DigestHex(tx_hashes_[log_index]) + " is missing or does not point here");
    report_.checked_height = h - 1;
    report_.txs_checked = log_index;
  }

  // The checks in the order a block-by-block audit makes them, the block-local ones already done.
  bool CheckBlock(PreparedBlock& b) {
    const uint64_t h = b.height;
    if (b.early) return Fail(h, *b.early);
    const BlockHeader& header = b.header;
    if (header.prev_hash != prev_hash_) {
      Fail(h, "bad_prev_hash",
           "prev_hash " + HexEncode(header.prev_hash) + " but the previous " + "block hashes to " +
               HexEncode(prev_hash_));
      return false;
    }
    if (b.hash_failure) return Fail(h, *b.hash_failure);
    if (h > 1 && header.time_ms <= prev_time_ms_) {
      Fail(h, "bad_time",
           "block time " + std::to_string(header.time_ms) + " is not after the previous block's " +
               std::to_string(prev_time_ms_));
      return false;
    }
    if (b.mid) return Fail(h, *b.mid);
    block_first_log_.push_back(log_.size());
    for (size_t i = 0; i < b.txs.size(); ++i) {
      if (b.tx_failure && i == b.tx_failure_index) return Fail(h, *b.tx_failure);
      const PreparedTx& tx = b.txs[i];
      log_.AppendLeafHash(tx.leaf_hash);
      tx_hashes_.push_back(tx.tx_hash);
      ++report_.txs_checked;
    }
    auto root = log_.Root();
    if (log_.size() != header.log_size || !root.ok() ||
        crypto::DigestBytes(*root) != header.log_root) {
      Fail(h, "bad_log_root",
           "recomputed log of " + std::to_string(log_.size()) +
               " txs does not match the header's log_size " + std::to_string(header.log_size) +
               " and log_root");
      return false;
    }
    if (b.events_failure) return Fail(h, *b.events_failure);
    if (b.state_changes_failure) return Fail(h, *b.state_changes_failure);
    if (Status state = state_.CheckBlock(h, header, std::move(*b.state_changes)); !state.ok()) {
      Fail(h, state.code(), state.message());
      return false;
    }
    prev_hash_ = std::move(b.block_hash);
    prev_time_ms_ = header.time_ms;
    return true;
  }

  const Store& store_;
  const Genesis& genesis_;
  const AuditOptions& opts_;
  const crypto::Suite suite_;
  const AuditValidatorSets sets_;
  crypto::FrontierNodeStore log_nodes_;  // all an audit of any length needs
  crypto::MerkleLog log_;
  StateAudit state_;
  // Every walked transaction's hash by log index, and each walked block's first log index (by
  // height - 1), for the index check: 32 bytes per transaction.
  std::vector<Digest> tx_hashes_;
  std::vector<uint64_t> block_first_log_;
  Bytes prev_hash_;
  int64_t prev_time_ms_ = 0;
  AuditReport report_;
};

}  // namespace

AuditReport AuditChain(const Store& store, const Genesis& genesis, const AuditOptions& opts) {
  return Auditor(store, genesis, opts).Run();
}

}  // namespace govledger::ledger

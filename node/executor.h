// Block building and execution: turns an ordered list of candidate transactions into the next
// block's header, state writes, events and log nodes, by running the rule contracts on an overlay
// of the committed state. No Asio and no clock: the caller supplies the block time, so the same
// code serves the one-validator producer today and BFT proposers and verifiers next.
#pragma once

#include <deque>
#include <optional>
#include <unordered_set>
#include <vector>

#include "contracts/material.h"
#include "contracts/registry.h"
#include "ledger/genesis.h"
#include "ledger/store.h"

namespace govledger::node {

struct TxOutcome {
  crypto::Digest hash{};
  Status status;                 // OK if included
  ledger::TxLocation location;   // valid when included
};

struct BuiltBlock {
  ledger::BlockWrite write;        // commit certificate not yet filled in
  std::vector<TxOutcome> outcomes;  // one per candidate, in candidate order
  size_t expired = 0;               // EXPIRE events emitted
};

// What consensus needs from the application: build a proposal from candidates, re-execute a
// proposal or a synced block, and the validator set per height. Executor below is the ledger's;
// bench/ordering_node.cc wires a no-op one that orders opaque payloads (the `ordering`
// benchmark: what consensus, transport and storage cost without the rule contracts).
//
// Re-execution and the validator set are asked of a chain: the committed one (`committed`, the
// store), or blocks executed on it but not committed yet (ledger::PendingChain: block sync
// executes a fetched batch block on block).
class BlockExecutor {
 public:
  explicit BlockExecutor(const ledger::ChainView& committed) : committed_(committed) {}
  virtual ~BlockExecutor() = default;
  virtual BuiltBlock Build(const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                           const crypto::PublicKey& proposer) const = 0;
  virtual Result<BuiltBlock> ExecuteOn(const ledger::ChainView& parent,
                                       const ledger::Block& block) const = 0;
  virtual std::vector<ledger::Validator> ValidatorsOn(const ledger::ChainView& chain,
                                                      uint64_t height) const = 0;

  // The same on the committed chain.
  Result<BuiltBlock> Execute(const ledger::Block& block) const {
    return ExecuteOn(committed_, block);
  }
  std::vector<ledger::Validator> ValidatorsAt(uint64_t height) const {
    return ValidatorsOn(committed_, height);
  }

 protected:
  // The certificate of the committed tip, which a block built on it embeds (none at height 0).
  std::optional<ledger::Commit> TipCommit() const;

  const ledger::ChainView& committed_;
};

class Executor : public BlockExecutor {
 public:
  Executor(const ledger::Genesis& genesis, const ledger::Store& store,
           const contracts::Registry& registry);

  // Admission check against the committed state, as if the tx went into the next block at
  // `now_ms`. The signature must already be verified.
  Status Check(const ledger::Tx& tx, int64_t now_ms) const;

  // Records that admission verified this exact signed transaction (keyed by the hash of its full
  // SignedTx bytes, so a different signature over the same body is verified again), so that
  // executing a block does not re-verify it. Bounded: the oldest half is forgotten when full.
  void MarkVerified(const ledger::Tx& tx);
  // The same, by the hash of the SignedTx bytes (SignatureVerifier computes it on a worker, so
  // the io thread does not hash the transaction for it).
  void MarkVerifiedRaw(const crypto::Digest& raw_hash);

  // Builds block height()+1 at `time_ms` (which must be after the tip's time). Rejected candidates
  // are left out of the block and reported in outcomes. The previous block's certificate is read
  // from the store (a proposer embeds the one it holds).
  BuiltBlock Build(const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                   const crypto::PublicKey& proposer) const override;

  // Re-executes a block someone else built (a proposal, or a block fetched by sync) on top of
  // `parent` and checks that it is exactly what this node would build from the same inputs:
  // height, link, embedded certificate of the previous block, time after the parent's, every
  // transaction decodes, is signed by its signer and applies, and every header field matches.
  // Reason codes: "bad_block" with a message naming the first mismatch.
  Result<BuiltBlock> ExecuteOn(const ledger::ChainView& parent,
                               const ledger::Block& block) const override;

  // The validator set of `height` as `chain`'s state knows it (genesis plus governance changes
  // effective at or below it). Known for heights up to the chain's tip + 2.
  std::vector<ledger::Validator> ValidatorsOn(const ledger::ChainView& chain,
                                              uint64_t height) const override;

  // Transaction signatures in re-executed blocks: answered by MarkVerified's cache, or verified
  // here (on the io thread). A follower that admitted the block's transactions before the
  // proposal arrived has no misses.
  struct VerifyStats {
    uint64_t cached = 0;
    uint64_t verified = 0;
  };
  VerifyStats verify_stats() const { return verify_stats_; }

 private:
  BuiltBlock BuildWith(const ledger::ChainView& parent,
                       const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                       const crypto::PublicKey& proposer,
                       const std::optional<ledger::Commit>& last_commit) const;
  const ledger::Genesis& genesis_;
  const contracts::Registry& registry_;
  // Signature-verified SignedTx hashes (io thread only).
  mutable std::unordered_set<crypto::Digest, crypto::DigestHasher> verified_;
  mutable std::deque<crypto::Digest> verified_order_;
  mutable VerifyStats verify_stats_;
};

}  // namespace govledger::node

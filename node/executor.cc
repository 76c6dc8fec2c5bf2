#include "node/executor.h"

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"

namespace govledger::node {

std::optional<ledger::Commit> BlockExecutor::TipCommit() const {
  if (committed_.height() == 0) return std::nullopt;
  auto last = committed_.GetCommit(committed_.height());
  GOVLEDGER_CHECK(last.ok());  // the tip's certificate is committed with it
  return *last;
}

Executor::Executor(const ledger::Genesis& genesis, const ledger::Store& store,
                   const contracts::Registry& registry)
    : BlockExecutor(store), genesis_(genesis), registry_(registry) {}

std::vector<ledger::Validator> Executor::ValidatorsOn(const ledger::ChainView& chain,
                                                      uint64_t height) const {
  return ledger::ValidatorsAt(genesis_.validators, chain, height);
}

Status Executor::Check(const ledger::Tx& tx, int64_t now_ms) const {
  contracts::BlockContext ctx{committed_.height() + 1,
                              std::max(now_ms, committed_.tip_time_ms() + 1)};
  auto effects = contracts::ApplyTx(registry_, committed_, tx, ctx);
  return effects.ok() ? Status::Ok() : effects.status();
}

namespace {
void ApplyEffects(ledger::Overlay& overlay, const contracts::Effects& effects) {
  for (const auto& m : effects.materials) overlay.PutMaterial(m);
  for (const auto& e : effects.events) overlay.AddEvent(e);
}
}  // namespace

BuiltBlock Executor::Build(const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                           const crypto::PublicKey& proposer) const {
  return BuildWith(committed_, candidates, time_ms, proposer, TipCommit());
}

BuiltBlock Executor::BuildWith(const ledger::ChainView& parent,
                               const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                               const crypto::PublicKey& proposer,
                               const std::optional<ledger::Commit>& last_commit) const {
  BuiltBlock out;
  const uint64_t height = parent.height() + 1;
  contracts::BlockContext ctx{height, time_ms};
  ledger::Overlay overlay(parent);

  // Expiry happens first: a material whose validity ended by this block's time cannot be used or
  // changed by a transaction in it.
  contracts::Effects expired = contracts::ExpireDue(registry_, overlay, ctx);
  out.expired = expired.events.size();
  ApplyEffects(overlay, expired);

  ledger::PendingLogNodes log_nodes(parent.log_nodes());
  crypto::MerkleLog log(genesis_.suite, &log_nodes, parent.log_size());
  ledger::Block& block = out.write.block;
  for (const ledger::Tx* tx : candidates) {
    TxOutcome outcome;
    outcome.hash = tx->hash;
    if (block.txs.size() >= genesis_.params.max_block_txs) {
      outcome.status = Status::Error("block_full", "left for the next block");
      out.outcomes.push_back(std::move(outcome));
      continue;
    }
    auto effects = contracts::ApplyTx(registry_, overlay, *tx, ctx);
    if (!effects.ok()) {
      outcome.status = effects.status();
      out.outcomes.push_back(std::move(outcome));
      continue;
    }
    ApplyEffects(overlay, *effects);
    overlay.AddTx(tx->hash);
    outcome.location = ledger::TxLocation{height, static_cast<uint32_t>(block.txs.size()),
                                          log.Append(tx->raw)};
    block.txs.push_back(tx->raw);
    out.write.tx_hashes.push_back(tx->hash);
    out.outcomes.push_back(std::move(outcome));
  }

  ledger::BlockHeader& h = block.header;
  h.chain_id = genesis_.chain_id;
  h.height = height;
  h.time_ms = time_ms;
  h.proposer = proposer;
  h.prev_hash = crypto::DigestBytes(parent.tip_hash());
  if (height > 1 && last_commit) {
    block.last_commit = *last_commit;
    h.last_commit_hash =
        crypto::DigestBytes(crypto::Hash(genesis_.suite, ledger::EncodeCommit(*last_commit)));
  }
  h.log_size = log.size();
  h.log_root = crypto::DigestBytes(*log.Root());
  // Changes take effect two heights after they are enacted, so both sets follow from the state
  // before this block; the overlay is used anyway so the rule lives in one place (the contracts).
  h.validators_hash = crypto::DigestBytes(ledger::ValidatorsHash(
      genesis_.suite, ledger::ValidatorsAt(genesis_.validators, overlay, height)));
  h.next_validators_hash = crypto::DigestBytes(ledger::ValidatorsHash(
      genesis_.suite, ledger::ValidatorsAt(genesis_.validators, overlay, height + 1)));
  h.tx_count = static_cast<uint32_t>(block.txs.size());
  h.events_hash = crypto::DigestBytes(ledger::EventsHash(genesis_.suite, overlay.events()));
  // The state map after the block: every material and record entry the block wrote, O(k log n).
  ledger::StateUpdate state = ledger::ComputeStateUpdate(parent, overlay);
  h.state_root = crypto::DigestBytes(state.root);
  block.header_bytes = ledger::EncodeHeader(h);

  out.write.block_hash = crypto::Hash(genesis_.suite, block.header_bytes);
  for (const auto& [id, m] : overlay.materials()) {
    out.write.materials.push_back(m);
    out.write.previous.push_back(overlay.BaseMaterial(id));
  }
  out.write.events = overlay.events();
  out.write.log_nodes = log_nodes.TakeWrites();
  out.write.state = std::move(state);
  return out;
}

}  // namespace govledger::node

namespace govledger::node {

void Executor::MarkVerified(const ledger::Tx& tx) {
  MarkVerifiedRaw(crypto::Hash(genesis_.suite, tx.raw));
}

void Executor::MarkVerifiedRaw(const crypto::Digest& key) {
  constexpr size_t kMaxVerified = 200'000;
  if (!verified_.insert(key).second) return;
  verified_order_.push_back(key);
  if (verified_order_.size() > kMaxVerified) {
    for (size_t i = 0; i < kMaxVerified / 2; ++i) {
      verified_.erase(verified_order_.front());
      verified_order_.pop_front();
    }
  }
}

namespace {
Status BadBlock(const std::string& what) { return Status::Error("bad_block", what); }
}  // namespace

Result<BuiltBlock> Executor::ExecuteOn(const ledger::ChainView& parent,
                                       const ledger::Block& block) const {
  const ledger::BlockHeader& h = block.header;
  const uint64_t height = parent.height() + 1;
  if (h.height != height) {
    return BadBlock("height " + std::to_string(h.height) + ", expected " + std::to_string(height));
  }
  if (h.chain_id != genesis_.chain_id) return BadBlock("chain id '" + h.chain_id + "'");
  // The hash is over the header bytes: refuse encodings that carry anything beyond the fields.
  if (ledger::EncodeHeader(h) != block.header_bytes) return BadBlock("non-canonical header encoding");
  if (h.prev_hash != crypto::DigestBytes(parent.tip_hash())) return BadBlock("prev_hash");
  if (h.time_ms <= parent.tip_time_ms()) return BadBlock("time not after the parent's");
  bool known_proposer = false;
  for (const auto& v : ValidatorsOn(parent, height)) known_proposer |= v.key == h.proposer;
  if (!known_proposer) return BadBlock("proposer is not a validator");
  if (height > 1) {
    if (!block.last_commit) return BadBlock("missing certificate of the previous block");
    // The parent's certificate was verified before it was stored (consensus builds it from votes
    // it checked; block sync checks the last block's of each write) or, for a block not committed
    // yet in block sync, is the very one this block embeds, checked through the write's last
    // block. Embedded byte for byte (every block fetched by sync, every proposal built by a
    // proposer holding the same certificate), its signatures are not checked again — 2f+1
    // verifications less per block.
    const ledger::Commit& lc = *block.last_commit;
    const Bytes tip = crypto::DigestBytes(parent.tip_hash());
    auto stored = parent.GetCommit(height - 1);
    const bool known = stored.ok() && lc.height == height - 1 && lc.block_hash == tip &&
                       ledger::EncodeCommit(*stored) == ledger::EncodeCommit(lc);
    if (!known) {
      Status st = ledger::VerifyCommit(genesis_.suite, genesis_.chain_id,
                                       ValidatorsOn(parent, height - 1), lc, height - 1, tip);
      if (!st.ok()) return BadBlock("certificate of the previous block: " + st.ToString());
    }
  } else if (block.last_commit) {
    return BadBlock("certificate at height 1");
  }
  if (block.txs.size() > genesis_.params.max_block_txs) return BadBlock("too many transactions");

  std::vector<ledger::Tx> txs;
  txs.reserve(block.txs.size());
  for (size_t i = 0; i < block.txs.size(); ++i) {
    auto tx = ledger::DecodeTx(genesis_.suite, block.txs[i], genesis_.params.max_tx_bytes);
    if (!tx.ok()) return BadBlock("tx " + std::to_string(i) + ": " + tx.status().ToString());
    bool cached = verified_.count(crypto::Hash(genesis_.suite, tx->raw)) > 0;
    ++(cached ? verify_stats_.cached : verify_stats_.verified);
    if (!cached && !crypto::Verify(genesis_.suite, tx->signer, tx->body_bytes, tx->signature)) {
      return BadBlock("tx " + std::to_string(i) + ": bad signature");
    }
    txs.push_back(std::move(*tx));
  }
  std::vector<const ledger::Tx*> candidates;
  for (const auto& tx : txs) candidates.push_back(&tx);
  BuiltBlock built = BuildWith(parent, candidates, h.time_ms, h.proposer, block.last_commit);
  for (size_t i = 0; i < built.outcomes.size(); ++i) {
    if (!built.outcomes[i].status.ok()) {
      return BadBlock("tx " + std::to_string(i) + " does not apply: " +
                      built.outcomes[i].status.ToString());
    }
  }
  const ledger::BlockHeader& mine = built.write.block.header;
  auto differs = [&](const char* field, bool same) -> std::optional<Status> {
    if (same) return std::nullopt;
    return BadBlock(std::string("header field ") + field + " differs from re-execution");
  };
  for (auto check : {differs("log_size", mine.log_size == h.log_size),
                     differs("log_root", mine.log_root == h.log_root),
                     differs("state_root", mine.state_root == h.state_root),
                     differs("validators_hash", mine.validators_hash == h.validators_hash),
                     differs("next_validators_hash", mine.next_validators_hash == h.next_validators_hash),
                     differs("tx_count", mine.tx_count == h.tx_count),
                     differs("events_hash", mine.events_hash == h.events_hash),
                     differs("last_commit_hash", mine.last_commit_hash == h.last_commit_hash)}) {
    if (check) return *check;
  }
  // Keep the proposer's exact header bytes: the block hash is over them.
  built.write.block.header_bytes = block.header_bytes;
  built.write.block.header = block.header;
  built.write.block_hash = crypto::Hash(genesis_.suite, block.header_bytes);
  return built;
}

}  // namespace govledger::node

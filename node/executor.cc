#include "node/executor.h"

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"

namespace govledger::node {

Executor::Executor(const ledger::Genesis& genesis, const ledger::Store& store,
                   const contracts::Registry& registry)
    : genesis_(genesis),
      store_(store),
      registry_(registry),
      validators_hash_(crypto::DigestBytes(ledger::ValidatorsHash(genesis.suite, genesis.validators))) {}

Status Executor::Check(const ledger::Tx& tx, int64_t now_ms) const {
  contracts::BlockContext ctx{store_.height() + 1, std::max(now_ms, store_.tip_time_ms() + 1)};
  auto effects = contracts::ApplyTx(registry_, store_, tx, ctx);
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
  BuiltBlock out;
  const uint64_t height = store_.height() + 1;
  contracts::BlockContext ctx{height, time_ms};
  ledger::Overlay overlay(store_);

  // Expiry happens first: a material whose validity ended by this block's time cannot be used or
  // changed by a transaction in it.
  contracts::Effects expired = contracts::ExpireDue(registry_, overlay, ctx);
  out.expired = expired.events.size();
  ApplyEffects(overlay, expired);

  ledger::PendingLogNodes log_nodes(store_.log_nodes());
  crypto::MerkleLog log(genesis_.suite, &log_nodes, store_.log_size());
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
  h.prev_hash = crypto::DigestBytes(store_.tip_hash());
  if (height > 1) {
    auto last = store_.GetCommit(height - 1);
    GOVLEDGER_CHECK(last.ok());  // the tip's certificate is committed with it
    block.last_commit = *last;
    h.last_commit_hash =
        crypto::DigestBytes(crypto::Hash(genesis_.suite, ledger::EncodeCommit(*last)));
  }
  h.log_size = log.size();
  h.log_root = crypto::DigestBytes(*log.Root());
  h.validators_hash = validators_hash_;
  h.next_validators_hash = validators_hash_;
  h.tx_count = static_cast<uint32_t>(block.txs.size());
  h.events_hash = crypto::DigestBytes(ledger::EventsHash(genesis_.suite, overlay.events()));
  block.header_bytes = ledger::EncodeHeader(h);

  out.write.block_hash = crypto::Hash(genesis_.suite, block.header_bytes);
  for (const auto& [id, m] : overlay.materials()) out.write.materials.push_back(m);
  out.write.events = overlay.events();
  out.write.log_nodes = log_nodes.TakeWrites();
  return out;
}

}  // namespace govledger::node

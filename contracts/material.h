// Rule contracts for electronic materials: issue, revoke and automatic expiry at block time.
// Deterministic: no clock, I/O, threads or randomness. A contract reads state through a
// StateReader and returns the writes (new material states and events) or a rejection whose
// code a user can read (see contracts/reasons.h).
#pragma once

#include <string>
#include <vector>

#include "contracts/registry.h"
#include "ledger/state.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::contracts {

struct BlockContext {
  uint64_t height = 0;
  int64_t time_ms = 0;
};

struct Effects {
  std::vector<ledger::Material> materials;  // states to write (latest wins)
  std::vector<ledger::Event> events;        // in order
};

// Applies one transaction whose signature the caller has already verified. Checks the envelope
// rules (chain id, validity window, replay), who the signer is and the payload's rules.
Result<Effects> ApplyTx(const Registry& registry, const ledger::StateReader& state,
                        const ledger::Tx& tx, const BlockContext& ctx);

// EXPIRE events for every ACTIVE material whose valid_until_ms <= ctx.time_ms (at most
// params().max_expiries_per_block per block; the rest follow in the next blocks).
Effects ExpireDue(const Registry& registry, const ledger::StateReader& state,
                  const BlockContext& ctx);

}  // namespace govledger::contracts

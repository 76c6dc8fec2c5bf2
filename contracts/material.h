// The rule contracts' entry points: one transaction at a time, and the chain's own work at each
// block (expiry of materials and of unsigned e-contracts, with their cascades). Deterministic: no
// clock, I/O, threads or randomness. A contract reads state through a StateReader (the registry
// in force included, see RegistryView) and returns the writes (material states, events and the
// record writes attached to them) or a rejection whose code a user can read (contracts/reasons.h).
//
// Payload rules live in material.cc (issue, amend), lifecycle.cc (publish, transfer, suspend,
// reinstate, revoke, destroy), cascade.cc, grants.cc (authorize, withdraw, use), econtract.cc
// and governance.cc.
#pragma once

#include "contracts/common.h"
#include "contracts/registry.h"
#include "ledger/state.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::contracts {

// Applies one transaction whose signature the caller has already verified. Checks the envelope
// rules (chain id, validity window, replay), who the signer is and the payload's rules, against
// the registry in force at ctx.height (`registry` is the genesis registry; governance changes are
// read from `state`).
Result<Effects> ApplyTx(const Registry& registry, const ledger::StateReader& state,
                        const ledger::Tx& tx, const BlockContext& ctx);

// The chain's own work before a block's transactions: EXPIRE for every ACTIVE, ISSUED or
// SUSPENDED material whose valid_until_ms <= ctx.time_ms, with the cascade to its dependents, and
// CONTRACT_EXPIRE for every PENDING e-contract whose signing deadline has passed (at most
// params().max_expiries_per_block of each per block; the rest follow in the next blocks).
Effects ExpireDue(const Registry& registry, const ledger::StateReader& state,
                  const BlockContext& ctx);

}  // namespace govledger::contracts

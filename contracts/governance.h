// Governance: registry changes approved by at least two thirds of the departments in force —
// add or remove a validator (effective two heights after the approving block), add a department
// or change its roles (effective at the next height), add or change a material type's rules
// (effective from a stated height). What this header offers beyond the transaction rules is for
// the node and the consensus engine: the validator set in force at a height, and the changes
// recorded but not yet in force.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contracts/registry.h"
#include "ledger/state.h"
#include "ledger/types.h"

namespace govledger::contracts {

// Heights between the block that enacts a validator change and the first block it applies to:
// the enacting block h fixes the set of h+2, so h+1's header can already name it as
// next_validators_hash.
inline constexpr uint64_t kValidatorChangeDelay = 2;

// Approvals needed from `departments` departments: ceil(2n/3), at least 1.
size_t ApprovalThreshold(size_t departments);

// The validator set in force at `height` (genesis validators plus every enacted change whose
// effective height is <= height).
std::vector<ledger::Validator> ValidatorSetAt(const Registry& genesis,
                                              const ledger::StateReader& state, uint64_t height);
// Validator changes recorded with an effective height > `height`, in order.
std::vector<ledger::ValidatorChange> PendingValidatorChanges(const ledger::StateReader& state,
                                                             uint64_t height);
// "add validator node7 (department edu)", ...: what a change does, for events and lists.
std::string ChangeSummary(const ledger::GovernanceChange& change);

}  // namespace govledger::contracts

// JSON views of ledger objects, shared by the API and anything else that shows them.
#pragma once

#include <nlohmann/json.hpp>

#include "contracts/registry.h"
#include "ledger/report.h"
#include "ledger/state.h"
#include "ledger/types.h"

namespace govledger::node {

// With `state`, type and issuer names come from the registry in force at the tip (types and
// departments added by governance included); without it, from the genesis.
nlohmann::json MaterialJson(const ledger::Material& m, const contracts::Registry& registry,
                            const ledger::StateReader* state = nullptr, uint64_t height = 0);
nlohmann::json EventJson(const ledger::Event& e, crypto::Suite suite);
nlohmann::json HeaderJson(const ledger::BlockHeader& h, const crypto::Digest& hash,
                          crypto::Suite suite);
nlohmann::json CommitJson(const ledger::Commit& c, crypto::Suite suite);
nlohmann::json TxBodyJson(const ledger::Tx& tx, const contracts::Registry& registry);

// Records of the rule contracts (grants, e-contracts, proposals, the registry in force).
nlohmann::json GrantJson(const ledger::Grant& g, int64_t now_ms, crypto::Suite suite);
nlohmann::json ContractJson(const ledger::EContract& c, crypto::Suite suite);
nlohmann::json ProposalJson(const ledger::Proposal& p, uint64_t height, crypto::Suite suite);
nlohmann::json DepartmentJson(const ledger::Department& d, crypto::Suite suite);
nlohmann::json MaterialTypeJson(const ledger::MaterialType& t);
nlohmann::json ValidatorJson(const ledger::Validator& v, crypto::Suite suite);
// A usage report (ledger/report.h) with department and type names from the registry in force at
// the state's tip (doc/api.md, /v1/report).
nlohmann::json ReportJson(const ledger::UsageReport& r, const contracts::Registry& registry,
                          const ledger::StateReader& state, uint64_t height);

}  // namespace govledger::node

// JSON views of ledger objects, shared by the API and anything else that shows them.
#pragma once

#include <nlohmann/json.hpp>

#include "contracts/registry.h"
#include "ledger/types.h"

namespace govledger::node {

nlohmann::json MaterialJson(const ledger::Material& m, const contracts::Registry& registry);
nlohmann::json EventJson(const ledger::Event& e, crypto::Suite suite);
nlohmann::json HeaderJson(const ledger::BlockHeader& h, const crypto::Digest& hash,
                          crypto::Suite suite);
nlohmann::json CommitJson(const ledger::Commit& c, crypto::Suite suite);
nlohmann::json TxBodyJson(const ledger::Tx& tx, const contracts::Registry& registry);

}  // namespace govledger::node

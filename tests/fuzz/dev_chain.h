// A dev-network home with a short chain, for the targets that need a node with state behind
// them (the HTTP API) and for the corpus generator: `govledger network init` of the embedded dev
// network (flat home), then blocks built by the real executor and certified by the validator
// key: business licenses issued by samr, one of them revoked, and an e-contract samr signed.
#pragma once

#include <string>
#include <vector>

#include "ledger/types.h"

namespace govledger::fuzz {

struct DevChain {
  std::string home;  // load with node::LoadNodeConfig(home)
  std::vector<std::string> material_ids;
  std::string contract_id;
  std::vector<ledger::Tx> txs;  // committed, in order
  ledger::Tx pending;           // signed by samr, valid, not committed
};

// Creates the home under `dir` (which must not exist yet). Aborts on failure.
DevChain MakeDevChain(const std::string& dir);

}  // namespace govledger::fuzz

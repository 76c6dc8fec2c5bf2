// `govledger audit chain --node URL`: a remote audit of a running node. Its chain is replayed
// block by block into a temporary store — each certificate checked against the validator set,
// each block re-executed (every header field, state root and tx signature) — and the result is
// audited like a data directory (ledger::AuditChain).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ledger/audit.h"
#include "util/status.h"

namespace govledger::cli {

struct NodeAuditResult {
  std::string chain_id;
  ledger::AuditReport report;  // ok, or the first bad height with its reason
};

// Replays the node at `url` from genesis to its tip at the start. `trust` (may be empty) is a
// genesis.json the node's genesis must hash to (else: bad height 0, "genesis_mismatch").
// `progress(n, total)` is called after each replayed block. A Status error means no answer was
// reached (node unreachable, bad response, temporary store failure).
Result<NodeAuditResult> AuditNodeChain(const std::string& url, const std::string& trust,
                                       bool verify_tx_signatures,
                                       const std::function<void(uint64_t, uint64_t)>& progress,
                                       const std::string& key_file = "");

}  // namespace govledger::cli

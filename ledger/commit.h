// Commit certificates: signing a precommit, and checking that a certificate carries valid
// signatures from more than two thirds of the validator set.
#pragma once

#include <vector>

#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

// Quorum for n validators: the smallest count > 2n/3 (2f+1 when n = 3f+1).
size_t QuorumSize(size_t n);

CommitSig SignPrecommit(const crypto::PrivateKey& key, std::string_view chain_id, uint64_t height,
                        uint32_t round, const Bytes& block_hash);

// Checks: height and block hash match, every signature is by a distinct member of `validators`
// and valid, and their number reaches the quorum. Reason codes: "commit_mismatch",
// "unknown_validator", "duplicate_signer", "bad_commit_signature", "insufficient_quorum".
Status VerifyCommit(crypto::Suite suite, std::string_view chain_id,
                    const std::vector<Validator>& validators, const Commit& commit,
                    uint64_t height, const Bytes& block_hash);

}  // namespace govledger::ledger

#include "ledger/commit.h"

#include <set>
#include <string>

#include "ledger/canonical.h"

namespace govledger::ledger {

size_t QuorumSize(size_t n) { return n * 2 / 3 + 1; }

CommitSig SignPrecommit(const crypto::PrivateKey& key, std::string_view chain_id, uint64_t height,
                        uint32_t round, const Bytes& block_hash) {
  return CommitSig{key.public_key(),
                   key.Sign(PrecommitSignBytes(chain_id, height, round, block_hash))};
}

Status VerifyCommit(crypto::Suite suite, std::string_view chain_id,
                    const std::vector<Validator>& validators, const Commit& commit, uint64_t height,
                    const Bytes& block_hash) {
  if (commit.height != height) {
    return Status::Error("commit_mismatch", "certificate is for height " +
                                                std::to_string(commit.height) + ", expected " +
                                                std::to_string(height));
  }
  if (commit.block_hash != block_hash) {
    return Status::Error("commit_mismatch", "certificate is for block " +
                                                HexEncode(commit.block_hash) + ", expected " +
                                                HexEncode(block_hash));
  }
  const Bytes sign_bytes =
      PrecommitSignBytes(chain_id, commit.height, commit.round, commit.block_hash);
  std::set<const Validator*> signers;
  for (size_t i = 0; i < commit.sigs.size(); ++i) {
    const CommitSig& sig = commit.sigs[i];
    const Validator* member = nullptr;
    for (const Validator& v : validators) {
      if (v.key == sig.validator) member = &v;
    }
    if (member == nullptr) {
      return Status::Error("unknown_validator", "signature " + std::to_string(i) +
                                                    " is by a key outside the validator set (" +
                                                    crypto::Fingerprint(suite, sig.validator) +
                                                    ")");
    }
    // Counting one validator twice would let f+1 signers fake a quorum.
    if (!signers.insert(member).second) {
      return Status::Error("duplicate_signer",
                           "validator " + member->name + " signed more than once");
    }
    if (!crypto::Verify(suite, member->key, sign_bytes, sig.signature)) {
      return Status::Error("bad_commit_signature",
                           "invalid precommit signature by validator " + member->name);
    }
  }
  const size_t quorum = QuorumSize(validators.size());
  if (signers.size() < quorum) {
    return Status::Error("insufficient_quorum", std::to_string(signers.size()) + " of " +
                                                    std::to_string(validators.size()) +
                                                    " validators signed; " +
                                                    std::to_string(quorum) + " needed");
  }
  return Status::Ok();
}

}  // namespace govledger::ledger

// Test helpers for the consensus suite: a validator set with real P-256 keys (generated once per
// process), signed proposals and votes from any validator, and effect filters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/core.h"
#include "crypto/sign.h"
#include "ledger/genesis.h"

namespace govledger::consensus::testing {

inline constexpr std::string_view kChainId = "test-chain";

struct TestValidators {
  std::vector<crypto::PrivateKey> keys;
  std::vector<crypto::PublicKey> pubs;
  std::vector<ledger::Validator> ledger_validators;
};

// The first n of a process-wide set of 7 keys.
TestValidators MakeValidators(size_t n);

CoreConfig MakeConfig(const TestValidators& v, std::optional<uint32_t> self);

// A block's bytes for a label, and its hash (SHA-256 of the bytes).
Bytes BlockBytes(const std::string& label);
Bytes BlockHash(const std::string& label);

Proposal SignedProposal(const TestValidators& v, uint32_t proposer, uint64_t height, uint32_t round,
                        const std::string& label, int32_t pol_round = -1);
// label "" is a nil vote.
Vote SignedVote(const TestValidators& v, uint32_t validator, VoteType type, uint64_t height,
                uint32_t round, const std::string& label);

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename T>
std::vector<T> Only(const std::vector<Effect>& effects) {
  std::vector<T> out;
  for (const Effect& e : effects) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

}  // namespace govledger::consensus::testing

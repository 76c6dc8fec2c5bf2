// Contract evidence bundles (.govproof of kind "govledger-contract-proof/1", doc/proof-bundle.md):
// everything a court or a party needs to check offline, trusting nothing but the network's
// genesis, which signers signed which version of an e-contract — every version's record with its
// state proof against the certified state_root, each version's hash-linked events, the creating
// and signing transactions with inclusion proofs into the header's log_root, the certified header
// with the validator-set changes since genesis, and the governance registry (for departments
// added after genesis). Built and checked with the same steps as material bundles
// (ledger/proof_steps.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/proof.h"

namespace govledger::ledger {

inline constexpr std::string_view kContractProofFormat = "govledger-contract-proof/1";

// One version of the contract: its record ('K' contract id) as the exact stored bytes, the
// record's state proof, and its events seq 0 .. event_count - 1.
struct ContractVersionProof {
  Bytes record;
  crypto::SmtProof state_proof;
  std::vector<Event> events;
};

struct ContractBundle {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  Digest genesis_hash{};
  std::vector<ContractVersionProof> versions;  // version 1, 2, ... linked by prev/next_contract
  std::vector<BundleTx> txs;                   // every version's create and sign txs, once each
  CertifiedHeader header;
  std::vector<BundleValidatorSet> validator_sets;
  BundleRegistry registry;
};

// The bundle of the version chain `contract_id` belongs to (any version's id), at the store's
// tip. "not_found" (no such contract), "busy", and the store's errors.
Result<ContractBundle> BuildContractBundle(const Store& store, const Genesis& genesis,
                                           const std::string& contract_id);

// Strict JSON, as ProofBundleToJson / ProofBundleFromJson ("bad_bundle").
std::string ContractBundleToJson(const ContractBundle& bundle);
Result<ContractBundle> ContractBundleFromJson(std::string_view text);

enum class ContractVerdict {
  kSigned,      // the file is a version every party signed, and no later version replaced it
  kPending,     // the file is a version not every party has signed
  kExpired,     // ... whose signing deadline passed first
  kSuperseded,  // ... replaced by a later version every party signed
  kTampered,    // the file is none of the proven versions
  kInvalidProof,
};
// "SIGNED", "PENDING", "EXPIRED", "SUPERSEDED", "TAMPERED", "INVALID_PROOF"
std::string ContractVerdictName(ContractVerdict v);

// A proven signature of the version the file is.
struct ContractSigner {
  Bytes party_key;
  std::string fingerprint;
  std::string who;  // "department samr (区市场监督管理局)" or "party <fingerprint>"
  uint64_t height = 0;
  int64_t time_ms = 0;
  Bytes tx_hash;
};

struct ContractVerification {
  ContractVerdict verdict = ContractVerdict::kInvalidProof;
  // "bundle", "validators", "certificate", "state", "registry", "versions", "events",
  // "inclusion", "creator", "signatures", "document", "status"
  std::vector<ProofCheck> checks;
  uint64_t height = 0;
  int64_t as_of_ms = 0;
  std::string contract_id;  // the version the file is (when it is one)
  uint32_t version = 0;
  uint32_t version_count = 0;
  std::string status;  // that version's status
  size_t parties = 0;
  std::vector<ContractSigner> signers;
};

// Pure: no I/O, no clock. `document_digest` is H(file bytes) under the trusted suite.
ContractVerification VerifyContractBundle(const Genesis& trusted, const ContractBundle& bundle,
                                          const std::optional<Digest>& document_digest);
ContractVerification VerifyContractBundleJson(const Genesis& trusted, std::string_view json,
                                              const std::optional<Digest>& document_digest);

}  // namespace govledger::ledger

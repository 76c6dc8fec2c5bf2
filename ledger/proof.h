// Proof bundles (.govproof, format in doc/proof-bundle.md): everything an offline verifier needs
// to decide a material's status as of a height while trusting nothing but the network's genesis
// — the material record and its events, the transactions behind them with inclusion proofs into
// the header's log_root, the header and its commit certificate, the state proof of the record
// against the header's state_root, the validator-set changes since genesis (each new set bound by
// a certified header's next_validators_hash), and the fields the holder chose to disclose with
// their salts and inclusion proofs against fields_root.
//
// BuildProofBundle reads a Store (a node serves it); VerifyProofBundle is pure: no I/O, no clock
// (the caller passes "now" if it wants expiry since the bundle was made taken into account).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/smt.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

inline constexpr std::string_view kProofFormat = "govledger-proof/2";

// A transaction behind one of the material's events, with its RFC 9162 audit path in the log of
// the bundle header's log_size leaves.
struct BundleTx {
  Bytes raw;  // serialized SignedTx, as stored in its block
  uint64_t log_index = 0;
  std::vector<Digest> inclusion;
};

// A field the holder discloses: its value and salt, and its audit path under fields_root (the
// RFC 9162 tree over FieldLeafBytes of all the material's fields, sorted by name).
struct DisclosedField {
  std::string name;
  std::string value;
  Bytes salt;
  uint64_t index = 0;
  std::vector<Digest> inclusion;
};

struct CertifiedHeader {
  Bytes header_bytes;  // exact stored bytes; the block hash is H(header_bytes)
  Commit commit;       // its certificate
};

// The validator set from `effective_height` on, bound by the certified header of the height
// before it, whose next_validators_hash is ValidatorsHash(validators). Only keys and TLS keys
// are hashed, so only they are carried.
struct BundleValidatorSet {
  uint64_t effective_height = 0;
  std::vector<Validator> validators;  // key and tls_key set
  CertifiedHeader before;             // block effective_height - 1
};

// A record-table entry as its exact stored bytes, with its proof against the header's state_root
// (the map's value is RecordStateValue(record)).
struct BundleRecord {
  Bytes record;
  crypto::SmtProof proof;
};

// The governance history behind the registry: the proposal counter ('N' "proposals", proven
// present with this value, or absent when 0) and every proposal P1 .. P<count> ('P'), each
// proven against the header's state_root. Every department and material-type change governance
// enacted is one of these proposals, with its effective height, so the verifier rebuilds the
// registry in force at any height up to the header's (the genesis plus the enacted changes).
struct BundleRegistry {
  uint64_t proposal_count = 0;
  crypto::SmtProof count_proof;
  std::vector<BundleRecord> proposals;
};

struct ProofBundle {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  Digest genesis_hash{};
  Material material;             // the record as of the header's height
  std::vector<Event> events;     // all its events, seq 0 .. event_count - 1
  std::vector<BundleTx> txs;     // the transactions of those events, in event order, once each
  CertifiedHeader header;        // the block the proofs are against
  crypto::SmtProof state_proof;  // material against header.state_root
  std::vector<DisclosedField> disclosed;
  std::vector<BundleValidatorSet> validator_sets;  // changes since genesis, by effective height
  BundleRegistry registry;  // departments and types added or changed by governance
};

// One field of the holder's receipt: every field is needed to prove any of them.
struct FieldOpening {
  std::string name;
  std::string value;
  Bytes salt;
};

struct ProofRequest {
  std::string material_id;
  std::vector<FieldOpening> fields;   // all the material's fields (empty: disclose nothing)
  std::vector<std::string> disclose;  // names of the fields to disclose
};

// Builds the bundle at the store's tip. Reason codes: "not_found" (no such material),
// "fields_mismatch" (the fields do not hash to the material's fields_root), "unknown_field",
// and the store's errors.
Result<ProofBundle> BuildProofBundle(const Store& store, const Genesis& genesis,
                                     const ProofRequest& request);

// The disclosed fields for `request.disclose`, proven against m.fields_root from all of the
// material's field openings (the holder's receipt). Used by BuildProofBundle, and by a holder
// adding a disclosure to a bundle it fetched without giving its fields to a node.
Result<std::vector<DisclosedField>> DiscloseFields(crypto::Suite suite, const Material& m,
                                                   const ProofRequest& request);

// JSON text of the bundle (doc/proof-bundle.md). Parsing is strict: unknown or missing members,
// non-canonical hex or base64 and malformed proofs are "bad_bundle", so that every changed byte
// either fails to parse or changes what is verified.
std::string ProofBundleToJson(const ProofBundle& bundle);
Result<ProofBundle> ProofBundleFromJson(std::string_view text);

enum class Verdict {
  kValid,
  kExpired,
  kRevoked,
  kSuspended,
  kDestroyed,
  kUnknown,       // not valid for another reason: staged, superseded, not yet valid
  kTampered,      // the document does not match the proven material
  kInvalidProof,  // the bundle does not prove what it claims
};
// "VALID", "EXPIRED", "REVOKED", "SUSPENDED", "DESTROYED", "UNKNOWN", "TAMPERED", "INVALID_PROOF"
std::string VerdictName(Verdict v);

struct ProofCheck {
  std::string step;  // "bundle", "validators", "certificate", "state", "registry", "events",
                     // "inclusion", "issuer", "fields", "document", "validity", "status"
  bool ok = false;
  std::string detail;
};

struct VerifyOptions {
  std::optional<Digest> document_digest;  // H(file bytes) under the suite, when a file is checked
  std::optional<int64_t> now_ms;          // the verifier's time, for expiry after the bundle
};

struct ProofVerification {
  Verdict verdict = Verdict::kInvalidProof;
  std::vector<ProofCheck> checks;  // every step, in order
  uint64_t height = 0;             // "as of" this height ...
  int64_t as_of_ms = 0;            // ... and its block time
  std::string status;              // the proven material status ("ACTIVE", ...), if proven
};

// Checks the bundle against the trusted genesis. Every step runs and is reported; the verdict is
// INVALID_PROOF when any proof step fails, TAMPERED when the document digest differs, and
// otherwise follows the proven status (and valid_until against now_ms).
ProofVerification VerifyProofBundle(const Genesis& trusted, const ProofBundle& bundle,
                                    const VerifyOptions& options);
// Parses, then verifies; a bundle that does not parse is INVALID_PROOF at step "bundle".
ProofVerification VerifyProofBundleJson(const Genesis& trusted, std::string_view json,
                                        const VerifyOptions& options);

}  // namespace govledger::ledger

// The genesis of a network: chain id, crypto suite, validators, the department registry and the
// material-type rules. Every node and every offline verifier trusts exactly this document.
// Stored as genesis.json; its hash is taken over the canonical JSON (keys sorted, no spaces), so
// reformatting the file does not change the chain.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "crypto/sign.h"
#include "util/status.h"

namespace govledger::ledger {

struct Department {
  std::string id;       // short stable id, e.g. "health"
  std::string name;     // Chinese name, e.g. "区卫生健康局"
  std::string name_en;
  std::string code;     // 18-character unified social credit code (统一社会信用代码)
  std::vector<std::string> roles;  // "provider", "consumer", "authorizer", "regulator", "validator"
  crypto::PublicKey key;           // the department's signing key
};

// What a dependent material does when its parent is revoked, suspended or expires (and when the
// parent is reinstated, for one it suspended): see doc/design.md, "Cascade".
enum class CascadeRule {
  kRevoke,   // parent revoked/expired: revoked; parent suspended: suspended (the default)
  kSuspend,  // parent revoked/expired/suspended: suspended until reinstated or amended
  kNone,     // unaffected
};
std::string_view CascadeRuleName(CascadeRule r);  // "revoke", "suspend", "none"
bool ParseCascadeRule(std::string_view name, CascadeRule& out);

struct MaterialType {
  std::string code;     // type code used in material ids, [0-9A-Z]{3,24}
  std::string name;
  std::string name_en;
  std::string category; // "qualification", "license", "report", "filing", "certificate"
  std::vector<std::string> issuers;          // department ids allowed to issue it
  std::vector<std::string> required_fields;
  int64_t max_validity_ms = 0;               // 0 = no limit and no expiry required
  std::string parent_type;                   // type a parent material must have, if any
  std::vector<std::string> use_purposes;     // purposes it may be used for; empty: any
  bool requires_grant = true;                // a use needs the holder's grant
  CascadeRule cascade = CascadeRule::kRevoke;  // rule when the parent changes
};

struct Validator {
  std::string name;        // node name, e.g. "node0"
  std::string department;  // department that runs it
  crypto::PublicKey key;   // consensus signing key
  crypto::PublicKey tls_key;  // pinned TLS key (used by the BFT transport)
  std::string p2p_address; // host:port
  std::string api_address; // host:port
};

struct ChainParams {
  int64_t block_interval_ms = 1000;      // heartbeat: an empty block at least this often
  uint32_t max_block_txs = 2000;
  uint32_t max_tx_bytes = 64 * 1024;
  uint32_t max_expiries_per_block = 10000;
  int64_t max_clock_drift_ms = 5000;     // a proposal's block time at most this far ahead
                                         // of a validator's clock (behind: only after the parent)
  uint64_t max_tx_validity_heights = 10000;  // valid_until_height at most this far ahead
};

struct Genesis {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  int64_t genesis_time_ms = 0;
  ChainParams params;
  std::vector<Validator> validators;
  std::vector<Department> departments;
  std::vector<MaterialType> material_types;
};

// Parses and validates (unique ids, keys of the right curve, known roles and categories, issuers
// that exist, at least one validator). Errors name the offending entry.
Result<Genesis> ParseGenesisJson(std::string_view text);
// Canonical JSON (sorted keys, compact) when pretty is false; indented for humans when true.
std::string GenesisToJson(const Genesis& g, bool pretty = false);
// H(canonical JSON): the hash block 1 links to.
crypto::Digest GenesisHash(const Genesis& g);
Result<Genesis> LoadGenesisFile(const std::string& path);

}  // namespace govledger::ledger

// The ledger's domain model as plain C++ values: what contracts read and write, what the store
// persists (via ledger/codec.h) and what the node serves. Protobuf types stay behind the codec so
// that contracts/ never sees generated code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "crypto/sign.h"
#include "util/bytes.h"

namespace govledger::ledger {

using crypto::Digest;

// ------------------------------------------------------------------ transactions

struct IssueMaterial {
  std::string material_id;
  std::string type_code;
  Bytes holder_commitment;
  Bytes doc_digest;
  Bytes fields_root;
  std::vector<std::string> field_names;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;  // 0 = no expiry
  std::string parent_id;
};

struct RevokeMaterial {
  std::string material_id;
  std::string reason;
};

using TxPayload = std::variant<IssueMaterial, RevokeMaterial>;

struct TxBody {
  std::string chain_id;
  uint64_t nonce = 0;
  uint64_t valid_until_height = 0;
  int64_t created_ms = 0;
  TxPayload payload;
};

// A decoded transaction together with the exact bytes it arrived as.
struct Tx {
  Bytes raw;           // serialized SignedTx, as submitted and as stored in the block
  Bytes body_bytes;    // SignedTx.body: the signed bytes
  crypto::PublicKey signer;
  Bytes signature;
  Digest hash{};       // H(body_bytes)
  TxBody body;
};

// "issue", "revoke": the payload kind as shown to users.
std::string TxKindName(const TxPayload& payload);

// ------------------------------------------------------------------ state

enum class MaterialStatus { kActive, kRevoked, kExpired };
std::string MaterialStatusName(MaterialStatus s);  // "ACTIVE", "REVOKED", "EXPIRED"

struct Material {
  std::string material_id;
  std::string type_code;
  std::string issuer;  // department id
  Bytes holder_commitment;
  Bytes doc_digest;
  Bytes fields_root;
  std::vector<std::string> field_names;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
  MaterialStatus status = MaterialStatus::kActive;
  uint32_t version = 1;
  std::string parent_id;
  uint64_t issued_height = 0;
  Bytes issue_tx;
  uint64_t updated_height = 0;
  uint32_t event_count = 0;
  Bytes last_event;  // hash of the newest event; empty before the first
};

enum class EventKind { kIssue, kRevoke, kExpire };
std::string EventKindName(EventKind k);  // "ISSUE", "REVOKE", "EXPIRE"

struct Event {
  std::string material_id;
  uint32_t seq = 0;
  EventKind kind = EventKind::kIssue;
  uint64_t height = 0;
  int64_t time_ms = 0;
  std::string actor;   // department id; empty for chain-emitted events
  Bytes tx_hash;       // empty for chain-emitted events
  std::string reason;
  Bytes prev_event;    // empty for seq 0
};

// ------------------------------------------------------------------ blocks

struct BlockHeader {
  std::string chain_id;
  uint64_t height = 0;
  int64_t time_ms = 0;
  crypto::PublicKey proposer;
  Bytes prev_hash;
  Bytes last_commit_hash;
  uint64_t log_size = 0;
  Bytes log_root;
  Bytes state_root;
  Bytes validators_hash;
  Bytes next_validators_hash;
  uint32_t tx_count = 0;
  Bytes events_hash;
};

struct CommitSig {
  crypto::PublicKey validator;
  Bytes signature;
};

// 2f+1 precommits over (chain id, height, round, block hash); see ledger/commit.h.
struct Commit {
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;
  std::vector<CommitSig> sigs;
};

struct Block {
  Bytes header_bytes;  // exact serialized header; block hash = H(header_bytes)
  BlockHeader header;  // decoded from header_bytes
  std::vector<Bytes> txs;  // serialized SignedTx
  std::optional<Commit> last_commit;  // absent at height 1
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  uint64_t log_index = 0;
};

}  // namespace govledger::ledger

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
#include "ledger/genesis.h"
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
  crypto::PublicKey holder_key;  // optional: the holder's own key, which may sign grants
  bool staged = false;           // true: ISSUED until published
};

struct RevokeMaterial {
  std::string material_id;
  std::string reason;
};

struct PublishMaterial {
  std::string material_id;
};

// A new version of a material (same type, issuer and serial; version + 1). The previous version
// becomes SUPERSEDED; the holder and the holder key carry over.
struct AmendMaterial {
  std::string prev_id;
  std::string material_id;
  Bytes doc_digest;
  Bytes fields_root;
  std::vector<std::string> field_names;
  int64_t valid_from_ms = 0;
  int64_t valid_until_ms = 0;
  std::string parent_id;
  std::string reason;
};

struct TransferMaterial {
  std::string material_id;
  Bytes new_holder_commitment;
  crypto::PublicKey new_holder_key;  // may be empty
  std::string reason;
};

struct SuspendMaterial {
  std::string material_id;
  std::string reason;
};

struct ReinstateMaterial {
  std::string material_id;
  std::string reason;
};

struct DestroyMaterial {
  std::string material_id;
  std::string reason;
};

// A holder's consent that `consumer` may use a material for `purpose` until a time, optionally at
// most `max_uses` times. Signed by the holder's registered key, or recorded by an authorizer
// department together with a digest of the consent evidence.
struct AuthorizeUse {
  std::string material_id;
  std::string consumer;
  std::string purpose;
  int64_t valid_until_ms = 0;
  uint32_t max_uses = 0;  // 0 = unlimited
  Bytes consent_digest;
};

struct WithdrawGrant {
  std::string grant_id;
  std::string reason;
};

struct UseMaterial {
  std::string material_id;
  std::string purpose;
  std::string grant_id;  // optional
};

struct CreateContract {
  Bytes doc_digest;
  std::vector<crypto::PublicKey> parties;
  int64_t sign_deadline_ms = 0;
  std::string prev_contract;  // the version this one amends, if any
  std::string title;
};

struct SignContract {
  std::string contract_id;
  Bytes doc_digest;
};

// One registry change a governance proposal asks for.
// kRotateValidator gives an existing validator new keys (and, optionally, new addresses): it keeps
// its name, department and place in the set (doc/operator.md, "Rotating a validator's keys").
enum class ChangeKind {
  kAddValidator,
  kRemoveValidator,
  kSetDepartment,
  kSetMaterialType,
  kRotateValidator
};

struct GovernanceChange {
  ChangeKind kind = ChangeKind::kSetDepartment;
  Validator validator;            // kAddValidator; kRotateValidator: the validator as rotated
  std::string validator_name;     // kRemoveValidator
  Department department;          // kSetDepartment: a new department, or new roles/names
  MaterialType material_type;     // kSetMaterialType: a new type, or new rules for one
  uint64_t effective_height = 0;  // kSetMaterialType: from this height (0: once approved)
};

struct ProposeChange {
  GovernanceChange change;
  uint64_t deadline_height = 0;  // approvals are accepted up to this height
  std::string reason;
};

struct ApproveProposal {
  std::string proposal_id;
};

using TxPayload =
    std::variant<IssueMaterial, RevokeMaterial, PublishMaterial, AmendMaterial, TransferMaterial,
                 SuspendMaterial, ReinstateMaterial, DestroyMaterial, AuthorizeUse, WithdrawGrant,
                 UseMaterial, CreateContract, SignContract, ProposeChange, ApproveProposal>;

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

// "issue", "revoke", "publish", "amend", ...: the payload kind as shown to users.
std::string TxKindName(const TxPayload& payload);

// ------------------------------------------------------------------ state

// The lifecycle of a material (doc/design.md, "Material lifecycle"):
//   issue ──▶ ACTIVE (or ISSUED when staged; publish makes it ACTIVE)
//   ACTIVE ⇄ SUSPENDED (suspend / reinstate); ACTIVE|SUSPENDED|ISSUED ──▶ REVOKED, SUPERSEDED
//   (amend), EXPIRED (block time); REVOKED|EXPIRED|SUPERSEDED|ISSUED ──▶ DESTROYED (tombstone).
enum class MaterialStatus {
  kActive,
  kRevoked,
  kExpired,
  kIssued,
  kSuspended,
  kSuperseded,
  kDestroyed
};
// "ACTIVE", "REVOKED", "EXPIRED", "ISSUED", "SUSPENDED", "SUPERSEDED", "DESTROYED"
std::string MaterialStatusName(MaterialStatus s);
// Statuses in which a material still runs towards its expiry (ACTIVE, ISSUED, SUSPENDED).
bool ExpiresInStatus(MaterialStatus s);

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
  crypto::PublicKey holder_key;  // the holder's own key, if registered
  std::string prev_version;      // id of the version this one amends
  std::string next_version;      // id of the version that superseded this one
  uint64_t use_count = 0;        // recorded uses
  std::string suspended_by;      // parent whose cascade suspended it (reinstated with the parent)
};
// Whether the expiry sweep cancels the material once its valid_until_ms has passed: it has an
// expiry and a status that runs towards it (ExpiresInStatus). The store's expiry index holds
// exactly these.
bool RunsToExpiry(const Material& m);

enum class EventKind {
  kIssue,
  kRevoke,
  kExpire,
  kPublish,
  kAmend,
  kSupersede,
  kTransfer,
  kSuspend,
  kReinstate,
  kDestroy,
  kAuthorize,
  kWithdraw,
  kUse,
  kContractCreate,
  kContractSign,
  kContractComplete,
  kContractExpire,
  kContractSupersede,
  kPropose,
  kApprove,
  kEnact
};
std::string EventKindName(EventKind k);  // "ISSUE", "REVOKE", "EXPIRE", "CONTRACT_SIGN", ...

// The state tables besides materials (key layout in ledger/store.h). Each record kind is stored
// under a one-byte table prefix; contracts read them through StateReader and write them as
// RecordWrites.
enum class Table : char {
  kGrant = 'G',             // grant id -> Grant
  kGrantByMaterial = 'g',   // material id 0x00 grant id -> ""
  kUsage = 'U',             // type 0x00 consumer 0x00 purpose -> u64 count
  kChildren = 'c',          // parent's first-version id 0x00 child id -> ""
  kContract = 'K',          // contract id -> EContract
  kContractByDigest = 'k',  // doc digest (32 bytes) contract id -> ""
  kContractDeadline = 'x',  // u64 deadline contract id -> "" (PENDING contracts only)
  kProposal = 'P',          // proposal id -> Proposal
  kRegistry = 'R',          // registry changes (ledger/records.h)
  kCounter = 'N',           // counter name -> u64
};

// One write to a state table; `value` empty (nullopt) deletes the key.
struct RecordWrite {
  Table table = Table::kCounter;
  std::string key;
  std::optional<Bytes> value;
};

struct Event {
  std::string material_id;  // the subject: a material, e-contract or proposal id
  uint32_t seq = 0;
  EventKind kind = EventKind::kIssue;
  uint64_t height = 0;
  int64_t time_ms = 0;
  std::string actor;   // department id; empty for chain-emitted events
  Bytes tx_hash;       // empty for chain-emitted events
  std::string reason;
  Bytes prev_event;    // empty for seq 0
  // Details of the newer kinds; hashed (layout v2) when any is set.
  std::string counterparty;  // consumer department of a grant or use
  std::string purpose;       // purpose of a grant or use
  std::string ref;           // linked id: grant, other version, parent, contract, proposal
  Bytes detail;              // digest the event records (consent, new holder, document)

  // The state-table writes that go with this event, in order. Not part of the event's encoding
  // or hash: they ride with the event from the contract through the block's overlay to
  // Store::CommitBlock, which writes them in the block's batch (doc/design.md, "State tables").
  std::vector<RecordWrite> records;
};

// ------------------------------------------------------------------ state records

struct Grant {
  std::string grant_id;  // hex of the authorizing tx's hash
  std::string material_id;
  std::string consumer;
  std::string purpose;
  int64_t valid_until_ms = 0;
  uint32_t max_uses = 0;  // 0 = unlimited
  uint32_t uses = 0;
  bool withdrawn = false;
  std::string grantor_department;  // authorizer department; empty when the holder signed
  crypto::PublicKey grantor_key;   // the key that signed the grant
  Bytes holder_commitment;         // the holder who gave it (a transfer voids it)
  Bytes consent_digest;
  uint64_t granted_height = 0;
  int64_t granted_ms = 0;
  uint64_t updated_height = 0;
  std::string withdraw_reason;
};

enum class ContractStatus { kPending, kComplete, kExpired, kSuperseded };
std::string ContractStatusName(ContractStatus s);  // "PENDING", "COMPLETE", "EXPIRED", "SUPERSEDED"

struct ContractSignature {
  crypto::PublicKey party_key;
  Bytes tx_hash;
  uint64_t height = 0;
  int64_t time_ms = 0;
};

struct EContract {
  std::string contract_id;  // hex of the creating tx's hash
  uint32_t version = 1;
  std::string prev_contract;
  std::string next_contract;  // the amendment that replaces (or, while pending, may replace) it
  Bytes doc_digest;
  std::vector<crypto::PublicKey> parties;
  std::vector<ContractSignature> signatures;  // in signing order
  int64_t sign_deadline_ms = 0;
  ContractStatus status = ContractStatus::kPending;
  std::string creator;  // department id
  uint64_t created_height = 0;
  int64_t created_ms = 0;
  uint64_t updated_height = 0;
  uint32_t event_count = 0;
  Bytes last_event;
  std::string title;
};

enum class ProposalStatus { kPending, kEnacted };

struct Proposal {
  std::string proposal_id;  // "P1", "P2", ...
  GovernanceChange change;
  std::string proposer;
  std::vector<std::string> approvals;  // department ids, proposer first
  uint64_t created_height = 0;
  uint64_t deadline_height = 0;
  ProposalStatus status = ProposalStatus::kPending;
  uint64_t enacted_height = 0;
  uint64_t effective_height = 0;
  std::string reason;
  uint32_t event_count = 0;
  Bytes last_event;
  uint32_t departments_at_approval = 0;  // registry size the 2/3 was counted against
};

// A validator joining, leaving or taking new keys, effective from a height (two after the
// enacting block). A change naming a validator already in the set replaces it in place.
struct ValidatorChange {
  uint64_t effective_height = 0;
  bool remove = false;
  bool rotate = false;  // new keys for an existing validator (shown as such; applied as above)
  Validator validator;  // for a removal only the name is set
  std::string proposal_id;
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

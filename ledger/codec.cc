#include "ledger/codec.h"

#include <google/protobuf/stubs/logging.h>

#include <climits>
#include <limits>
#include <string>
#include <utility>

#include "ledger/codec_internal.h"
#include "proto/govledger.pb.h"

namespace govledger::ledger {

namespace internal {

Bytes StrBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string BytesStr(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Parses untrusted bytes into `msg`. protobuf takes an int size, so larger inputs are refused
// before they reach it. protobuf logs an ERROR line for every string field that is not UTF-8;
// garbage from a peer is answered with a Status, so the silencer keeps it out of the node's log.
bool Parse(google::protobuf::MessageLite& msg, const Bytes& raw) {
  return Parse(msg, raw.data(), raw.size());
}
bool Parse(google::protobuf::MessageLite& msg, const uint8_t* data, size_t size) {
  if (size > static_cast<size_t>(INT_MAX)) return false;
  google::protobuf::LogSilencer quiet;
  return msg.ParseFromArray(data, static_cast<int>(size));
}
bool Parse(google::protobuf::MessageLite& msg, const std::string& raw) {
  google::protobuf::LogSilencer quiet;
  return msg.ParseFromString(raw);
}

Bytes Serialize(const google::protobuf::MessageLite& msg) {
  std::string out;
  GOVLEDGER_CHECK(msg.SerializeToString(&out));
  return StrBytes(out);
}

}  // namespace internal

namespace {

using internal::BytesStr;
using internal::Parse;
using internal::Serialize;
using internal::StrBytes;

Result<TxBody> FromProto(const pb::TxBody& in) {
  TxBody out;
  out.chain_id = in.chain_id();
  out.nonce = in.nonce();
  out.valid_until_height = in.valid_until_height();
  out.created_ms = in.created_ms();
  auto payload = internal::PayloadFromProto(in);
  if (!payload.ok()) return payload.status();
  out.payload = std::move(payload).value();
  return out;
}

// ------------------------------------------------------------------ blocks

void ToProto(const Commit& in, pb::Commit* out) {
  out->set_height(in.height);
  out->set_round(in.round);
  out->set_block_hash(BytesStr(in.block_hash));
  for (const CommitSig& s : in.sigs) {
    pb::CommitSig* sig = out->add_sigs();
    sig->set_validator(BytesStr(s.validator));
    sig->set_signature(BytesStr(s.signature));
  }
}

Commit FromProto(const pb::Commit& in) {
  Commit out;
  out.height = in.height();
  out.round = in.round();
  out.block_hash = StrBytes(in.block_hash());
  out.sigs.reserve(static_cast<size_t>(in.sigs_size()));
  for (const pb::CommitSig& s : in.sigs()) {
    out.sigs.push_back(CommitSig{StrBytes(s.validator()), StrBytes(s.signature())});
  }
  return out;
}

// ------------------------------------------------------------------ state

Result<MaterialStatus> FromProto(pb::MaterialStatus s) {
  switch (s) {
    case pb::ACTIVE:
      return MaterialStatus::kActive;
    case pb::REVOKED:
      return MaterialStatus::kRevoked;
    case pb::EXPIRED:
      return MaterialStatus::kExpired;
    case pb::ISSUED:
      return MaterialStatus::kIssued;
    case pb::SUSPENDED:
      return MaterialStatus::kSuspended;
    case pb::SUPERSEDED:
      return MaterialStatus::kSuperseded;
    case pb::DESTROYED:
      return MaterialStatus::kDestroyed;
    default:
      return Status::Error("malformed_material", "unknown material status " + std::to_string(s));
  }
}

pb::MaterialStatus ToProto(MaterialStatus s) {
  switch (s) {
    case MaterialStatus::kActive:
      return pb::ACTIVE;
    case MaterialStatus::kRevoked:
      return pb::REVOKED;
    case MaterialStatus::kExpired:
      return pb::EXPIRED;
    case MaterialStatus::kIssued:
      return pb::ISSUED;
    case MaterialStatus::kSuspended:
      return pb::SUSPENDED;
    case MaterialStatus::kSuperseded:
      return pb::SUPERSEDED;
    case MaterialStatus::kDestroyed:
      return pb::DESTROYED;
  }
  GOVLEDGER_CHECK(false && "unknown MaterialStatus");
  return pb::MATERIAL_STATUS_UNSPECIFIED;
}

// EventKind and its protobuf number, in one table so that the two directions cannot disagree.
constexpr std::pair<EventKind, pb::EventKind> kEventKinds[] = {
    {EventKind::kIssue, pb::ISSUE},
    {EventKind::kRevoke, pb::REVOKE},
    {EventKind::kExpire, pb::EXPIRE},
    {EventKind::kPublish, pb::PUBLISH},
    {EventKind::kAmend, pb::AMEND},
    {EventKind::kSupersede, pb::SUPERSEDE},
    {EventKind::kTransfer, pb::TRANSFER},
    {EventKind::kSuspend, pb::SUSPEND},
    {EventKind::kReinstate, pb::REINSTATE},
    {EventKind::kDestroy, pb::DESTROY},
    {EventKind::kAuthorize, pb::AUTHORIZE},
    {EventKind::kWithdraw, pb::WITHDRAW},
    {EventKind::kUse, pb::USE},
    {EventKind::kContractCreate, pb::CONTRACT_CREATE},
    {EventKind::kContractSign, pb::CONTRACT_SIGN},
    {EventKind::kContractComplete, pb::CONTRACT_COMPLETE},
    {EventKind::kContractExpire, pb::CONTRACT_EXPIRE},
    {EventKind::kContractSupersede, pb::CONTRACT_SUPERSEDE},
    {EventKind::kPropose, pb::PROPOSE},
    {EventKind::kApprove, pb::APPROVE},
    {EventKind::kEnact, pb::ENACT},
};

Result<EventKind> FromProto(pb::EventKind k) {
  for (const auto& [kind, number] : kEventKinds) {
    if (number == k) return kind;
  }
  return Status::Error("malformed_event", "unknown event kind " + std::to_string(k));
}

pb::EventKind ToProto(EventKind k) {
  for (const auto& [kind, number] : kEventKinds) {
    if (kind == k) return number;
  }
  GOVLEDGER_CHECK(false && "unknown EventKind");
  return pb::EVENT_KIND_UNSPECIFIED;
}

void ToProto(const Event& in, pb::Event* out) {
  out->set_material_id(in.material_id);
  out->set_seq(in.seq);
  out->set_kind(ToProto(in.kind));
  out->set_height(in.height);
  out->set_time_ms(in.time_ms);
  out->set_actor(in.actor);
  out->set_tx_hash(BytesStr(in.tx_hash));
  out->set_reason(in.reason);
  out->set_prev_event(BytesStr(in.prev_event));
  out->set_counterparty(in.counterparty);
  out->set_purpose(in.purpose);
  out->set_ref(in.ref);
  out->set_detail(BytesStr(in.detail));
}

Result<Event> FromProto(const pb::Event& in) {
  auto kind = FromProto(in.kind());
  if (!kind.ok()) return kind.status();
  Event out;
  out.material_id = in.material_id();
  out.seq = in.seq();
  out.kind = *kind;
  out.height = in.height();
  out.time_ms = in.time_ms();
  out.actor = in.actor();
  out.tx_hash = StrBytes(in.tx_hash());
  out.reason = in.reason();
  out.prev_event = StrBytes(in.prev_event());
  out.counterparty = in.counterparty();
  out.purpose = in.purpose();
  out.ref = in.ref();
  out.detail = StrBytes(in.detail());
  return out;
}

}  // namespace

// ------------------------------------------------------------------ domain names

std::string TxKindName(const TxPayload& payload) {
  struct Name {
    const char* operator()(const IssueMaterial&) const { return "issue"; }
    const char* operator()(const RevokeMaterial&) const { return "revoke"; }
    const char* operator()(const PublishMaterial&) const { return "publish"; }
    const char* operator()(const AmendMaterial&) const { return "amend"; }
    const char* operator()(const TransferMaterial&) const { return "transfer"; }
    const char* operator()(const SuspendMaterial&) const { return "suspend"; }
    const char* operator()(const ReinstateMaterial&) const { return "reinstate"; }
    const char* operator()(const DestroyMaterial&) const { return "destroy"; }
    const char* operator()(const AuthorizeUse&) const { return "authorize"; }
    const char* operator()(const WithdrawGrant&) const { return "withdraw_grant"; }
    const char* operator()(const UseMaterial&) const { return "use"; }
    const char* operator()(const CreateContract&) const { return "contract_create"; }
    const char* operator()(const SignContract&) const { return "contract_sign"; }
    const char* operator()(const ProposeChange&) const { return "propose"; }
    const char* operator()(const ApproveProposal&) const { return "approve"; }
  };
  return std::visit(Name{}, payload);
}

std::string MaterialStatusName(MaterialStatus s) {
  switch (s) {
    case MaterialStatus::kActive:
      return "ACTIVE";
    case MaterialStatus::kRevoked:
      return "REVOKED";
    case MaterialStatus::kExpired:
      return "EXPIRED";
    case MaterialStatus::kIssued:
      return "ISSUED";
    case MaterialStatus::kSuspended:
      return "SUSPENDED";
    case MaterialStatus::kSuperseded:
      return "SUPERSEDED";
    case MaterialStatus::kDestroyed:
      return "DESTROYED";
  }
  return "UNKNOWN";
}

bool ExpiresInStatus(MaterialStatus s) {
  return s == MaterialStatus::kActive || s == MaterialStatus::kIssued ||
         s == MaterialStatus::kSuspended;
}

bool RunsToExpiry(const Material& m) { return ExpiresInStatus(m.status) && m.valid_until_ms > 0; }

std::string EventKindName(EventKind k) {
  // The protobuf enum's names are the user-facing ones.
  return pb::EventKind_Name(ToProto(k));
}

std::string ContractStatusName(ContractStatus s) {
  switch (s) {
    case ContractStatus::kPending:
      return "PENDING";
    case ContractStatus::kComplete:
      return "COMPLETE";
    case ContractStatus::kExpired:
      return "EXPIRED";
    case ContractStatus::kSuperseded:
      return "SUPERSEDED";
  }
  return "UNKNOWN";
}

// ------------------------------------------------------------------ transactions

namespace {

// What DecodeTx checks, leaving the parsed envelope and the decoded body.
struct ParsedTx {
  pb::SignedTx envelope;
  TxBody body;
};
Result<ParsedTx> ParseTx(const Bytes& raw, size_t max_size) {
  if (raw.size() > max_size) {
    return Status::Error("tx_too_large", "transaction of " + std::to_string(raw.size()) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(max_size));
  }
  ParsedTx out;
  pb::SignedTx& envelope = out.envelope;
  if (!Parse(envelope, raw)) return Status::Error("malformed_tx", "not a SignedTx");
  if (envelope.signer().empty()) return Status::Error("malformed_tx", "missing signer");
  if (envelope.signature().empty()) return Status::Error("malformed_tx", "missing signature");
  pb::TxBody body;
  if (!Parse(body, envelope.body())) return Status::Error("malformed_tx", "body is not a TxBody");
  auto decoded = FromProto(body);
  if (!decoded.ok()) return decoded.status();
  out.body = std::move(decoded).value();
  return out;
}

}  // namespace

Result<Tx> DecodeTx(crypto::Suite suite, const Bytes& raw, size_t max_size) {
  auto parsed = ParseTx(raw, max_size);
  if (!parsed.ok()) return parsed.status();
  const pb::SignedTx& envelope = parsed->envelope;
  Tx tx;
  tx.raw = raw;
  tx.body_bytes = StrBytes(envelope.body());
  tx.signer = StrBytes(envelope.signer());
  tx.signature = StrBytes(envelope.signature());
  tx.hash = crypto::Hash(suite, tx.body_bytes);
  tx.body = std::move(parsed->body);
  return tx;
}

Result<Digest> DecodeTxHash(crypto::Suite suite, const Bytes& raw) {
  auto parsed = ParseTx(raw, std::numeric_limits<size_t>::max());
  if (!parsed.ok()) return parsed.status();
  return crypto::Hash(suite, parsed->envelope.body());
}

Bytes EncodeTxBody(const TxBody& body) {
  pb::TxBody out;
  out.set_chain_id(body.chain_id);
  out.set_nonce(body.nonce);
  out.set_valid_until_height(body.valid_until_height);
  out.set_created_ms(body.created_ms);
  internal::PayloadToProto(body.payload, &out);
  return Serialize(out);
}

Bytes EncodeSignedTx(const Bytes& body_bytes, const crypto::PublicKey& signer,
                     const Bytes& signature) {
  pb::SignedTx out;
  out.set_body(BytesStr(body_bytes));
  out.set_signer(BytesStr(signer));
  out.set_signature(BytesStr(signature));
  return Serialize(out);
}

Tx SignTx(const crypto::PrivateKey& key, const TxBody& body) {
  Bytes body_bytes = EncodeTxBody(body);
  Bytes signature = key.Sign(body_bytes);
  Bytes raw = EncodeSignedTx(body_bytes, key.public_key(), signature);
  auto decoded = DecodeTx(key.suite(), raw, raw.size());
  if (decoded.ok()) return std::move(decoded).value();
  // Only a body the decoder refuses (e.g. a string that is not UTF-8) gets here. The Tx is still
  // returned as signed, so the caller sees the same rejection from whoever decodes `raw`.
  Tx tx;
  tx.raw = std::move(raw);
  tx.hash = crypto::Hash(key.suite(), body_bytes);
  tx.body_bytes = std::move(body_bytes);
  tx.signer = key.public_key();
  tx.signature = std::move(signature);
  tx.body = body;
  return tx;
}

// ------------------------------------------------------------------ blocks

Bytes EncodeHeader(const BlockHeader& h) {
  pb::BlockHeader out;
  out.set_chain_id(h.chain_id);
  out.set_height(h.height);
  out.set_time_ms(h.time_ms);
  out.set_proposer(BytesStr(h.proposer));
  out.set_prev_hash(BytesStr(h.prev_hash));
  out.set_last_commit_hash(BytesStr(h.last_commit_hash));
  out.set_log_size(h.log_size);
  out.set_log_root(BytesStr(h.log_root));
  out.set_state_root(BytesStr(h.state_root));
  out.set_validators_hash(BytesStr(h.validators_hash));
  out.set_next_validators_hash(BytesStr(h.next_validators_hash));
  out.set_tx_count(h.tx_count);
  out.set_events_hash(BytesStr(h.events_hash));
  return Serialize(out);
}

Result<BlockHeader> DecodeHeader(const Bytes& raw) {
  pb::BlockHeader in;
  if (!Parse(in, raw)) return Status::Error("malformed_header", "not a BlockHeader");
  BlockHeader h;
  h.chain_id = in.chain_id();
  h.height = in.height();
  h.time_ms = in.time_ms();
  h.proposer = StrBytes(in.proposer());
  h.prev_hash = StrBytes(in.prev_hash());
  h.last_commit_hash = StrBytes(in.last_commit_hash());
  h.log_size = in.log_size();
  h.log_root = StrBytes(in.log_root());
  h.state_root = StrBytes(in.state_root());
  h.validators_hash = StrBytes(in.validators_hash());
  h.next_validators_hash = StrBytes(in.next_validators_hash());
  h.tx_count = in.tx_count();
  h.events_hash = StrBytes(in.events_hash());
  return h;
}

Bytes EncodeBlock(const Block& b) {
  pb::Block out;
  out.set_header(BytesStr(b.header_bytes));
  for (const Bytes& tx : b.txs) out.add_txs(BytesStr(tx));
  if (b.last_commit) ToProto(*b.last_commit, out.mutable_last_commit());
  return Serialize(out);
}

Result<Block> DecodeBlock(const Bytes& raw) {
  pb::Block in;
  if (!Parse(in, raw)) return Status::Error("malformed_block", "not a Block");
  Block b;
  b.header_bytes = StrBytes(in.header());
  auto header = DecodeHeader(b.header_bytes);
  if (!header.ok()) return Status::Error("malformed_block", header.status().message());
  b.header = std::move(header).value();
  b.txs.reserve(static_cast<size_t>(in.txs_size()));
  for (const std::string& tx : in.txs()) b.txs.push_back(StrBytes(tx));
  if (in.has_last_commit()) b.last_commit = FromProto(in.last_commit());
  return b;
}

Bytes EncodeCommit(const Commit& c) {
  pb::Commit out;
  ToProto(c, &out);
  return Serialize(out);
}

Result<Commit> DecodeCommit(const Bytes& raw) {
  pb::Commit in;
  if (!Parse(in, raw)) return Status::Error("malformed_commit", "not a Commit");
  return FromProto(in);
}

// ------------------------------------------------------------------ state

Bytes EncodeMaterial(const Material& m) {
  pb::MaterialRecord out;
  out.set_material_id(m.material_id);
  out.set_type_code(m.type_code);
  out.set_issuer(m.issuer);
  out.set_holder_commitment(BytesStr(m.holder_commitment));
  out.set_doc_digest(BytesStr(m.doc_digest));
  out.set_fields_root(BytesStr(m.fields_root));
  for (const std::string& f : m.field_names) out.add_field_names(f);
  out.set_valid_from_ms(m.valid_from_ms);
  out.set_valid_until_ms(m.valid_until_ms);
  out.set_status(ToProto(m.status));
  out.set_version(m.version);
  out.set_parent_id(m.parent_id);
  out.set_issued_height(m.issued_height);
  out.set_issue_tx(BytesStr(m.issue_tx));
  out.set_updated_height(m.updated_height);
  out.set_event_count(m.event_count);
  out.set_last_event(BytesStr(m.last_event));
  out.set_holder_key(BytesStr(m.holder_key));
  out.set_prev_version(m.prev_version);
  out.set_next_version(m.next_version);
  out.set_use_count(m.use_count);
  out.set_suspended_by(m.suspended_by);
  return Serialize(out);
}

Result<Material> DecodeMaterial(const Bytes& raw) { return DecodeMaterial(raw.data(), raw.size()); }

Result<Material> DecodeMaterial(const uint8_t* data, size_t size) {
  pb::MaterialRecord in;
  if (!Parse(in, data, size)) return Status::Error("malformed_material", "not a MaterialRecord");
  auto status = FromProto(in.status());
  if (!status.ok()) return status.status();
  Material m;
  m.material_id = in.material_id();
  m.type_code = in.type_code();
  m.issuer = in.issuer();
  m.holder_commitment = StrBytes(in.holder_commitment());
  m.doc_digest = StrBytes(in.doc_digest());
  m.fields_root = StrBytes(in.fields_root());
  m.field_names.assign(in.field_names().begin(), in.field_names().end());
  m.valid_from_ms = in.valid_from_ms();
  m.valid_until_ms = in.valid_until_ms();
  m.status = *status;
  m.version = in.version();
  m.parent_id = in.parent_id();
  m.issued_height = in.issued_height();
  m.issue_tx = StrBytes(in.issue_tx());
  m.updated_height = in.updated_height();
  m.event_count = in.event_count();
  m.last_event = StrBytes(in.last_event());
  m.holder_key = StrBytes(in.holder_key());
  m.prev_version = in.prev_version();
  m.next_version = in.next_version();
  m.use_count = in.use_count();
  m.suspended_by = in.suspended_by();
  return m;
}

Bytes EncodeEvent(const Event& e) {
  pb::Event out;
  ToProto(e, &out);
  return Serialize(out);
}

Result<Event> DecodeEvent(const Bytes& raw) {
  pb::Event in;
  if (!Parse(in, raw)) return Status::Error("malformed_event", "not an Event");
  return FromProto(in);
}

Bytes EncodeEvents(const std::vector<Event>& events) {
  pb::BlockEvents out;
  for (const Event& e : events) ToProto(e, out.add_events());
  return Serialize(out);
}

Result<std::vector<Event>> DecodeEvents(const Bytes& raw) {
  pb::BlockEvents in;
  if (!Parse(in, raw)) return Status::Error("malformed_event", "not a BlockEvents");
  std::vector<Event> out;
  out.reserve(static_cast<size_t>(in.events_size()));
  for (const pb::Event& e : in.events()) {
    auto event = FromProto(e);
    if (!event.ok()) return event.status();
    out.push_back(std::move(event).value());
  }
  return out;
}

Bytes EncodeTxLocation(const TxLocation& l) {
  pb::TxLocation out;
  out.set_height(l.height);
  out.set_index(l.index);
  out.set_log_index(l.log_index);
  return Serialize(out);
}

Result<TxLocation> DecodeTxLocation(const Bytes& raw) {
  return DecodeTxLocation(raw.data(), raw.size());
}

Result<TxLocation> DecodeTxLocation(const uint8_t* data, size_t size) {
  pb::TxLocation in;
  if (!Parse(in, data, size)) return Status::Error("malformed_tx_location", "not a TxLocation");
  return TxLocation{in.height(), in.index(), in.log_index()};
}

}  // namespace govledger::ledger

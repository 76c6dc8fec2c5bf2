// State records besides materials: grants, e-contracts, proposals and registry changes.
#include <utility>

#include "ledger/codec.h"
#include "ledger/codec_internal.h"

namespace govledger::ledger {

using internal::BytesStr;
using internal::Parse;
using internal::Serialize;
using internal::StrBytes;

Bytes EncodeGrant(const Grant& g) {
  pb::GrantRecord out;
  out.set_grant_id(g.grant_id);
  out.set_material_id(g.material_id);
  out.set_consumer(g.consumer);
  out.set_purpose(g.purpose);
  out.set_valid_until_ms(g.valid_until_ms);
  out.set_max_uses(g.max_uses);
  out.set_uses(g.uses);
  out.set_withdrawn(g.withdrawn);
  out.set_grantor_department(g.grantor_department);
  out.set_grantor_key(BytesStr(g.grantor_key));
  out.set_holder_commitment(BytesStr(g.holder_commitment));
  out.set_consent_digest(BytesStr(g.consent_digest));
  out.set_granted_height(g.granted_height);
  out.set_granted_ms(g.granted_ms);
  out.set_updated_height(g.updated_height);
  out.set_withdraw_reason(g.withdraw_reason);
  return Serialize(out);
}

Result<Grant> DecodeGrant(const Bytes& raw) {
  pb::GrantRecord in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a GrantRecord");
  Grant g;
  g.grant_id = in.grant_id();
  g.material_id = in.material_id();
  g.consumer = in.consumer();
  g.purpose = in.purpose();
  g.valid_until_ms = in.valid_until_ms();
  g.max_uses = in.max_uses();
  g.uses = in.uses();
  g.withdrawn = in.withdrawn();
  g.grantor_department = in.grantor_department();
  g.grantor_key = StrBytes(in.grantor_key());
  g.holder_commitment = StrBytes(in.holder_commitment());
  g.consent_digest = StrBytes(in.consent_digest());
  g.granted_height = in.granted_height();
  g.granted_ms = in.granted_ms();
  g.updated_height = in.updated_height();
  g.withdraw_reason = in.withdraw_reason();
  return g;
}

namespace {

pb::ContractStatus ToProto(ContractStatus s) {
  switch (s) {
    case ContractStatus::kPending:
      return pb::CONTRACT_STATUS_PENDING;
    case ContractStatus::kComplete:
      return pb::CONTRACT_STATUS_COMPLETE;
    case ContractStatus::kExpired:
      return pb::CONTRACT_STATUS_EXPIRED;
    case ContractStatus::kSuperseded:
      return pb::CONTRACT_STATUS_SUPERSEDED;
  }
  GOVLEDGER_CHECK(false && "unknown ContractStatus");
  return pb::CONTRACT_STATUS_UNSPECIFIED;
}

Result<ContractStatus> FromProto(pb::ContractStatus s) {
  switch (s) {
    case pb::CONTRACT_STATUS_PENDING:
      return ContractStatus::kPending;
    case pb::CONTRACT_STATUS_COMPLETE:
      return ContractStatus::kComplete;
    case pb::CONTRACT_STATUS_EXPIRED:
      return ContractStatus::kExpired;
    case pb::CONTRACT_STATUS_SUPERSEDED:
      return ContractStatus::kSuperseded;
    default:
      return Status::Error("malformed_record", "unknown contract status " + std::to_string(s));
  }
}

}  // namespace

Bytes EncodeContract(const EContract& c) {
  pb::ContractRecord out;
  out.set_contract_id(c.contract_id);
  out.set_version(c.version);
  out.set_prev_contract(c.prev_contract);
  out.set_next_contract(c.next_contract);
  out.set_doc_digest(BytesStr(c.doc_digest));
  for (const auto& p : c.parties) out.add_parties(BytesStr(p));
  for (const ContractSignature& s : c.signatures) {
    pb::ContractSignatureRecord* r = out.add_signatures();
    r->set_party_key(BytesStr(s.party_key));
    r->set_tx_hash(BytesStr(s.tx_hash));
    r->set_height(s.height);
    r->set_time_ms(s.time_ms);
  }
  out.set_sign_deadline_ms(c.sign_deadline_ms);
  out.set_status(ToProto(c.status));
  out.set_creator(c.creator);
  out.set_created_height(c.created_height);
  out.set_created_ms(c.created_ms);
  out.set_updated_height(c.updated_height);
  out.set_event_count(c.event_count);
  out.set_last_event(BytesStr(c.last_event));
  out.set_title(c.title);
  return Serialize(out);
}

Result<EContract> DecodeContract(const Bytes& raw) {
  pb::ContractRecord in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a ContractRecord");
  auto status = FromProto(in.status());
  if (!status.ok()) return status.status();
  EContract c;
  c.contract_id = in.contract_id();
  c.version = in.version();
  c.prev_contract = in.prev_contract();
  c.next_contract = in.next_contract();
  c.doc_digest = StrBytes(in.doc_digest());
  for (const std::string& p : in.parties()) c.parties.push_back(StrBytes(p));
  for (const pb::ContractSignatureRecord& s : in.signatures()) {
    c.signatures.push_back(
        ContractSignature{StrBytes(s.party_key()), StrBytes(s.tx_hash()), s.height(), s.time_ms()});
  }
  c.sign_deadline_ms = in.sign_deadline_ms();
  c.status = *status;
  c.creator = in.creator();
  c.created_height = in.created_height();
  c.created_ms = in.created_ms();
  c.updated_height = in.updated_height();
  c.event_count = in.event_count();
  c.last_event = StrBytes(in.last_event());
  c.title = in.title();
  return c;
}

Bytes EncodeProposal(const Proposal& p) {
  pb::ProposalRecord out;
  out.set_proposal_id(p.proposal_id);
  internal::ToProto(p.change, out.mutable_change());
  out.set_proposer(p.proposer);
  for (const std::string& a : p.approvals) out.add_approvals(a);
  out.set_created_height(p.created_height);
  out.set_deadline_height(p.deadline_height);
  out.set_status(p.status == ProposalStatus::kEnacted ? pb::PROPOSAL_STATUS_ENACTED
                                                      : pb::PROPOSAL_STATUS_PENDING);
  out.set_enacted_height(p.enacted_height);
  out.set_effective_height(p.effective_height);
  out.set_reason(p.reason);
  out.set_event_count(p.event_count);
  out.set_last_event(BytesStr(p.last_event));
  out.set_departments_at_approval(p.departments_at_approval);
  return Serialize(out);
}

Result<Proposal> DecodeProposal(const Bytes& raw) {
  pb::ProposalRecord in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a ProposalRecord");
  auto change = internal::FromProto(in.change());
  if (!change.ok()) return Status::Error("malformed_record", change.status().message());
  Proposal p;
  p.proposal_id = in.proposal_id();
  p.change = std::move(change).value();
  p.proposer = in.proposer();
  p.approvals.assign(in.approvals().begin(), in.approvals().end());
  p.created_height = in.created_height();
  p.deadline_height = in.deadline_height();
  p.status = in.status() == pb::PROPOSAL_STATUS_ENACTED ? ProposalStatus::kEnacted
                                                        : ProposalStatus::kPending;
  p.enacted_height = in.enacted_height();
  p.effective_height = in.effective_height();
  p.reason = in.reason();
  p.event_count = in.event_count();
  p.last_event = StrBytes(in.last_event());
  p.departments_at_approval = in.departments_at_approval();
  return p;
}

Bytes EncodeValidatorChange(const ValidatorChange& v) {
  pb::ValidatorChangeRecord out;
  out.set_effective_height(v.effective_height);
  out.set_remove(v.remove);
  out.set_rotate(v.rotate);
  internal::ToProto(v.validator, out.mutable_validator());
  out.set_proposal_id(v.proposal_id);
  return Serialize(out);
}

Result<ValidatorChange> DecodeValidatorChange(const Bytes& raw) {
  pb::ValidatorChangeRecord in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a ValidatorChangeRecord");
  ValidatorChange v;
  v.effective_height = in.effective_height();
  v.remove = in.remove();
  v.rotate = in.rotate();
  v.validator = internal::FromProto(in.validator());
  v.proposal_id = in.proposal_id();
  return v;
}

Bytes EncodeDepartment(const Department& d) {
  pb::DepartmentDef out;
  internal::ToProto(d, &out);
  return Serialize(out);
}

Result<Department> DecodeDepartment(const Bytes& raw) {
  pb::DepartmentDef in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a DepartmentDef");
  return internal::FromProto(in);
}

Bytes EncodeMaterialType(const MaterialType& t) {
  pb::MaterialTypeDef out;
  internal::ToProto(t, &out);
  return Serialize(out);
}

Result<MaterialType> DecodeMaterialType(const Bytes& raw) {
  pb::MaterialTypeDef in;
  if (!Parse(in, raw)) return Status::Error("malformed_record", "not a MaterialTypeDef");
  auto t = internal::FromProto(in);
  if (!t.ok()) return Status::Error("malformed_record", t.status().message());
  return t;
}

Bytes EncodeU64(uint64_t v) {
  Bytes out;
  AppendU64BE(out, v);
  return out;
}

Result<uint64_t> DecodeU64(const Bytes& raw) {
  if (raw.size() != 8) return Status::Error("malformed_record", "counter is not 8 bytes");
  return ReadU64BE(raw.data());
}

}  // namespace govledger::ledger

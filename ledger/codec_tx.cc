// Transaction payloads and the registry definitions that governance proposals carry.
#include <utility>
#include <variant>

#include "ledger/codec_internal.h"

namespace govledger::ledger::internal {

namespace {

void ToProto(const IssueMaterial& in, pb::IssueMaterial* out) {
  out->set_material_id(in.material_id);
  out->set_type_code(in.type_code);
  out->set_holder_commitment(BytesStr(in.holder_commitment));
  out->set_doc_digest(BytesStr(in.doc_digest));
  out->set_fields_root(BytesStr(in.fields_root));
  for (const std::string& f : in.field_names) out->add_field_names(f);
  out->set_valid_from_ms(in.valid_from_ms);
  out->set_valid_until_ms(in.valid_until_ms);
  out->set_parent_id(in.parent_id);
  out->set_holder_key(BytesStr(in.holder_key));
  out->set_staged(in.staged);
}

IssueMaterial FromProto(const pb::IssueMaterial& in) {
  IssueMaterial out;
  out.material_id = in.material_id();
  out.type_code = in.type_code();
  out.holder_commitment = StrBytes(in.holder_commitment());
  out.doc_digest = StrBytes(in.doc_digest());
  out.fields_root = StrBytes(in.fields_root());
  out.field_names.assign(in.field_names().begin(), in.field_names().end());
  out.valid_from_ms = in.valid_from_ms();
  out.valid_until_ms = in.valid_until_ms();
  out.parent_id = in.parent_id();
  out.holder_key = StrBytes(in.holder_key());
  out.staged = in.staged();
  return out;
}

void ToProto(const AmendMaterial& in, pb::AmendMaterial* out) {
  out->set_prev_id(in.prev_id);
  out->set_material_id(in.material_id);
  out->set_doc_digest(BytesStr(in.doc_digest));
  out->set_fields_root(BytesStr(in.fields_root));
  for (const std::string& f : in.field_names) out->add_field_names(f);
  out->set_valid_from_ms(in.valid_from_ms);
  out->set_valid_until_ms(in.valid_until_ms);
  out->set_parent_id(in.parent_id);
  out->set_reason(in.reason);
}

AmendMaterial FromProto(const pb::AmendMaterial& in) {
  AmendMaterial out;
  out.prev_id = in.prev_id();
  out.material_id = in.material_id();
  out.doc_digest = StrBytes(in.doc_digest());
  out.fields_root = StrBytes(in.fields_root());
  out.field_names.assign(in.field_names().begin(), in.field_names().end());
  out.valid_from_ms = in.valid_from_ms();
  out.valid_until_ms = in.valid_until_ms();
  out.parent_id = in.parent_id();
  out.reason = in.reason();
  return out;
}

void ToProto(const TransferMaterial& in, pb::TransferMaterial* out) {
  out->set_material_id(in.material_id);
  out->set_new_holder_commitment(BytesStr(in.new_holder_commitment));
  out->set_new_holder_key(BytesStr(in.new_holder_key));
  out->set_reason(in.reason);
}

TransferMaterial FromProto(const pb::TransferMaterial& in) {
  return TransferMaterial{in.material_id(), StrBytes(in.new_holder_commitment()),
                          StrBytes(in.new_holder_key()), in.reason()};
}

// The four (material id, reason) payloads share one shape.
template <typename P, typename M>
void IdReasonToProto(const P& in, M* out) {
  out->set_material_id(in.material_id);
  out->set_reason(in.reason);
}
template <typename P, typename M>
P IdReasonFromProto(const M& in) {
  P out;
  out.material_id = in.material_id();
  out.reason = in.reason();
  return out;
}

void ToProto(const AuthorizeUse& in, pb::AuthorizeUse* out) {
  out->set_material_id(in.material_id);
  out->set_consumer(in.consumer);
  out->set_purpose(in.purpose);
  out->set_valid_until_ms(in.valid_until_ms);
  out->set_max_uses(in.max_uses);
  out->set_consent_digest(BytesStr(in.consent_digest));
}

AuthorizeUse FromProto(const pb::AuthorizeUse& in) {
  AuthorizeUse out;
  out.material_id = in.material_id();
  out.consumer = in.consumer();
  out.purpose = in.purpose();
  out.valid_until_ms = in.valid_until_ms();
  out.max_uses = in.max_uses();
  out.consent_digest = StrBytes(in.consent_digest());
  return out;
}

void ToProto(const CreateContract& in, pb::CreateContract* out) {
  out->set_doc_digest(BytesStr(in.doc_digest));
  for (const auto& p : in.parties) out->add_parties(BytesStr(p));
  out->set_sign_deadline_ms(in.sign_deadline_ms);
  out->set_prev_contract(in.prev_contract);
  out->set_title(in.title);
}

CreateContract FromProto(const pb::CreateContract& in) {
  CreateContract out;
  out.doc_digest = StrBytes(in.doc_digest());
  for (const std::string& p : in.parties()) out.parties.push_back(StrBytes(p));
  out.sign_deadline_ms = in.sign_deadline_ms();
  out.prev_contract = in.prev_contract();
  out.title = in.title();
  return out;
}

}  // namespace

// ------------------------------------------------------------------ registry definitions

void ToProto(const Department& in, pb::DepartmentDef* out) {
  out->set_id(in.id);
  out->set_name(in.name);
  out->set_name_en(in.name_en);
  out->set_code(in.code);
  for (const std::string& r : in.roles) out->add_roles(r);
  out->set_key(BytesStr(in.key));
}

Department FromProto(const pb::DepartmentDef& in) {
  Department out;
  out.id = in.id();
  out.name = in.name();
  out.name_en = in.name_en();
  out.code = in.code();
  out.roles.assign(in.roles().begin(), in.roles().end());
  out.key = StrBytes(in.key());
  return out;
}

void ToProto(const MaterialType& in, pb::MaterialTypeDef* out) {
  out->set_code(in.code);
  out->set_name(in.name);
  out->set_name_en(in.name_en);
  out->set_category(in.category);
  for (const std::string& s : in.issuers) out->add_issuers(s);
  for (const std::string& s : in.required_fields) out->add_required_fields(s);
  out->set_max_validity_ms(in.max_validity_ms);
  out->set_parent_type(in.parent_type);
  for (const std::string& s : in.use_purposes) out->add_use_purposes(s);
  out->set_grant_not_required(!in.requires_grant);
  out->set_cascade(std::string(CascadeRuleName(in.cascade)));
}

Result<MaterialType> FromProto(const pb::MaterialTypeDef& in) {
  MaterialType out;
  out.code = in.code();
  out.name = in.name();
  out.name_en = in.name_en();
  out.category = in.category();
  out.issuers.assign(in.issuers().begin(), in.issuers().end());
  out.required_fields.assign(in.required_fields().begin(), in.required_fields().end());
  out.max_validity_ms = in.max_validity_ms();
  out.parent_type = in.parent_type();
  out.use_purposes.assign(in.use_purposes().begin(), in.use_purposes().end());
  out.requires_grant = !in.grant_not_required();
  if (!in.cascade().empty() && !ParseCascadeRule(in.cascade(), out.cascade)) {
    return Status::Error("malformed_tx", "unknown cascade rule in a material type definition");
  }
  return out;
}

void ToProto(const Validator& in, pb::ValidatorDef* out) {
  out->set_name(in.name);
  out->set_department(in.department);
  out->set_key(BytesStr(in.key));
  out->set_tls_key(BytesStr(in.tls_key));
  out->set_p2p_address(in.p2p_address);
  out->set_api_address(in.api_address);
}

Validator FromProto(const pb::ValidatorDef& in) {
  Validator out;
  out.name = in.name();
  out.department = in.department();
  out.key = StrBytes(in.key());
  out.tls_key = StrBytes(in.tls_key());
  out.p2p_address = in.p2p_address();
  out.api_address = in.api_address();
  return out;
}

void ToProto(const GovernanceChange& in, pb::GovernanceChange* out) {
  switch (in.kind) {
    case ChangeKind::kAddValidator:
      ToProto(in.validator, out->mutable_add_validator());
      break;
    case ChangeKind::kRemoveValidator:
      out->set_remove_validator(in.validator_name);
      break;
    case ChangeKind::kRotateValidator:
      ToProto(in.validator, out->mutable_rotate_validator());
      break;
    case ChangeKind::kSetDepartment:
      ToProto(in.department, out->mutable_set_department());
      break;
    case ChangeKind::kSetMaterialType:
      ToProto(in.material_type, out->mutable_set_material_type());
      break;
  }
  out->set_effective_height(in.effective_height);
}

Result<GovernanceChange> FromProto(const pb::GovernanceChange& in) {
  GovernanceChange out;
  out.effective_height = in.effective_height();
  switch (in.change_case()) {
    case pb::GovernanceChange::kAddValidator:
      out.kind = ChangeKind::kAddValidator;
      out.validator = FromProto(in.add_validator());
      break;
    case pb::GovernanceChange::kRemoveValidator:
      out.kind = ChangeKind::kRemoveValidator;
      out.validator_name = in.remove_validator();
      break;
    case pb::GovernanceChange::kRotateValidator:
      out.kind = ChangeKind::kRotateValidator;
      out.validator = FromProto(in.rotate_validator());
      break;
    case pb::GovernanceChange::kSetDepartment:
      out.kind = ChangeKind::kSetDepartment;
      out.department = FromProto(in.set_department());
      break;
    case pb::GovernanceChange::kSetMaterialType: {
      out.kind = ChangeKind::kSetMaterialType;
      auto t = FromProto(in.set_material_type());
      if (!t.ok()) return t.status();
      out.material_type = std::move(t).value();
      break;
    }
    case pb::GovernanceChange::CHANGE_NOT_SET:
      return Status::Error("malformed_tx", "governance change has no kind");
  }
  return out;
}

// ------------------------------------------------------------------ payloads

void PayloadToProto(const TxPayload& payload, pb::TxBody* out) {
  struct Visit {
    pb::TxBody* out;
    void operator()(const IssueMaterial& p) const { ToProto(p, out->mutable_issue()); }
    void operator()(const RevokeMaterial& p) const { IdReasonToProto(p, out->mutable_revoke()); }
    void operator()(const PublishMaterial& p) const {
      out->mutable_publish()->set_material_id(p.material_id);
    }
    void operator()(const AmendMaterial& p) const { ToProto(p, out->mutable_amend()); }
    void operator()(const TransferMaterial& p) const { ToProto(p, out->mutable_transfer()); }
    void operator()(const SuspendMaterial& p) const { IdReasonToProto(p, out->mutable_suspend()); }
    void operator()(const ReinstateMaterial& p) const {
      IdReasonToProto(p, out->mutable_reinstate());
    }
    void operator()(const DestroyMaterial& p) const { IdReasonToProto(p, out->mutable_destroy()); }
    void operator()(const AuthorizeUse& p) const { ToProto(p, out->mutable_authorize()); }
    void operator()(const WithdrawGrant& p) const {
      out->mutable_withdraw_grant()->set_grant_id(p.grant_id);
      out->mutable_withdraw_grant()->set_reason(p.reason);
    }
    void operator()(const UseMaterial& p) const {
      out->mutable_use()->set_material_id(p.material_id);
      out->mutable_use()->set_purpose(p.purpose);
      out->mutable_use()->set_grant_id(p.grant_id);
    }
    void operator()(const CreateContract& p) const { ToProto(p, out->mutable_create_contract()); }
    void operator()(const SignContract& p) const {
      out->mutable_sign_contract()->set_contract_id(p.contract_id);
      out->mutable_sign_contract()->set_doc_digest(BytesStr(p.doc_digest));
    }
    void operator()(const ProposeChange& p) const {
      pb::ProposeChange* m = out->mutable_propose();
      ToProto(p.change, m->mutable_change());
      m->set_deadline_height(p.deadline_height);
      m->set_reason(p.reason);
    }
    void operator()(const ApproveProposal& p) const {
      out->mutable_approve()->set_proposal_id(p.proposal_id);
    }
  };
  std::visit(Visit{out}, payload);
}

Result<TxPayload> PayloadFromProto(const pb::TxBody& in) {
  switch (in.payload_case()) {
    case pb::TxBody::kIssue:
      return TxPayload(FromProto(in.issue()));
    case pb::TxBody::kRevoke:
      return TxPayload(IdReasonFromProto<RevokeMaterial>(in.revoke()));
    case pb::TxBody::kPublish:
      return TxPayload(PublishMaterial{in.publish().material_id()});
    case pb::TxBody::kAmend:
      return TxPayload(FromProto(in.amend()));
    case pb::TxBody::kTransfer:
      return TxPayload(FromProto(in.transfer()));
    case pb::TxBody::kSuspend:
      return TxPayload(IdReasonFromProto<SuspendMaterial>(in.suspend()));
    case pb::TxBody::kReinstate:
      return TxPayload(IdReasonFromProto<ReinstateMaterial>(in.reinstate()));
    case pb::TxBody::kDestroy:
      return TxPayload(IdReasonFromProto<DestroyMaterial>(in.destroy()));
    case pb::TxBody::kAuthorize:
      return TxPayload(FromProto(in.authorize()));
    case pb::TxBody::kWithdrawGrant:
      return TxPayload(WithdrawGrant{in.withdraw_grant().grant_id(), in.withdraw_grant().reason()});
    case pb::TxBody::kUse:
      return TxPayload(
          UseMaterial{in.use().material_id(), in.use().purpose(), in.use().grant_id()});
    case pb::TxBody::kCreateContract:
      return TxPayload(FromProto(in.create_contract()));
    case pb::TxBody::kSignContract:
      return TxPayload(SignContract{in.sign_contract().contract_id(),
                                    StrBytes(in.sign_contract().doc_digest())});
    case pb::TxBody::kPropose: {
      if (!in.propose().has_change()) {
        return Status::Error("malformed_tx", "governance proposal without a change");
      }
      auto change = FromProto(in.propose().change());
      if (!change.ok()) return change.status();
      return TxPayload(ProposeChange{std::move(change).value(), in.propose().deadline_height(),
                                     in.propose().reason()});
    }
    case pb::TxBody::kApprove:
      return TxPayload(ApproveProposal{in.approve().proposal_id()});
    case pb::TxBody::PAYLOAD_NOT_SET:
      break;
  }
  // Also what a payload added by a newer version looks like to this one (unknown field).
  return Status::Error("missing_payload", "transaction body has no known payload");
}

}  // namespace govledger::ledger::internal

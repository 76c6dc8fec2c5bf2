#include "contracts/material.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "contracts/handlers.h"
#include "contracts/material_id.h"
#include "contracts/reasons.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "ledger/records.h"

namespace govledger::contracts {
namespace {

using ledger::Event;
using ledger::EventKind;
using ledger::Material;
using ledger::MaterialStatus;

constexpr size_t kMaxFieldNames = 64;
constexpr size_t kMaxFieldNameBytes = 64;
constexpr char kExpiryReason[] = "valid_until reached";

// ------------------------------------------------------------------ envelope

// Chain, validity window and replay; then the signer's department, if it has one (whether the
// payload needs one is the payload's rule).
Status CheckEnvelope(const RegistryView& registry, const ledger::StateReader& state,
                     const ledger::Tx& tx, const BlockContext& ctx) {
  const ledger::TxBody& body = tx.body;
  if (body.chain_id != registry.chain_id()) {
    return Reject(reason::kWrongChain, "tx is for chain " + Quote(body.chain_id) +
                                           ", this chain is '" + registry.chain_id() + "'");
  }
  if (ctx.height > body.valid_until_height) {
    return Reject(reason::kTxExpired, "tx was valid until height " +
                                          std::to_string(body.valid_until_height) +
                                          ", block height is " + std::to_string(ctx.height));
  }
  // valid_until_height >= ctx.height here, so the subtraction cannot wrap.
  uint64_t max_ahead = registry.params().max_tx_validity_heights;
  if (body.valid_until_height - ctx.height > max_ahead) {
    return Reject(reason::kTxTooFarAhead,
                  "tx valid until height " + std::to_string(body.valid_until_height) +
                      " is more than " + std::to_string(max_ahead) +
                      " heights after block height " + std::to_string(ctx.height));
  }
  if (state.HasTx(tx.hash)) {
    return Reject(reason::kReplayed, "tx " + crypto::DigestHex(tx.hash) + " is already committed");
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ shared issue/amend checks

Status CheckFieldNames(const std::vector<std::string>& names) {
  if (names.size() > kMaxFieldNames) {
    return Reject(reason::kBadFields, std::to_string(names.size()) + " field names, at most " +
                                          std::to_string(kMaxFieldNames));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty()) {
      return Reject(reason::kBadFields, "field name " + std::to_string(i) + " is empty");
    }
    if (name.size() > kMaxFieldNameBytes) {
      return Reject(reason::kBadFields, "field name " + Quote(name) + " is " +
                                            std::to_string(name.size()) + " bytes, at most " +
                                            std::to_string(kMaxFieldNameBytes));
    }
    if (!IsCleanText(name)) {
      return Reject(reason::kBadFields,
                    "field name " + Quote(name) + " is not UTF-8 text without control characters");
    }
    // Strictly ascending byte order: sorted and unique in one comparison, the order of the
    // leaves under fields_root.
    if (i > 0 && !(names[i - 1] < name)) {
      return Reject(reason::kBadFields, "field names must be sorted and unique: " +
                                            Quote(names[i - 1]) + " comes before " + Quote(name));
    }
  }
  return Status::Ok();
}

Status CheckRequiredFields(const ledger::MaterialType& type,
                           const std::vector<std::string>& names) {
  for (const std::string& required : type.required_fields) {
    if (!std::binary_search(names.begin(), names.end(), required)) {
      return Reject(reason::kMissingField,
                    "required field '" + required + "' of type '" + type.code + "' is missing");
    }
  }
  return Status::Ok();
}

Status CheckValidity(const ledger::MaterialType& type, int64_t from, int64_t until,
                     const BlockContext& ctx) {
  if (until == 0 && type.max_validity_ms != 0) {
    return Reject(reason::kExpiryRequired, "type '" + type.code +
                                               "' requires valid_until_ms (validity at most " +
                                               std::to_string(type.max_validity_ms) + " ms)");
  }
  // Checked before any arithmetic on the dates: with both positive and until > from, the
  // difference below cannot overflow.
  if (from <= 0) {
    return Reject(reason::kBadValidity,
                  "valid_from_ms " + std::to_string(from) + " must be positive");
  }
  if (until == 0) return Status::Ok();
  if (until <= from) {
    return Reject(reason::kBadValidity, "valid_until_ms " + std::to_string(until) +
                                            " is not after valid_from_ms " + std::to_string(from));
  }
  if (until <= ctx.time_ms) {
    return Reject(reason::kBadValidity, "valid_until_ms " + std::to_string(until) +
                                            " is not after the block time " +
                                            std::to_string(ctx.time_ms));
  }
  if (type.max_validity_ms > 0 && until - from > type.max_validity_ms) {
    return Reject(reason::kValidityTooLong, "validity of " + std::to_string(until - from) +
                                                " ms exceeds type '" + type.code + "' maximum of " +
                                                std::to_string(type.max_validity_ms) + " ms");
  }
  return Status::Ok();
}

Status CheckParent(const ledger::MaterialType& type, const std::string& parent_id,
                   const ledger::StateReader& state) {
  if (type.parent_type.empty()) {
    if (parent_id.empty()) return Status::Ok();
    return Reject(
        reason::kParentWrongType,
        "type '" + type.code + "' takes no parent material, got parent_id " + Quote(parent_id));
  }
  if (parent_id.empty()) {
    return Reject(reason::kUnknownParent, "type '" + type.code + "' requires a parent '" +
                                              type.parent_type + "' material; parent_id is empty");
  }
  std::optional<Material> parent = state.GetMaterial(parent_id);
  if (!parent) {
    return Reject(reason::kUnknownParent,
                  "parent material " + Quote(parent_id) + " does not exist");
  }
  if (parent->type_code != type.parent_type) {
    return Reject(reason::kParentWrongType,
                  "parent material " + Quote(parent_id) + " is of type '" + parent->type_code +
                      "', type '" + type.code + "' requires '" + type.parent_type + "'");
  }
  if (parent->status != MaterialStatus::kActive) {
    std::string detail = ledger::MaterialStatusName(parent->status);
    if (!parent->next_version.empty()) detail += " by " + parent->next_version;
    return Reject(reason::kParentNotActive,
                  "parent material " + Quote(parent_id) + " is " + detail);
  }
  return Status::Ok();
}

// Type and issuer rights shared by issue and amend: the signer must be a provider allowed to
// issue the type in force.
Result<ledger::MaterialType> CheckIssuerRights(const Call& c, const ledger::Department& dept,
                                               const std::string& type_code) {
  if (!RegistryView::HasRole(dept, kProviderRole)) {
    return Reject(reason::kNotProvider,
                  "department '" + dept.id +
                      "' does not have the provider role (roles: " + JoinNames(dept.roles) + ")");
  }
  std::optional<ledger::MaterialType> type = c.registry.Type(type_code);
  if (!type) {
    return Reject(reason::kUnknownType,
                  "material type " + Quote(type_code) + " is not in the registry");
  }
  if (!RegistryView::MayIssue(dept, *type)) {
    return Reject(reason::kIssuerNotAllowed, "department '" + dept.id + "' may not issue type '" +
                                                 type->code +
                                                 "' (issuers: " + JoinNames(type->issuers) + ")");
  }
  return *type;
}

}  // namespace

// ------------------------------------------------------------------ issue

Result<Effects> ApplyIssue(const Call& c, const ledger::IssueMaterial& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  Result<ledger::MaterialType> type = CheckIssuerRights(c, dept, p.type_code);
  if (!type.ok()) return type.status();
  Result<MaterialIdParts> parts = ParseMaterialId(p.material_id);
  if (!parts.ok()) return parts.status();
  if (parts->type_code != p.type_code) {
    return Reject(reason::kIdMismatch, "material id type code '" + parts->type_code +
                                           "' differs from the tx's type '" + type->code + "'");
  }
  if (parts->issuer_code != dept.code) {
    return Reject(reason::kIdMismatch, "material id issuer code '" + parts->issuer_code +
                                           "' is not department '" + dept.id + "' code '" +
                                           dept.code + "'");
  }
  // A new material is version 1; later versions come from amendments, never from issue.
  if (parts->version != "001") {
    return Reject(reason::kIdMismatch,
                  "a newly issued material id must have version 001, got '" + parts->version + "'");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("holder_commitment", p.holder_commitment));
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("doc_digest", p.doc_digest));
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("fields_root", p.fields_root));
  GOVLEDGER_RETURN_IF_ERROR(CheckFieldNames(p.field_names));
  GOVLEDGER_RETURN_IF_ERROR(CheckRequiredFields(*type, p.field_names));
  GOVLEDGER_RETURN_IF_ERROR(CheckValidity(*type, p.valid_from_ms, p.valid_until_ms, c.ctx));
  if (!p.holder_key.empty() && !crypto::CheckPublicKey(c.registry.suite(), p.holder_key).ok()) {
    return Reject(reason::kBadHolderKey, "holder_key is not a " +
                                             std::string(crypto::SuiteName(c.registry.suite())) +
                                             " public key (DER SubjectPublicKeyInfo)");
  }
  if (std::optional<Material> existing = c.state.GetMaterial(p.material_id)) {
    return Reject(reason::kDuplicate, "material '" + p.material_id + "' already exists (" +
                                          ledger::MaterialStatusName(existing->status) +
                                          ", issued by '" + existing->issuer + "')");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckParent(*type, p.parent_id, c.state));

  Material m;
  m.material_id = p.material_id;
  m.type_code = p.type_code;
  m.issuer = dept.id;
  m.holder_commitment = p.holder_commitment;
  m.holder_key = p.holder_key;
  m.doc_digest = p.doc_digest;
  m.fields_root = p.fields_root;
  m.field_names = p.field_names;
  m.valid_from_ms = p.valid_from_ms;
  m.valid_until_ms = p.valid_until_ms;
  m.status = p.staged ? MaterialStatus::kIssued : MaterialStatus::kActive;
  m.version = 1;
  m.parent_id = p.parent_id;
  m.issued_height = c.ctx.height;
  m.issue_tx = c.tx_hash();

  Writer w(c.registry.suite(), c.state);
  if (!m.parent_id.empty()) {
    w.Put(ledger::PutIndex(ledger::Table::kChildren,
                           ledger::ChildKey(RootId(m.parent_id), m.material_id)));
  }
  Event e;
  e.kind = EventKind::kIssue;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = m.issue_tx;
  w.AppendMaterialEvent(m, std::move(e));
  return w.Take();
}

// ------------------------------------------------------------------ amend

Result<Effects> ApplyAmend(const Call& c, const ledger::AmendMaterial& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  Result<Material> prev = FindMaterial(c.state, p.prev_id);
  if (!prev.ok()) return prev.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckIssuer(*prev, dept));
  GOVLEDGER_RETURN_IF_ERROR(CheckTransition(*prev, Action::kAmend));
  Result<ledger::MaterialType> type = CheckIssuerRights(c, dept, prev->type_code);
  if (!type.ok()) return type.status();

  Result<MaterialIdParts> parts = ParseMaterialId(p.material_id);
  if (!parts.ok()) return parts.status();
  Result<MaterialIdParts> prev_parts = ParseMaterialId(prev->material_id);
  GOVLEDGER_CHECK(prev_parts.ok());  // every stored id was parsed when it was issued
  if (parts->type_code != prev_parts->type_code || parts->issuer_code != prev_parts->issuer_code) {
    return Reject(reason::kIdMismatch, "amendment id " + Quote(p.material_id) +
                                           " must keep the type and issuer of '" +
                                           prev->material_id + "'");
  }
  const uint32_t next_version = prev->version + 1;
  char want[4];
  std::snprintf(want, sizeof want, "%03u", next_version % 1000);
  if (parts->serial != prev_parts->serial || next_version > 999 || parts->version != want) {
    return Reject(reason::kBadVersion,
                  "the amendment of '" + prev->material_id + "' must have serial '" +
                      prev_parts->serial + "' and version '" + want + "', got serial " +
                      Quote(parts->serial) + " version " + Quote(parts->version));
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("doc_digest", p.doc_digest));
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("fields_root", p.fields_root));
  GOVLEDGER_RETURN_IF_ERROR(CheckFieldNames(p.field_names));
  GOVLEDGER_RETURN_IF_ERROR(CheckRequiredFields(*type, p.field_names));
  GOVLEDGER_RETURN_IF_ERROR(CheckValidity(*type, p.valid_from_ms, p.valid_until_ms, c.ctx));
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("amendment", p.reason));
  if (std::optional<Material> existing = c.state.GetMaterial(p.material_id)) {
    return Reject(reason::kDuplicate, "material '" + p.material_id + "' already exists (" +
                                          ledger::MaterialStatusName(existing->status) + ")");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckParent(*type, p.parent_id, c.state));

  const Bytes tx_hash = c.tx_hash();
  const bool was_suspended = prev->status == MaterialStatus::kSuspended;
  Material m;
  m.material_id = p.material_id;
  m.type_code = prev->type_code;
  m.issuer = prev->issuer;
  m.holder_commitment = prev->holder_commitment;
  m.holder_key = prev->holder_key;
  m.doc_digest = p.doc_digest;
  m.fields_root = p.fields_root;
  m.field_names = p.field_names;
  m.valid_from_ms = p.valid_from_ms;
  m.valid_until_ms = p.valid_until_ms;
  // A staged draft stays staged; otherwise the new version is in force (an amendment is how a
  // suspended material is corrected).
  m.status =
      prev->status == MaterialStatus::kIssued ? MaterialStatus::kIssued : MaterialStatus::kActive;
  m.version = next_version;
  m.parent_id = p.parent_id;
  m.issued_height = c.ctx.height;
  m.issue_tx = tx_hash;
  m.prev_version = prev->material_id;

  Writer w(c.registry.suite(), c.state);
  if (!m.parent_id.empty()) {
    w.Put(ledger::PutIndex(ledger::Table::kChildren,
                           ledger::ChildKey(RootId(m.parent_id), m.material_id)));
  }
  Event old_event;
  old_event.kind = EventKind::kSupersede;
  old_event.height = c.ctx.height;
  old_event.time_ms = c.ctx.time_ms;
  old_event.actor = dept.id;
  old_event.tx_hash = tx_hash;
  old_event.reason = p.reason;
  old_event.ref = m.material_id;
  prev->status = MaterialStatus::kSuperseded;
  prev->next_version = m.material_id;
  prev->suspended_by.clear();
  w.AppendMaterialEvent(*prev, std::move(old_event));

  Event e;
  e.kind = EventKind::kAmend;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = tx_hash;
  e.reason = p.reason;
  e.ref = prev->material_id;
  w.AppendMaterialEvent(m, std::move(e));
  // Dependents a suspension of the old version held back follow the corrected one.
  if (was_suspended && m.status == MaterialStatus::kActive) {
    GOVLEDGER_RETURN_IF_ERROR(
        Cascade(c.registry, w, m, ParentChange::kReinstated, c.ctx, tx_hash, kMaxCascade));
  }
  return w.Take();
}

// ------------------------------------------------------------------ dispatch

Result<Effects> ApplyTx(const Registry& registry, const ledger::StateReader& state,
                        const ledger::Tx& tx, const BlockContext& ctx) {
  const RegistryView view(registry, state, ctx.height);
  GOVLEDGER_RETURN_IF_ERROR(CheckEnvelope(view, state, tx, ctx));
  const std::optional<ledger::Department> dept = view.DepartmentByKey(tx.signer);
  const Call call{view, state, tx, ctx, dept};
  // One overload per payload kind: a new kind that has no rules yet does not compile.
  struct Dispatch {
    const Call& c;
    Result<Effects> operator()(const ledger::IssueMaterial& p) const { return ApplyIssue(c, p); }
    Result<Effects> operator()(const ledger::RevokeMaterial& p) const { return ApplyRevoke(c, p); }
    Result<Effects> operator()(const ledger::PublishMaterial& p) const {
      return ApplyPublish(c, p);
    }
    Result<Effects> operator()(const ledger::AmendMaterial& p) const { return ApplyAmend(c, p); }
    Result<Effects> operator()(const ledger::TransferMaterial& p) const {
      return ApplyTransfer(c, p);
    }
    Result<Effects> operator()(const ledger::SuspendMaterial& p) const {
      return ApplySuspend(c, p);
    }
    Result<Effects> operator()(const ledger::ReinstateMaterial& p) const {
      return ApplyReinstate(c, p);
    }
    Result<Effects> operator()(const ledger::DestroyMaterial& p) const {
      return ApplyDestroy(c, p);
    }
    Result<Effects> operator()(const ledger::AuthorizeUse& p) const { return ApplyAuthorize(c, p); }
    Result<Effects> operator()(const ledger::WithdrawGrant& p) const { return ApplyWithdraw(c, p); }
    Result<Effects> operator()(const ledger::UseMaterial& p) const { return ApplyUse(c, p); }
    Result<Effects> operator()(const ledger::CreateContract& p) const {
      return ApplyCreateContract(c, p);
    }
    Result<Effects> operator()(const ledger::SignContract& p) const {
      return ApplySignContract(c, p);
    }
    Result<Effects> operator()(const ledger::ProposeChange& p) const { return ApplyPropose(c, p); }
    Result<Effects> operator()(const ledger::ApproveProposal& p) const {
      return ApplyApprove(c, p);
    }
  };
  return std::visit(Dispatch{call}, tx.body.payload);
}

// ------------------------------------------------------------------ expiry

Effects ExpireDue(const Registry& registry, const ledger::StateReader& state,
                  const BlockContext& ctx) {
  const RegistryView view(registry, state, ctx.height);
  Writer w(registry.suite(), state);
  std::set<std::string, std::less<>> done;
  for (const std::string& id :
       state.DueForExpiry(ctx.time_ms, registry.params().max_expiries_per_block)) {
    // Read through the writer: an earlier expiry's cascade may already have changed it. The
    // reader promises due and distinct ids; re-checking keeps a faulty index from writing a
    // second EXPIRE or expiring a material early.
    std::optional<Material> m = w.state().GetMaterial(id);
    if (!m || !ledger::RunsToExpiry(*m) || m->valid_until_ms > ctx.time_ms ||
        !done.insert(id).second) {
      continue;
    }
    m->status = MaterialStatus::kExpired;
    m->suspended_by.clear();
    Event e;
    e.kind = EventKind::kExpire;
    e.height = ctx.height;
    e.time_ms = ctx.time_ms;
    e.reason = kExpiryReason;
    w.AppendMaterialEvent(*m, std::move(e));
    // Expiry cannot be refused, so the cascade has no limit here.
    Status st = Cascade(view, w, *m, ParentChange::kExpired, ctx, Bytes{}, SIZE_MAX);
    GOVLEDGER_CHECK(st.ok());
  }
  ExpireContracts(view, w, ctx);
  return w.Take();
}

}  // namespace govledger::contracts

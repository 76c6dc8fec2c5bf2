// The lifecycle transitions that change one material in place: publish, transfer, suspend,
// reinstate, revoke and destroy; and the transition table every lifecycle step is checked
// against.
#include <optional>
#include <string>
#include <utility>

#include "contracts/handlers.h"
#include "contracts/material_id.h"
#include "contracts/reasons.h"
#include "ledger/records.h"

namespace govledger::contracts {

using ledger::Event;
using ledger::EventKind;
using ledger::Material;
using ledger::MaterialStatus;

namespace {

constexpr size_t kMaxVersionWalk = 1000;  // versions are 001..999

Status Refuse(const char* code, const Material& m, Action a, const std::string& why) {
  return Reject(
      code, "cannot " + std::string(ActionName(a)) + " material '" + m.material_id + "': " + why);
}

Event NewEvent(EventKind kind, const Call& c, const std::string& actor) {
  Event e;
  e.kind = kind;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = actor;
  e.tx_hash = c.tx_hash();
  return e;
}

// The common prologue of an issuer's step on one material: a registered signer that issued it,
// and a status that allows the step.
Result<Material> IssuerStep(const Call& c, const std::string& id, Action a,
                            const ledger::Department** dept) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  *dept = *signer;
  Result<Material> m = FindMaterial(c.state, id);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckIssuer(*m, **dept));
  GOVLEDGER_RETURN_IF_ERROR(CheckTransition(*m, a));
  return m;
}

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kPublish:
      return "publish";
    case Action::kAmend:
      return "amend";
    case Action::kTransfer:
      return "transfer";
    case Action::kSuspend:
      return "suspend";
    case Action::kReinstate:
      return "reinstate";
    case Action::kRevoke:
      return "revoke";
    case Action::kDestroy:
      return "destroy";
    case Action::kAuthorize:
      return "authorize use of";
    case Action::kUse:
      return "use";
  }
  return "change";
}

// The transition table (doc/design.md, "Material lifecycle"):
//
//              publish amend transfer suspend reinstate revoke destroy authorize use
//   ISSUED        ✓      ✓      -        -        -        ✓      ✓        -      -
//   ACTIVE        -      ✓      ✓        ✓        -        ✓      -        ✓      ✓
//   SUSPENDED     -      ✓      -        -        ✓        ✓      -        -      -
//   REVOKED, EXPIRED, SUPERSEDED: destroy only.  DESTROYED: nothing.
Status CheckTransition(const Material& m, Action a) {
  switch (m.status) {
    case MaterialStatus::kIssued:
      if (a == Action::kPublish || a == Action::kAmend || a == Action::kRevoke ||
          a == Action::kDestroy) {
        return Status::Ok();
      }
      return Refuse(reason::kNotPublished, m, a, "it is ISSUED and not yet published");
    case MaterialStatus::kActive:
      if (a == Action::kPublish) {
        return Refuse(reason::kAlreadyPublished, m, a, "it is already ACTIVE");
      }
      if (a == Action::kReinstate) return Refuse(reason::kNotSuspended, m, a, "it is ACTIVE");
      if (a == Action::kDestroy) {
        return Refuse(reason::kStillInForce, m, a,
                      "it is ACTIVE; revoke it (or let it expire) before destroying it");
      }
      return Status::Ok();
    case MaterialStatus::kSuspended:
      if (a == Action::kAmend || a == Action::kReinstate || a == Action::kRevoke) {
        return Status::Ok();
      }
      if (a == Action::kSuspend) {
        return Refuse(reason::kAlreadySuspended, m, a, "it is already SUSPENDED");
      }
      if (a == Action::kPublish) {
        return Refuse(reason::kAlreadyPublished, m, a, "it is published and SUSPENDED");
      }
      if (a == Action::kDestroy) {
        return Refuse(reason::kStillInForce, m, a,
                      "it is SUSPENDED; revoke it before destroying it");
      }
      return Refuse(reason::kMaterialSuspended, m, a,
                    "it is SUSPENDED" + (m.suspended_by.empty() ? std::string()
                                                                : " (its parent " + m.suspended_by +
                                                                      " is not in force)"));
    case MaterialStatus::kRevoked:
      if (a == Action::kDestroy) return Status::Ok();
      return Reject(reason::kAlreadyRevoked, "material '" + m.material_id + "' is already REVOKED");
    case MaterialStatus::kExpired:
      if (a == Action::kDestroy) return Status::Ok();
      return Reject(reason::kAlreadyExpired, "material '" + m.material_id + "' is already EXPIRED");
    case MaterialStatus::kSuperseded:
      if (a == Action::kDestroy) return Status::Ok();
      return Refuse(reason::kMaterialSuperseded, m, a,
                    "it is SUPERSEDED by " + m.next_version + " (use the newest version)");
    case MaterialStatus::kDestroyed:
      return Refuse(reason::kMaterialDestroyed, m, a,
                    "it is DESTROYED (a tombstone: nothing may follow)");
  }
  return Refuse(reason::kMaterialDestroyed, m, a, "unknown status");
}

Result<Material> FindMaterial(const ledger::StateReader& s, std::string_view id) {
  std::optional<Material> m = s.GetMaterial(id);
  if (!m) return Reject(reason::kUnknownMaterial, "material " + Quote(id) + " does not exist");
  return std::move(*m);
}

Status CheckIssuer(const Material& m, const ledger::Department& dept) {
  if (m.issuer == dept.id) return Status::Ok();
  return Reject(reason::kNotIssuer, "material '" + m.material_id + "' was issued by '" + m.issuer +
                                        "', not by '" + dept.id + "'");
}

std::optional<Material> LatestVersion(const ledger::StateReader& s, std::string_view id) {
  std::optional<Material> m = s.GetMaterial(id);
  for (size_t i = 0; m && !m->next_version.empty() && i < kMaxVersionWalk; ++i) {
    std::optional<Material> next = s.GetMaterial(m->next_version);
    if (!next) break;
    m = std::move(next);
  }
  return m;
}

std::string RootId(std::string_view material_id) {
  Result<MaterialIdParts> parts = ParseMaterialId(material_id);
  if (!parts.ok()) return std::string(material_id);
  parts->version = "001";
  Result<std::string> root = MakeMaterialId(*parts);
  return root.ok() ? *root : std::string(material_id);
}

Status CheckParentInForce(const ledger::StateReader& s, const Material& m) {
  if (m.parent_id.empty()) return Status::Ok();
  std::optional<Material> parent = LatestVersion(s, m.parent_id);
  if (parent && parent->status == MaterialStatus::kActive) return Status::Ok();
  return Reject(reason::kParentNotActive,
                "parent material '" + m.parent_id + "' of '" + m.material_id + "' is " +
                    (parent ? ledger::MaterialStatusName(parent->status) : std::string("missing")));
}

// ------------------------------------------------------------------ handlers

Result<Effects> ApplyPublish(const Call& c, const ledger::PublishMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kPublish, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckParentInForce(c.state, *m));
  m->status = MaterialStatus::kActive;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, NewEvent(EventKind::kPublish, c, dept->id));
  return w.Take();
}

Result<Effects> ApplyTransfer(const Call& c, const ledger::TransferMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kTransfer, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("new_holder_commitment", p.new_holder_commitment));
  if (p.new_holder_commitment == m->holder_commitment) {
    return Reject(reason::kSameHolder,
                  "material '" + m->material_id + "' already belongs to that holder commitment");
  }
  if (!p.new_holder_key.empty() &&
      !crypto::CheckPublicKey(c.registry.suite(), p.new_holder_key).ok()) {
    return Reject(reason::kBadHolderKey, "new_holder_key is not a " +
                                             std::string(crypto::SuiteName(c.registry.suite())) +
                                             " public key (DER SubjectPublicKeyInfo)");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("transfer", p.reason, /*required=*/false));
  // The previous holder's grants stop matching: each grant records the holder who gave it.
  m->holder_commitment = p.new_holder_commitment;
  m->holder_key = p.new_holder_key;
  Event e = NewEvent(EventKind::kTransfer, c, dept->id);
  e.reason = p.reason;
  e.detail = p.new_holder_commitment;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, std::move(e));
  return w.Take();
}

Result<Effects> ApplySuspend(const Call& c, const ledger::SuspendMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kSuspend, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("suspension", p.reason));
  m->status = MaterialStatus::kSuspended;
  m->suspended_by.clear();
  Event e = NewEvent(EventKind::kSuspend, c, dept->id);
  e.reason = p.reason;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, std::move(e));
  GOVLEDGER_RETURN_IF_ERROR(
      Cascade(c.registry, w, *m, ParentChange::kSuspended, c.ctx, c.tx_hash(), kMaxCascade));
  return w.Take();
}

Result<Effects> ApplyReinstate(const Call& c, const ledger::ReinstateMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kReinstate, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckParentInForce(c.state, *m));
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("reinstatement", p.reason, /*required=*/false));
  m->status = MaterialStatus::kActive;
  m->suspended_by.clear();
  Event e = NewEvent(EventKind::kReinstate, c, dept->id);
  e.reason = p.reason;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, std::move(e));
  GOVLEDGER_RETURN_IF_ERROR(
      Cascade(c.registry, w, *m, ParentChange::kReinstated, c.ctx, c.tx_hash(), kMaxCascade));
  return w.Take();
}

Result<Effects> ApplyRevoke(const Call& c, const ledger::RevokeMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kRevoke, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("revocation", p.reason));
  m->status = MaterialStatus::kRevoked;
  m->suspended_by.clear();
  Event e = NewEvent(EventKind::kRevoke, c, dept->id);
  e.reason = p.reason;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, std::move(e));
  GOVLEDGER_RETURN_IF_ERROR(
      Cascade(c.registry, w, *m, ParentChange::kRevoked, c.ctx, c.tx_hash(), kMaxCascade));
  return w.Take();
}

Result<Effects> ApplyDestroy(const Call& c, const ledger::DestroyMaterial& p) {
  const ledger::Department* dept = nullptr;
  Result<Material> m = IssuerStep(c, p.material_id, Action::kDestroy, &dept);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("destruction", p.reason));
  // The tombstone keeps the digest and the history; the document itself is deleted off chain.
  m->status = MaterialStatus::kDestroyed;
  m->suspended_by.clear();
  Event e = NewEvent(EventKind::kDestroy, c, dept->id);
  e.reason = p.reason;
  Writer w(c.registry.suite(), c.state);
  w.AppendMaterialEvent(*m, std::move(e));
  return w.Take();
}

}  // namespace govledger::contracts

// Controlled use (控制使用范围, 统计使用情况): the holder's grant to a consumer department for a
// purpose until a time (optionally at most N uses), its withdrawal, and the recorded use that is
// only accepted under a matching grant on a material in force.
#include <optional>
#include <string>
#include <utility>

#include "contracts/handlers.h"
#include "contracts/reasons.h"
#include "ledger/records.h"

namespace govledger::contracts {

using ledger::Event;
using ledger::EventKind;
using ledger::Grant;
using ledger::Material;

namespace {

// Grants a material may carry in all (withdrawn and expired ones included: they are history).
constexpr size_t kMaxGrantsPerMaterial = 256;

Status CheckPurposeFormat(const std::string& purpose) {
  bool ok = !purpose.empty() && purpose.size() <= 64;
  for (char ch : purpose) {
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
  }
  if (ok) return Status::Ok();
  return Reject(reason::kBadPurpose, "purpose " + Quote(purpose) +
                                         " must match [a-z0-9_]{1,64}, e.g. "
                                         "household_registration");
}

// The purpose must be one the type allows (an empty list allows any).
Status CheckPurposeAllowed(const ledger::MaterialType& type, const std::string& purpose) {
  GOVLEDGER_RETURN_IF_ERROR(CheckPurposeFormat(purpose));
  if (type.use_purposes.empty()) return Status::Ok();
  for (const std::string& p : type.use_purposes) {
    if (p == purpose) return Status::Ok();
  }
  return Reject(reason::kPurposeNotAllowed,
                "type '" + type.code + "' may not be used for " + Quote(purpose) +
                    " (purposes: " + JoinNames(type.use_purposes) + ")");
}

Result<ledger::MaterialType> TypeOf(const Call& c, const Material& m) {
  std::optional<ledger::MaterialType> type = c.registry.Type(m.type_code);
  if (!type) {
    return Reject(reason::kUnknownType,
                  "material type '" + m.type_code + "' is not in the registry");
  }
  return *type;
}

// Why `g` cannot cover `consumer` using `m` for `purpose` now; OK if it can.
Status GrantCovers(const Grant& g, const Material& m, const std::string& consumer,
                   const std::string& purpose, const BlockContext& ctx) {
  if (g.material_id != m.material_id) {
    return Reject(reason::kGrantMismatch,
                  "grant " + g.grant_id + " is for material '" + g.material_id + "'");
  }
  if (g.consumer != consumer) {
    return Reject(reason::kGrantMismatch, "grant " + g.grant_id + " is for department '" +
                                              g.consumer + "', not '" + consumer + "'");
  }
  if (g.purpose != purpose) {
    return Reject(reason::kGrantMismatch, "grant " + g.grant_id + " is for purpose '" + g.purpose +
                                              "', not " + Quote(purpose));
  }
  if (g.holder_commitment != m.holder_commitment) {
    return Reject(reason::kGrantMismatch,
                  "grant " + g.grant_id + " was given by an earlier holder of the material");
  }
  if (g.withdrawn) {
    return Reject(reason::kGrantWithdrawn, "grant " + g.grant_id + " was withdrawn");
  }
  if (g.valid_until_ms <= ctx.time_ms) {
    return Reject(reason::kGrantExpired, "grant " + g.grant_id + " ended at " +
                                             std::to_string(g.valid_until_ms) + ", block time is " +
                                             std::to_string(ctx.time_ms));
  }
  if (g.max_uses > 0 && g.uses >= g.max_uses) {
    return Reject(
        reason::kGrantExhausted,
        "grant " + g.grant_id + " allowed " + std::to_string(g.max_uses) + " use(s), all recorded");
  }
  return Status::Ok();
}

std::vector<std::string> GrantIds(const ledger::StateReader& s, const std::string& material_id,
                                  size_t limit) {
  return ledger::ScanIndex(s, ledger::Table::kGrantByMaterial, material_id, limit);
}

}  // namespace

// ------------------------------------------------------------------ authorize

Result<Effects> ApplyAuthorize(const Call& c, const ledger::AuthorizeUse& p) {
  Result<Material> m = FindMaterial(c.state, p.material_id);
  if (!m.ok()) return m.status();
  // Who consents: the holder's own registered key, or an authorizer department recording the
  // holder's consent with a digest of its evidence.
  std::string actor;
  std::string grantor_department;
  if (!m->holder_key.empty() && c.tx.signer == m->holder_key) {
    actor = KeyActor("holder", c.registry.suite(), c.tx.signer);
  } else if (c.dept && RegistryView::HasRole(*c.dept, kAuthorizerRole)) {
    if (p.consent_digest.empty()) {
      return Reject(reason::kConsentRequired,
                    "authorizer department '" + c.dept->id +
                        "' must record the digest of the holder's consent evidence");
    }
    GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("consent_digest", p.consent_digest));
    actor = c.dept->id;
    grantor_department = c.dept->id;
  } else {
    return Reject(reason::kNotHolder,
                  "a grant for material '" + m->material_id +
                      "' must be signed by the holder's registered key" +
                      (m->holder_key.empty()
                           ? std::string(" (none registered)")
                           : " (" + crypto::Fingerprint(c.registry.suite(), m->holder_key) + ")") +
                      " or recorded by an authorizer department; signer is " +
                      (c.dept ? "department '" + c.dept->id + "'"
                              : "key " + crypto::Fingerprint(c.registry.suite(), c.tx.signer)));
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckTransition(*m, Action::kAuthorize));
  std::optional<ledger::Department> consumer = c.registry.DepartmentById(p.consumer);
  if (!consumer) {
    return Reject(reason::kUnknownConsumer,
                  "consumer department " + Quote(p.consumer) + " is not in the registry");
  }
  if (!RegistryView::HasRole(*consumer, kConsumerRole)) {
    return Reject(reason::kNotConsumer, "department '" + consumer->id +
                                            "' does not have the consumer role (roles: " +
                                            JoinNames(consumer->roles) + ")");
  }
  Result<ledger::MaterialType> type = TypeOf(c, *m);
  if (!type.ok()) return type.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckPurposeAllowed(*type, p.purpose));
  if (p.valid_until_ms <= c.ctx.time_ms) {
    return Reject(reason::kBadValidity, "grant valid_until_ms " + std::to_string(p.valid_until_ms) +
                                            " is not after the block time " +
                                            std::to_string(c.ctx.time_ms));
  }
  if (GrantIds(c.state, m->material_id, kMaxGrantsPerMaterial + 1).size() >=
      kMaxGrantsPerMaterial) {
    return Reject(reason::kTooManyGrants, "material '" + m->material_id + "' already has " +
                                              std::to_string(kMaxGrantsPerMaterial) + " grants");
  }

  Grant g;
  g.grant_id = crypto::DigestHex(c.tx.hash);
  g.material_id = m->material_id;
  g.consumer = consumer->id;
  g.purpose = p.purpose;
  g.valid_until_ms = p.valid_until_ms;
  g.max_uses = p.max_uses;
  g.grantor_department = grantor_department;
  g.grantor_key = c.tx.signer;
  g.holder_commitment = m->holder_commitment;
  g.consent_digest = p.consent_digest;
  g.granted_height = c.ctx.height;
  g.granted_ms = c.ctx.time_ms;
  g.updated_height = c.ctx.height;

  Writer w(c.registry.suite(), c.state);
  w.Put(ledger::PutGrant(g));
  w.Put(ledger::PutIndex(ledger::Table::kGrantByMaterial,
                         ledger::GrantByMaterialKey(g.material_id, g.grant_id)));
  Event e;
  e.kind = EventKind::kAuthorize;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = actor;
  e.tx_hash = c.tx_hash();
  e.counterparty = g.consumer;
  e.purpose = g.purpose;
  e.ref = g.grant_id;
  e.detail = g.consent_digest;
  w.AppendMaterialEvent(*m, std::move(e));
  return w.Take();
}

// ------------------------------------------------------------------ withdraw

Result<Effects> ApplyWithdraw(const Call& c, const ledger::WithdrawGrant& p) {
  std::optional<Grant> g = ledger::GetGrant(c.state, p.grant_id);
  if (!g) return Reject(reason::kUnknownGrant, "grant " + Quote(p.grant_id) + " does not exist");
  Result<Material> m = FindMaterial(c.state, g->material_id);
  GOVLEDGER_CHECK(m.ok());  // a grant is only ever given on an existing material
  std::string actor;
  if (c.tx.signer == g->grantor_key || (!m->holder_key.empty() && c.tx.signer == m->holder_key)) {
    actor = c.dept ? c.dept->id : KeyActor("holder", c.registry.suite(), c.tx.signer);
  } else if (c.dept && c.dept->id == g->grantor_department) {
    actor = c.dept->id;
  } else {
    return Reject(reason::kNotGrantor, "grant " + g->grant_id +
                                           " can only be withdrawn by the holder or by the "
                                           "authorizer department that recorded it");
  }
  if (m->status == ledger::MaterialStatus::kDestroyed) {
    return CheckTransition(*m, Action::kAuthorize);  // material_destroyed: nothing may follow
  }
  if (g->withdrawn) {
    return Reject(reason::kGrantWithdrawn, "grant " + g->grant_id + " is already withdrawn");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("withdrawal", p.reason, /*required=*/false));
  g->withdrawn = true;
  g->withdraw_reason = p.reason;
  g->updated_height = c.ctx.height;
  Writer w(c.registry.suite(), c.state);
  w.Put(ledger::PutGrant(*g));
  Event e;
  e.kind = EventKind::kWithdraw;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = actor;
  e.tx_hash = c.tx_hash();
  e.reason = p.reason;
  e.counterparty = g->consumer;
  e.purpose = g->purpose;
  e.ref = g->grant_id;
  w.AppendMaterialEvent(*m, std::move(e));
  return w.Take();
}

// ------------------------------------------------------------------ use

Result<Effects> ApplyUse(const Call& c, const ledger::UseMaterial& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  if (!RegistryView::HasRole(dept, kConsumerRole)) {
    return Reject(reason::kNotConsumer,
                  "department '" + dept.id +
                      "' does not have the consumer role (roles: " + JoinNames(dept.roles) + ")");
  }
  Result<Material> m = FindMaterial(c.state, p.material_id);
  if (!m.ok()) return m.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckTransition(*m, Action::kUse));
  if (m->valid_from_ms > c.ctx.time_ms) {
    return Reject(reason::kNotYetValid, "material '" + m->material_id + "' is valid from " +
                                            std::to_string(m->valid_from_ms) + ", block time is " +
                                            std::to_string(c.ctx.time_ms));
  }
  Result<ledger::MaterialType> type = TypeOf(c, *m);
  if (!type.ok()) return type.status();
  GOVLEDGER_RETURN_IF_ERROR(CheckPurposeAllowed(*type, p.purpose));

  std::optional<Grant> grant;
  if (!p.grant_id.empty()) {
    grant = ledger::GetGrant(c.state, p.grant_id);
    if (!grant) {
      return Reject(reason::kUnknownGrant, "grant " + Quote(p.grant_id) + " does not exist");
    }
    GOVLEDGER_RETURN_IF_ERROR(GrantCovers(*grant, *m, dept.id, p.purpose, c.ctx));
  } else if (type->requires_grant) {
    // The first grant (by id) that covers this use.
    for (const std::string& id : GrantIds(c.state, m->material_id, kMaxGrantsPerMaterial)) {
      std::optional<Grant> g = ledger::GetGrant(c.state, id);
      if (g && GrantCovers(*g, *m, dept.id, p.purpose, c.ctx).ok()) {
        grant = std::move(g);
        break;
      }
    }
    if (!grant) {
      return Reject(reason::kNoGrant, "no grant from the holder lets '" + dept.id + "' use '" +
                                          m->material_id + "' for " + Quote(p.purpose) +
                                          " now (type '" + type->code + "' needs one)");
    }
  }

  Writer w(c.registry.suite(), c.state);
  if (grant) {
    grant->uses += 1;
    grant->updated_height = c.ctx.height;
    w.Put(ledger::PutGrant(*grant));
  }
  const std::string usage_key = ledger::UsageKey(m->type_code, dept.id, p.purpose);
  w.Put(ledger::PutCounter(ledger::Table::kUsage, usage_key,
                           ledger::GetCounter(c.state, ledger::Table::kUsage, usage_key) + 1));
  m->use_count += 1;
  Event e;
  e.kind = EventKind::kUse;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = c.tx_hash();
  e.counterparty = dept.id;
  e.purpose = p.purpose;
  e.ref = grant ? grant->grant_id : std::string();
  w.AppendMaterialEvent(*m, std::move(e));
  return w.Take();
}

}  // namespace govledger::contracts

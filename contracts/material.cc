#include "contracts/material.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "contracts/material_id.h"
#include "contracts/reasons.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "ledger/canonical.h"

namespace govledger::contracts {
namespace {

using ledger::Event;
using ledger::EventKind;
using ledger::Material;
using ledger::MaterialStatus;

constexpr std::string_view kProviderRole = "provider";
constexpr size_t kMaxFieldNames = 64;
constexpr size_t kMaxFieldNameBytes = 64;
constexpr size_t kMaxReasonBytes = 256;
constexpr size_t kMaxEcho = 96;
constexpr char kExpiryReason[] = "valid_until reached";

Status Reject(const char* code, std::string message) {
  return Status::Error(code, std::move(message));
}

// Length of the well-formed UTF-8 sequence at s[i] (1 to 4 bytes), or 0 if there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (n == 3 && cp < 0x800) return 0;                       // overlong
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;  // overlong or beyond Unicode
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;               // surrogate
  return n;
}

bool IsAsciiControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Names and reasons are stored in events and served as JSON: they must be well-formed UTF-8
// without control characters.
bool IsCleanText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || (n == 1 && IsAsciiControl(static_cast<unsigned char>(s[i])))) return false;
    i += n;
  }
  return true;
}

// Untrusted text as it may appear in a rejection message (which ends up in JSON and
// terminals): well-formed UTF-8 kept, anything else escaped, long input cut short.
std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size();) {
    if (i >= kMaxEcho) {
      out += "...";
      break;
    }
    size_t n = Utf8SequenceLength(s, i);
    auto c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (n == 1 && (IsAsciiControl(c) || c == '\\' || c == '\''))) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      i += 1;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += "'";
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Appends an event to a material's chain: sets the event's material, sequence number and link to
// the previous event, and moves the material's head to it. The caller fills kind, height, time,
// actor, tx hash and reason.
void AppendEvent(crypto::Suite suite, Material& m, Event e, Effects& out) {
  e.material_id = m.material_id;
  e.seq = m.event_count;
  e.prev_event = m.last_event;
  m.last_event = crypto::DigestBytes(ledger::EventHash(suite, e));
  m.event_count += 1;
  m.updated_height = e.height;
  out.events.push_back(std::move(e));
}

// The write half of a revocation, shared by a department's REVOKE and (later) the cascade from a
// revoked parent: `m` must be ACTIVE.
void RevokeActive(crypto::Suite suite, Material m, const BlockContext& ctx,
                  const std::string& actor, const Bytes& tx_hash, const std::string& reason,
                  Effects& out) {
  m.status = MaterialStatus::kRevoked;
  Event e;
  e.kind = EventKind::kRevoke;
  e.height = ctx.height;
  e.time_ms = ctx.time_ms;
  e.actor = actor;
  e.tx_hash = tx_hash;
  e.reason = reason;
  AppendEvent(suite, m, std::move(e), out);
  out.materials.push_back(std::move(m));
}

// ------------------------------------------------------------------ envelope

Result<const ledger::Department*> CheckEnvelope(const Registry& registry,
                                                const ledger::StateReader& state,
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
  const ledger::Department* dept = registry.DepartmentByKey(tx.signer);
  if (dept == nullptr) {
    return Reject(reason::kUnknownSigner, "signing key " +
                                              crypto::Fingerprint(registry.suite(), tx.signer) +
                                              " does not belong to any department in the registry");
  }
  return dept;
}

// ------------------------------------------------------------------ issue

Status CheckDigestSize(std::string_view name, const Bytes& b) {
  if (b.size() == crypto::kDigestSize) return Status::Ok();
  return Reject(reason::kBadDigest, std::string(name) + " is " + std::to_string(b.size()) +
                                        " bytes, must be " + std::to_string(crypto::kDigestSize));
}

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

Status CheckValidity(const ledger::MaterialType& type, const ledger::IssueMaterial& p,
                     const BlockContext& ctx) {
  if (p.valid_until_ms == 0 && type.max_validity_ms != 0) {
    return Reject(reason::kExpiryRequired, "type '" + type.code +
                                               "' requires valid_until_ms (validity at most " +
                                               std::to_string(type.max_validity_ms) + " ms)");
  }
  // Checked before any arithmetic on the dates: with both positive and until > from, the
  // difference below cannot overflow.
  if (p.valid_from_ms <= 0) {
    return Reject(reason::kBadValidity,
                  "valid_from_ms " + std::to_string(p.valid_from_ms) + " must be positive");
  }
  if (p.valid_until_ms == 0) return Status::Ok();
  if (p.valid_until_ms <= p.valid_from_ms) {
    return Reject(reason::kBadValidity, "valid_until_ms " + std::to_string(p.valid_until_ms) +
                                            " is not after valid_from_ms " +
                                            std::to_string(p.valid_from_ms));
  }
  if (p.valid_until_ms <= ctx.time_ms) {
    return Reject(reason::kBadValidity, "valid_until_ms " + std::to_string(p.valid_until_ms) +
                                            " is not after the block time " +
                                            std::to_string(ctx.time_ms));
  }
  if (type.max_validity_ms > 0 && p.valid_until_ms - p.valid_from_ms > type.max_validity_ms) {
    return Reject(reason::kValidityTooLong, "validity of " +
                                                std::to_string(p.valid_until_ms - p.valid_from_ms) +
                                                " ms exceeds type '" + type.code + "' maximum of " +
                                                std::to_string(type.max_validity_ms) + " ms");
  }
  return Status::Ok();
}

Status CheckParent(const ledger::MaterialType& type, const ledger::IssueMaterial& p,
                   const ledger::StateReader& state) {
  if (type.parent_type.empty()) {
    if (p.parent_id.empty()) return Status::Ok();
    return Reject(
        reason::kParentWrongType,
        "type '" + type.code + "' takes no parent material, got parent_id " + Quote(p.parent_id));
  }
  if (p.parent_id.empty()) {
    return Reject(reason::kUnknownParent, "type '" + type.code + "' requires a parent '" +
                                              type.parent_type + "' material; parent_id is empty");
  }
  std::optional<Material> parent = state.GetMaterial(p.parent_id);
  if (!parent) {
    return Reject(reason::kUnknownParent,
                  "parent material " + Quote(p.parent_id) + " does not exist");
  }
  if (parent->type_code != type.parent_type) {
    return Reject(reason::kParentWrongType,
                  "parent material " + Quote(p.parent_id) + " is of type '" + parent->type_code +
                      "', type '" + type.code + "' requires '" + type.parent_type + "'");
  }
  if (parent->status != MaterialStatus::kActive) {
    return Reject(reason::kParentNotActive, "parent material " + Quote(p.parent_id) + " is " +
                                                ledger::MaterialStatusName(parent->status));
  }
  return Status::Ok();
}

Result<Effects> ApplyIssue(const Registry& registry, const ledger::StateReader& state,
                           const ledger::Tx& tx, const BlockContext& ctx,
                           const ledger::Department& dept, const ledger::IssueMaterial& p) {
  if (!registry.HasRole(dept, kProviderRole)) {
    return Reject(reason::kNotProvider,
                  "department '" + dept.id +
                      "' does not have the provider role (roles: " + JoinNames(dept.roles) + ")");
  }
  const ledger::MaterialType* type = registry.Type(p.type_code);
  if (type == nullptr) {
    return Reject(reason::kUnknownType,
                  "material type " + Quote(p.type_code) + " is not in the registry");
  }
  if (!registry.MayIssue(dept, *type)) {
    return Reject(reason::kIssuerNotAllowed, "department '" + dept.id + "' may not issue type '" +
                                                 type->code +
                                                 "' (issuers: " + JoinNames(type->issuers) + ")");
  }
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
    return Reject(reason::kIdMismatch, "a newly issued material id must have version 001, got '" +
                                           parts->version + "'");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("holder_commitment", p.holder_commitment));
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("doc_digest", p.doc_digest));
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("fields_root", p.fields_root));
  GOVLEDGER_RETURN_IF_ERROR(CheckFieldNames(p.field_names));
  for (const std::string& required : type->required_fields) {
    if (!std::binary_search(p.field_names.begin(), p.field_names.end(), required)) {
      return Reject(reason::kMissingField,
                    "required field '" + required + "' of type '" + type->code + "' is missing");
    }
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckValidity(*type, p, ctx));
  if (std::optional<Material> existing = state.GetMaterial(p.material_id)) {
    return Reject(reason::kDuplicate, "material '" + p.material_id + "' already exists (" +
                                          ledger::MaterialStatusName(existing->status) +
                                          ", issued by '" + existing->issuer + "')");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckParent(*type, p, state));

  Material m;
  m.material_id = p.material_id;
  m.type_code = p.type_code;
  m.issuer = dept.id;
  m.holder_commitment = p.holder_commitment;
  m.doc_digest = p.doc_digest;
  m.fields_root = p.fields_root;
  m.field_names = p.field_names;
  m.valid_from_ms = p.valid_from_ms;
  m.valid_until_ms = p.valid_until_ms;
  m.status = MaterialStatus::kActive;
  m.version = 1;
  m.parent_id = p.parent_id;
  m.issued_height = ctx.height;
  m.issue_tx = crypto::DigestBytes(tx.hash);
  m.event_count = 0;

  Effects out;
  Event e;
  e.kind = EventKind::kIssue;
  e.height = ctx.height;
  e.time_ms = ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = m.issue_tx;
  AppendEvent(registry.suite(), m, std::move(e), out);
  out.materials.push_back(std::move(m));
  return out;
}

// ------------------------------------------------------------------ revoke

Result<Effects> ApplyRevoke(const Registry& registry, const ledger::StateReader& state,
                            const ledger::Tx& tx, const BlockContext& ctx,
                            const ledger::Department& dept, const ledger::RevokeMaterial& p) {
  std::optional<Material> m = state.GetMaterial(p.material_id);
  if (!m) {
    return Reject(reason::kUnknownMaterial, "material " + Quote(p.material_id) + " does not exist");
  }
  if (m->issuer != dept.id) {
    return Reject(reason::kNotIssuer, "material '" + m->material_id + "' was issued by '" +
                                          m->issuer + "', not by '" + dept.id + "'");
  }
  switch (m->status) {
    case MaterialStatus::kActive:
      break;
    case MaterialStatus::kRevoked:
      return Reject(reason::kAlreadyRevoked,
                    "material '" + m->material_id + "' is already REVOKED");
    case MaterialStatus::kExpired:
      return Reject(reason::kAlreadyExpired,
                    "material '" + m->material_id + "' is already EXPIRED");
  }
  if (p.reason.empty()) return Reject(reason::kBadReason, "a revocation needs a reason");
  if (p.reason.size() > kMaxReasonBytes) {
    return Reject(reason::kBadReason, "revocation reason is " + std::to_string(p.reason.size()) +
                                          " bytes, at most " + std::to_string(kMaxReasonBytes));
  }
  if (!IsCleanText(p.reason)) {
    return Reject(reason::kBadReason,
                  "revocation reason is not UTF-8 text without control characters");
  }
  Effects out;
  RevokeActive(registry.suite(), std::move(*m), ctx, dept.id, crypto::DigestBytes(tx.hash),
               p.reason, out);
  return out;
}

}  // namespace

Result<Effects> ApplyTx(const Registry& registry, const ledger::StateReader& state,
                        const ledger::Tx& tx, const BlockContext& ctx) {
  Result<const ledger::Department*> signer = CheckEnvelope(registry, state, tx, ctx);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  // One overload per payload kind: a new kind that has no rules yet does not compile.
  struct Dispatch {
    const Registry& registry;
    const ledger::StateReader& state;
    const ledger::Tx& tx;
    const BlockContext& ctx;
    const ledger::Department& dept;
    Result<Effects> operator()(const ledger::IssueMaterial& p) const {
      return ApplyIssue(registry, state, tx, ctx, dept, p);
    }
    Result<Effects> operator()(const ledger::RevokeMaterial& p) const {
      return ApplyRevoke(registry, state, tx, ctx, dept, p);
    }
  };
  return std::visit(Dispatch{registry, state, tx, ctx, dept}, tx.body.payload);
}

Effects ExpireDue(const Registry& registry, const ledger::StateReader& state,
                  const BlockContext& ctx) {
  Effects out;
  std::set<std::string, std::less<>> done;
  for (const std::string& id :
       state.DueForExpiry(ctx.time_ms, registry.params().max_expiries_per_block)) {
    std::optional<Material> m = state.GetMaterial(id);
    // The reader promises ACTIVE, due and distinct ids; re-checking is cheap and keeps a faulty
    // index from writing a second EXPIRE or expiring a material early.
    if (!m || m->status != MaterialStatus::kActive || m->valid_until_ms <= 0 ||
        m->valid_until_ms > ctx.time_ms || !done.insert(id).second) {
      continue;
    }
    m->status = MaterialStatus::kExpired;
    Event e;
    e.kind = EventKind::kExpire;
    e.height = ctx.height;
    e.time_ms = ctx.time_ms;
    e.reason = kExpiryReason;
    AppendEvent(registry.suite(), *m, std::move(e), out);
    out.materials.push_back(std::move(*m));
  }
  return out;
}

}  // namespace govledger::contracts

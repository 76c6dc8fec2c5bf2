// Cascade: when a material is revoked, suspended, reinstated or expires, its dependents (the
// materials issued with it, or an earlier version of it, as their parent) follow their type's
// rule in the same block, and theirs follow in turn.
#include <optional>
#include <string>
#include <utility>

#include "contracts/handlers.h"
#include "contracts/reasons.h"
#include "ledger/records.h"

namespace govledger::contracts {

using ledger::CascadeRule;
using ledger::Event;
using ledger::EventKind;
using ledger::Material;
using ledger::MaterialStatus;

namespace {

// A material has at most this many dependents in one scan; more are read page by page.
constexpr size_t kChildPage = 1000;

const char* ChangeWord(ParentChange change) {
  switch (change) {
    case ParentChange::kRevoked:
      return "revoked";
    case ParentChange::kExpired:
      return "expired";
    case ParentChange::kSuspended:
      return "suspended";
    case ParentChange::kReinstated:
      return "reinstated";
  }
  return "changed";
}

// What a dependent with `rule` and `status` becomes when its parent changed; nullopt: nothing.
std::optional<MaterialStatus> Follow(CascadeRule rule, ParentChange change, const Material& child,
                                     const std::string& parent_root) {
  if (rule == CascadeRule::kNone) return std::nullopt;
  const MaterialStatus s = child.status;
  switch (change) {
    case ParentChange::kRevoked:
    case ParentChange::kExpired:
      if (rule == CascadeRule::kRevoke) {
        if (s == MaterialStatus::kActive || s == MaterialStatus::kSuspended ||
            s == MaterialStatus::kIssued) {
          return MaterialStatus::kRevoked;
        }
        return std::nullopt;
      }
      // kSuspend: held until its issuer amends it under a new parent or revokes it.
      return s == MaterialStatus::kActive ? std::optional(MaterialStatus::kSuspended)
                                          : std::nullopt;
    case ParentChange::kSuspended:
      return s == MaterialStatus::kActive ? std::optional(MaterialStatus::kSuspended)
                                          : std::nullopt;
    case ParentChange::kReinstated:
      // Only what this parent's cascade suspended; a suspension by the issuer stays.
      if (s == MaterialStatus::kSuspended && child.suspended_by == parent_root) {
        return MaterialStatus::kActive;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

EventKind KindFor(MaterialStatus to) {
  switch (to) {
    case MaterialStatus::kRevoked:
      return EventKind::kRevoke;
    case MaterialStatus::kSuspended:
      return EventKind::kSuspend;
    default:
      return EventKind::kReinstate;
  }
}

ParentChange ChangeFor(MaterialStatus to) {
  switch (to) {
    case MaterialStatus::kRevoked:
      return ParentChange::kRevoked;
    case MaterialStatus::kSuspended:
      return ParentChange::kSuspended;
    default:
      return ParentChange::kReinstated;
  }
}

// `used` counts the materials changed so far by the whole cascade, recursion included.
Status CascadeFrom(const RegistryView& registry, Writer& w, const Material& parent,
                   ParentChange change, const BlockContext& ctx, const Bytes& tx_hash,
                   size_t budget, size_t& used) {
  const std::string root = RootId(parent.material_id);
  std::string after;
  while (true) {
    std::vector<std::string> children =
        ledger::ScanIndex(w.state(), ledger::Table::kChildren, root, kChildPage, after);
    if (children.empty()) break;
    after = children.back();
    for (const std::string& child_id : children) {
      // The index names the version issued under the parent; its newest version is the one in
      // force (an amendment may have moved it to another parent).
      std::optional<Material> child = LatestVersion(w.state(), child_id);
      if (!child || RootId(child->parent_id) != root) continue;
      std::optional<ledger::MaterialType> type = registry.Type(child->type_code);
      const CascadeRule rule = type ? type->cascade : CascadeRule::kRevoke;
      std::optional<MaterialStatus> to = Follow(rule, change, *child, root);
      if (!to) continue;
      if (++used > budget) {
        return Reject(reason::kTooManyDependents,
                      "the cascade from '" + parent.material_id + "' would change more than " +
                          std::to_string(budget) + " dependent materials");
      }
      child->status = *to;
      child->suspended_by = *to == MaterialStatus::kSuspended ? root : std::string();
      Event e;
      e.kind = KindFor(*to);
      e.height = ctx.height;
      e.time_ms = ctx.time_ms;
      e.tx_hash = tx_hash;
      e.reason = std::string("cascade: parent ") + ChangeWord(change) + " (rule '" +
                 std::string(ledger::CascadeRuleName(rule)) + "')";
      e.ref = parent.material_id;
      w.AppendMaterialEvent(*child, std::move(e));
      GOVLEDGER_RETURN_IF_ERROR(
          CascadeFrom(registry, w, *child, ChangeFor(*to), ctx, tx_hash, budget, used));
    }
  }
  return Status::Ok();
}

}  // namespace

Status Cascade(const RegistryView& registry, Writer& w, const Material& parent, ParentChange change,
               const BlockContext& ctx, const Bytes& tx_hash, size_t budget) {
  size_t used = 0;
  return CascadeFrom(registry, w, parent, change, ctx, tx_hash, budget, used);
}

}  // namespace govledger::contracts

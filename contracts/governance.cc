#include "contracts/governance.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "contracts/handlers.h"
#include "contracts/reasons.h"
#include "ledger/records.h"

namespace govledger::contracts {

using ledger::ChangeKind;
using ledger::Event;
using ledger::EventKind;
using ledger::GovernanceChange;
using ledger::Proposal;
using ledger::ProposalStatus;

namespace {

constexpr int64_t kDefaultVotingMs = 7LL * 86'400'000;  // a week of blocks by default
constexpr uint64_t kMaxVotingHeights = 10'000'000;

const std::set<std::string, std::less<>> kRoles = {"provider", "consumer", "authorizer",
                                                   "regulator", "validator"};
const std::set<std::string, std::less<>> kCategories = {"qualification", "license", "report",
                                                        "filing", "certificate"};

Status Bad(std::string message) { return Reject(reason::kBadProposal, std::move(message)); }

bool IsIdText(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsUpperAlnum(std::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char ch : s) {
    if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'))) return false;
  }
  return true;
}

bool IsHostPort(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  std::string_view port = s.substr(colon + 1);
  if (port.size() > 5) return false;
  uint32_t v = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<uint32_t>(ch - '0');
  }
  return v >= 1 && v <= 65535;
}

bool IsPurpose(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  }
  return true;
}

Status CheckText(std::string_view what, const std::string& s, bool required) {
  if (s.empty() && !required) return Status::Ok();
  if (s.empty() || s.size() > 256 || !IsCleanText(s)) {
    return Bad(std::string(what) +
               " must be 1..256 bytes of UTF-8 text without control characters");
  }
  return Status::Ok();
}

// ------------------------------------------------------------------ validating a change

// A validator's keys are of the network's suite (consensus) and P-256 (TLS); its addresses are
// host:port.
Status CheckValidatorKeysAndAddresses(const Call& c, const ledger::Validator& v) {
  if (!crypto::CheckPublicKey(c.registry.suite(), v.key).ok()) {
    return Bad("validator key is not a " + std::string(crypto::SuiteName(c.registry.suite())) +
               " public key");
  }
  // TLS between validators is always P-256 (OpenSSL offers no SM2 TLS 1.3), on sm networks too.
  if (!crypto::CheckPublicKey(crypto::Suite::kP256, v.tls_key).ok()) {
    return Bad("validator tls_key is not a P-256 public key (TLS keys are P-256 on every suite)");
  }
  if (!IsHostPort(v.p2p_address) || !IsHostPort(v.api_address)) {
    return Bad("validator p2p_address and api_address must be host:port");
  }
  return Status::Ok();
}

Status CheckAddValidator(const Call& c, const ledger::Validator& v) {
  if (!IsIdText(v.name)) return Bad("validator name must match [A-Za-z0-9._-]{1,64}");
  if (!c.registry.DepartmentById(v.department)) {
    return Bad("validator department " + Quote(v.department) + " is not in the registry");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckValidatorKeysAndAddresses(c, v));
  // Against the set once every recorded change has taken effect.
  for (const ledger::Validator& other :
       RegistryView(c.registry.genesis(), c.state, UINT64_MAX).Validators()) {
    if (other.name == v.name) return Bad("validator '" + v.name + "' already exists");
    if (other.key == v.key || other.tls_key == v.tls_key) {
      return Bad("validator '" + v.name + "' reuses a key of validator '" + other.name + "'");
    }
  }
  return Status::Ok();
}

// New keys for validator `v.name`: same department; the validator key, the TLS key or both are
// new, and neither was ever any validator's (the transport pins every TLS key it has seen; a
// reused key would be taken for its earlier owner). One change per validator at a time: the
// node holds its current and its next keys, no more.
Status CheckRotateValidator(const Call& c, const ledger::Validator& v) {
  const std::vector<ledger::Validator> final_set =
      RegistryView(c.registry.genesis(), c.state, UINT64_MAX).Validators();
  auto current = std::find_if(final_set.begin(), final_set.end(),
                              [&v](const ledger::Validator& x) { return x.name == v.name; });
  if (current == final_set.end()) return Bad("there is no validator " + Quote(v.name));
  for (const ledger::ValidatorChange& pending : PendingValidatorChanges(c.state, c.ctx.height)) {
    if (pending.validator.name == v.name) {
      return Bad("validator '" + v.name + "' already has a change taking effect at height " +
                 std::to_string(pending.effective_height) + "; rotate it after that");
    }
  }
  if (v.department != current->department) {
    return Bad("a rotation keeps the validator's department ('" + current->department + "')");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckValidatorKeysAndAddresses(c, v));
  if (v.key == current->key && v.tls_key == current->tls_key) {
    return Bad("the rotation gives validator '" + v.name + "' no new key");
  }
  // Every key any validator has had: the genesis set and every recorded change.
  std::vector<ledger::Validator> ever = c.registry.genesis().validators();
  for (const ledger::ValidatorChange& ch : ledger::GetValidatorChanges(c.state)) {
    if (!ch.remove) ever.push_back(ch.validator);
  }
  for (const ledger::Validator& other : ever) {
    if (v.key != current->key && other.key == v.key) {
      return Bad("the new validator key was already used by validator '" + other.name + "'");
    }
    if (v.tls_key != current->tls_key && other.tls_key == v.tls_key) {
      return Bad("the new TLS key was already used by validator '" + other.name + "'");
    }
  }
  return Status::Ok();
}

Status CheckRemoveValidator(const Call& c, const std::string& name) {
  std::vector<ledger::Validator> set =
      RegistryView(c.registry.genesis(), c.state, UINT64_MAX).Validators();
  bool found = false;
  for (const ledger::Validator& v : set) found = found || v.name == name;
  if (!found) return Bad("there is no validator " + Quote(name));
  if (set.size() <= 1) return Bad("the last validator cannot be removed");
  return Status::Ok();
}

Status CheckSetDepartment(const Call& c, const ledger::Department& d) {
  if (!IsIdText(d.id)) return Bad("department id must match [A-Za-z0-9._-]{1,64}");
  GOVLEDGER_RETURN_IF_ERROR(CheckText("department name", d.name, true));
  GOVLEDGER_RETURN_IF_ERROR(CheckText("department name_en", d.name_en, false));
  std::set<std::string> roles;
  for (const std::string& r : d.roles) {
    if (!kRoles.count(r)) return Bad("unknown role " + Quote(r));
    if (!roles.insert(r).second) return Bad("role '" + r + "' is listed twice");
  }
  if (std::optional<ledger::Department> existing = c.registry.DepartmentById(d.id)) {
    // A department keeps its identity: key and credit code never change.
    if (existing->key != d.key || existing->code != d.code) {
      return Bad("department '" + d.id + "' keeps its key and code; only names and roles change");
    }
    return Status::Ok();
  }
  if (!IsUpperAlnum(d.code, 18, 18)) {
    return Bad("department code must be an 18-character unified social credit code");
  }
  if (!crypto::CheckPublicKey(c.registry.suite(), d.key).ok()) {
    return Bad("department key is not a " + std::string(crypto::SuiteName(c.registry.suite())) +
               " public key");
  }
  if (c.registry.DepartmentByKey(d.key) ||
      c.state.GetRecord(ledger::Table::kRegistry, ledger::RegistryKeyIndexKey(d.key))) {
    return Bad("the key of department '" + d.id + "' already belongs to a department");
  }
  for (const ledger::Department& other : c.registry.Departments()) {
    if (other.code == d.code) return Bad("code " + d.code + " belongs to '" + other.id + "'");
  }
  return Status::Ok();
}

Status CheckSetType(const Call& c, const ledger::MaterialType& t) {
  if (!IsUpperAlnum(t.code, 3, 24)) return Bad("type code must match [0-9A-Z]{3,24}");
  GOVLEDGER_RETURN_IF_ERROR(CheckText("type name", t.name, true));
  GOVLEDGER_RETURN_IF_ERROR(CheckText("type name_en", t.name_en, false));
  if (!kCategories.count(t.category)) return Bad("unknown category " + Quote(t.category));
  if (t.issuers.empty()) return Bad("a material type needs at least one issuer");
  for (const std::string& id : t.issuers) {
    std::optional<ledger::Department> d = c.registry.DepartmentById(id);
    if (!d) return Bad("issuer " + Quote(id) + " is not in the registry");
    if (!RegistryView::HasRole(*d, kProviderRole)) {
      return Bad("issuer '" + id + "' does not have the provider role");
    }
  }
  for (const std::string& f : t.required_fields) {
    if (f.empty() || f.size() > 64 || !IsCleanText(f)) {
      return Bad("required field " + Quote(f) + " is not a field name");
    }
  }
  if (t.max_validity_ms < 0) return Bad("max validity must not be negative");
  if (!t.parent_type.empty()) {
    if (t.parent_type == t.code) return Bad("a type cannot be its own parent");
    if (!c.registry.Type(t.parent_type)) {
      return Bad("parent type " + Quote(t.parent_type) + " is not in the registry");
    }
  }
  for (const std::string& p : t.use_purposes) {
    if (!IsPurpose(p)) return Bad("purpose " + Quote(p) + " must match [a-z0-9_]{1,64}");
  }
  return Status::Ok();
}

Status CheckChange(const Call& c, const GovernanceChange& change) {
  switch (change.kind) {
    case ChangeKind::kAddValidator:
      return CheckAddValidator(c, change.validator);
    case ChangeKind::kRemoveValidator:
      return CheckRemoveValidator(c, change.validator_name);
    case ChangeKind::kRotateValidator:
      return CheckRotateValidator(c, change.validator);
    case ChangeKind::kSetDepartment:
      return CheckSetDepartment(c, change.department);
    case ChangeKind::kSetMaterialType:
      if (change.effective_height != 0 && change.effective_height <= c.ctx.height) {
        return Bad("effective height " + std::to_string(change.effective_height) +
                   " is not after the current height " + std::to_string(c.ctx.height));
      }
      return CheckSetType(c, change.material_type);
  }
  return Bad("unknown change");
}

// ------------------------------------------------------------------ approving and enacting

// Approvals from departments still in force (one removed since it approved no longer counts).
size_t CountApprovals(const Proposal& p, const std::vector<ledger::Department>& departments) {
  size_t n = 0;
  for (const std::string& id : p.approvals) {
    for (const ledger::Department& d : departments) {
      if (d.id == id) {
        ++n;
        break;
      }
    }
  }
  return n;
}

// Enacts `p` if it has enough approvals: re-checks the change against the registry as it is now,
// records it with its effective height and closes the proposal.
Status MaybeEnact(const Call& c, Writer& w, Proposal& p) {
  const std::vector<ledger::Department> departments = c.registry.Departments();
  p.departments_at_approval = static_cast<uint32_t>(departments.size());
  if (CountApprovals(p, departments) < ApprovalThreshold(departments.size())) return Status::Ok();
  if (Status st = CheckChange(c, p.change); !st.ok()) {
    return Bad("proposal " + p.proposal_id + " has enough approvals but can no longer be " +
               "applied: " + st.message());
  }
  const uint64_t h = c.ctx.height;
  uint64_t effective = h + 1;
  const GovernanceChange& change = p.change;
  switch (change.kind) {
    case ChangeKind::kAddValidator:
    case ChangeKind::kRemoveValidator:
    case ChangeKind::kRotateValidator: {
      effective = h + kValidatorChangeDelay;
      ledger::ValidatorChange v;
      v.effective_height = effective;
      v.remove = change.kind == ChangeKind::kRemoveValidator;
      v.rotate = change.kind == ChangeKind::kRotateValidator;
      v.validator = change.validator;
      if (v.remove) {
        v.validator = ledger::Validator{};
        v.validator.name = change.validator_name;
      }
      v.proposal_id = p.proposal_id;
      w.Put(ledger::PutValidatorChange(v));
      break;
    }
    case ChangeKind::kSetDepartment:
      if (!c.registry.DepartmentById(change.department.id)) {
        w.Put(ledger::PutRegistryKeyIndex(change.department.key, change.department.id));
      }
      w.Put(ledger::PutRegistryDepartment(change.department, effective));
      break;
    case ChangeKind::kSetMaterialType:
      effective = std::max(effective, change.effective_height);
      w.Put(ledger::PutRegistryType(change.material_type, effective));
      break;
  }
  p.status = ProposalStatus::kEnacted;
  p.enacted_height = h;
  p.effective_height = effective;
  Event e;
  e.kind = EventKind::kEnact;
  e.height = h;
  e.time_ms = c.ctx.time_ms;
  e.tx_hash = c.tx_hash();
  e.reason = ChangeSummary(change) + ", effective from height " + std::to_string(effective);
  w.AppendEvent(p.proposal_id, p.event_count, p.last_event, std::move(e));
  return Status::Ok();
}

}  // namespace

size_t ApprovalThreshold(size_t departments) {
  return std::max<size_t>(1, (2 * departments + 2) / 3);
}

std::vector<ledger::Validator> ValidatorSetAt(const Registry& genesis,
                                              const ledger::StateReader& state, uint64_t height) {
  return RegistryView(genesis, state, height).Validators();
}

std::vector<ledger::ValidatorChange> PendingValidatorChanges(const ledger::StateReader& state,
                                                             uint64_t height) {
  std::vector<ledger::ValidatorChange> out;
  for (ledger::ValidatorChange& v : ledger::GetValidatorChanges(state)) {
    if (v.effective_height > height) out.push_back(std::move(v));
  }
  return out;
}

std::string ChangeSummary(const GovernanceChange& change) {
  switch (change.kind) {
    case ChangeKind::kAddValidator:
      return "add validator " + change.validator.name + " (department " +
             change.validator.department + ")";
    case ChangeKind::kRemoveValidator:
      return "remove validator " + change.validator_name;
    case ChangeKind::kRotateValidator:
      return "rotate the keys of validator " + change.validator.name;
    case ChangeKind::kSetDepartment:
      return "set department " + change.department.id + " (" + change.department.name + ") roles " +
             JoinNames(change.department.roles);
    case ChangeKind::kSetMaterialType:
      return "set material type " + change.material_type.code + " (" + change.material_type.name +
             ")";
  }
  return "unknown change";
}

Result<Effects> ApplyPropose(const Call& c, const ledger::ProposeChange& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  uint64_t deadline = p.deadline_height;
  if (deadline == 0) {
    const int64_t interval = std::max<int64_t>(1, c.registry.params().block_interval_ms);
    deadline = c.ctx.height + static_cast<uint64_t>(kDefaultVotingMs / interval);
  }
  if (deadline < c.ctx.height || deadline - c.ctx.height > kMaxVotingHeights) {
    return Reject(reason::kBadDeadline, "deadline height " + std::to_string(deadline) +
                                            " must be between the current height " +
                                            std::to_string(c.ctx.height) + " and " +
                                            std::to_string(kMaxVotingHeights) + " heights later");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckReason("proposal", p.reason));
  GOVLEDGER_RETURN_IF_ERROR(CheckChange(c, p.change));

  Writer w(c.registry.suite(), c.state);
  const uint64_t number =
      ledger::GetCounter(c.state, ledger::Table::kCounter, ledger::kCounterProposals) + 1;
  w.Put(
      ledger::PutCounter(ledger::Table::kCounter, std::string(ledger::kCounterProposals), number));
  Proposal prop;
  prop.proposal_id = "P" + std::to_string(number);
  prop.change = p.change;
  prop.proposer = dept.id;
  prop.approvals = {dept.id};
  prop.created_height = c.ctx.height;
  prop.deadline_height = deadline;
  prop.reason = p.reason;
  Event e;
  e.kind = EventKind::kPropose;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = c.tx_hash();
  e.reason = ChangeSummary(p.change) + ": " + p.reason;
  w.AppendEvent(prop.proposal_id, prop.event_count, prop.last_event, std::move(e));
  GOVLEDGER_RETURN_IF_ERROR(MaybeEnact(c, w, prop));
  w.Put(ledger::PutProposal(prop));
  return w.Take();
}

Result<Effects> ApplyApprove(const Call& c, const ledger::ApproveProposal& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  std::optional<Proposal> prop = ledger::GetProposal(c.state, p.proposal_id);
  if (!prop) {
    return Reject(reason::kUnknownProposal, "proposal " + Quote(p.proposal_id) + " does not exist");
  }
  if (prop->status == ProposalStatus::kEnacted) {
    return Reject(reason::kProposalClosed, "proposal " + prop->proposal_id +
                                               " was enacted at height " +
                                               std::to_string(prop->enacted_height));
  }
  if (c.ctx.height > prop->deadline_height) {
    return Reject(reason::kProposalExpired, "proposal " + prop->proposal_id +
                                                " took approvals until height " +
                                                std::to_string(prop->deadline_height));
  }
  if (std::find(prop->approvals.begin(), prop->approvals.end(), dept.id) != prop->approvals.end()) {
    return Reject(reason::kAlreadyApproved,
                  "department '" + dept.id + "' already approved proposal " + prop->proposal_id);
  }
  prop->approvals.push_back(dept.id);
  Writer w(c.registry.suite(), c.state);
  Event e;
  e.kind = EventKind::kApprove;
  e.height = c.ctx.height;
  e.time_ms = c.ctx.time_ms;
  e.actor = dept.id;
  e.tx_hash = c.tx_hash();
  w.AppendEvent(prop->proposal_id, prop->event_count, prop->last_event, std::move(e));
  GOVLEDGER_RETURN_IF_ERROR(MaybeEnact(c, w, *prop));
  w.Put(ledger::PutProposal(*prop));
  return w.Take();
}

}  // namespace govledger::contracts

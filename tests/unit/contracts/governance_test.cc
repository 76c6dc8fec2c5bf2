// Governance: proposals enacted by two thirds of the departments in force — departments and
// their roles (from the next height), material type rules (from a stated height), validators
// (two heights after the enacting block) — read back through RegistryView at a height.
#include "contracts/governance.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "contracts/material.h"
#include "contracts/reasons.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

using ledger::ChangeKind;
using ledger::GovernanceChange;
using ledger::ProposalStatus;

GovernanceChange AddDepartment(const crypto::PrivateKey& key) {
  GovernanceChange c;
  c.kind = ChangeKind::kSetDepartment;
  c.department = MakeDepartment("edu", "南山区教育局", "Nanshan Education Bureau",
                                "11440305007542010D", {"provider", "consumer"}, key);
  return c;
}

// Proposes `change` as health at Ctx(n) and returns the proposal id.
std::string Propose(World& w, const GovernanceChange& change, uint64_t n = 0) {
  Result<Effects> r =
      w.Apply("health", ledger::ProposeChange{change, 0, "区政府常务会议决定"}, Ctx(n));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r->events[0].material_id;
}

// Approves with the given departments, one block each from Ctx(n); returns the last block used.
uint64_t Approve(World& w, const std::string& id, const std::vector<std::string>& depts,
                 uint64_t n) {
  for (const std::string& d : depts) {
    Result<Effects> r = w.Apply(d, ledger::ApproveProposal{id}, Ctx(n));
    INFO(d << ": " << r.status().ToString());
    REQUIRE(r.ok());
    ++n;
  }
  return n - 1;
}

TEST_CASE("two thirds of seven departments is five", "[contracts][governance]") {
  CHECK(ApprovalThreshold(1) == 1);
  CHECK(ApprovalThreshold(3) == 2);
  CHECK(ApprovalThreshold(4) == 3);
  CHECK(ApprovalThreshold(6) == 4);
  CHECK(ApprovalThreshold(7) == 5);
  CHECK(ApprovalThreshold(0) == 1);
}

TEST_CASE("a department added by governance may act from the next height",
          "[contracts][governance]") {
  World w;
  crypto::PrivateKey edu = NewKey();
  std::string id = Propose(w, AddDepartment(edu));
  CHECK(id == "P1");
  uint64_t last = Approve(w, id, {"police", "market", "water"}, 1);
  ledger::Proposal p = *ledger::GetProposal(w.state, id);
  CHECK(p.status == ProposalStatus::kPending);
  CHECK(p.approvals.size() == 4);
  // The fifth approval enacts it.
  last = Approve(w, id, {"hrss"}, last + 1);
  p = *ledger::GetProposal(w.state, id);
  CHECK(p.status == ProposalStatus::kEnacted);
  CHECK(p.enacted_height == kH0 + last);
  CHECK(p.effective_height == kH0 + last + 1);
  CHECK(w.state.History(id).back().kind == ledger::EventKind::kEnact);

  RegistryView at_enactment(w.registry(), w.state, kH0 + last);
  RegistryView after(w.registry(), w.state, kH0 + last + 1);
  CHECK_FALSE(at_enactment.DepartmentById("edu"));
  REQUIRE(after.DepartmentById("edu"));
  CHECK(after.DepartmentByKey(edu.public_key())->id == "edu");
  CHECK(after.Departments().size() == 8);
  // edu may now approve (and counts towards the threshold of the next proposal).
  GovernanceChange roles;
  roles.kind = ChangeKind::kSetDepartment;
  roles.department = *after.DepartmentById("tax");
  roles.department.roles = {"consumer", "regulator"};
  std::string p2 = Propose(w, roles, last + 1);
  CHECK(p2 == "P2");
  CHECK(ledger::GetProposal(w.state, p2)->departments_at_approval == 8);
  CHECK(w.ApplyWithKey(edu, ledger::ApproveProposal{p2}, Ctx(last + 2)).ok());
}

TEST_CASE("a department's roles change by governance", "[contracts][governance]") {
  World w;
  GovernanceChange c;
  c.kind = ChangeKind::kSetDepartment;
  c.department = w.dept("water");
  c.department.roles = {"provider", "consumer", "validator"};
  std::string id = Propose(w, c);
  uint64_t last = Approve(w, id, {"police", "market", "hrss", "platform"}, 1);
  RegistryView view(w.registry(), w.state, kH0 + last + 1);
  CHECK(RegistryView::HasRole(*view.DepartmentById("water"), "validator"));
  CHECK(RegistryView::HasRole(*view.DepartmentByKey(w.key("water").public_key()), "validator"));
  CHECK_FALSE(RegistryView::HasRole(
      *RegistryView(w.registry(), w.state, kH0 + last).DepartmentById("water"), "validator"));
}

TEST_CASE("new material type rules apply from the stated height", "[contracts][governance]") {
  World w;
  GovernanceChange c;
  c.kind = ChangeKind::kSetMaterialType;
  c.material_type = *w.registry().Type("BIRTHCERT");
  c.material_type.required_fields.push_back("father_name");
  c.effective_height = kH0 + 50;
  std::string id = Propose(w, c);
  uint64_t last = Approve(w, id, {"police", "market", "hrss", "platform"}, 1);
  CHECK(ledger::GetProposal(w.state, id)->effective_height == kH0 + 50);
  CHECK(last < 49);
  // Before height 150 the old rules; from it the new one.
  CHECK(w.Apply("health", w.BirthCert("1"), {kH0 + 49, kT0 + 49'000}).ok());
  Result<Effects> r = w.Apply("health", w.BirthCert("2"), {kH0 + 50, kT0 + 50'000});
  CHECK(r.status().code() == reason::kMissingField);
  CHECK_THAT(r.status().message(), Catch::Contains("father_name"));
}

TEST_CASE("a validator added by governance is in the set two heights after enactment",
          "[contracts][governance][validators]") {
  World w;
  GovernanceChange c;
  c.kind = ChangeKind::kAddValidator;
  c.validator.name = "node-water";
  c.validator.department = "water";
  c.validator.key = NewKey().public_key();
  c.validator.tls_key = NewKey().public_key();
  c.validator.p2p_address = "127.0.0.1:7105";
  c.validator.api_address = "127.0.0.1:7005";
  std::string id = Propose(w, c);
  uint64_t last = Approve(w, id, {"police", "market", "hrss", "platform"}, 1);
  const uint64_t h = kH0 + last;
  CHECK(ledger::GetProposal(w.state, id)->effective_height == h + kValidatorChangeDelay);
  CHECK(ValidatorSetAt(w.registry(), w.state, h + 1).size() == 4);
  std::vector<ledger::Validator> set = ValidatorSetAt(w.registry(), w.state, h + 2);
  REQUIRE(set.size() == 5);
  CHECK(set.back().name == "node-water");
  CHECK(set.back().key == c.validator.key);
  std::vector<ledger::ValidatorChange> pending = PendingValidatorChanges(w.state, h);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].effective_height == h + 2);
  CHECK(pending[0].proposal_id == id);
  CHECK(PendingValidatorChanges(w.state, h + 2).empty());

  GovernanceChange remove;
  remove.kind = ChangeKind::kRemoveValidator;
  remove.validator_name = "node-health";
  std::string id2 = Propose(w, remove, last + 1);
  uint64_t last2 = Approve(w, id2, {"police", "market", "hrss", "platform"}, last + 2);
  std::vector<ledger::Validator> after = ValidatorSetAt(w.registry(), w.state, kH0 + last2 + 2);
  CHECK(after.size() == 4);
  for (const ledger::Validator& v : after) CHECK(v.name != "node-health");
}

// New keys for node-police: what a rotation proposal carries.
GovernanceChange RotatePolice(const World& w) {
  GovernanceChange c;
  c.kind = ChangeKind::kRotateValidator;
  c.validator = w.genesis().validators[1];
  c.validator.key = NewKey().public_key();
  c.validator.tls_key = NewKey().public_key();
  return c;
}

TEST_CASE("a rotated validator keeps its place in the set and signs with the new keys two "
          "heights after enactment",
          "[contracts][governance][validators]") {
  World w;
  const GovernanceChange c = RotatePolice(w);
  std::string id = Propose(w, c);
  uint64_t last = Approve(w, id, {"police", "market", "hrss", "platform"}, 1);
  const uint64_t h = kH0 + last;
  std::vector<ledger::Validator> before = ValidatorSetAt(w.registry(), w.state, h + 1);
  REQUIRE(before.size() == 4);
  CHECK(before[1].key == w.genesis().validators[1].key);
  std::vector<ledger::Validator> after = ValidatorSetAt(w.registry(), w.state, h + 2);
  REQUIRE(after.size() == 4);
  CHECK(after[1].name == "node-police");  // same index: the proposer order is unchanged
  CHECK(after[1].department == "police");
  CHECK(after[1].key == c.validator.key);
  CHECK(after[1].tls_key == c.validator.tls_key);
  for (size_t i : {0u, 2u, 3u}) CHECK(after[i].key == w.genesis().validators[i].key);
  std::vector<ledger::ValidatorChange> pending = PendingValidatorChanges(w.state, h);
  REQUIRE(pending.size() == 1);
  CHECK(pending[0].rotate);
  CHECK_FALSE(pending[0].remove);
}

TEST_CASE("a network of one department enacts its own proposals at once",
          "[contracts][governance]") {
  World w;
  ledger::Genesis g = w.genesis();
  g.departments.resize(1);  // health alone
  g.material_types = {g.material_types[0]};
  Registry solo(g);
  GovernanceChange c;
  c.kind = ChangeKind::kSetMaterialType;
  c.material_type = *solo.Type("BIRTHCERT");
  c.material_type.use_purposes = {"household_registration"};
  ledger::Tx tx = w.MakeTx("health", ledger::ProposeChange{c, 0, "调整用途"});
  Result<Effects> r = ApplyTx(solo, w.state, tx, Ctx(0));
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 2);
  CHECK(r->events[1].kind == ledger::EventKind::kEnact);
}

}  // namespace

std::vector<RejectCase> GovernanceRejectionCases();
std::vector<RejectCase> GovernanceRejectionCases() {
  auto roles = [](World& w, std::vector<std::string> r) {
    GovernanceChange c;
    c.kind = ChangeKind::kSetDepartment;
    c.department = w.dept("water");
    c.department.roles = std::move(r);
    return c;
  };
  auto propose = [](World& w, const GovernanceChange& c) {
    return w.Apply("health", ledger::ProposeChange{c, 0, "理由"});
  };
  return {
      {"unknown proposal", reason::kUnknownProposal, "'P9'",
       [](World& w) { return w.Apply("police", ledger::ApproveProposal{"P9"}); }},
      {"approving twice", reason::kAlreadyApproved, "already approved proposal P1",
       [=](World& w) {
         GOVLEDGER_CHECK(propose(w, roles(w, {"provider"})).ok());
         return w.Apply("health", ledger::ApproveProposal{"P1"}, Ctx(1));
       }},
      {"approving an enacted proposal", reason::kProposalClosed, "was enacted",
       [=](World& w) {
         GOVLEDGER_CHECK(propose(w, roles(w, {"provider"})).ok());
         uint64_t n = 1;
         for (const char* d : {"police", "market", "hrss", "platform"}) {
           GOVLEDGER_CHECK(w.Apply(d, ledger::ApproveProposal{"P1"}, Ctx(n++)).ok());
         }
         return w.Apply("tax", ledger::ApproveProposal{"P1"}, Ctx(n));
       }},
      {"approving after the deadline", reason::kProposalExpired, "until height 105",
       [=](World& w) {
         GOVLEDGER_CHECK(
             w.Apply("health", ledger::ProposeChange{roles(w, {"provider"}), kH0 + 5, "理由"})
                 .ok());
         return w.Apply("police", ledger::ApproveProposal{"P1"}, {kH0 + 6, kT0 + 6000});
       }},
      {"deadline in the past", reason::kBadDeadline, "deadline height 99",
       [=](World& w) {
         return w.Apply("health", ledger::ProposeChange{roles(w, {"provider"}), kH0 - 1, "理由"});
       }},
      {"proposal without a reason", reason::kBadReason, "a proposal needs a reason",
       [=](World& w) {
         return w.Apply("health", ledger::ProposeChange{roles(w, {"provider"}), 0, ""});
       }},
      {"rotating a validator that does not exist", reason::kBadProposal,
       "there is no validator 'node-tax'",
       [=](World& w) {
         GovernanceChange c = RotatePolice(w);
         c.validator.name = "node-tax";
         return propose(w, c);
       }},
      {"rotating a validator into another department", reason::kBadProposal,
       "keeps the validator's department ('police')",
       [=](World& w) {
         GovernanceChange c = RotatePolice(w);
         c.validator.department = "market";
         return propose(w, c);
       }},
      {"a rotation with no new key", reason::kBadProposal, "no new key",
       [=](World& w) {
         GovernanceChange c = RotatePolice(w);
         c.validator = w.genesis().validators[1];
         return propose(w, c);
       }},
      {"rotating to another validator's key", reason::kBadProposal,
       "already used by validator 'node-market'",
       [=](World& w) {
         GovernanceChange c = RotatePolice(w);
         c.validator.key = w.genesis().validators[2].key;
         return propose(w, c);
       }},
      {"rotating to another validator's TLS key", reason::kBadProposal,
       "the new TLS key was already used by validator 'node-health'",
       [=](World& w) {
         GovernanceChange c = RotatePolice(w);
         c.validator.tls_key = w.genesis().validators[0].tls_key;
         return propose(w, c);
       }},
      {"a second rotation while one is pending", reason::kBadProposal,
       "already has a change taking effect at height",
       [=](World& w) {
         GOVLEDGER_CHECK(propose(w, RotatePolice(w)).ok());
         uint64_t n = 1;
         for (const char* d : {"police", "market", "hrss", "platform"}) {
           GOVLEDGER_CHECK(w.Apply(d, ledger::ApproveProposal{"P1"}, Ctx(n++)).ok());
         }
         return w.Apply("health", ledger::ProposeChange{RotatePolice(w), 0, "理由"}, Ctx(n - 1));
       }},
      {"unknown role", reason::kBadProposal, "unknown role 'mayor'",
       [=](World& w) { return propose(w, roles(w, {"mayor"})); }},
      {"changing a department's key", reason::kBadProposal, "keeps its key and code",
       [=](World& w) {
         GovernanceChange c = roles(w, {"provider"});
         c.department.key = NewKey().public_key();
         return propose(w, c);
       }},
      {"new department reusing a key", reason::kBadProposal, "already belongs to a department",
       [=](World& w) {
         GovernanceChange c = AddDepartment(w.key("health"));
         return propose(w, c);
       }},
      {"material type issued by a department without the provider role", reason::kBadProposal,
       "does not have the provider role",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kSetMaterialType;
         c.material_type = MakeType("TAXCLEAR", "完税证明", "Tax clearance", "certificate", {"tax"},
                                    {"taxpayer"}, 0);
         return propose(w, c);
       }},
      {"material type with an unknown parent", reason::kBadProposal, "parent type 'NOPE'",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kSetMaterialType;
         c.material_type = MakeType("WATERCONN", "用水报装", "Water connection", "license",
                                    {"water"}, {}, 0, "NOPE");
         return propose(w, c);
       }},
      {"material type effective in the past", reason::kBadProposal, "is not after the current",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kSetMaterialType;
         c.material_type = *w.registry().Type("BIRTHCERT");
         c.effective_height = kH0;
         return propose(w, c);
       }},
      {"adding a validator whose name exists", reason::kBadProposal, "already exists",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kAddValidator;
         c.validator = w.genesis().validators[0];
         c.validator.key = NewKey().public_key();
         c.validator.tls_key = NewKey().public_key();
         return propose(w, c);
       }},
      {"adding a validator whose TLS key is not P-256", reason::kBadProposal, "not a P-256",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kAddValidator;
         c.validator.name = "node-water";
         c.validator.department = "water";
         c.validator.key = NewKey().public_key();
         c.validator.tls_key = crypto::PrivateKey::Generate(crypto::Suite::kSm).value().public_key();
         c.validator.p2p_address = "127.0.0.1:7105";
         c.validator.api_address = "127.0.0.1:7005";
         return propose(w, c);
       }},
      {"removing an unknown validator", reason::kBadProposal, "there is no validator 'node-x'",
       [=](World& w) {
         GovernanceChange c;
         c.kind = ChangeKind::kRemoveValidator;
         c.validator_name = "node-x";
         return propose(w, c);
       }},
      {"proposal by a key of no department", reason::kUnknownSigner, "does not belong",
       [=](World& w) {
         return w.ApplyWithKey(NewKey(), ledger::ProposeChange{roles(w, {"provider"}), 0, "x"});
       }},
  };
}

}  // namespace govledger::contracts::testing

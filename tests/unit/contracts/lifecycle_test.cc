// The material lifecycle beyond issue and revoke: staged issue and publish, amend (new version,
// old one SUPERSEDED), transfer, suspend and reinstate, destroy (tombstone), the transition table
// for every status and action, and the cascade to dependents.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "contracts/handlers.h"
#include "contracts/material.h"
#include "contracts/reasons.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

using ledger::Event;
using ledger::EventKind;
using ledger::IssueMaterial;
using ledger::Material;
using ledger::MaterialStatus;

Bytes EventHashBytes(const Event& e) { return crypto::DigestBytes(ledger::EventHash(kSuite, e)); }

// The committed history of `id` is one hash chain ending at the material's head.
void CheckChain(const World& w, const std::string& id) {
  std::vector<Event> history = w.state.History(id);
  std::optional<Material> m = w.state.GetMaterial(id);
  REQUIRE(m);
  REQUIRE(history.size() == m->event_count);
  for (size_t i = 0; i < history.size(); ++i) {
    CAPTURE(id, i);
    CHECK(history[i].seq == i);
    CHECK(history[i].prev_event == (i == 0 ? Bytes{} : EventHashBytes(history[i - 1])));
  }
  CHECK(m->last_event == EventHashBytes(history.back()));
}

std::string IssueOk(World& w, const std::string& dept, const IssueMaterial& p,
                    BlockContext ctx = Ctx(0)) {
  Result<Effects> r = w.Apply(dept, p, ctx);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return p.material_id;
}

MaterialStatus StatusOf(const World& w, const std::string& id) {
  return w.state.GetMaterial(id)->status;
}

ledger::AmendMaterial Amendment(const World& w, const std::string& prev_id, const std::string& type,
                                const std::string& dept, const std::string& serial,
                                const std::string& version) {
  IssueMaterial base = w.Issue(type, dept, serial);
  ledger::AmendMaterial a;
  a.prev_id = prev_id;
  a.material_id = w.Id(type, dept, serial, version);
  a.doc_digest = TestDigest("amended document:" + serial + version);
  a.fields_root = TestDigest("amended fields:" + serial + version);
  a.field_names = base.field_names;
  a.valid_from_ms = base.valid_from_ms;
  a.valid_until_ms = base.valid_until_ms;
  a.reason = "更正出生日期";
  return a;
}

// ------------------------------------------------------------------ staged issue and publish

TEST_CASE("a staged issue is ISSUED until its issuer publishes it", "[contracts][lifecycle]") {
  World w;
  IssueMaterial p = w.BirthCert("1");
  p.staged = true;
  IssueOk(w, "health", p);
  CHECK(StatusOf(w, p.material_id) == MaterialStatus::kIssued);

  Result<Effects> r = w.Apply("health", ledger::PublishMaterial{p.material_id}, Ctx(1));
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].kind == EventKind::kPublish);
  CHECK(r->events[0].actor == "health");
  CHECK(StatusOf(w, p.material_id) == MaterialStatus::kActive);
  CheckChain(w, p.material_id);
}

TEST_CASE("an unpublished material can be withdrawn (revoked) or destroyed",
          "[contracts][lifecycle]") {
  World w;
  IssueMaterial a = w.BirthCert("1");
  a.staged = true;
  IssueMaterial b = w.BirthCert("2");
  b.staged = true;
  IssueOk(w, "health", a);
  IssueOk(w, "health", b);
  REQUIRE(w.Apply("health", Revoke(a.material_id, "审核未通过"), Ctx(1)).ok());
  REQUIRE(w.Apply("health", ledger::DestroyMaterial{b.material_id, "草稿作废"}, Ctx(2)).ok());
  CHECK(StatusOf(w, a.material_id) == MaterialStatus::kRevoked);
  CHECK(StatusOf(w, b.material_id) == MaterialStatus::kDestroyed);
}

TEST_CASE("a staged material runs towards its expiry like a published one",
          "[contracts][lifecycle][expiry]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  permit.staged = true;
  IssueOk(w, "market", permit);
  Effects e = w.Expire({kH0 + 500, permit.valid_until_ms});
  REQUIRE(e.events.size() == 1);
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kExpired);
}

TEST_CASE("publish needs the parent in force", "[contracts][lifecycle]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  permit.staged = true;
  IssueOk(w, "market", permit);
  REQUIRE(w.Apply("market", ledger::SuspendMaterial{license.material_id, "停业整顿"}, Ctx(1)).ok());
  Result<Effects> r = w.Apply("market", ledger::PublishMaterial{permit.material_id}, Ctx(2));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == reason::kParentNotActive);
}

// ------------------------------------------------------------------ amend

TEST_CASE("amend issues version 002 linked to 001, which becomes SUPERSEDED",
          "[contracts][lifecycle][amend]") {
  World w;
  IssueMaterial p = w.BirthCertWithHolderKey("2024030100001");
  IssueOk(w, "health", p);
  ledger::AmendMaterial a =
      Amendment(w, p.material_id, "BIRTHCERT", "health", "2024030100001", "002");
  ledger::Tx tx = w.MakeTx("health", a, Ctx(1).height);
  Result<Effects> r = w.Apply(tx, Ctx(1));
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 2);
  CHECK(r->events[0].material_id == p.material_id);
  CHECK(r->events[0].kind == EventKind::kSupersede);
  CHECK(r->events[0].ref == a.material_id);
  CHECK(r->events[1].material_id == a.material_id);
  CHECK(r->events[1].kind == EventKind::kAmend);
  CHECK(r->events[1].seq == 0);
  CHECK(r->events[1].ref == p.material_id);
  CHECK(r->events[1].reason == "更正出生日期");

  Material old_version = *w.state.GetMaterial(p.material_id);
  Material new_version = *w.state.GetMaterial(a.material_id);
  CHECK(old_version.status == MaterialStatus::kSuperseded);
  CHECK(old_version.next_version == a.material_id);
  CHECK(new_version.status == MaterialStatus::kActive);
  CHECK(new_version.version == 2);
  CHECK(new_version.prev_version == p.material_id);
  CHECK(new_version.doc_digest == a.doc_digest);
  CHECK(new_version.holder_commitment == p.holder_commitment);  // the holder carries over
  CHECK(new_version.holder_key == p.holder_key);
  CHECK(new_version.issue_tx == crypto::DigestBytes(tx.hash));
  CheckChain(w, p.material_id);
  CheckChain(w, a.material_id);

  // The superseded version takes no further step but destruction; the new one can be amended.
  CHECK(w.Apply("health", Revoke(p.material_id, "x"), Ctx(2)).status().code() ==
        reason::kMaterialSuperseded);
  ledger::AmendMaterial again =
      Amendment(w, a.material_id, "BIRTHCERT", "health", "2024030100001", "003");
  CHECK(w.Apply("health", again, Ctx(3)).ok());
  CHECK(w.Apply("health", ledger::DestroyMaterial{p.material_id, "保存期满"}, Ctx(4)).ok());
}

TEST_CASE("an amendment may move a dependent to a new parent", "[contracts][lifecycle][amend]") {
  World w;
  IssueMaterial old_license = w.BizLicense("L1");
  IssueMaterial new_license = w.BizLicense("L2");
  IssueOk(w, "market", old_license);
  IssueOk(w, "market", new_license);
  IssueMaterial permit = w.FoodPermit("JY1", old_license.material_id);
  IssueOk(w, "market", permit);
  ledger::AmendMaterial a = Amendment(w, permit.material_id, "FOODPERMIT", "market", "JY1", "002");
  a.parent_id = new_license.material_id;
  REQUIRE(w.Apply("market", a, Ctx(1)).ok());
  // Revoking the old license no longer reaches the permit; revoking the new one does.
  REQUIRE(w.Apply("market", Revoke(old_license.material_id, "注销"), Ctx(2)).ok());
  CHECK(StatusOf(w, a.material_id) == MaterialStatus::kActive);
  REQUIRE(w.Apply("market", Revoke(new_license.material_id, "吊销"), Ctx(3)).ok());
  CHECK(StatusOf(w, a.material_id) == MaterialStatus::kRevoked);
}

TEST_CASE("dependents follow the newest version of an amended parent",
          "[contracts][lifecycle][amend][cascade]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  IssueOk(w, "market", permit);
  ledger::AmendMaterial a = Amendment(w, license.material_id, "BIZLICENSE", "market", "L1", "002");
  REQUIRE(w.Apply("market", a, Ctx(1)).ok());
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kActive);
  REQUIRE(w.Apply("market", Revoke(a.material_id, "吊销营业执照"), Ctx(2)).ok());
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kRevoked);
}

TEST_CASE("amending a suspended material reinstates what its suspension held back",
          "[contracts][lifecycle][amend][cascade]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  IssueOk(w, "market", permit);
  REQUIRE(w.Apply("market", ledger::SuspendMaterial{license.material_id, "地址异常"}, Ctx(1)).ok());
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kSuspended);
  ledger::AmendMaterial a = Amendment(w, license.material_id, "BIZLICENSE", "market", "L1", "002");
  a.reason = "变更经营地址";
  REQUIRE(w.Apply("market", a, Ctx(2)).ok());
  CHECK(StatusOf(w, a.material_id) == MaterialStatus::kActive);
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kActive);
}

// ------------------------------------------------------------------ transfer

TEST_CASE("transfer gives the material a new holder", "[contracts][lifecycle][transfer]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  crypto::PrivateKey buyer = NewKey();
  ledger::TransferMaterial t{license.material_id, TestDigest("new holder"), buyer.public_key(),
                             "股权转让"};
  Result<Effects> r = w.Apply("market", t, Ctx(1));
  REQUIRE(r.ok());
  CHECK(r->events[0].kind == EventKind::kTransfer);
  CHECK(r->events[0].detail == t.new_holder_commitment);
  Material m = *w.state.GetMaterial(license.material_id);
  CHECK(m.holder_commitment == t.new_holder_commitment);
  CHECK(m.holder_key == buyer.public_key());
  CHECK(m.status == MaterialStatus::kActive);
}

// ------------------------------------------------------------------ suspend and reinstate

TEST_CASE("suspend and reinstate", "[contracts][lifecycle]") {
  World w;
  IssueMaterial p = w.BirthCert("1");
  IssueOk(w, "health", p);
  Result<Effects> s =
      w.Apply("health", ledger::SuspendMaterial{p.material_id, "信息核查中"}, Ctx(1));
  REQUIRE(s.ok());
  CHECK(s->events[0].kind == EventKind::kSuspend);
  CHECK(StatusOf(w, p.material_id) == MaterialStatus::kSuspended);
  Result<Effects> r =
      w.Apply("health", ledger::ReinstateMaterial{p.material_id, "核查无误"}, Ctx(2));
  REQUIRE(r.ok());
  CHECK(r->events[0].kind == EventKind::kReinstate);
  CHECK(StatusOf(w, p.material_id) == MaterialStatus::kActive);
  CheckChain(w, p.material_id);
}

TEST_CASE("a suspended material can be revoked but not destroyed", "[contracts][lifecycle]") {
  World w;
  IssueMaterial p = w.BirthCert("1");
  IssueOk(w, "health", p);
  REQUIRE(w.Apply("health", ledger::SuspendMaterial{p.material_id, "核查"}, Ctx(1)).ok());
  CHECK(w.Apply("health", ledger::DestroyMaterial{p.material_id, "销毁"}, Ctx(2)).status().code() ==
        reason::kStillInForce);
  REQUIRE(w.Apply("health", Revoke(p.material_id, "核查不实"), Ctx(3)).ok());
  REQUIRE(w.Apply("health", ledger::DestroyMaterial{p.material_id, "保存期满"}, Ctx(4)).ok());
}

// ------------------------------------------------------------------ destroy

TEST_CASE("destroy leaves a tombstone that keeps the digest and takes no further step",
          "[contracts][lifecycle][destroy]") {
  World w;
  IssueMaterial p = w.BirthCert("1");
  IssueOk(w, "health", p);
  REQUIRE(w.Apply("health", Revoke(p.material_id, "撤销"), Ctx(1)).ok());
  Result<Effects> r =
      w.Apply("health", ledger::DestroyMaterial{p.material_id, "档案保存期满销毁"}, Ctx(2));
  REQUIRE(r.ok());
  CHECK(r->events[0].kind == EventKind::kDestroy);
  Material m = *w.state.GetMaterial(p.material_id);
  CHECK(m.status == MaterialStatus::kDestroyed);
  CHECK(m.doc_digest == p.doc_digest);
  CheckChain(w, p.material_id);
}

TEST_CASE("an expired material can be destroyed", "[contracts][lifecycle][destroy]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  IssueOk(w, "market", permit);
  w.Expire({kH0 + 10, permit.valid_until_ms});
  REQUIRE(w.Apply("market", ledger::DestroyMaterial{permit.material_id, "过期销毁"},
                  {kH0 + 11, permit.valid_until_ms + 1})
              .ok());
}

// ------------------------------------------------------------------ the transition table

// Puts a material (a birth certificate with a holder key) into `status` the way the chain would.
std::string MaterialIn(World& w, MaterialStatus status) {
  IssueMaterial p = w.BirthCertWithHolderKey("S" + ledger::MaterialStatusName(status));
  p.staged = status == MaterialStatus::kIssued;
  IssueOk(w, "health", p);
  const std::string& id = p.material_id;
  switch (status) {
    case MaterialStatus::kIssued:
    case MaterialStatus::kActive:
      break;
    case MaterialStatus::kSuspended:
      REQUIRE(w.Apply("health", ledger::SuspendMaterial{id, "核查"}, Ctx(1)).ok());
      break;
    case MaterialStatus::kRevoked:
      REQUIRE(w.Apply("health", Revoke(id, "撤销"), Ctx(1)).ok());
      break;
    case MaterialStatus::kExpired: {
      // Birth certificates take an optional expiry: give this one a short one.
      IssueMaterial q = w.BirthCertWithHolderKey("SEXP");
      q.valid_until_ms = kT0 + 1;
      IssueOk(w, "health", q);
      w.Expire({kH0 + 1, kT0 + 1});
      return q.material_id;
    }
    case MaterialStatus::kSuperseded:
      REQUIRE(w.Apply("health",
                      Amendment(w, id, "BIRTHCERT", "health",
                                "S" + ledger::MaterialStatusName(status), "002"),
                      Ctx(1))
                  .ok());
      break;
    case MaterialStatus::kDestroyed:
      REQUIRE(w.Apply("health", Revoke(id, "撤销"), Ctx(1)).ok());
      REQUIRE(w.Apply("health", ledger::DestroyMaterial{id, "销毁"}, Ctx(2)).ok());
      break;
  }
  REQUIRE(StatusOf(w, id) == status);
  return id;
}

// The payload that asks for `action` on `id`, signed by whom that action needs.
Result<Effects> Attempt(World& w, const std::string& id, Action action) {
  const BlockContext ctx = Ctx(5);
  switch (action) {
    case Action::kPublish:
      return w.Apply("health", ledger::PublishMaterial{id}, ctx);
    case Action::kAmend: {
      Material m = *w.state.GetMaterial(id);
      auto parts = ParseMaterialId(id).value();
      char version[4];
      std::snprintf(version, sizeof version, "%03u", m.version + 1);
      return w.Apply("health", Amendment(w, id, "BIRTHCERT", "health", parts.serial, version), ctx);
    }
    case Action::kTransfer:
      return w.Apply("health", ledger::TransferMaterial{id, TestDigest("other holder"), {}, ""},
                     ctx);
    case Action::kSuspend:
      return w.Apply("health", ledger::SuspendMaterial{id, "核查"}, ctx);
    case Action::kReinstate:
      return w.Apply("health", ledger::ReinstateMaterial{id, ""}, ctx);
    case Action::kRevoke:
      return w.Apply("health", Revoke(id, "撤销"), ctx);
    case Action::kDestroy:
      return w.Apply("health", ledger::DestroyMaterial{id, "销毁"}, ctx);
    case Action::kAuthorize:
      return w.ApplyWithKey(
          w.holder(),
          ledger::AuthorizeUse{id, "police", "household_registration", kT0 + 30 * kDayMs, 0, {}},
          ctx);
    case Action::kUse:
      return w.Apply("hrss", ledger::UseMaterial{id, "social_security_card", ""}, ctx);
  }
  return Status::Error("test", "unknown action");
}

TEST_CASE("the transition table: every status against every action", "[contracts][lifecycle]") {
  using S = MaterialStatus;
  using A = Action;
  const char* ok = "";
  // Expected reason code per (status, action); "" means allowed. Use is attempted without a
  // grant, so on an ACTIVE material it gets past the status check to no_grant.
  const std::map<S, std::map<A, const char*>> table = {
      {S::kIssued,
       {{A::kPublish, ok},
        {A::kAmend, ok},
        {A::kTransfer, reason::kNotPublished},
        {A::kSuspend, reason::kNotPublished},
        {A::kReinstate, reason::kNotPublished},
        {A::kRevoke, ok},
        {A::kDestroy, ok},
        {A::kAuthorize, reason::kNotPublished},
        {A::kUse, reason::kNotPublished}}},
      {S::kActive,
       {{A::kPublish, reason::kAlreadyPublished},
        {A::kAmend, ok},
        {A::kTransfer, ok},
        {A::kSuspend, ok},
        {A::kReinstate, reason::kNotSuspended},
        {A::kRevoke, ok},
        {A::kDestroy, reason::kStillInForce},
        {A::kAuthorize, ok},
        {A::kUse, reason::kNoGrant}}},
      {S::kSuspended,
       {{A::kPublish, reason::kAlreadyPublished},
        {A::kAmend, ok},
        {A::kTransfer, reason::kMaterialSuspended},
        {A::kSuspend, reason::kAlreadySuspended},
        {A::kReinstate, ok},
        {A::kRevoke, ok},
        {A::kDestroy, reason::kStillInForce},
        {A::kAuthorize, reason::kMaterialSuspended},
        {A::kUse, reason::kMaterialSuspended}}},
  };
  const std::map<S, const char*> terminal = {{S::kRevoked, reason::kAlreadyRevoked},
                                             {S::kExpired, reason::kAlreadyExpired},
                                             {S::kSuperseded, reason::kMaterialSuperseded},
                                             {S::kDestroyed, reason::kMaterialDestroyed}};
  const std::vector<A> actions = {A::kPublish, A::kAmend,     A::kTransfer,
                                  A::kSuspend, A::kReinstate, A::kRevoke,
                                  A::kDestroy, A::kAuthorize, A::kUse};
  for (S status : {S::kIssued, S::kActive, S::kSuspended, S::kRevoked, S::kExpired, S::kSuperseded,
                   S::kDestroyed}) {
    for (A action : actions) {
      std::string expected;
      if (auto it = table.find(status); it != table.end()) {
        expected = it->second.at(action);
      } else if (!(action == A::kDestroy && status != S::kDestroyed)) {
        expected = terminal.at(status);
      }
      DYNAMIC_SECTION(ledger::MaterialStatusName(status) << " / " << ActionName(action)) {
        World w;
        std::string id = MaterialIn(w, status);
        Result<Effects> r = Attempt(w, id, action);
        if (expected.empty()) {
          INFO(r.status().ToString());
          CHECK(r.ok());
        } else {
          REQUIRE_FALSE(r.ok());
          CHECK(r.status().code() == expected);
        }
      }
    }
  }
}

// ------------------------------------------------------------------ cascade

struct Newborn {
  std::string birth, hukou, sscard, vaccine, idcard;
};

// A birth certificate with its dependents: a household entry (rule suspend) with an identity
// card under it (rule revoke), a social security card (rule revoke) and a vaccination record
// (rule none).
Newborn IssueNewborn(World& w) {
  Newborn n;
  n.birth = IssueOk(w, "health", w.BirthCertWithHolderKey("2024030100001"));
  n.hukou = IssueOk(w, "police", w.Child("HUKOUENTRY", "police", "H1", n.birth));
  n.sscard = IssueOk(w, "hrss", w.Child("SSCARD", "hrss", "C1", n.birth));
  n.vaccine = IssueOk(w, "health", w.Child("VACCINE", "health", "V1", n.birth));
  n.idcard = IssueOk(w, "police", w.Child("IDCARD", "police", "ID1", n.hukou));
  return n;
}

TEST_CASE("revoking a birth certificate cascades per type rule, recursively",
          "[contracts][cascade]") {
  World w;
  Newborn n = IssueNewborn(w);
  ledger::Tx tx = w.MakeTx("health", Revoke(n.birth, "出生医学证明签发有误"), Ctx(1).height);
  Result<Effects> r = w.Apply(tx, Ctx(1));
  REQUIRE(r.ok());
  CHECK(StatusOf(w, n.birth) == MaterialStatus::kRevoked);
  CHECK(StatusOf(w, n.hukou) == MaterialStatus::kSuspended);   // rule suspend
  CHECK(StatusOf(w, n.sscard) == MaterialStatus::kRevoked);    // rule revoke
  CHECK(StatusOf(w, n.vaccine) == MaterialStatus::kActive);    // rule none
  CHECK(StatusOf(w, n.idcard) == MaterialStatus::kSuspended);  // follows the suspended entry
  CHECK(w.state.GetMaterial(n.hukou)->suspended_by == n.birth);
  for (const Event& e : r->events) {
    if (e.material_id == n.birth) continue;
    CAPTURE(e.material_id);
    CHECK(e.actor.empty());
    CHECK(e.tx_hash == crypto::DigestBytes(tx.hash));
    CHECK_THAT(e.reason, Catch::StartsWith("cascade: parent"));
  }
  for (const std::string& id : {n.birth, n.hukou, n.sscard, n.vaccine, n.idcard}) CheckChain(w, id);

  // The suspended entry waits for its issuer: no reinstatement while the parent is revoked.
  CHECK(w.Apply("police", ledger::ReinstateMaterial{n.hukou, ""}, Ctx(2)).status().code() ==
        reason::kParentNotActive);
}

TEST_CASE("suspending a parent suspends its dependents; reinstating brings them back",
          "[contracts][cascade]") {
  World w;
  Newborn n = IssueNewborn(w);
  // The card's own issuer suspends it first: that suspension is not the cascade's to lift.
  REQUIRE(w.Apply("hrss", ledger::SuspendMaterial{n.sscard, "卡片挂失"}, Ctx(1)).ok());
  REQUIRE(w.Apply("health", ledger::SuspendMaterial{n.birth, "信息核查"}, Ctx(2)).ok());
  CHECK(StatusOf(w, n.hukou) == MaterialStatus::kSuspended);
  CHECK(StatusOf(w, n.idcard) == MaterialStatus::kSuspended);
  CHECK(StatusOf(w, n.vaccine) == MaterialStatus::kActive);
  REQUIRE(w.Apply("health", ledger::ReinstateMaterial{n.birth, "核查无误"}, Ctx(3)).ok());
  CHECK(StatusOf(w, n.hukou) == MaterialStatus::kActive);
  CHECK(StatusOf(w, n.idcard) == MaterialStatus::kActive);
  CHECK(StatusOf(w, n.sscard) == MaterialStatus::kSuspended);  // its issuer's suspension stays
}

TEST_CASE("a parent's expiry cascades in the same block", "[contracts][cascade][expiry]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  license.valid_until_ms = kT0 + 10 * kDayMs;
  IssueOk(w, "market", license);
  IssueMaterial permit = w.FoodPermit("JY1", license.material_id);
  permit.valid_until_ms = kT0 + 20 * kDayMs;
  IssueOk(w, "market", permit);
  Effects e = w.Expire({kH0 + 50, kT0 + 10 * kDayMs});
  REQUIRE(e.events.size() == 2);
  CHECK(e.events[0].kind == EventKind::kExpire);
  CHECK(e.events[1].kind == EventKind::kRevoke);
  CHECK(e.events[1].material_id == permit.material_id);
  CHECK(e.events[1].reason == "cascade: parent expired (rule 'revoke')");
  CHECK(StatusOf(w, permit.material_id) == MaterialStatus::kRevoked);
}

TEST_CASE("a cascade that changes more than its budget is refused", "[contracts][cascade]") {
  World w;
  IssueMaterial license = w.BizLicense("L1");
  IssueOk(w, "market", license);
  for (int i = 0; i < 3; ++i) {
    IssueOk(w, "market", w.FoodPermit("JY" + std::to_string(i), license.material_id));
  }
  Material parent = *w.state.GetMaterial(license.material_id);
  RegistryView view(w.registry(), w.state, kH0 + 1);
  Writer writer(kSuite, w.state);
  Status st = Cascade(view, writer, parent, ParentChange::kRevoked, Ctx(1), {}, 2);
  CHECK(st.code() == reason::kTooManyDependents);
  Writer enough(kSuite, w.state);
  CHECK(Cascade(view, enough, parent, ParentChange::kRevoked, Ctx(1), {}, 3).ok());
}

}  // namespace

// ------------------------------------------------------------------ rejections (see
// rejections_test.cc)

std::vector<RejectCase> LifecycleRejectionCases() {
  auto birth = [](World& w) { return IssueOk(w, "health", w.BirthCertWithHolderKey("R1")); };
  return {
      {"amendment id of another type", reason::kIdMismatch, "must keep the type and issuer",
       [birth](World& w) {
         std::string id = birth(w);
         ledger::AmendMaterial a = Amendment(w, id, "BIRTHCERT", "health", "R1", "002");
         a.material_id = w.Id("HOUSEHOLD", "health", "R1", "002");
         return w.Apply("health", a, Ctx(1));
       }},
      {"amendment that skips a version", reason::kBadVersion, "version '002'",
       [birth](World& w) {
         std::string id = birth(w);
         return w.Apply("health", Amendment(w, id, "BIRTHCERT", "health", "R1", "003"), Ctx(1));
       }},
      {"amendment with another serial", reason::kBadVersion, "serial 'R1'",
       [birth](World& w) {
         std::string id = birth(w);
         return w.Apply("health", Amendment(w, id, "BIRTHCERT", "health", "R2", "002"), Ctx(1));
       }},
      {"transfer to the current holder", reason::kSameHolder, "already belongs",
       [birth](World& w) {
         std::string id = birth(w);
         Material m = *w.state.GetMaterial(id);
         return w.Apply("health", ledger::TransferMaterial{id, m.holder_commitment, {}, ""},
                        Ctx(1));
       }},
      {"issue with a holder key that is no key", reason::kBadHolderKey, "holder_key",
       [](World& w) {
         IssueMaterial p = w.BirthCert("1");
         p.holder_key = Bytes{0x30, 0x01, 0x02};
         return w.Apply("health", p);
       }},
      {"transfer with a new holder key that is no key", reason::kBadHolderKey, "new_holder_key",
       [birth](World& w) {
         std::string id = birth(w);
         return w.Apply("health", ledger::TransferMaterial{id, TestDigest("x"), Bytes{1, 2, 3}, ""},
                        Ctx(1));
       }},
      {"suspension without a reason", reason::kBadReason, "a suspension needs a reason",
       [birth](World& w) {
         std::string id = birth(w);
         return w.Apply("health", ledger::SuspendMaterial{id, ""}, Ctx(1));
       }},
      {"suspend by another department", reason::kNotIssuer, "issued by 'health'",
       [birth](World& w) {
         std::string id = birth(w);
         return w.Apply("police", ledger::SuspendMaterial{id, "核查"}, Ctx(1));
       }},
      {"publish of an unknown material", reason::kUnknownMaterial, "does not exist",
       [](World& w) {
         return w.Apply("health", ledger::PublishMaterial{w.Id("BIRTHCERT", "health", "404")});
       }},
      {"lifecycle step signed by a key of no department", reason::kUnknownSigner, "does not belong",
       [birth](World& w) {
         std::string id = birth(w);
         return w.ApplyWithKey(NewKey(), ledger::SuspendMaterial{id, "x"}, Ctx(1));
       }},
  };
}

}  // namespace govledger::contracts::testing

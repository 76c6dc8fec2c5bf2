// Grants and use: the holder (by their own key, or through an authorizer department) lets a
// consumer department use a material for a purpose until a time, optionally N times; a use is
// recorded only under such a grant on a material in force, and counted.
#include <catch2/catch.hpp>
#include <string>

#include "contracts/material.h"
#include "contracts/reasons.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

using ledger::EventKind;
using ledger::Grant;
using ledger::IssueMaterial;
using ledger::MaterialStatus;

constexpr int64_t kMonth = 30 * kDayMs;

struct Granted {
  std::string material;
  std::string grant;
};

// A birth certificate with the parents' key registered, and their grant to `consumer`.
Granted BirthWithGrant(World& w, const std::string& consumer = "police",
                       const std::string& purpose = "household_registration",
                       uint32_t max_uses = 0) {
  IssueMaterial p = w.BirthCertWithHolderKey("2024030100001");
  REQUIRE(w.Apply("health", p).ok());
  ledger::Tx tx = w.MakeTxWithKey(
      w.holder(),
      ledger::AuthorizeUse{p.material_id, consumer, purpose, kT0 + kMonth, max_uses, {}},
      Ctx(1).height);
  Result<Effects> r = w.Apply(tx, Ctx(1));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return {p.material_id, crypto::DigestHex(tx.hash)};
}

uint64_t UsageCount(const World& w, const std::string& type, const std::string& dept,
                    const std::string& purpose) {
  return ledger::GetCounter(w.state, ledger::Table::kUsage, ledger::UsageKey(type, dept, purpose));
}

TEST_CASE("the holder's own key grants use; the grant is recorded and traced",
          "[contracts][grants]") {
  World w;
  Granted g = BirthWithGrant(w);
  std::optional<Grant> grant = ledger::GetGrant(w.state, g.grant);
  REQUIRE(grant);
  CHECK(grant->material_id == g.material);
  CHECK(grant->consumer == "police");
  CHECK(grant->purpose == "household_registration");
  CHECK(grant->grantor_department.empty());
  CHECK(grant->grantor_key == w.holder().public_key());
  CHECK(grant->valid_until_ms == kT0 + kMonth);
  CHECK(grant->uses == 0);
  CHECK_FALSE(grant->withdrawn);
  std::vector<ledger::Event> history = w.state.History(g.material);
  REQUIRE(history.size() == 2);
  CHECK(history[1].kind == EventKind::kAuthorize);
  CHECK_THAT(history[1].actor, Catch::StartsWith("holder:"));
  CHECK(history[1].counterparty == "police");
  CHECK(history[1].purpose == "household_registration");
  CHECK(history[1].ref == g.grant);
  CHECK(ledger::ScanIndex(w.state, ledger::Table::kGrantByMaterial, g.material, 10) ==
        std::vector<std::string>{g.grant});
}

TEST_CASE("an authorizer department records consent with the evidence digest",
          "[contracts][grants]") {
  World w;
  IssueMaterial p = w.BirthCert("1");  // no holder key: the service platform records consent
  REQUIRE(w.Apply("health", p).ok());
  ledger::AuthorizeUse a{p.material_id, "hrss", "social_security_card",
                         kT0 + kMonth,  1,      TestDigest("signed consent form, window 3")};
  ledger::Tx tx = w.MakeTx("platform", a, Ctx(1).height);
  REQUIRE(w.Apply(tx, Ctx(1)).ok());
  Grant g = *ledger::GetGrant(w.state, crypto::DigestHex(tx.hash));
  CHECK(g.grantor_department == "platform");
  CHECK(g.consent_digest == a.consent_digest);
  CHECK(w.state.History(p.material_id)[1].actor == "platform");
  CHECK(w.state.History(p.material_id)[1].detail == a.consent_digest);
}

TEST_CASE("a use under a matching grant is recorded and counted", "[contracts][grants][use]") {
  World w;
  Granted g = BirthWithGrant(w);
  Result<Effects> r =
      w.Apply("police", ledger::UseMaterial{g.material, "household_registration", ""}, Ctx(2));
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  CHECK(r->events[0].kind == EventKind::kUse);
  CHECK(r->events[0].actor == "police");
  CHECK(r->events[0].purpose == "household_registration");
  CHECK(r->events[0].ref == g.grant);
  CHECK(ledger::GetGrant(w.state, g.grant)->uses == 1);
  CHECK(w.state.GetMaterial(g.material)->use_count == 1);
  CHECK(UsageCount(w, "BIRTHCERT", "police", "household_registration") == 1);
  REQUIRE(
      w.Apply("police", ledger::UseMaterial{g.material, "household_registration", g.grant}, Ctx(3))
          .ok());
  CHECK(UsageCount(w, "BIRTHCERT", "police", "household_registration") == 2);
  CHECK(w.state.GetMaterial(g.material)->use_count == 2);
}

TEST_CASE("use is refused to a department without a grant", "[contracts][grants][use]") {
  World w;
  Granted g = BirthWithGrant(w, "police", "household_registration");
  // hrss has no grant; police has one, but for another purpose than vaccination.
  Result<Effects> r =
      w.Apply("hrss", ledger::UseMaterial{g.material, "social_security_card", ""}, Ctx(2));
  CHECK(r.status().code() == reason::kNoGrant);
  r = w.Apply("police", ledger::UseMaterial{g.material, "vaccination", ""}, Ctx(2));
  CHECK(r.status().code() == reason::kNoGrant);
  CHECK(UsageCount(w, "BIRTHCERT", "hrss", "social_security_card") == 0);
}

TEST_CASE("a grant of N uses allows exactly N", "[contracts][grants][use]") {
  World w;
  Granted g = BirthWithGrant(w, "hrss", "social_security_card", 2);
  for (uint64_t i = 0; i < 2; ++i) {
    CHECK(w.Apply("hrss", ledger::UseMaterial{g.material, "social_security_card", ""}, Ctx(2 + i))
              .ok());
  }
  Result<Effects> r =
      w.Apply("hrss", ledger::UseMaterial{g.material, "social_security_card", g.grant}, Ctx(5));
  CHECK(r.status().code() == reason::kGrantExhausted);
  r = w.Apply("hrss", ledger::UseMaterial{g.material, "social_security_card", ""}, Ctx(5));
  CHECK(r.status().code() == reason::kNoGrant);
}

TEST_CASE("a grant ends at its time and when withdrawn", "[contracts][grants]") {
  World w;
  Granted g = BirthWithGrant(w);
  const BlockContext late{kH0 + 5000, kT0 + kMonth};
  CHECK(w.Apply("police", ledger::UseMaterial{g.material, "household_registration", g.grant}, late)
            .status()
            .code() == reason::kGrantExpired);

  Result<Effects> wd =
      w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{g.grant, "不再授权"}, Ctx(2));
  REQUIRE(wd.ok());
  CHECK(wd->events[0].kind == EventKind::kWithdraw);
  CHECK(ledger::GetGrant(w.state, g.grant)->withdrawn);
  CHECK(
      w.Apply("police", ledger::UseMaterial{g.material, "household_registration", g.grant}, Ctx(3))
          .status()
          .code() == reason::kGrantWithdrawn);
}

TEST_CASE("a transfer voids the previous holder's grants", "[contracts][grants][transfer]") {
  World w;
  IssueMaterial p = w.BizLicense("L1");
  REQUIRE(w.Apply("market", p).ok());
  ledger::Tx grant_tx = w.MakeTx("platform",
                                 ledger::AuthorizeUse{p.material_id, "tax", "business_check",
                                                      kT0 + kMonth, 0, TestDigest("c")},
                                 Ctx(1).height);
  REQUIRE(w.Apply(grant_tx, Ctx(1)).ok());
  REQUIRE(w.Apply("market",
                  ledger::TransferMaterial{p.material_id, TestDigest("buyer"), {}, "转让"}, Ctx(2))
              .ok());
  Result<Effects> r = w.Apply(
      "tax", ledger::UseMaterial{p.material_id, "business_check", crypto::DigestHex(grant_tx.hash)},
      Ctx(3));
  CHECK(r.status().code() == reason::kGrantMismatch);
  CHECK_THAT(r.status().message(), Catch::Contains("earlier holder"));
}

TEST_CASE("a type that needs no grant is used for its purposes without one",
          "[contracts][grants][use]") {
  // Business licenses are public (公示): any consumer may check one, and the use is counted.
  World w;
  IssueMaterial p = w.BizLicense("L1");
  REQUIRE(w.Apply("market", p).ok());
  REQUIRE(w.Apply("tax", ledger::UseMaterial{p.material_id, "business_check", ""}, Ctx(1)).ok());
  CHECK(UsageCount(w, "BIZLICENSE", "tax", "business_check") == 1);
  CHECK(w.Apply("tax", ledger::UseMaterial{p.material_id, "household_registration", ""}, Ctx(2))
            .status()
            .code() == reason::kPurposeNotAllowed);
}

TEST_CASE("use is refused on a revoked, suspended or expired material and before valid_from",
          "[contracts][grants][use]") {
  World w;
  Granted g = BirthWithGrant(w);
  REQUIRE(w.Apply("health", ledger::SuspendMaterial{g.material, "核查"}, Ctx(2)).ok());
  CHECK(w.Apply("police", ledger::UseMaterial{g.material, "household_registration", ""}, Ctx(3))
            .status()
            .code() == reason::kMaterialSuspended);
  REQUIRE(w.Apply("health", Revoke(g.material, "撤销"), Ctx(4)).ok());
  CHECK(w.Apply("police", ledger::UseMaterial{g.material, "household_registration", ""}, Ctx(5))
            .status()
            .code() == reason::kAlreadyRevoked);

  IssueMaterial later = w.BizLicense("L2");
  later.valid_from_ms = kT0 + kMonth;
  REQUIRE(w.Apply("market", later, Ctx(6)).ok());
  CHECK(w.Apply("tax", ledger::UseMaterial{later.material_id, "business_check", ""}, Ctx(7))
            .status()
            .code() == reason::kNotYetValid);
}

TEST_CASE("the first covering grant is used when none is named", "[contracts][grants][use]") {
  World w;
  Granted first = BirthWithGrant(w, "police", "household_registration", 1);
  ledger::Tx second = w.MakeTxWithKey(
      w.holder(),
      ledger::AuthorizeUse{first.material, "police", "household_registration", kT0 + kMonth, 1, {}},
      Ctx(2).height);
  REQUIRE(w.Apply(second, Ctx(2)).ok());
  // Two single-use grants: two uses, then none.
  CHECK(w.Apply("police", ledger::UseMaterial{first.material, "household_registration", ""}, Ctx(3))
            .ok());
  CHECK(w.Apply("police", ledger::UseMaterial{first.material, "household_registration", ""}, Ctx(4))
            .ok());
  CHECK(w.Apply("police", ledger::UseMaterial{first.material, "household_registration", ""}, Ctx(5))
            .status()
            .code() == reason::kNoGrant);
}

}  // namespace
}  // namespace govledger::contracts::testing

// Every rejection reason of contracts/reasons.h is exercised by a table row with its code and a
// message naming the values: material_test.cc (envelope, issue, revoke), lifecycle_test.cc,
// econtract_test.cc, governance_test.cc and the grants/use rows here. The coverage test reads
// reasons.h itself, so a new code without a row fails it.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "contracts/material.h"
#include "contracts/reasons.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {

std::vector<RejectCase> ContractRejectionCases();
std::vector<RejectCase> GovernanceRejectionCases();

namespace {

constexpr int64_t kMonth = 30 * kDayMs;

std::string Birth(World& w, bool holder_key = true) {
  ledger::IssueMaterial p = holder_key ? w.BirthCertWithHolderKey("G1") : w.BirthCert("G1");
  GOVLEDGER_CHECK(w.Apply("health", p).ok());
  return p.material_id;
}

ledger::AuthorizeUse Grant(const std::string& id, const std::string& consumer = "police",
                           const std::string& purpose = "household_registration") {
  return ledger::AuthorizeUse{id, consumer, purpose, kT0 + kMonth, 0, {}};
}

// Authorizes police for household registration and returns the grant id.
std::string Granted(World& w, const std::string& id, uint32_t max_uses = 0) {
  ledger::AuthorizeUse a = Grant(id);
  a.max_uses = max_uses;
  ledger::Tx tx = w.MakeTxWithKey(w.holder(), a, Ctx(1).height);
  GOVLEDGER_CHECK(w.Apply(tx, Ctx(1)).ok());
  return crypto::DigestHex(tx.hash);
}

std::vector<RejectCase> GrantRejectionCases() {
  return {
      {"grant signed by a department that is neither holder nor authorizer", reason::kNotHolder,
       "signer is department 'police'",
       [](World& w) { return w.Apply("police", Grant(Birth(w)), Ctx(1)); }},
      {"grant signed by a stranger's key", reason::kNotHolder, "holder's registered key",
       [](World& w) { return w.ApplyWithKey(NewKey(), Grant(Birth(w)), Ctx(1)); }},
      {"authorizer without consent evidence", reason::kConsentRequired, "'platform'",
       [](World& w) { return w.Apply("platform", Grant(Birth(w, false)), Ctx(1)); }},
      {"authorizer with a consent digest of 3 bytes", reason::kBadDigest, "consent_digest is 3",
       [](World& w) {
         ledger::AuthorizeUse a = Grant(Birth(w, false));
         a.consent_digest = Bytes{1, 2, 3};
         return w.Apply("platform", a, Ctx(1));
       }},
      {"grant to an unknown department", reason::kUnknownConsumer, "'bank'",
       [](World& w) { return w.ApplyWithKey(w.holder(), Grant(Birth(w), "bank"), Ctx(1)); }},
      {"grant to a department that does not consume", reason::kNotConsumer,
       "department 'platform' does not have the consumer role",
       [](World& w) { return w.ApplyWithKey(w.holder(), Grant(Birth(w), "platform"), Ctx(1)); }},
      {"grant for a purpose the type does not allow", reason::kPurposeNotAllowed,
       "may not be used for 'marketing'",
       [](World& w) {
         return w.ApplyWithKey(w.holder(), Grant(Birth(w), "police", "marketing"), Ctx(1));
       }},
      {"grant with a malformed purpose", reason::kBadPurpose, "[a-z0-9_]{1,64}",
       [](World& w) {
         return w.ApplyWithKey(w.holder(), Grant(Birth(w), "police", "Household Reg"), Ctx(1));
       }},
      {"grant that ends before the block", reason::kBadValidity, "is not after the block time",
       [](World& w) {
         ledger::AuthorizeUse a = Grant(Birth(w));
         a.valid_until_ms = kT0;
         return w.ApplyWithKey(w.holder(), a, Ctx(0));
       }},
      {"more than 256 grants on one material", reason::kTooManyGrants, "already has 256",
       [](World& w) {
         std::string id = Birth(w);
         for (int i = 0; i < 256; ++i) {
           GOVLEDGER_CHECK(w.ApplyWithKey(w.holder(), Grant(id), Ctx(1)).ok());
         }
         return w.ApplyWithKey(w.holder(), Grant(id), Ctx(2));
       }},
      {"withdrawing an unknown grant", reason::kUnknownGrant, "does not exist",
       [](World& w) {
         return w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{"ab", ""});
       }},
      {"withdrawing someone else's grant", reason::kNotGrantor, "can only be withdrawn",
       [](World& w) {
         std::string g = Granted(w, Birth(w));
         return w.Apply("police", ledger::WithdrawGrant{g, ""}, Ctx(2));
       }},
      {"withdrawing twice", reason::kGrantWithdrawn, "already withdrawn",
       [](World& w) {
         std::string g = Granted(w, Birth(w));
         GOVLEDGER_CHECK(w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{g, ""}, Ctx(2)).ok());
         return w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{g, ""}, Ctx(3));
       }},
      {"withdrawing on a destroyed material", reason::kMaterialDestroyed, "DESTROYED",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id);
         GOVLEDGER_CHECK(w.Apply("health", Revoke(id, "撤销"), Ctx(2)).ok());
         GOVLEDGER_CHECK(w.Apply("health", ledger::DestroyMaterial{id, "销毁"}, Ctx(3)).ok());
         return w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{g, ""}, Ctx(4));
       }},
      {"use by a department without the consumer role", reason::kNotConsumer,
       "department 'platform' does not have the consumer role",
       [](World& w) {
         return w.Apply("platform", ledger::UseMaterial{Birth(w), "household_registration", ""},
                        Ctx(1));
       }},
      {"use without any grant", reason::kNoGrant, "no grant from the holder lets 'police'",
       [](World& w) {
         return w.Apply("police", ledger::UseMaterial{Birth(w), "household_registration", ""},
                        Ctx(1));
       }},
      {"use under a grant for another department", reason::kGrantMismatch,
       "is for department 'police', not 'hrss'",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id);
         return w.Apply("hrss", ledger::UseMaterial{id, "household_registration", g}, Ctx(2));
       }},
      {"use under a grant for another purpose", reason::kGrantMismatch,
       "is for purpose 'household_registration', not 'vaccination'",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id);
         return w.Apply("police", ledger::UseMaterial{id, "vaccination", g}, Ctx(2));
       }},
      {"use under an unknown grant", reason::kUnknownGrant, "'cafe'",
       [](World& w) {
         return w.Apply("police", ledger::UseMaterial{Birth(w), "household_registration", "cafe"},
                        Ctx(1));
       }},
      {"use under a withdrawn grant", reason::kGrantWithdrawn, "was withdrawn",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id);
         GOVLEDGER_CHECK(w.ApplyWithKey(w.holder(), ledger::WithdrawGrant{g, "撤回"}, Ctx(2)).ok());
         return w.Apply("police", ledger::UseMaterial{id, "household_registration", g}, Ctx(3));
       }},
      {"use under an ended grant", reason::kGrantExpired, "ended at",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id);
         return w.Apply("police", ledger::UseMaterial{id, "household_registration", g},
                        {kH0 + 9, kT0 + kMonth + 1});
       }},
      {"use beyond the grant's count", reason::kGrantExhausted, "allowed 1 use(s)",
       [](World& w) {
         std::string id = Birth(w);
         std::string g = Granted(w, id, 1);
         GOVLEDGER_CHECK(
             w.Apply("police", ledger::UseMaterial{id, "household_registration", g}, Ctx(2)).ok());
         return w.Apply("police", ledger::UseMaterial{id, "household_registration", g}, Ctx(3));
       }},
      {"use before the material is valid", reason::kNotYetValid, "is valid from",
       [](World& w) {
         ledger::IssueMaterial p = w.BizLicense("L1");
         p.valid_from_ms = kT0 + kDayMs;
         GOVLEDGER_CHECK(w.Apply("market", p).ok());
         return w.Apply("tax", ledger::UseMaterial{p.material_id, "business_check", ""}, Ctx(1));
       }},
      {"use with a malformed purpose", reason::kBadPurpose, "'Business-Check'",
       [](World& w) {
         ledger::IssueMaterial p = w.BizLicense("L1");
         GOVLEDGER_CHECK(w.Apply("market", p).ok());
         return w.Apply("tax", ledger::UseMaterial{p.material_id, "Business-Check", ""}, Ctx(1));
       }},
  };
}

std::vector<RejectCase> AllCases() {
  std::vector<RejectCase> all;
  for (auto table : {MaterialRejectionCases, LifecycleRejectionCases, GrantRejectionCases,
                     ContractRejectionCases, GovernanceRejectionCases}) {
    for (RejectCase& c : table()) all.push_back(std::move(c));
  }
  return all;
}

TEST_CASE("every lifecycle, grant, contract and governance rejection has its code and message",
          "[contracts][rejections]") {
  std::vector<RejectCase> cases;
  for (auto table : {LifecycleRejectionCases, GrantRejectionCases, ContractRejectionCases,
                     GovernanceRejectionCases}) {
    for (RejectCase& c : table()) cases.push_back(std::move(c));
  }
  for (const RejectCase& c : cases) {
    DYNAMIC_SECTION(c.code << ": " << c.what) {
      World w;
      Result<Effects> r = c.run(w);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
      CHECK_THAT(r.status().message(), Catch::Contains(c.message_has));
    }
  }
}

TEST_CASE("the rejection tables cover every reason code in contracts/reasons.h",
          "[contracts][rejections]") {
  const char* src = std::getenv("GOVLEDGER_SOURCE_DIR");
  if (src == nullptr) src = GOVLEDGER_UNIT_SOURCE_DIR;
  std::ifstream in(std::string(src) + "/contracts/reasons.h");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string body = text.str();
  std::set<std::string> declared;
  const std::regex code(R"re(inline constexpr char k\w+\[\] = "([a-z_]+)")re");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), code); it != std::sregex_iterator();
       ++it) {
    declared.insert((*it)[1]);
  }
  CHECK(declared.size() > 60);
  std::set<std::string> covered;
  for (const RejectCase& c : AllCases()) covered.insert(c.code);
  // The transition table (lifecycle_test.cc) covers the status refusals.
  for (const char* c :
       {reason::kNotPublished, reason::kAlreadyPublished, reason::kAlreadySuspended,
        reason::kNotSuspended, reason::kMaterialSuspended, reason::kMaterialSuperseded,
        reason::kMaterialDestroyed, reason::kStillInForce}) {
    covered.insert(c);
  }
  // too_many_dependents has its own test (a cascade over budget).
  covered.insert(reason::kTooManyDependents);
  std::set<std::string> missing;
  for (const std::string& c : declared) {
    if (!covered.count(c)) missing.insert(c);
  }
  CHECK(missing.empty());
  for (const std::string& c : missing) UNSCOPED_INFO("no table row for " << c);
}

}  // namespace
}  // namespace govledger::contracts::testing

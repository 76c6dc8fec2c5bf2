// E-contracts: created by a department with the document digest, the parties' keys and a signing
// deadline; complete when every party has signed with its own key; an amendment is a new version
// that supersedes the previous one when complete; unsigned contracts expire at their deadline.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "contracts/material.h"
#include "contracts/reasons.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

using ledger::ContractStatus;
using ledger::EContract;
using ledger::EventKind;

struct Parties {
  crypto::PrivateKey landlord = NewKey();
  crypto::PrivateKey tenant = NewKey();
  std::vector<crypto::PublicKey> keys() const {
    return {landlord.public_key(), tenant.public_key()};
  }
};

// A lease recorded by the data platform; returns its id.
std::string CreateLease(World& w, const Parties& p, const Bytes& digest,
                        const std::string& prev = "", BlockContext ctx = Ctx(0)) {
  ledger::CreateContract c{digest, p.keys(), ctx.time_ms + 7 * kDayMs, prev, "房屋租赁合同"};
  ledger::Tx tx = w.MakeTx("platform", c, ctx.height);
  Result<Effects> r = w.Apply(tx, ctx);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return crypto::DigestHex(tx.hash);
}

EContract Get(const World& w, const std::string& id) { return *ledger::GetContract(w.state, id); }

TEST_CASE("a contract is complete when every party has signed with its own key",
          "[contracts][econtract]") {
  World w;
  Parties p;
  const Bytes digest = TestDigest("lease v1");
  std::string id = CreateLease(w, p, digest);
  EContract k = Get(w, id);
  CHECK(k.status == ContractStatus::kPending);
  CHECK(k.version == 1);
  CHECK(k.creator == "platform");
  CHECK(k.parties == p.keys());

  Result<Effects> s1 = w.ApplyWithKey(p.landlord, ledger::SignContract{id, digest}, Ctx(1));
  REQUIRE(s1.ok());
  CHECK(s1->events.size() == 1);
  CHECK(s1->events[0].kind == EventKind::kContractSign);
  CHECK_THAT(s1->events[0].actor, Catch::StartsWith("party:"));
  CHECK(Get(w, id).status == ContractStatus::kPending);

  Result<Effects> s2 = w.ApplyWithKey(p.tenant, ledger::SignContract{id, digest}, Ctx(2));
  REQUIRE(s2.ok());
  REQUIRE(s2->events.size() == 2);
  CHECK(s2->events[1].kind == EventKind::kContractComplete);
  k = Get(w, id);
  CHECK(k.status == ContractStatus::kComplete);
  REQUIRE(k.signatures.size() == 2);
  CHECK(k.signatures[0].party_key == p.landlord.public_key());
  CHECK(k.signatures[1].party_key == p.tenant.public_key());
  CHECK(k.event_count == 4);  // create, sign, sign, complete
  // Found by its document, and no longer waiting for a deadline.
  CHECK(w.state
            .ScanRecords(ledger::Table::kContractByDigest,
                         std::string(digest.begin(), digest.end()), "", 10)
            .size() == 1);
  CHECK(w.state.ScanRecords(ledger::Table::kContractDeadline, "", "", 10).empty());
}

TEST_CASE("an amendment is a new version that supersedes the previous one once signed",
          "[contracts][econtract]") {
  World w;
  Parties p;
  const Bytes v1 = TestDigest("lease v1"), v2 = TestDigest("lease v2: rent 5200");
  std::string first = CreateLease(w, p, v1);
  REQUIRE(w.ApplyWithKey(p.landlord, ledger::SignContract{first, v1}, Ctx(1)).ok());
  REQUIRE(w.ApplyWithKey(p.tenant, ledger::SignContract{first, v1}, Ctx(2)).ok());

  std::string second = CreateLease(w, p, v2, first, Ctx(3));
  CHECK(Get(w, second).version == 2);
  CHECK(Get(w, second).prev_contract == first);
  CHECK(Get(w, first).next_contract == second);
  CHECK(Get(w, first).status == ContractStatus::kComplete);  // in force until v2 is signed

  REQUIRE(w.ApplyWithKey(p.tenant, ledger::SignContract{second, v2}, Ctx(4)).ok());
  REQUIRE(w.ApplyWithKey(p.landlord, ledger::SignContract{second, v2}, Ctx(5)).ok());
  CHECK(Get(w, second).status == ContractStatus::kComplete);
  CHECK(Get(w, first).status == ContractStatus::kSuperseded);
  std::vector<ledger::Event> history = w.state.History(first);
  CHECK(history.back().kind == EventKind::kContractSupersede);
  CHECK(history.back().ref == second);
}

TEST_CASE("an unsigned contract expires at its deadline; a lapsed amendment frees the previous",
          "[contracts][econtract][expiry]") {
  World w;
  Parties p;
  const Bytes v1 = TestDigest("lease v1"), v2 = TestDigest("lease v2");
  std::string first = CreateLease(w, p, v1);
  REQUIRE(w.ApplyWithKey(p.landlord, ledger::SignContract{first, v1}, Ctx(1)).ok());
  REQUIRE(w.ApplyWithKey(p.tenant, ledger::SignContract{first, v1}, Ctx(2)).ok());
  std::string second = CreateLease(w, p, v2, first, Ctx(3));
  REQUIRE(w.ApplyWithKey(p.tenant, ledger::SignContract{second, v2}, Ctx(4)).ok());

  const EContract k = Get(w, second);
  CHECK(w.Expire({kH0 + 100, k.sign_deadline_ms - 1}).events.empty());
  Effects e = w.Expire({kH0 + 101, k.sign_deadline_ms});
  REQUIRE(e.events.size() == 1);
  CHECK(e.events[0].kind == EventKind::kContractExpire);
  CHECK(e.events[0].reason == "signing deadline passed with 1 of 2 signatures");
  CHECK(Get(w, second).status == ContractStatus::kExpired);
  CHECK(Get(w, first).status == ContractStatus::kComplete);
  CHECK(Get(w, first).next_contract.empty());
  CHECK(w.ApplyWithKey(p.landlord, ledger::SignContract{second, v2},
                       {kH0 + 102, k.sign_deadline_ms + 1})
            .status()
            .code() == reason::kContractNotPending);
}

}  // namespace

std::vector<RejectCase> ContractRejectionCases();
std::vector<RejectCase> ContractRejectionCases() {
  auto lease = [](World& w, Parties& p) { return CreateLease(w, p, TestDigest("lease")); };
  auto create = [](World& w, ledger::CreateContract c) { return w.Apply("platform", c); };
  const int64_t deadline = kT0 + kDayMs;
  return {
      {"contract without parties", reason::kBadParties, "1 to 16 parties, got 0",
       [=](World& w) {
         return create(w, {TestDigest("d"), {}, deadline, "", ""});
       }},
      {"contract with a party listed twice", reason::kBadParties, "party 1 is listed twice",
       [=](World& w) {
         crypto::PublicKey k = NewKey().public_key();
         return create(w, {TestDigest("d"), {k, k}, deadline, "", ""});
       }},
      {"contract with a party that is no key", reason::kBadParties, "party 0 is not",
       [=](World& w) {
         return create(w, {TestDigest("d"), {Bytes{1, 2}}, deadline, "", ""});
       }},
      {"contract with a past deadline", reason::kBadDeadline, "must be after the block time",
       [](World& w) {
         return w.Apply("platform", ledger::CreateContract{
                                        TestDigest("d"), {NewKey().public_key()}, kT0, "", ""});
       }},
      {"contract with a title of 129 bytes", reason::kBadTitle, "at most 128 bytes",
       [=](World& w) {
         return create(
             w, {TestDigest("d"), {NewKey().public_key()}, deadline, "", std::string(129, 't')});
       }},
      {"amendment of an unknown contract", reason::kUnknownContract, "does not exist",
       [=](World& w) {
         return create(w, {TestDigest("d"), {NewKey().public_key()}, deadline, "abc", ""});
       }},
      {"signing by a key that is no party", reason::kNotParty, "is not a party",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         return w.ApplyWithKey(NewKey(), ledger::SignContract{id, TestDigest("lease")}, Ctx(1));
       }},
      {"signing twice", reason::kAlreadySigned, "signed contract",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         GOVLEDGER_CHECK(
             w.ApplyWithKey(p.tenant, ledger::SignContract{id, TestDigest("lease")}, Ctx(1)).ok());
         return w.ApplyWithKey(p.tenant, ledger::SignContract{id, TestDigest("lease")}, Ctx(2));
       }},
      {"signing another document", reason::kDigestMismatch, "not contract",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         return w.ApplyWithKey(p.tenant, ledger::SignContract{id, TestDigest("forged")}, Ctx(1));
       }},
      {"signing an unknown contract", reason::kUnknownContract, "does not exist",
       [](World& w) {
         return w.ApplyWithKey(NewKey(), ledger::SignContract{"feed", TestDigest("x")});
       }},
      {"signing a complete contract", reason::kContractNotPending, "is COMPLETE",
       [](World& w) {
         crypto::PrivateKey only = NewKey();
         ledger::Tx tx = w.MakeTx(
             "platform",
             ledger::CreateContract{TestDigest("d"), {only.public_key()}, kT0 + kDayMs, "", ""});
         GOVLEDGER_CHECK(w.Apply(tx).ok());
         std::string id = crypto::DigestHex(tx.hash);
         GOVLEDGER_CHECK(
             w.ApplyWithKey(only, ledger::SignContract{id, TestDigest("d")}, Ctx(1)).ok());
         return w.ApplyWithKey(only, ledger::SignContract{id, TestDigest("d")}, Ctx(2));
       }},
      {"amending an expired contract", reason::kContractNotAmendable, "EXPIRED",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         w.Expire({kH0 + 500, kT0 + 8 * kDayMs});
         return w.Apply(
             "platform",
             ledger::CreateContract{TestDigest("v2"), p.keys(), kT0 + 9 * kDayMs, id, ""},
             {kH0 + 501, kT0 + 8 * kDayMs});
       }},
      {"a second amendment while one is pending", reason::kAmendmentPending, "pending amendment",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         CreateLease(w, p, TestDigest("v2"), id, Ctx(1));
         return w.Apply("platform",
                        ledger::CreateContract{TestDigest("v3"), p.keys(), kT0 + kDayMs, id, ""},
                        Ctx(2));
       }},
      {"amendment by a department that is neither creator nor party", reason::kNotParty,
       "neither created",
       [lease](World& w) {
         Parties p;
         std::string id = lease(w, p);
         return w.Apply("market",
                        ledger::CreateContract{TestDigest("v2"), p.keys(), kT0 + kDayMs, id, ""},
                        Ctx(1));
       }},
      {"contract created by a key of no department", reason::kUnknownSigner, "does not belong",
       [](World& w) {
         return w.ApplyWithKey(NewKey(),
                               ledger::CreateContract{
                                   TestDigest("d"), {NewKey().public_key()}, kT0 + kDayMs, "", ""});
       }},
  };
}

}  // namespace govledger::contracts::testing

#include "contracts/material.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

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

// Checks a material's committed history is one chain: seq 0.., each prev_event the hash of the
// event before, the material's head the hash of the last.
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

// Issues a business license and returns its id.
std::string IssueLicense(World& w, const std::string& serial = "91440300MA5G8XYZ1K") {
  IssueMaterial p = w.BizLicense(serial);
  Result<Effects> r = w.Apply("market", p);
  REQUIRE(r.ok());
  return p.material_id;
}

// ------------------------------------------------------------------ happy paths

TEST_CASE("issue creates an ACTIVE material and its ISSUE event", "[contracts][material]") {
  World w;
  IssueMaterial p = w.BirthCert("2024030100001");
  ledger::Tx tx = w.MakeTx("health", p);
  Result<Effects> r = ApplyTx(w.registry(), w.state, tx, {kH0, kT0});
  REQUIRE(r.ok());
  REQUIRE(r->materials.size() == 1);
  REQUIRE(r->events.size() == 1);

  const Event& e = r->events[0];
  CHECK(e.material_id == p.material_id);
  CHECK(e.seq == 0);
  CHECK(e.kind == EventKind::kIssue);
  CHECK(e.height == kH0);
  CHECK(e.time_ms == kT0);
  CHECK(e.actor == "health");
  CHECK(e.tx_hash == crypto::DigestBytes(tx.hash));
  CHECK(e.reason.empty());
  CHECK(e.prev_event.empty());

  const Material& m = r->materials[0];
  CHECK(m.material_id == p.material_id);
  CHECK(m.type_code == "BIRTHCERT");
  CHECK(m.issuer == "health");
  CHECK(m.holder_commitment == p.holder_commitment);
  CHECK(m.doc_digest == p.doc_digest);
  CHECK(m.fields_root == p.fields_root);
  CHECK(m.field_names == std::vector<std::string>{"birth_date", "child_name", "mother_name"});
  CHECK(m.valid_from_ms == p.valid_from_ms);
  CHECK(m.valid_until_ms == 0);
  CHECK(m.status == MaterialStatus::kActive);
  CHECK(m.version == 1);
  CHECK(m.parent_id.empty());
  CHECK(m.issued_height == kH0);
  CHECK(m.issue_tx == crypto::DigestBytes(tx.hash));
  CHECK(m.updated_height == kH0);
  CHECK(m.event_count == 1);
  CHECK(m.last_event == EventHashBytes(e));

  // The contract only returns writes.
  CHECK(w.state.size() == 0);
}

TEST_CASE("food permit is issued under an active business license (one license, many permits)",
          "[contracts][material]") {
  World w;
  std::string license = IssueLicense(w);
  for (const char* serial : {"JY24403050012345", "JY24403050012346"}) {
    IssueMaterial permit = w.FoodPermit(serial, license);
    permit.valid_until_ms = permit.valid_from_ms + kFiveYearsMs;  // exactly the maximum
    Result<Effects> r = w.Apply("market", permit, {kH0 + 1, kT0 + 1000});
    REQUIRE(r.ok());
    CHECK(r->materials[0].parent_id == license);
    CHECK(r->materials[0].valid_until_ms == permit.valid_until_ms);
  }
  CHECK(w.state.size() == 3);
}

TEST_CASE("issue accepts the boundary values of every limit", "[contracts][material]") {
  World w;
  SECTION("tx valid until exactly the block height") {
    ledger::TxBody b = w.Body(w.BirthCert("1"), kH0);
    CHECK(w.Apply(w.SignBody("health", b)).ok());
  }
  SECTION("tx valid exactly max_tx_validity_heights ahead") {
    ledger::TxBody b =
        w.Body(w.BirthCert("1"), kH0 + w.registry().params().max_tx_validity_heights);
    CHECK(w.Apply(w.SignBody("health", b)).ok());
  }
  SECTION("64 field names, the longest 64 bytes") {
    IssueMaterial p = w.BirthCert("1");
    while (p.field_names.size() < 64) {
      std::string name = "x" + std::to_string(100 + p.field_names.size());
      name.resize(64, 'x');
      p.field_names.push_back(name);
    }
    std::sort(p.field_names.begin(), p.field_names.end());
    CHECK(w.Apply("health", p).ok());
  }
  SECTION("Chinese field names") {
    IssueMaterial p = w.BirthCert("1");
    p.field_names.push_back("新生儿姓名");
    std::sort(p.field_names.begin(), p.field_names.end());
    CHECK(w.Apply("health", p).ok());
  }
  SECTION("valid_from in the future") {
    IssueMaterial p = w.BirthCert("1");
    p.valid_from_ms = kT0 + 30 * kDayMs;
    CHECK(w.Apply("health", p).ok());
  }
  SECTION("valid_until one millisecond after the block time") {
    std::string license = IssueLicense(w);
    IssueMaterial p = w.FoodPermit("JY24403050012345", license);
    p.valid_until_ms = kT0 + 1;
    CHECK(w.Apply("market", p).ok());
  }
  SECTION("a validity window on a type without maximum") {
    IssueMaterial p = w.BirthCert("1");
    p.valid_until_ms = kT0 + 100 * 365 * kDayMs;
    CHECK(w.Apply("health", p).ok());
  }
}

TEST_CASE("revoke marks the material REVOKED and chains a REVOKE event", "[contracts][material]") {
  World w;
  IssueMaterial p = w.BirthCert("2024030100001");
  Result<Effects> issued = w.Apply("health", p);
  REQUIRE(issued.ok());
  const Event& issue_event = issued->events[0];

  const std::string why = "出生医学证明信息有误，依申请撤销";
  ledger::Tx tx = w.MakeTx("health", Revoke(p.material_id, why), kH0 + 5);
  Result<Effects> r = w.Apply(tx, {kH0 + 5, kT0 + 60'000});
  REQUIRE(r.ok());
  REQUIRE(r->events.size() == 1);
  REQUIRE(r->materials.size() == 1);

  const Event& e = r->events[0];
  CHECK(e.material_id == p.material_id);
  CHECK(e.kind == EventKind::kRevoke);
  CHECK(e.seq == 1);
  CHECK(e.prev_event == EventHashBytes(issue_event));
  CHECK(e.prev_event == issued->materials[0].last_event);
  CHECK(e.height == kH0 + 5);
  CHECK(e.time_ms == kT0 + 60'000);
  CHECK(e.actor == "health");
  CHECK(e.tx_hash == crypto::DigestBytes(tx.hash));
  CHECK(e.reason == why);

  const Material& m = r->materials[0];
  CHECK(m.status == MaterialStatus::kRevoked);
  CHECK(m.event_count == 2);
  CHECK(m.last_event == EventHashBytes(e));
  CHECK(m.updated_height == kH0 + 5);
  CHECK(m.issued_height == kH0);  // unchanged
  CHECK(m.issue_tx == issued->materials[0].issue_tx);
  CheckChain(w, p.material_id);
}

TEST_CASE("revocation reason may be exactly 256 bytes", "[contracts][material]") {
  World w;
  IssueMaterial p = w.BirthCert("1");
  REQUIRE(w.Apply("health", p).ok());
  CHECK(w.Apply("health", Revoke(p.material_id, std::string(256, 'r'))).ok());
}

TEST_CASE("revoking a parent revokes its dependents in the same transaction",
          "[contracts][material][cascade]") {
  // One license, many permits: FOODPERMIT follows its license (cascade rule "revoke").
  World w;
  std::string license = IssueLicense(w);
  IssueMaterial permit = w.FoodPermit("JY24403050012345", license);
  REQUIRE(w.Apply("market", permit).ok());
  Result<Effects> r = w.Apply("market", Revoke(license, "吊销营业执照"));
  REQUIRE(r.ok());
  CHECK(r->materials.size() == 2);
  REQUIRE(r->events.size() == 2);
  CHECK(r->events[1].material_id == permit.material_id);
  CHECK(r->events[1].kind == EventKind::kRevoke);
  CHECK(r->events[1].actor.empty());
  CHECK(r->events[1].ref == license);
  CHECK(w.state.GetMaterial(permit.material_id)->status == MaterialStatus::kRevoked);
  CheckChain(w, permit.material_id);
}

TEST_CASE("ApplyTx is deterministic", "[contracts][material]") {
  World w;
  std::string license = IssueLicense(w);
  ledger::Tx tx = w.MakeTx("market", w.FoodPermit("JY24403050012345", license));
  Result<Effects> a = ApplyTx(w.registry(), w.state, tx, {kH0 + 1, kT0});
  Result<Effects> b = ApplyTx(w.registry(), w.state, tx, {kH0 + 1, kT0});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(ledger::EventsHash(kSuite, a->events) == ledger::EventsHash(kSuite, b->events));
  CHECK(ledger::EncodeMaterial(a->materials[0]) == ledger::EncodeMaterial(b->materials[0]));
}

// ------------------------------------------------------------------ expiry

TEST_CASE("ExpireDue expires due materials in (valid_until, id) order with EXPIRE events",
          "[contracts][material][expiry]") {
  World w;
  std::string license = IssueLicense(w);
  auto permit = [&](const std::string& serial, int64_t until) {
    IssueMaterial p = w.FoodPermit(serial, license);
    p.valid_until_ms = until;
    REQUIRE(w.Apply("market", p).ok());
    return p.material_id;
  };
  std::string late = permit("JY1", kT0 + 10 * kDayMs);
  std::string early_b = permit("JY3", kT0 + 5 * kDayMs);
  std::string early_a = permit("JY2", kT0 + 5 * kDayMs);
  std::string not_due = permit("JY4", kT0 + 10 * kDayMs + 1);
  REQUIRE(early_a < early_b);

  const BlockContext ctx{kH0 + 9000, kT0 + 10 * kDayMs};  // exactly `late`'s valid_until
  Effects e = w.Expire(ctx);
  REQUIRE(e.events.size() == 3);
  REQUIRE(e.materials.size() == 3);
  std::vector<std::string> order;
  for (const Event& ev : e.events) order.push_back(ev.material_id);
  CHECK(order == std::vector<std::string>{early_a, early_b, late});

  for (size_t i = 0; i < 3; ++i) {
    const Event& ev = e.events[i];
    CAPTURE(ev.material_id);
    CHECK(ev.kind == EventKind::kExpire);
    CHECK(ev.seq == 1);
    CHECK(ev.height == ctx.height);
    CHECK(ev.time_ms == ctx.time_ms);
    CHECK(ev.actor.empty());
    CHECK(ev.tx_hash.empty());
    CHECK(ev.reason == "valid_until reached");
    const Material& m = e.materials[i];
    CHECK(m.material_id == ev.material_id);
    CHECK(m.status == MaterialStatus::kExpired);
    CHECK(m.event_count == 2);
    CHECK(m.updated_height == ctx.height);
    CHECK(m.last_event == EventHashBytes(ev));
    CheckChain(w, m.material_id);
  }
  CHECK(w.state.GetMaterial(not_due)->status == MaterialStatus::kActive);
  CHECK(w.state.GetMaterial(license)->status == MaterialStatus::kActive);  // no expiry
  // Nothing is left to expire at the same time.
  CHECK(w.Expire(ctx).events.empty());
}

TEST_CASE("ExpireDue emits at most max_expiries_per_block and leaves the rest to the next blocks",
          "[contracts][material][expiry]") {
  ledger::ChainParams params;
  params.max_expiries_per_block = 2;
  World w(params);
  std::string license = IssueLicense(w);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    IssueMaterial p = w.FoodPermit("JY" + std::to_string(i), license);
    p.valid_until_ms = kT0 + (5 - i) * kDayMs;  // issued in reverse order of expiry
    REQUIRE(w.Apply("market", p).ok());
    ids.insert(ids.begin(), p.material_id);
  }
  std::vector<size_t> per_block;
  std::vector<std::string> expired;
  for (uint64_t h = 1; h <= 4; ++h) {
    Effects e = w.Expire({kH0 + 100 + h, kT0 + 30 * kDayMs + static_cast<int64_t>(h)});
    per_block.push_back(e.events.size());
    for (const Event& ev : e.events) expired.push_back(ev.material_id);
  }
  CHECK(per_block == std::vector<size_t>{2, 2, 1, 0});
  CHECK(expired == ids);  // earliest valid_until first, across blocks
}

TEST_CASE("ExpireDue leaves revoked materials and materials without expiry alone",
          "[contracts][material][expiry]") {
  World w;
  std::string license = IssueLicense(w);
  IssueMaterial p = w.FoodPermit("JY24403050012345", license);
  REQUIRE(w.Apply("market", p).ok());
  REQUIRE(w.Apply("market", Revoke(p.material_id, "经营者申请注销")).ok());
  IssueMaterial birth = w.BirthCert("2024030100001");
  REQUIRE(w.Apply("health", birth).ok());

  Effects e = w.Expire({kH0 + 9000, kT0 + 100 * 365 * kDayMs});
  CHECK(e.events.empty());
  CHECK(e.materials.empty());
  CHECK(w.state.GetMaterial(p.material_id)->status == MaterialStatus::kRevoked);
}

TEST_CASE("ExpireDue re-checks what a faulty index returns", "[contracts][material][expiry]") {
  // A reader that lists an unknown id, a not-yet-due material and one id twice.
  class FaultyIndex : public FakeState {
   public:
    std::vector<std::string> ids;
    std::vector<std::string> DueForExpiry(int64_t, size_t) const override { return ids; }
  };
  World w;
  std::string license = IssueLicense(w);
  IssueMaterial due = w.FoodPermit("JY1", license);
  due.valid_until_ms = kT0 + kDayMs;
  IssueMaterial later = w.FoodPermit("JY2", license);
  later.valid_until_ms = kT0 + 3 * kDayMs;
  REQUIRE(w.Apply("market", due).ok());
  REQUIRE(w.Apply("market", later).ok());

  FaultyIndex state;
  for (const std::string& id : {license, due.material_id, later.material_id}) {
    state.Put(*w.state.GetMaterial(id));
  }
  state.ids = {"1.2.156.3005.2.NOPE", due.material_id, later.material_id, due.material_id, license};
  Effects e = ExpireDue(w.registry(), state, {kH0 + 9000, kT0 + 2 * kDayMs});
  REQUIRE(e.events.size() == 1);
  CHECK(e.events[0].material_id == due.material_id);
}

TEST_CASE("revoke after expiry is refused and the chain stays intact",
          "[contracts][material][expiry]") {
  World w;
  std::string license = IssueLicense(w);
  IssueMaterial p = w.FoodPermit("JY24403050012345", license);
  REQUIRE(w.Apply("market", p).ok());
  w.Expire({kH0 + 2000, p.valid_until_ms});
  CHECK(w.state.GetMaterial(p.material_id)->status == MaterialStatus::kExpired);
  Result<Effects> r =
      w.Apply("market", Revoke(p.material_id, "逾期"), {kH0 + 2001, p.valid_until_ms});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == reason::kAlreadyExpired);
  CheckChain(w, p.material_id);
}

// ------------------------------------------------------------------ rejections

Result<Effects> IssueBirth(World& w, const std::function<void(IssueMaterial&)>& edit) {
  IssueMaterial p = w.BirthCert("2024030100001");
  edit(p);
  return w.Apply("health", p);
}

Result<Effects> IssuePermit(World& w, const std::function<void(IssueMaterial&)>& edit) {
  std::string license = IssueLicense(w);
  IssueMaterial p = w.FoodPermit("JY24403050012345", license);
  edit(p);
  return w.Apply("market", p, {kH0 + 1, kT0});
}

// Issues a birth certificate, then lets `then` act on its id.
Result<Effects> AfterBirth(World& w,
                           const std::function<Result<Effects>(World&, const std::string&)>& then) {
  IssueMaterial p = w.BirthCert("2024030100001");
  Result<Effects> r = w.Apply("health", p);
  GOVLEDGER_CHECK(r.ok());
  return then(w, p.material_id);
}

}  // namespace

std::vector<RejectCase> MaterialRejectionCases() {
  const BlockContext next{kH0 + 1, kT0 + 1000};
  return {
      // ---- envelope
      {"tx for another chain", reason::kWrongChain, "'other-chain'",
       [](World& w) {
         ledger::TxBody b = w.Body(w.BirthCert("1"));
         b.chain_id = "other-chain";
         return w.Apply(w.SignBody("health", b));
       }},
      {"tx past its valid_until_height", reason::kTxExpired,
       "valid until height 105, block height is 106",
       [](World& w) {
         ledger::TxBody b = w.Body(w.BirthCert("1"), kH0 + 5);
         return w.Apply(w.SignBody("health", b), {kH0 + 6, kT0});
       }},
      {"tx valid further ahead than max_tx_validity_heights", reason::kTxTooFarAhead,
       "more than 10000 heights",
       [](World& w) {
         ledger::TxBody b = w.Body(w.BirthCert("1"), kH0 + 10001);
         return w.Apply(w.SignBody("health", b));
       }},
      {"same tx submitted again", reason::kReplayed, "already committed",
       [next](World& w) {
         ledger::Tx tx = w.MakeTx("health", w.BirthCert("1"));
         GOVLEDGER_CHECK(w.Apply(tx).ok());
         return w.Apply(tx, next);
       }},
      {"signer is not a registered department", reason::kUnknownSigner, "does not belong",
       [](World& w) {
         crypto::PrivateKey stranger = NewKey();
         return w.Apply(ledger::SignTx(stranger, w.Body(w.BirthCert("1"))));
       }},
      // ---- issue
      {"consumer-only department issues", reason::kNotProvider,
       "department 'tax' does not have the provider role (roles: consumer)",
       [](World& w) { return w.Apply("tax", w.Issue("BIRTHCERT", "tax", "1")); }},
      {"type not in the registry", reason::kUnknownType, "'MARRIAGECERT'",
       [](World& w) {
         IssueMaterial p = w.BirthCert("1");
         p.type_code = "MARRIAGECERT";
         p.material_id = w.Id("MARRIAGECERT", "health", "1");
         return w.Apply("health", p);
       }},
      {"department not among the type's issuers", reason::kIssuerNotAllowed,
       "department 'water' may not issue type 'BIRTHCERT' (issuers: health)",
       [](World& w) { return w.Apply("water", w.Issue("BIRTHCERT", "water", "1")); }},
      {"material id with a wrong check character", reason::kBadMaterialId, "check character",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.material_id.back() = p.material_id.back() == '0' ? '1' : '0';
         });
       }},
      {"material id without the GB/T 36904 prefix", reason::kBadMaterialId, "1.2.156.3005.2.",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.material_id = "BC-2024-0001"; });
       }},
      {"material id of another type", reason::kIdMismatch, "type code 'HOUSEHOLD'",
       [](World& w) {
         return IssueBirth(w, [&w](IssueMaterial& p) {
           p.material_id = w.Id("HOUSEHOLD", "health", "2024030100001");
         });
       }},
      {"material id of another issuer", reason::kIdMismatch, kPoliceCode,
       [](World& w) {
         return IssueBirth(w, [&w](IssueMaterial& p) {
           p.material_id = w.Id("BIRTHCERT", "police", "2024030100001");
         });
       }},
      {"new material id with a version other than 001", reason::kIdMismatch, "version 001",
       [](World& w) {
         return IssueBirth(w, [&w](IssueMaterial& p) {
           p.material_id = w.Id("BIRTHCERT", "health", "2024030100001", "002");
         });
       }},
      {"doc_digest of 31 bytes", reason::kBadDigest, "doc_digest is 31 bytes, must be 32",
       [](World& w) { return IssueBirth(w, [](IssueMaterial& p) { p.doc_digest.pop_back(); }); }},
      {"empty holder_commitment", reason::kBadDigest, "holder_commitment is 0 bytes",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.holder_commitment.clear(); });
       }},
      {"fields_root of 33 bytes", reason::kBadDigest, "fields_root is 33 bytes",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.fields_root.push_back(0); });
       }},
      {"field names out of order", reason::kBadFields, "'mother_name' comes before 'child_name'",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.field_names = {"birth_date", "mother_name", "child_name"};
         });
       }},
      {"duplicate field name", reason::kBadFields, "sorted and unique",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.field_names = {"birth_date", "child_name", "child_name", "mother_name"};
         });
       }},
      {"empty field name", reason::kBadFields, "field name 0 is empty",
       [](World& w) {
         return IssueBirth(
             w, [](IssueMaterial& p) { p.field_names.insert(p.field_names.begin(), ""); });
       }},
      {"field name of 65 bytes", reason::kBadFields, "is 65 bytes, at most 64",
       [](World& w) {
         return IssueBirth(
             w, [](IssueMaterial& p) { p.field_names.push_back("z" + std::string(64, 'z')); });
       }},
      {"65 field names", reason::kBadFields, "65 field names, at most 64",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           for (int i = 0; i < 62; ++i) p.field_names.push_back("x" + std::to_string(100 + i));
         });
       }},
      {"field name that is not UTF-8", reason::kBadFields, "\\xff",
       [](World& w) {
         IssueMaterial p = w.BirthCert("1");
         p.field_names.push_back("z\xff");
         return w.ApplyUnencodable("health", p);
       }},
      {"field name with a control character", reason::kBadFields, "\\x0a",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.field_names.push_back("zz\n"); });
       }},
      {"required field missing", reason::kMissingField,
       "required field 'mother_name' of type 'BIRTHCERT' is missing",
       [](World& w) { return IssueBirth(w, [](IssueMaterial& p) { p.field_names.pop_back(); }); }},
      {"permit without valid_until", reason::kExpiryRequired,
       "type 'FOODPERMIT' requires valid_until_ms",
       [](World& w) { return IssuePermit(w, [](IssueMaterial& p) { p.valid_until_ms = 0; }); }},
      {"valid_until before valid_from", reason::kBadValidity,
       "valid_until_ms 1709164800000 is not after valid_from_ms 1709164800001",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.valid_until_ms = kT0 - kDayMs;
           p.valid_from_ms = kT0 - kDayMs + 1;
         });
       }},
      {"valid_until equal to valid_from", reason::kBadValidity, "is not after valid_from_ms",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.valid_until_ms = p.valid_from_ms; });
       }},
      {"valid_until already reached at block time", reason::kBadValidity,
       "is not after the block time 1709251200000",
       [](World& w) { return IssueBirth(w, [](IssueMaterial& p) { p.valid_until_ms = kT0; }); }},
      {"valid_from of zero", reason::kBadValidity, "valid_from_ms 0 must be positive",
       [](World& w) { return IssueBirth(w, [](IssueMaterial& p) { p.valid_from_ms = 0; }); }},
      {"negative valid_from with a far valid_until", reason::kBadValidity, "must be positive",
       [](World& w) {
         return IssuePermit(w, [](IssueMaterial& p) {
           p.valid_from_ms = std::numeric_limits<int64_t>::min();
           p.valid_until_ms = std::numeric_limits<int64_t>::max();
         });
       }},
      {"permit valid longer than five years", reason::kValidityTooLong,
       "exceeds type 'FOODPERMIT' maximum of 157852800000 ms",
       [](World& w) {
         return IssuePermit(
             w, [](IssueMaterial& p) { p.valid_until_ms = p.valid_from_ms + kFiveYearsMs + 1; });
       }},
      {"material id issued twice", reason::kDuplicate, "already exists (ACTIVE",
       [next](World& w) {
         GOVLEDGER_CHECK(w.Apply("health", w.BirthCert("1")).ok());
         return w.Apply("health", w.BirthCert("1"), next);
       }},
      {"permit without parent", reason::kUnknownParent,
       "requires a parent 'BIZLICENSE' material; parent_id is empty",
       [](World& w) { return IssuePermit(w, [](IssueMaterial& p) { p.parent_id.clear(); }); }},
      {"permit whose parent does not exist", reason::kUnknownParent, "does not exist",
       [](World& w) {
         return IssuePermit(w, [&w](IssueMaterial& p) {
           p.parent_id = w.Id("BIZLICENSE", "market", "91440300MA5G0000XX");
         });
       }},
      {"permit whose parent is a birth certificate", reason::kParentWrongType,
       "is of type 'BIRTHCERT', type 'FOODPERMIT' requires 'BIZLICENSE'",
       [](World& w) {
         std::string birth = w.BirthCert("1").material_id;
         GOVLEDGER_CHECK(w.Apply("health", w.BirthCert("1")).ok());
         return IssuePermit(w, [birth](IssueMaterial& p) { p.parent_id = birth; });
       }},
      {"birth certificate with a parent", reason::kParentWrongType,
       "type 'BIRTHCERT' takes no parent material",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.parent_id = "1.2.156.3005.2.X"; });
       }},
      {"permit under a revoked license", reason::kParentNotActive, "is REVOKED",
       [next](World& w) {
         std::string license = IssueLicense(w);
         GOVLEDGER_CHECK(w.Apply("market", Revoke(license, "吊销"), next).ok());
         return w.Apply("market", w.FoodPermit("JY1", license), {kH0 + 2, kT0 + 2000});
       }},
      // ---- revoke
      {"revoke of an unknown material", reason::kUnknownMaterial, "does not exist",
       [](World& w) {
         return w.Apply("health", Revoke(w.Id("BIRTHCERT", "health", "404"), "撤销"));
       }},
      {"revoke by a department that did not issue it", reason::kNotIssuer,
       "was issued by 'health', not by 'water'",
       [next](World& w) {
         return AfterBirth(w, [next](World& w2, const std::string& id) {
           return w2.Apply("water", Revoke(id, "撤销"), next);
         });
       }},
      {"revoke twice", reason::kAlreadyRevoked, "is already REVOKED",
       [next](World& w) {
         return AfterBirth(w, [next](World& w2, const std::string& id) {
           GOVLEDGER_CHECK(w2.Apply("health", Revoke(id, "第一次撤销"), next).ok());
           return w2.Apply("health", Revoke(id, "第二次撤销"), {kH0 + 2, kT0 + 2000});
         });
       }},
      {"revoke after expiry", reason::kAlreadyExpired, "is already EXPIRED",
       [](World& w) {
         std::string license = IssueLicense(w);
         IssueMaterial p = w.FoodPermit("JY1", license);
         GOVLEDGER_CHECK(w.Apply("market", p).ok());
         w.Expire({kH0 + 1, p.valid_until_ms});
         return w.Apply("market", Revoke(p.material_id, "注销"), {kH0 + 2, p.valid_until_ms});
       }},
      {"revoke without a reason", reason::kBadReason, "needs a reason",
       [next](World& w) {
         return AfterBirth(w, [next](World& w2, const std::string& id) {
           return w2.Apply("health", Revoke(id, ""), next);
         });
       }},
      {"revoke with a 257-byte reason", reason::kBadReason, "257 bytes, at most 256",
       [next](World& w) {
         return AfterBirth(w, [next](World& w2, const std::string& id) {
           return w2.Apply("health", Revoke(id, std::string(257, 'r')), next);
         });
       }},
      {"revoke with a reason that is not UTF-8", reason::kBadReason, "not UTF-8",
       [next](World& w) {
         return AfterBirth(w, [next](World& w2, const std::string& id) {
           return w2.ApplyUnencodable("health", Revoke(id, "\xc0\xaf"), next);
         });
       }},
  };
}

namespace {

TEST_CASE("every rejection has its reason code and a message naming the values",
          "[contracts][material]") {
  for (const RejectCase& c : MaterialRejectionCases()) {
    DYNAMIC_SECTION(c.code << ": " << c.what) {
      World w;
      Result<Effects> r = c.run(w);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
      CHECK_THAT(r.status().message(), Catch::Contains(c.message_has));
    }
  }
}

TEST_CASE("the rejection table covers every reason code in reasons.h", "[contracts][material]") {
  const std::set<std::string> all = {
      reason::kWrongChain,      reason::kTxExpired,        reason::kTxTooFarAhead,
      reason::kReplayed,        reason::kUnknownSigner,    reason::kNotProvider,
      reason::kUnknownType,     reason::kIssuerNotAllowed, reason::kBadMaterialId,
      reason::kIdMismatch,      reason::kMissingField,     reason::kBadFields,
      reason::kBadDigest,       reason::kBadValidity,      reason::kValidityTooLong,
      reason::kExpiryRequired,  reason::kDuplicate,        reason::kUnknownParent,
      reason::kParentNotActive, reason::kParentWrongType,  reason::kUnknownMaterial,
      reason::kNotIssuer,       reason::kAlreadyRevoked,   reason::kAlreadyExpired,
      reason::kBadReason,
  };
  CHECK(all.size() == 25);
  std::set<std::string> covered;
  for (const RejectCase& c : MaterialRejectionCases()) covered.insert(c.code);
  CHECK(covered == all);
}

TEST_CASE("the first failing rule wins", "[contracts][material]") {
  const std::vector<RejectCase> cases = {
      {"wrong chain before expired tx and unknown signer", reason::kWrongChain, "",
       [](World& w) {
         ledger::TxBody b = w.Body(w.BirthCert("1"), kH0 - 1);
         b.chain_id = "other-chain";
         return w.Apply(ledger::SignTx(NewKey(), b));
       }},
      {"expired before too far ahead is impossible; expired before unknown signer",
       reason::kTxExpired, "",
       [](World& w) { return w.Apply(ledger::SignTx(NewKey(), w.Body(w.BirthCert("1"), 1))); }},
      {"replay before the payload's rules", reason::kReplayed, "",
       [](World& w) {
         ledger::Tx tx = w.MakeTx("health", w.BirthCert("1"));
         GOVLEDGER_CHECK(w.Apply(tx).ok());
         return w.Apply(tx, {kH0 + 1, kT0});  // would also be duplicate_material
       }},
      {"unknown signer before the payload's rules", reason::kUnknownSigner, "",
       [](World& w) {
         IssueMaterial p = w.BirthCert("1");
         p.type_code = "NOPE";
         return w.Apply(ledger::SignTx(NewKey(), w.Body(p)));
       }},
      {"not a provider before unknown type", reason::kNotProvider, "",
       [](World& w) {
         IssueMaterial p = w.Issue("BIRTHCERT", "tax", "1");
         p.type_code = "NOPE";
         return w.Apply("tax", p);
       }},
      {"issuer not allowed before a bad id", reason::kIssuerNotAllowed, "",
       [](World& w) {
         IssueMaterial p = w.Issue("BIRTHCERT", "water", "1");
         p.material_id = "garbage";
         return w.Apply("water", p);
       }},
      {"bad id before bad digests", reason::kBadMaterialId, "",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.material_id += "X";
           p.doc_digest.clear();
         });
       }},
      {"bad digest before bad fields", reason::kBadDigest, "",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.fields_root.clear();
           p.field_names = {"b", "a"};
         });
       }},
      {"bad fields before missing field", reason::kBadFields, "",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) { p.field_names = {"b", "a"}; });
       }},
      {"missing field before bad validity", reason::kMissingField, "",
       [](World& w) {
         return IssueBirth(w, [](IssueMaterial& p) {
           p.field_names = {"birth_date"};
           p.valid_from_ms = 0;
         });
       }},
      {"expiry required before bad valid_from", reason::kExpiryRequired, "",
       [](World& w) {
         return IssuePermit(w, [](IssueMaterial& p) {
           p.valid_until_ms = 0;
           p.valid_from_ms = -1;
         });
       }},
      {"bad validity before duplicate", reason::kBadValidity, "",
       [](World& w) {
         GOVLEDGER_CHECK(w.Apply("health", w.BirthCert("2024030100001")).ok());
         return IssueBirth(w, [](IssueMaterial& p) { p.valid_until_ms = kT0 - 1; });
       }},
      {"duplicate before parent checks", reason::kDuplicate, "",
       [](World& w) {
         GOVLEDGER_CHECK(w.Apply("health", w.BirthCert("2024030100001")).ok());
         return IssueBirth(w, [](IssueMaterial& p) { p.parent_id = "x"; });
       }},
      {"not issuer before already revoked", reason::kNotIssuer, "",
       [](World& w) {
         return AfterBirth(w, [](World& w2, const std::string& id) {
           GOVLEDGER_CHECK(w2.Apply("health", Revoke(id, "撤销"), {kH0 + 1, kT0}).ok());
           return w2.Apply("water", Revoke(id, ""), {kH0 + 2, kT0});
         });
       }},
      {"already revoked before bad reason", reason::kAlreadyRevoked, "",
       [](World& w) {
         return AfterBirth(w, [](World& w2, const std::string& id) {
           GOVLEDGER_CHECK(w2.Apply("health", Revoke(id, "撤销"), {kH0 + 1, kT0}).ok());
           return w2.Apply("health", Revoke(id, ""), {kH0 + 2, kT0});
         });
       }},
  };
  for (const RejectCase& c : cases) {
    DYNAMIC_SECTION(c.what) {
      World w;
      Result<Effects> r = c.run(w);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == c.code);
    }
  }
}

TEST_CASE("rejection messages escape untrusted bytes and stay short", "[contracts][material]") {
  World w;
  std::string id = "1.2.156.3005.2.\xff\x01'" + std::string(10000, 'A');
  Result<Effects> r = w.ApplyUnencodable("health", Revoke(id, "撤销"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == reason::kUnknownMaterial);
  const std::string& msg = r.status().message();
  CHECK(msg.size() < 200);
  CHECK_THAT(msg, Catch::Contains("\\xff\\x01\\x27"));
  for (char c : msg) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

}  // namespace
}  // namespace govledger::contracts::testing

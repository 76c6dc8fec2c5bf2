// Test fixture for the contracts: a map-backed StateReader and a small Nanshan-district network
// (health, public security, market regulation, water, tax, human resources and social security,
// and the data administration as authorizer) with the material types of the newborn and "one
// license, many permits" scenarios.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "contracts/material.h"
#include "contracts/material_id.h"
#include "contracts/registry.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/genesis.h"
#include "ledger/records.h"
#include "ledger/state.h"
#include "ledger/types.h"

namespace govledger::contracts::testing {

inline constexpr int64_t kDayMs = 86'400'000;
inline constexpr int64_t kFiveYearsMs = 1827 * kDayMs;  // five years, leap days included
inline constexpr int64_t kT0 = 1'709'251'200'000;       // 2024-03-01T00:00:00Z
inline constexpr uint64_t kH0 = 100;                    // height of the first test block
inline constexpr crypto::Suite kSuite = crypto::Suite::kP256;

// Unified social credit codes of government organs in Nanshan (11 = organ, 440305 = Nanshan),
// with valid GB 32100 check characters.
inline constexpr char kHealthCode[] = "11440305007542638J";
inline constexpr char kPoliceCode[] = "11440305K275608139";
inline constexpr char kMarketCode[] = "11440305MB2C91746T";
inline constexpr char kWaterCode[] = "11440305007539201X";
inline constexpr char kTaxCode[] = "11440305MB2D041533";
inline constexpr char kHrssCode[] = "11440305007541921E";
inline constexpr char kPlatformCode[] = "11440305MB2C09270R";

// A map-backed StateReader that honours the interface's contract (DueForExpiry ordered by
// (valid_until_ms, id), ACTIVE only, at most `limit`).
class FakeState : public ledger::StateReader {
 public:
  std::optional<ledger::Material> GetMaterial(std::string_view id) const override {
    auto it = materials_.find(id);
    if (it == materials_.end()) return std::nullopt;
    return it->second;
  }
  bool HasTx(const ledger::Digest& tx_hash) const override { return txs_.count(tx_hash) > 0; }
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override {
    std::set<std::pair<int64_t, std::string>> due;
    for (const auto& [id, m] : materials_) {
      if (ledger::ExpiresInStatus(m.status) && m.valid_until_ms > 0 &&
          m.valid_until_ms <= time_ms) {
        due.emplace(m.valid_until_ms, id);
      }
    }
    std::vector<std::string> out;
    for (const auto& [until, id] : due) {
      if (out.size() == limit) break;
      out.push_back(id);
    }
    return out;
  }

  std::optional<Bytes> GetRecord(ledger::Table table, std::string_view key) const override {
    auto it = records_.find(FullKey(table, key));
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::pair<std::string, Bytes>> ScanRecords(ledger::Table table,
                                                         std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override {
    std::vector<std::pair<std::string, Bytes>> out;
    const std::string full = FullKey(table, prefix);
    for (auto it = records_.lower_bound(full); it != records_.end() && out.size() < limit; ++it) {
      if (it->first.compare(0, full.size(), full) != 0) break;
      std::string key = it->first.substr(1);
      if (!after.empty() && key <= after) continue;
      out.emplace_back(std::move(key), it->second);
    }
    return out;
  }

  void Put(const ledger::Material& m) { materials_[m.material_id] = m; }
  void AddTx(const ledger::Digest& h) { txs_.insert(h); }
  // Commits a contract's writes, as the node does at the end of a block: materials, events and
  // the record writes the events carry.
  void Commit(const Effects& e) {
    for (const ledger::Material& m : e.materials) Put(m);
    for (const ledger::Event& ev : e.events) {
      for (const ledger::RecordWrite& r : ev.records) {
        if (r.value) {
          records_[FullKey(r.table, r.key)] = *r.value;
        } else {
          records_.erase(FullKey(r.table, r.key));
        }
      }
    }
    events_.insert(events_.end(), e.events.begin(), e.events.end());
  }
  // Every committed event, in order.
  const std::vector<ledger::Event>& events() const { return events_; }
  const std::map<std::string, ledger::Material, std::less<>>& materials() const {
    return materials_;
  }
  const std::map<std::string, Bytes, std::less<>>& records() const { return records_; }
  // Every committed event of one material, in order.
  std::vector<ledger::Event> History(std::string_view id) const {
    std::vector<ledger::Event> out;
    for (const ledger::Event& e : events_) {
      if (e.material_id == id) out.push_back(e);
    }
    return out;
  }
  size_t size() const { return materials_.size(); }

 private:
  static std::string FullKey(ledger::Table t, std::string_view key) {
    return std::string(1, static_cast<char>(t)) + std::string(key);
  }
  std::map<std::string, ledger::Material, std::less<>> materials_;
  std::map<std::string, Bytes, std::less<>> records_;
  std::set<ledger::Digest> txs_;
  std::vector<ledger::Event> events_;
};

inline ledger::Department MakeDepartment(std::string id, std::string name, std::string name_en,
                                         std::string code, std::vector<std::string> roles,
                                         const crypto::PrivateKey& key) {
  ledger::Department d;
  d.id = std::move(id);
  d.name = std::move(name);
  d.name_en = std::move(name_en);
  d.code = std::move(code);
  d.roles = std::move(roles);
  d.key = key.public_key();
  return d;
}

inline ledger::MaterialType MakeType(std::string code, std::string name, std::string name_en,
                                     std::string category, std::vector<std::string> issuers,
                                     std::vector<std::string> required_fields,
                                     int64_t max_validity_ms, std::string parent_type = "",
                                     std::vector<std::string> use_purposes = {},
                                     bool requires_grant = true,
                                     ledger::CascadeRule cascade = ledger::CascadeRule::kRevoke) {
  ledger::MaterialType t;
  t.code = std::move(code);
  t.name = std::move(name);
  t.name_en = std::move(name_en);
  t.category = std::move(category);
  t.issuers = std::move(issuers);
  t.required_fields = std::move(required_fields);
  t.max_validity_ms = max_validity_ms;
  t.parent_type = std::move(parent_type);
  t.use_purposes = std::move(use_purposes);
  t.requires_grant = requires_grant;
  t.cascade = cascade;
  return t;
}

inline crypto::PrivateKey NewKey() { return crypto::PrivateKey::Generate(kSuite).value(); }

inline Bytes TestDigest(std::string_view what) {
  return crypto::DigestBytes(crypto::Hash(kSuite, what));
}

// The test network. Departments are addressed by id ("health", "police", "market", "water",
// "tax"); txs are signed with their keys by ledger::SignTx.
class World {
 public:
  explicit World(ledger::ChainParams params = {}) {
    for (const char* id : {"health", "police", "market", "water", "tax", "hrss", "platform"}) {
      keys_.emplace(id, NewKey());
    }
    genesis_.chain_id = "nanshan-test";
    genesis_.suite = kSuite;
    genesis_.genesis_time_ms = kT0 - 30 * kDayMs;
    genesis_.params = params;
    genesis_.departments = {
        MakeDepartment("health", "南山区卫生健康局", "Nanshan Health Commission", kHealthCode,
                       {"provider", "consumer", "validator"}, key("health")),
        MakeDepartment("police", "深圳市公安局南山分局", "Nanshan Public Security Bureau",
                       kPoliceCode, {"provider", "consumer", "validator"}, key("police")),
        MakeDepartment("market", "深圳市市场监督管理局南山监管局",
                       "Nanshan Market Regulation Bureau", kMarketCode,
                       {"provider", "consumer", "validator"}, key("market")),
        MakeDepartment("water", "南山区水务局", "Nanshan Water Affairs Bureau", kWaterCode,
                       {"provider", "consumer"}, key("water")),
        MakeDepartment("tax", "国家税务总局深圳市南山区税务局", "Nanshan Tax Bureau", kTaxCode,
                       {"consumer"}, key("tax")),
        MakeDepartment("hrss", "南山区人力资源局",
                       "Nanshan Human Resources and Social Security Bureau", kHrssCode,
                       {"provider", "consumer"}, key("hrss")),
        MakeDepartment("platform", "南山区政务服务数据管理局",
                       "Nanshan Government Services and Data Administration", kPlatformCode,
                       {"authorizer", "regulator"}, key("platform")),
    };
    genesis_.material_types = {
        MakeType("BIRTHCERT", "出生医学证明", "Birth medical certificate", "certificate",
                 {"health"}, {"birth_date", "child_name", "mother_name"}, 0, "",
                 {"household_registration", "social_security_card", "vaccination"}),
        MakeType("HOUSEHOLD", "居民户口簿", "Household register", "certificate", {"police"},
                 {"address", "head_of_household"}, 0),
        MakeType("BIZLICENSE", "营业执照", "Business license", "license", {"market"},
                 {"entity_name", "legal_representative", "uscc"}, 0, "",
                 {"business_check", "permit_review"}, /*requires_grant=*/false),
        MakeType("FOODPERMIT", "食品经营许可证", "Food business permit", "license", {"market"},
                 {"business_scope", "operator", "premises"}, kFiveYearsMs, "BIZLICENSE"),
        // The newborn bundle: registered from the birth certificate. A revoked certificate holds
        // the household entry for review (suspend) and voids the social security card (revoke).
        MakeType("HUKOUENTRY", "新生儿入户登记", "Newborn household registration", "filing",
                 {"police"}, {"address", "child_name"}, 0, "BIRTHCERT", {"school_enrolment"}, true,
                 ledger::CascadeRule::kSuspend),
        MakeType("SSCARD", "社会保障卡", "Social security card", "certificate", {"hrss"},
                 {"card_number", "child_name"}, 10 * 366 * kDayMs, "BIRTHCERT",
                 {"medical_insurance"}, true, ledger::CascadeRule::kRevoke),
        MakeType("IDCARD", "居民身份证", "Resident identity card", "certificate", {"police"},
                 {"id_number"}, 0, "HUKOUENTRY", {}, true, ledger::CascadeRule::kRevoke),
        MakeType("VACCINE", "预防接种证", "Vaccination record", "certificate", {"health"},
                 {"child_name"}, 0, "BIRTHCERT", {}, true, ledger::CascadeRule::kNone),
    };
    // Four validators run by four of the departments.
    for (const char* dept : {"health", "police", "market", "hrss"}) {
      ledger::Validator v;
      v.name = std::string("node-") + dept;
      v.department = dept;
      v.key = NewKey().public_key();
      v.tls_key = NewKey().public_key();
      v.p2p_address = "127.0.0.1:" + std::to_string(7101 + genesis_.validators.size());
      v.api_address = "127.0.0.1:" + std::to_string(7001 + genesis_.validators.size());
      genesis_.validators.push_back(v);
    }
    registry_ = std::make_unique<Registry>(genesis_);
  }

  const Registry& registry() const { return *registry_; }
  const ledger::Genesis& genesis() const { return genesis_; }
  const crypto::PrivateKey& key(const std::string& dept) const { return keys_.at(dept); }
  const ledger::Department& dept(const std::string& id) const {
    return *registry_->DepartmentById(id);
  }

  // A material id of `type` issued by `dept`.
  std::string Id(const std::string& type, const std::string& dept_id, const std::string& serial,
                 const std::string& version = "001") const {
    return MakeMaterialId({type, dept(dept_id).code, serial, version}).value();
  }

  ledger::IssueMaterial Issue(const std::string& type, const std::string& dept_id,
                              const std::string& serial) const {
    ledger::IssueMaterial p;
    p.material_id = Id(type, dept_id, serial);
    p.type_code = type;
    p.holder_commitment = crypto::DigestBytes(
        ledger::HolderCommitment(kSuite, TestDigest("salt:" + serial), "44030520240301" + serial));
    p.doc_digest = TestDigest("document:" + serial);
    p.fields_root = TestDigest("fields:" + serial);
    p.field_names = registry_->Type(type)->required_fields;
    std::sort(p.field_names.begin(), p.field_names.end());
    p.valid_from_ms = kT0 - kDayMs;
    p.valid_until_ms = registry_->Type(type)->max_validity_ms == 0 ? 0 : kT0 + 365 * kDayMs;
    return p;
  }
  // An issue under `parent` (a material of the type's parent type).
  ledger::IssueMaterial Child(const std::string& type, const std::string& dept_id,
                              const std::string& serial, const std::string& parent) const {
    ledger::IssueMaterial p = Issue(type, dept_id, serial);
    p.parent_id = parent;
    return p;
  }
  ledger::IssueMaterial BirthCert(const std::string& serial) const {
    return Issue("BIRTHCERT", "health", serial);
  }
  // A birth certificate whose holder (the parents) registered their own key.
  ledger::IssueMaterial BirthCertWithHolderKey(const std::string& serial) const {
    ledger::IssueMaterial p = BirthCert(serial);
    p.holder_key = holder_.public_key();
    return p;
  }
  const crypto::PrivateKey& holder() const { return holder_; }
  ledger::IssueMaterial BizLicense(const std::string& serial) const {
    return Issue("BIZLICENSE", "market", serial);
  }
  ledger::IssueMaterial FoodPermit(const std::string& serial, const std::string& parent) const {
    ledger::IssueMaterial p = Issue("FOODPERMIT", "market", serial);
    p.parent_id = parent;
    return p;
  }

  ledger::TxBody Body(ledger::TxPayload payload, uint64_t valid_until_height = kH0 + 10) {
    ledger::TxBody b;
    b.chain_id = genesis_.chain_id;
    b.nonce = ++nonce_;
    b.valid_until_height = valid_until_height;
    b.created_ms = kT0;
    b.payload = std::move(payload);
    return b;
  }
  // A tx valid from `height` for the next 10 heights.
  ledger::Tx MakeTx(const std::string& dept_id, ledger::TxPayload payload, uint64_t height = kH0) {
    return ledger::SignTx(key(dept_id), Body(std::move(payload), height + 10));
  }
  ledger::Tx SignBody(const std::string& dept_id, const ledger::TxBody& body) const {
    return ledger::SignTx(key(dept_id), body);
  }
  // A tx signed by an arbitrary key (a holder or a contract party).
  ledger::Tx MakeTxWithKey(const crypto::PrivateKey& k, ledger::TxPayload payload,
                           uint64_t height = kH0) {
    return ledger::SignTx(k, Body(std::move(payload), height + 10));
  }
  Result<Effects> ApplyWithKey(const crypto::PrivateKey& k, ledger::TxPayload payload,
                               BlockContext ctx = {kH0, kT0}) {
    return Apply(MakeTxWithKey(k, std::move(payload), ctx.height), ctx);
  }

  // Applies a tx and, if accepted, commits its writes and records it (one tx per block).
  Result<Effects> Apply(const ledger::Tx& tx, BlockContext ctx = {kH0, kT0}) {
    Result<Effects> r = ApplyTx(*registry_, state, tx, ctx);
    if (r.ok()) {
      state.Commit(*r);
      state.AddTx(tx.hash);
    }
    return r;
  }
  Result<Effects> Apply(const std::string& dept_id, ledger::TxPayload payload,
                        BlockContext ctx = {kH0, kT0}) {
    return Apply(MakeTx(dept_id, std::move(payload), ctx.height), ctx);
  }
  // Applies a payload the wire could not carry (protobuf refuses strings that are not UTF-8): the
  // tx is signed over a placeholder and the payload swapped in afterwards. The contract must not
  // rely on the decoder for its own rules.
  Result<Effects> ApplyUnencodable(const std::string& dept_id, ledger::TxPayload payload,
                                   BlockContext ctx = {kH0, kT0}) {
    ledger::Tx tx =
        MakeTx(dept_id, ledger::RevokeMaterial{"placeholder", "placeholder"}, ctx.height);
    tx.body.payload = std::move(payload);
    return Apply(tx, ctx);
  }
  // Runs the block-time expiry and commits it.
  Effects Expire(BlockContext ctx) {
    Effects e = ExpireDue(*registry_, state, ctx);
    state.Commit(e);
    return e;
  }

  FakeState state;

 private:
  std::map<std::string, crypto::PrivateKey> keys_;
  crypto::PrivateKey holder_ = NewKey();
  ledger::Genesis genesis_;
  std::unique_ptr<Registry> registry_;
  uint64_t nonce_ = 0;
};

inline ledger::RevokeMaterial Revoke(std::string id, std::string reason) {
  return ledger::RevokeMaterial{std::move(id), std::move(reason)};
}

// The n-th block after the first test block: height kH0 + n, one second apart.
inline BlockContext Ctx(uint64_t n) { return {kH0 + n, kT0 + static_cast<int64_t>(n) * 1000}; }

// One row of a rejection table: what is tried, the reason code it must get and a piece of text
// the message must contain (the values it names).
struct RejectCase {
  const char* what;
  const char* code;
  const char* message_has;
  std::function<Result<Effects>(World&)> run;
};

// The rejection tables of material_test.cc (issue, revoke, envelope) and rejections_test.cc
// (everything else); rejections_test.cc checks that together they cover contracts/reasons.h.
std::vector<RejectCase> MaterialRejectionCases();
std::vector<RejectCase> LifecycleRejectionCases();

}  // namespace govledger::contracts::testing

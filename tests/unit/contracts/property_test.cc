// Property tests: random sequences of transactions from many actors (departments, a holder, an
// authorizer platform, contract parties, strangers) run block by block the way the node builds
// blocks (expiry first, then the transactions, rejected ones left out) into a real Store. After
// every run, for every seed:
//   - every recorded use happened under a matching active grant (when the type needs one) on a
//     material that was ACTIVE, inside its validity window;
//   - nothing follows a DESTROY in any material's history, and no use follows an EXPIRE;
//   - the state rebuilt by replaying all blocks into a fresh store equals the stored state, and
//     both equal the simple in-memory reference of the same writes.
// A failure prints the seed; GOVLEDGER_PROPERTY_SEED=N replays just that one.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "contracts/material.h"
#include "ledger/codec.h"
#include "ledger/store.h"
#include "tests/unit/contracts/fixture.h"

namespace govledger::contracts::testing {
namespace {

constexpr int kSeeds = 200;
constexpr int kBlocks = 24;

using ledger::EventKind;
using ledger::Material;
using ledger::MaterialStatus;

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("govledger-prop-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)))
                .string();
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Sub(const std::string& n) const { return path_ + "/" + n; }

 private:
  std::string path_;
};

// What a hook sees of an accepted transaction: the state before it and what it wrote.
using TxHook = std::function<void(const ledger::Tx&, const ledger::StateReader& before,
                                  const Effects&, const BlockContext&)>;

// A chain on a real Store, built like node::Executor::Build and committed with one batch per
// block. The header carries what Store::CommitBlock checks (height, link, tx count, log size).
class Chain {
 public:
  Chain(const ledger::Genesis& genesis, const Registry& registry, const std::string& dir)
      : genesis_(genesis), registry_(registry) {
    store_ = ledger::Store::Open(dir, genesis).value();
  }

  // Returns the transactions that went into the block.
  std::vector<ledger::Tx> Run(const std::vector<ledger::Tx>& candidates, int64_t time_ms,
                              FakeState* mirror, const TxHook& hook) {
    const uint64_t height = store_->height() + 1;
    const BlockContext ctx{height, time_ms};
    ledger::Overlay overlay(*store_);
    auto apply = [&](const Effects& e) {
      for (const Material& m : e.materials) overlay.PutMaterial(m);
      for (const ledger::Event& ev : e.events) overlay.AddEvent(ev);
      if (mirror) mirror->Commit(e);
    };
    apply(ExpireDue(registry_, overlay, ctx));
    std::vector<ledger::Tx> included;
    for (const ledger::Tx& tx : candidates) {
      Result<Effects> r = ApplyTx(registry_, overlay, tx, ctx);
      if (!r.ok()) continue;
      if (hook) hook(tx, overlay, *r, ctx);
      apply(*r);
      overlay.AddTx(tx.hash);
      if (mirror) mirror->AddTx(tx.hash);
      included.push_back(tx);
    }
    ledger::BlockWrite w;
    ledger::BlockHeader& h = w.block.header;
    h.chain_id = genesis_.chain_id;
    h.height = height;
    h.time_ms = time_ms;
    h.prev_hash = crypto::DigestBytes(store_->tip_hash());
    h.log_size = store_->log_size() + included.size();
    h.tx_count = static_cast<uint32_t>(included.size());
    h.events_hash = crypto::DigestBytes(ledger::EventsHash(genesis_.suite, overlay.events()));
    w.block.header_bytes = ledger::EncodeHeader(h);
    for (const ledger::Tx& tx : included) {
      w.block.txs.push_back(tx.raw);
      w.tx_hashes.push_back(tx.hash);
    }
    w.block_hash = crypto::Hash(genesis_.suite, w.block.header_bytes);
    w.commit.height = height;
    w.commit.block_hash = crypto::DigestBytes(w.block_hash);
    for (const auto& [id, m] : overlay.materials()) w.materials.push_back(m);
    w.events = overlay.events();
    Status st = store_->CommitBlock(w);
    GOVLEDGER_CHECK(st.ok());
    return included;
  }

  const ledger::Store& store() const { return *store_; }

  std::map<std::string, std::string> Dump() const {
    std::map<std::string, std::string> out;
    store_->ForEachStateEntry([&out](const std::string& k, const std::string& v) { out[k] = v; });
    return out;
  }

 private:
  const ledger::Genesis& genesis_;
  const Registry& registry_;
  std::unique_ptr<ledger::Store> store_;
};

// Random transactions over what exists so far.
class Actors {
 public:
  Actors(World& w, std::mt19937_64& rng) : w_(w), rng_(rng) {}

  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return static_cast<int>(Pick(100)) < percent; }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[Pick(v.size())];
  }

  ledger::Tx Next(uint64_t height, int64_t time_ms) {
    const std::vector<std::string> depts = {"health", "police", "market",  "water",
                                            "tax",    "hrss",   "platform"};
    const std::vector<std::string> purposes = {
        "household_registration", "social_security_card", "vaccination",      "business_check",
        "permit_review",          "school_enrolment",     "medical_insurance"};
    auto tx = [&](const std::string& dept, ledger::TxPayload p) {
      return w_.MakeTx(Chance(5) ? OneOf(depts) : dept, std::move(p), height);
    };
    const size_t kind = materials_.empty() ? 0 : Pick(21);
    const std::string serial = "P" + std::to_string(++serial_);
    switch (kind) {
      case 0:
      case 1: {  // a root material: birth certificate or business license
        if (Chance(50)) {
          ledger::IssueMaterial p = w_.BirthCertWithHolderKey(serial);
          if (Chance(30)) p.valid_until_ms = time_ms + static_cast<int64_t>(1 + Pick(20)) * 1000;
          p.staged = Chance(15);
          materials_.push_back(p.material_id);
          return tx("health", p);
        }
        ledger::IssueMaterial p = w_.BizLicense(serial);
        if (Chance(50)) p.valid_until_ms = time_ms + static_cast<int64_t>(1 + Pick(20)) * 1000;
        materials_.push_back(p.material_id);
        return tx("market", p);
      }
      case 2: {  // a dependent
        const std::string parent = Existing();
        static const std::vector<std::pair<std::string, std::string>> kinds = {
            {"HUKOUENTRY", "police"},
            {"SSCARD", "hrss"},
            {"VACCINE", "health"},
            {"IDCARD", "police"},
            {"FOODPERMIT", "market"}};
        std::pair<std::string, std::string> pick = OneOf(kinds);
        // Mostly a type that takes this parent.
        if (std::optional<Material> pm = w_.state.GetMaterial(parent); pm && Chance(85)) {
          std::vector<std::pair<std::string, std::string>> fitting;
          for (const auto& k : kinds) {
            if (w_.registry().Type(k.first)->parent_type == pm->type_code) fitting.push_back(k);
          }
          if (!fitting.empty()) pick = OneOf(fitting);
        }
        const auto& [type, dept] = pick;
        ledger::IssueMaterial p = w_.Child(type, dept, serial, parent);
        if (p.valid_until_ms != 0 || Chance(20)) {
          p.valid_until_ms = time_ms + static_cast<int64_t>(1 + Pick(30)) * 1000;
        }
        materials_.push_back(p.material_id);
        return tx(dept, p);
      }
      case 3:
      case 4: {  // grant, by the holder or the platform
        static const std::vector<std::string> consumers = {"health", "police", "market",
                                                           "water",  "tax",    "hrss"};
        ledger::AuthorizeUse a{Existing(),
                               OneOf(consumers),
                               OneOf(purposes),
                               time_ms + static_cast<int64_t>(5 + Pick(60)) * 1000,
                               static_cast<uint32_t>(Pick(3)),
                               {}};
        a.purpose = PurposeFor(a.material_id, a.purpose);
        if (Chance(60)) {
          ledger::Tx t = w_.MakeTxWithKey(w_.holder(), a, height);
          grants_.push_back(crypto::DigestHex(t.hash));
          grant_uses_.push_back({a.material_id, a.consumer, a.purpose});
          return t;
        }
        a.consent_digest = TestDigest("consent " + serial);
        ledger::Tx t = tx("platform", a);
        grants_.push_back(crypto::DigestHex(t.hash));
        grant_uses_.push_back({a.material_id, a.consumer, a.purpose});
        return t;
      }
      case 5:
      case 6:
      case 7: {  // use: mostly what some grant was given for, sometimes anything
        if (!grant_uses_.empty() && Chance(70)) {
          const size_t i = Pick(grant_uses_.size());
          const GrantUse& g = grant_uses_[i];
          return w_.MakeTx(
              g.consumer,
              ledger::UseMaterial{g.material, g.purpose, Chance(30) ? grants_[i] : std::string()},
              height);
        }
        const std::string id = Existing();
        return tx(
            OneOf(depts),
            ledger::UseMaterial{id, PurposeFor(id, OneOf(purposes)),
                                !grants_.empty() && Chance(30) ? OneOf(grants_) : std::string()});
      }
      case 8:
        if (!grants_.empty()) {
          return Chance(70)
                     ? w_.MakeTxWithKey(w_.holder(), ledger::WithdrawGrant{OneOf(grants_), "撤回"},
                                        height)
                     : tx("platform", ledger::WithdrawGrant{OneOf(grants_), ""});
        }
        [[fallthrough]];
      case 9:
        return tx(Issuer(), Revoke(OneOf(materials_), "撤销"));
      case 10:
        return tx(Issuer(), ledger::SuspendMaterial{OneOf(materials_), "核查"});
      case 11:
        return tx(Issuer(), ledger::ReinstateMaterial{OneOf(materials_), ""});
      case 12:
        return tx(Issuer(), ledger::DestroyMaterial{OneOf(materials_), "销毁"});
      case 13:
        return tx(Issuer(), ledger::PublishMaterial{OneOf(materials_)});
      case 14: {
        const std::string& id = OneOf(materials_);
        return tx(Issuer(),
                  ledger::TransferMaterial{id, TestDigest("holder " + serial),
                                           Chance(50) ? w_.holder().public_key() : Bytes{}, ""});
      }
      case 16: {  // an e-contract between the two parties, recorded by the platform
        ledger::CreateContract c{TestDigest("contract " + serial),
                                 {party_a_.public_key(), party_b_.public_key()},
                                 time_ms + static_cast<int64_t>(2 + Pick(30)) * 1000,
                                 !contracts_.empty() && Chance(30) ? OneOf(contracts_) : "",
                                 ""};
        ledger::Tx t = tx("platform", c);
        contracts_.push_back(crypto::DigestHex(t.hash));
        contract_digests_.push_back(c.doc_digest);
        return t;
      }
      case 17:
        if (!contracts_.empty()) {
          const size_t i = Pick(contracts_.size());
          return w_.MakeTxWithKey(Chance(50) ? party_a_ : party_b_,
                                  ledger::SignContract{contracts_[i], contract_digests_[i]},
                                  height);
        }
        [[fallthrough]];
      case 18: {  // a governance proposal: new roles for water, or new purposes for VACCINE
        ledger::GovernanceChange c;
        if (Chance(50)) {
          c.kind = ledger::ChangeKind::kSetDepartment;
          c.department = w_.dept("water");
          c.department.roles = Chance(50) ? std::vector<std::string>{"provider", "consumer"}
                                          : std::vector<std::string>{"consumer"};
        } else {
          c.kind = ledger::ChangeKind::kSetMaterialType;
          c.material_type = *w_.registry().Type("VACCINE");
          c.material_type.use_purposes = {"school_enrolment"};
          c.effective_height = Chance(50) ? 0 : height + Pick(5);
        }
        ++proposals_;
        return tx(OneOf(depts), ledger::ProposeChange{c, 0, "调整"});
      }
      case 19:
      case 20:
        if (proposals_ > 0) {
          return tx(OneOf(depts),
                    ledger::ApproveProposal{"P" + std::to_string(1 + Pick(proposals_))});
        }
        [[fallthrough]];
      default: {  // amend the newest version of something
        std::optional<Material> m = w_.state.GetMaterial(OneOf(materials_));
        if (!m) return tx("health", Revoke("none", "x"));
        auto parts = ParseMaterialId(m->material_id).value();
        char version[4];
        std::snprintf(version, sizeof version, "%03u", (m->version + 1) % 1000);
        ledger::AmendMaterial a;
        a.prev_id = m->material_id;
        a.material_id =
            MakeMaterialId({parts.type_code, parts.issuer_code, parts.serial, version}).value();
        a.doc_digest = TestDigest("amended " + serial);
        a.fields_root = TestDigest("fields " + serial);
        a.field_names = m->field_names;
        a.valid_from_ms = m->valid_from_ms;
        a.valid_until_ms = m->valid_until_ms;
        a.parent_id = m->parent_id;
        a.reason = "更正";
        materials_.push_back(a.material_id);
        return tx(m->issuer, a);
      }
    }
  }

 private:
  // Mostly the right issuer of a random material, sometimes another department.
  std::string Issuer() {
    static const std::vector<std::string> any = {"health", "police", "market", "hrss"};
    return OneOf(any);
  }

  // A material that exists (most of the time; ids of refused issues stay in the list).
  std::string Existing() {
    for (int i = 0; i < 8; ++i) {
      const std::string& id = OneOf(materials_);
      if (w_.state.GetMaterial(id)) return id;
    }
    return OneOf(materials_);
  }

  // Usually a purpose the material's type allows, so that grants and uses get through.
  std::string PurposeFor(const std::string& id, const std::string& fallback) {
    std::optional<Material> m = w_.state.GetMaterial(id);
    if (!m || Chance(20)) return fallback;
    const ledger::MaterialType* t = w_.registry().Type(m->type_code);
    if (!t || t->use_purposes.empty()) return fallback;
    return OneOf(t->use_purposes);
  }

  struct GrantUse {
    std::string material, consumer, purpose;
  };

  World& w_;
  std::mt19937_64& rng_;
  crypto::PrivateKey party_a_ = NewKey();
  crypto::PrivateKey party_b_ = NewKey();
  std::vector<std::string> contracts_;
  std::vector<Bytes> contract_digests_;
  size_t proposals_ = 0;
  std::vector<GrantUse> grant_uses_;
  std::vector<std::string> materials_;
  std::vector<std::string> grants_;
  uint64_t serial_ = 0;
};

// Checks an accepted use against the state it was judged on.
void CheckUse(const ledger::Tx& tx, const ledger::StateReader& before, const Effects& e,
              const BlockContext& ctx, const Registry& registry) {
  const auto* use = std::get_if<ledger::UseMaterial>(&tx.body.payload);
  if (use == nullptr) return;
  std::optional<Material> m = before.GetMaterial(use->material_id);
  REQUIRE(m);
  CHECK(m->status == MaterialStatus::kActive);
  CHECK(m->valid_from_ms <= ctx.time_ms);
  CHECK((m->valid_until_ms == 0 || m->valid_until_ms > ctx.time_ms));
  REQUIRE(!e.events.empty());
  const ledger::Event& ev = e.events.back();
  CHECK(ev.kind == EventKind::kUse);
  std::optional<ledger::MaterialType> type =
      RegistryView(registry, before, ctx.height).Type(m->type_code);
  REQUIRE(type);
  if (type->requires_grant || !use->grant_id.empty()) {
    REQUIRE_FALSE(ev.ref.empty());
    std::optional<ledger::Grant> g = ledger::GetGrant(before, ev.ref);
    REQUIRE(g);
    const std::optional<ledger::Department> signer =
        RegistryView(registry, before, ctx.height).DepartmentByKey(tx.signer);
    REQUIRE(signer);
    CHECK(g->material_id == m->material_id);
    CHECK(g->consumer == signer->id);
    CHECK(g->purpose == use->purpose);
    CHECK(g->holder_commitment == m->holder_commitment);
    CHECK_FALSE(g->withdrawn);
    CHECK(g->valid_until_ms > ctx.time_ms);
    CHECK((g->max_uses == 0 || g->uses < g->max_uses));
  }
}

// Histories: nothing after DESTROY; no USE after EXPIRE; uses only inside the validity window.
void CheckHistories(const FakeState& state) {
  std::map<std::string, std::vector<ledger::Event>> by_subject;
  for (const ledger::Event& e : state.events()) by_subject[e.material_id].push_back(e);
  for (const auto& [id, events] : by_subject) {
    std::optional<Material> m = state.GetMaterial(id);
    if (!m) continue;  // an e-contract or proposal
    bool destroyed = false, expired = false;
    for (const ledger::Event& e : events) {
      CAPTURE(id, e.seq, ledger::EventKindName(e.kind));
      CHECK_FALSE(destroyed);
      if (e.kind == EventKind::kUse) {
        CHECK_FALSE(expired);
        CHECK((m->valid_until_ms == 0 || e.time_ms < m->valid_until_ms));
      }
      destroyed = destroyed || e.kind == EventKind::kDestroy;
      expired = expired || e.kind == EventKind::kExpire;
    }
    CHECK(m->event_count == events.size());
  }
}

// The reference state as the store's key/value pairs: materials and record tables.
void CheckStoreMatchesReference(const ledger::Store& store, const FakeState& ref) {
  for (const auto& [id, m] : ref.materials()) {
    std::optional<Material> stored = store.GetMaterial(id);
    REQUIRE(stored);
    CHECK(ledger::EncodeMaterial(*stored) == ledger::EncodeMaterial(m));
  }
  for (const auto& [key, value] : ref.records()) {
    auto table = static_cast<ledger::Table>(key[0]);
    std::optional<Bytes> stored = store.GetRecord(table, key.substr(1));
    REQUIRE(stored);
    CHECK(*stored == value);
  }
  // And nothing more in the record tables than the reference has.
  for (char t : {'G', 'g', 'U', 'c', 'K', 'k', 'x', 'P', 'R', 'N'}) {
    auto table = static_cast<ledger::Table>(t);
    for (const auto& [key, value] : store.ScanRecords(table, "", "", 1'000'000)) {
      CHECK(ref.GetRecord(table, key).has_value());
    }
  }
}

struct Totals {
  size_t accepted = 0;
  size_t uses = 0;
  std::map<std::string, size_t> events;  // by kind, cascades counted as "cascade"
};

void RunSeed(uint64_t seed, Totals& totals) {
  std::mt19937_64 rng(seed);
  World w;
  TempDir dir;
  Chain chain(w.genesis(), w.registry(), dir.Sub("a"));
  Actors actors(w, rng);
  std::vector<std::pair<std::vector<ledger::Tx>, int64_t>> blocks;
  int64_t time_ms = kT0;
  size_t uses = 0, accepted = 0;
  TxHook hook = [&](const ledger::Tx& tx, const ledger::StateReader& before, const Effects& e,
                    const BlockContext& ctx) {
    CheckUse(tx, before, e, ctx, w.registry());
    uses += std::holds_alternative<ledger::UseMaterial>(tx.body.payload);
  };
  for (int b = 0; b < kBlocks; ++b) {
    time_ms += actors.Chance(20) ? 8000 : 1000;
    const uint64_t height = chain.store().height() + 1;
    std::vector<ledger::Tx> txs;
    const size_t n = actors.Pick(6);
    for (size_t i = 0; i < n; ++i) txs.push_back(actors.Next(height, time_ms));
    std::vector<ledger::Tx> included = chain.Run(txs, time_ms, &w.state, hook);
    accepted += included.size();
    blocks.emplace_back(std::move(included), time_ms);
  }
  CheckHistories(w.state);
  CheckStoreMatchesReference(chain.store(), w.state);

  // Replay every block into a fresh store: the same state, byte for byte.
  Chain replay(w.genesis(), w.registry(), dir.Sub("b"));
  for (const auto& [txs, t] : blocks) {
    std::vector<ledger::Tx> again = replay.Run(txs, t, nullptr, nullptr);
    REQUIRE(again.size() == txs.size());
  }
  CHECK(replay.store().tip_hash() == chain.store().tip_hash());
  CHECK(replay.Dump() == chain.Dump());
  totals.accepted += accepted;
  totals.uses += uses;
  for (const ledger::Event& e : w.state.events()) {
    const bool cascade = e.actor.empty() && !e.tx_hash.empty() &&
                         (e.kind == EventKind::kRevoke || e.kind == EventKind::kSuspend ||
                          e.kind == EventKind::kReinstate);
    ++totals.events[cascade ? "cascade" : ledger::EventKindName(e.kind)];
  }
}

TEST_CASE("random lifecycles keep the invariants (200 seeds)", "[contracts][property]") {
  std::vector<uint64_t> seeds;
  if (const char* one = std::getenv("GOVLEDGER_PROPERTY_SEED")) {
    seeds.push_back(std::strtoull(one, nullptr, 10));
  } else {
    for (uint64_t s = 1; s <= kSeeds; ++s) seeds.push_back(s);
  }
  Totals totals;
  for (uint64_t seed : seeds) {
    INFO("seed " << seed << " (replay with GOVLEDGER_PROPERTY_SEED=" << seed << ")");
    RunSeed(seed, totals);
  }
  // The invariants must not hold vacuously: the runs include accepted uses.
  INFO(totals.accepted << " txs accepted, " << totals.uses << " uses");
  CHECK(totals.accepted > seeds.size() * 10);
  CHECK(totals.uses > seeds.size());
  std::string kinds;
  for (const auto& [kind, n] : totals.events) kinds += " " + kind + "=" + std::to_string(n);
  CHECK(totals.events["cascade"] > 0);
  CHECK(totals.events["EXPIRE"] > 0);
  CHECK(totals.events["DESTROY"] > 0);
  CHECK(totals.events["CONTRACT_COMPLETE"] > 0);
  CHECK(totals.events["CONTRACT_EXPIRE"] > 0);
  CHECK(totals.events["ENACT"] > 0);
  WARN(totals.accepted << " txs accepted, " << totals.uses << " uses over " << seeds.size()
                       << " seeds; events:" << kinds);
}

}  // namespace
}  // namespace govledger::contracts::testing

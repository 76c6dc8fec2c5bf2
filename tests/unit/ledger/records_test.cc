// The ledger side of the rule contracts (issue 4): every new transaction payload and state record
// round trips through the codec; events with details use the v2 hashed layout while the old
// kinds keep v1; the overlay and the store agree on record tables (writes, deletes, scans); the
// genesis carries the material types' use rules without changing the hash of older documents.
#include "ledger/records.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "crypto/sign.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/state.h"
#include "ledger/store.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::MakeNetwork;
using testing::PendingBlock;
using testing::TempDir;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

const crypto::PrivateKey& Key() {
  static const crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  return key;
}

TxPayload RoundTrip(const TxPayload& p) {
  Tx tx = SignTx(Key(), TxBody{"c", 1, 10, 0, p});
  auto decoded = DecodeTx(crypto::Suite::kP256, tx.raw, 1 << 20);
  REQUIRE(decoded.ok());
  CHECK(EncodeTxBody(decoded->body) == tx.body_bytes);  // nothing lost
  CHECK(TxKindName(decoded->body.payload) == TxKindName(p));
  return decoded->body.payload;
}

TEST_CASE("every lifecycle, grant, contract and governance payload round trips", "[ledger]") {
  IssueMaterial issue;
  issue.material_id = "m";
  issue.holder_key = Key().public_key();
  issue.staged = true;
  CHECK(std::get<IssueMaterial>(RoundTrip(issue)).holder_key == Key().public_key());
  CHECK(std::get<IssueMaterial>(RoundTrip(issue)).staged);

  AmendMaterial amend{"m1", "m2", Bytes(32, 1), Bytes(32, 2), {"a", "b"}, 5, 9, "p", "why"};
  AmendMaterial a2 = std::get<AmendMaterial>(RoundTrip(amend));
  CHECK(a2.prev_id == "m1");
  CHECK(a2.material_id == "m2");
  CHECK(a2.field_names == std::vector<std::string>{"a", "b"});
  CHECK(a2.valid_until_ms == 9);
  CHECK(a2.parent_id == "p");
  CHECK(a2.reason == "why");

  TransferMaterial t{"m", Bytes(32, 3), Key().public_key(), "sold"};
  CHECK(std::get<TransferMaterial>(RoundTrip(t)).new_holder_commitment == Bytes(32, 3));
  CHECK(std::get<PublishMaterial>(RoundTrip(PublishMaterial{"m"})).material_id == "m");
  CHECK(std::get<SuspendMaterial>(RoundTrip(SuspendMaterial{"m", "r"})).reason == "r");
  CHECK(std::get<ReinstateMaterial>(RoundTrip(ReinstateMaterial{"m", "r"})).reason == "r");
  CHECK(std::get<DestroyMaterial>(RoundTrip(DestroyMaterial{"m", "r"})).reason == "r");

  AuthorizeUse au{"m", "psb", "household_registration", 77, 3, Bytes(32, 4)};
  AuthorizeUse au2 = std::get<AuthorizeUse>(RoundTrip(au));
  CHECK(au2.consumer == "psb");
  CHECK(au2.purpose == "household_registration");
  CHECK(au2.valid_until_ms == 77);
  CHECK(au2.max_uses == 3);
  CHECK(au2.consent_digest == Bytes(32, 4));
  CHECK(std::get<WithdrawGrant>(RoundTrip(WithdrawGrant{"g", "r"})).grant_id == "g");
  UseMaterial use = std::get<UseMaterial>(RoundTrip(UseMaterial{"m", "p", "g"}));
  CHECK(use.purpose == "p");
  CHECK(use.grant_id == "g");

  CreateContract cc{Bytes(32, 5), {Key().public_key(), Bytes{1, 2}}, 99, "prev", "租赁"};
  CreateContract cc2 = std::get<CreateContract>(RoundTrip(cc));
  CHECK(cc2.parties.size() == 2);
  CHECK(cc2.sign_deadline_ms == 99);
  CHECK(cc2.prev_contract == "prev");
  CHECK(cc2.title == "租赁");
  CHECK(std::get<SignContract>(RoundTrip(SignContract{"k", Bytes(32, 6)})).doc_digest ==
        Bytes(32, 6));

  ProposeChange pc;
  pc.change.kind = ChangeKind::kSetMaterialType;
  pc.change.material_type.code = "FOODBIZ";
  pc.change.material_type.use_purposes = {"inspection"};
  pc.change.material_type.requires_grant = false;
  pc.change.material_type.cascade = CascadeRule::kSuspend;
  pc.change.effective_height = 500;
  pc.deadline_height = 900;
  pc.reason = "新规";
  ProposeChange pc2 = std::get<ProposeChange>(RoundTrip(pc));
  CHECK(pc2.change.kind == ChangeKind::kSetMaterialType);
  CHECK(pc2.change.material_type.use_purposes == std::vector<std::string>{"inspection"});
  CHECK_FALSE(pc2.change.material_type.requires_grant);
  CHECK(pc2.change.material_type.cascade == CascadeRule::kSuspend);
  CHECK(pc2.change.effective_height == 500);
  CHECK(pc2.deadline_height == 900);

  ProposeChange remove;
  remove.change.kind = ChangeKind::kRemoveValidator;
  remove.change.validator_name = "node3";
  CHECK(std::get<ProposeChange>(RoundTrip(remove)).change.validator_name == "node3");
  ProposeChange rotate;
  rotate.change.kind = ChangeKind::kRotateValidator;
  rotate.change.validator.name = "node3";
  rotate.change.validator.key = Key().public_key();
  ProposeChange rotate2 = std::get<ProposeChange>(RoundTrip(rotate));
  CHECK(rotate2.change.kind == ChangeKind::kRotateValidator);
  CHECK(rotate2.change.validator.name == "node3");
  CHECK(rotate2.change.validator.key == rotate.change.validator.key);
  CHECK(std::get<ApproveProposal>(RoundTrip(ApproveProposal{"P1"})).proposal_id == "P1");
}

TEST_CASE("state records round trip", "[ledger]") {
  Grant g;
  g.grant_id = "g1";
  g.material_id = "m";
  g.consumer = "psb";
  g.purpose = "p";
  g.valid_until_ms = 9;
  g.max_uses = 2;
  g.uses = 1;
  g.withdrawn = true;
  g.grantor_key = Key().public_key();
  g.holder_commitment = Bytes(32, 1);
  g.withdraw_reason = "r";
  CHECK(EncodeGrant(DecodeGrant(EncodeGrant(g)).value()) == EncodeGrant(g));

  EContract c;
  c.contract_id = "k";
  c.version = 2;
  c.parties = {Key().public_key()};
  c.signatures = {ContractSignature{Key().public_key(), Bytes(32, 2), 5, 6}};
  c.status = ContractStatus::kSuperseded;
  EContract c2 = DecodeContract(EncodeContract(c)).value();
  CHECK(c2.status == ContractStatus::kSuperseded);
  CHECK(c2.signatures.size() == 1);
  CHECK(EncodeContract(c2) == EncodeContract(c));

  Proposal p;
  p.proposal_id = "P1";
  p.change.kind = ChangeKind::kAddValidator;
  p.change.validator.name = "node4";
  p.approvals = {"mca", "edu"};
  p.status = ProposalStatus::kEnacted;
  Proposal p2 = DecodeProposal(EncodeProposal(p)).value();
  CHECK(p2.approvals == p.approvals);
  CHECK(p2.status == ProposalStatus::kEnacted);
  CHECK(p2.change.validator.name == "node4");

  ValidatorChange vc;
  vc.effective_height = 12;
  vc.rotate = true;
  vc.validator.name = "node2";
  ValidatorChange vc2 = DecodeValidatorChange(EncodeValidatorChange(vc)).value();
  CHECK(vc2.rotate);
  CHECK_FALSE(vc2.remove);
  CHECK(vc2.effective_height == 12);

  Material m;
  m.material_id = "m";
  m.status = MaterialStatus::kSuspended;
  m.holder_key = Key().public_key();
  m.prev_version = "a";
  m.next_version = "b";
  m.use_count = 7;
  m.suspended_by = "parent";
  Material m2 = DecodeMaterial(EncodeMaterial(m)).value();
  CHECK(m2.status == MaterialStatus::kSuspended);
  CHECK(m2.use_count == 7);
  CHECK(m2.suspended_by == "parent");
  CHECK(EncodeMaterial(m2) == EncodeMaterial(m));

  for (MaterialStatus s :
       {MaterialStatus::kIssued, MaterialStatus::kSuperseded, MaterialStatus::kDestroyed}) {
    m.status = s;
    CHECK(DecodeMaterial(EncodeMaterial(m))->status == s);
  }
  CHECK(DecodeGrant(Bytes{0xff, 0xff}).status().code() == "malformed_record");
  CHECK(DecodeU64(Bytes{1, 2}).status().code() == "malformed_record");
}

TEST_CASE("events with details use the v2 layout; records are not part of the event", "[ledger]") {
  Event e;
  e.material_id = "m";
  e.kind = EventKind::kUse;
  e.actor = "psb";
  const Bytes v1 = EventBytes(e);
  CHECK(std::string(v1.begin(), v1.begin() + 18) == "govledger/event/v1");
  e.purpose = "household_registration";
  e.counterparty = "psb";
  e.ref = "g";
  e.detail = Bytes{9};
  const Bytes v2 = EventBytes(e);
  CHECK(std::string(v2.begin(), v2.begin() + 18) == "govledger/event/v2");
  // The v2 layout is the v1 fields followed by the four details, length-prefixed.
  Bytes tail;
  AppendLengthPrefixed(tail, std::string_view("psb"));
  AppendLengthPrefixed(tail, std::string_view("household_registration"));
  AppendLengthPrefixed(tail, std::string_view("g"));
  AppendLengthPrefixed(tail, Bytes{9});
  REQUIRE(v2.size() == v1.size() + tail.size());
  CHECK(Bytes(v2.end() - static_cast<long>(tail.size()), v2.end()) == tail);
  CHECK(v2[18 + 4 + 1 + 4] == 13);  // kind USE = 13

  e.records.push_back(PutCounter(Table::kUsage, "k", 1));
  CHECK(EventBytes(e) == v2);
  Event decoded = DecodeEvent(EncodeEvent(e)).value();
  CHECK(decoded.records.empty());
  CHECK(decoded.purpose == e.purpose);
  CHECK(decoded.detail == e.detail);
  CHECK(EventHash(crypto::Suite::kP256, decoded) == EventHash(crypto::Suite::kP256, e));
}

// A committed state for the overlay: a map.
class MapState : public StateReader {
 public:
  std::map<std::string, Bytes> records;  // table byte + key
  std::optional<Material> GetMaterial(std::string_view) const override { return std::nullopt; }
  bool HasTx(const Digest&) const override { return false; }
  std::vector<std::string> DueForExpiry(int64_t, size_t) const override { return {}; }
  std::optional<Bytes> GetRecord(Table t, std::string_view key) const override {
    auto it = records.find(std::string(1, static_cast<char>(t)) + std::string(key));
    if (it == records.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::pair<std::string, Bytes>> ScanRecords(Table t, std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override {
    std::vector<std::pair<std::string, Bytes>> out;
    const std::string full = std::string(1, static_cast<char>(t)) + std::string(prefix);
    for (auto it = records.lower_bound(full); it != records.end() && out.size() < limit; ++it) {
      if (it->first.compare(0, full.size(), full) != 0) break;
      std::string key = it->first.substr(1);
      if (!after.empty() && key <= after) continue;
      out.emplace_back(key, it->second);
    }
    return out;
  }
};

std::vector<std::string> Keys(const std::vector<std::pair<std::string, Bytes>>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.first);
  return out;
}

TEST_CASE("overlay record scans merge pending writes and deletes in key order", "[ledger]") {
  MapState base;
  for (const char* k : {"a1", "a2", "a3", "a4", "b1"}) base.records[std::string("G") + k] = {1};
  Overlay o(base);
  o.PutRecord(DeleteRecord(Table::kGrant, "a2"));
  o.PutRecord({Table::kGrant, "a25", Bytes{2}});
  o.PutRecord({Table::kGrant, "a0", Bytes{3}});
  CHECK(Keys(o.ScanRecords(Table::kGrant, "a", "", 10)) ==
        std::vector<std::string>{"a0", "a1", "a25", "a3", "a4"});
  // The limit is filled even though a pending delete hides a base entry.
  CHECK(Keys(o.ScanRecords(Table::kGrant, "a", "", 3)) ==
        std::vector<std::string>{"a0", "a1", "a25"});
  CHECK(Keys(o.ScanRecords(Table::kGrant, "a", "a1", 2)) == std::vector<std::string>{"a25", "a3"});
  CHECK_FALSE(o.GetRecord(Table::kGrant, "a2"));
  CHECK(o.GetRecord(Table::kGrant, "a25") == Bytes{2});
  CHECK(o.GetRecord(Table::kGrant, "b1") == Bytes{1});
  CHECK(o.ScanRecords(Table::kUsage, "", "", 10).empty());

  // Records ride on events into the overlay.
  Event e;
  e.records = {PutCounter(Table::kUsage, "t", 5)};
  o.AddEvent(e);
  CHECK(GetCounter(o, Table::kUsage, "t") == 5);
}

TEST_CASE("the store commits the records events carry, in the block's batch", "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.Sub("data"), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  std::string id = chain.Issue(b, 0);
  Grant g;
  g.grant_id = "g1";
  g.material_id = id;
  b.events.back().records = {PutGrant(g),
                             PutIndex(Table::kGrantByMaterial, GrantByMaterialKey(id, "g1")),
                             PutCounter(Table::kUsage, UsageKey("LIC001", "edu", "p"), 1),
                             PutIndex(Table::kChildren, ChildKey(id, "child"))};
  REQUIRE(chain.Commit(b).ok());
  CHECK(GetGrant(*store, "g1")->material_id == id);
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 10) == std::vector<std::string>{"g1"});
  CHECK(GetCounter(*store, Table::kUsage, UsageKey("LIC001", "edu", "p")) == 1);

  // A later block deletes and overwrites; a later write of a key wins within a block.
  PendingBlock b2;
  chain.Issue(b2, 0);
  b2.events.back().records = {DeleteRecord(Table::kChildren, ChildKey(id, "child")),
                              PutCounter(Table::kUsage, UsageKey("LIC001", "edu", "p"), 2),
                              PutCounter(Table::kUsage, UsageKey("LIC001", "edu", "p"), 3)};
  REQUIRE(chain.Commit(b2).ok());
  CHECK(ScanIndex(*store, Table::kChildren, id, 10).empty());
  CHECK(GetCounter(*store, Table::kUsage, UsageKey("LIC001", "edu", "p")) == 3);

  // The state dump holds the record tables, not the blocks.
  size_t records = 0, blocks = 0;
  store->ForEachStateEntry([&](const std::string& k, const std::string&) {
    records += k[0] == 'G' || k[0] == 'U' || k[0] == 'g';
    blocks += k[0] == 'B';
  });
  CHECK(records == 3);
  CHECK(blocks == 0);
}

// Store::ScanRecords resumes after a key and stops at a limit alike for a table it reads from
// LevelDB and for the registry, which it serves from memory.
TEST_CASE(
    "the store's record scans resume after a key and page by limit, from LevelDB and from "
    "the in-memory registry alike",
    "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.Sub("data"), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  PendingBlock b;
  const std::string id = chain.Issue(b, 0);
  Department d;
  d.id = "tax";
  d.key = Net().department_keys[0].public_key();
  for (const char* g : {"g1", "g2", "g3"}) {
    b.events.back().records.push_back(PutIndex(Table::kGrantByMaterial, GrantByMaterialKey(id, g)));
  }
  for (uint64_t h : {2, 5, 9}) b.events.back().records.push_back(PutRegistryDepartment(d, h));
  REQUIRE(chain.Commit(b).ok());

  using V = std::vector<std::string>;
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 10) == V{"g1", "g2", "g3"});
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 10, "g1") == V{"g2", "g3"});
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 1, "g1") == V{"g2"});
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 10, "g3").empty());
  CHECK(ScanIndex(*store, Table::kGrantByMaterial, id, 10, "g15") == V{"g2", "g3"});

  auto keys = [&](std::string_view after, size_t limit) {
    return Keys(
        store->ScanRecords(Table::kRegistry, RegistryDepartmentPrefix("tax"), after, limit));
  };
  CHECK(keys("", 10) == V{RegistryDepartmentKey("tax", 2), RegistryDepartmentKey("tax", 5),
                          RegistryDepartmentKey("tax", 9)});
  CHECK(keys(RegistryDepartmentKey("tax", 2), 10) ==
        V{RegistryDepartmentKey("tax", 5), RegistryDepartmentKey("tax", 9)});
  CHECK(keys(RegistryDepartmentKey("tax", 2), 1) == V{RegistryDepartmentKey("tax", 5)});
  CHECK(keys(RegistryDepartmentKey("tax", 9), 10).empty());
  // An `after` before the prefix starts at the prefix.
  CHECK(keys("a", 10).size() == 3);
}

// The store serves the registry table from memory (Store::Impl::registry); these check that
// memory against what LevelDB holds after each commit, a reopen and a snapshot.
TEST_CASE("registry rows are read as committed, after a reopen and as of a snapshot", "[ledger]") {
  TempDir dir;
  const std::string data = dir.Sub("data");
  Department d;
  d.id = "tax";
  d.name = "税务局";
  d.name_en = "Tax bureau";
  d.code = "11110000000000001X";
  d.roles = {"consumer"};
  d.key = Net().department_keys[0].public_key();
  const Bytes old_tax = EncodeDepartment(d);
  std::shared_ptr<const Store> before;
  {
    auto store = Store::Open(data, Net().genesis).value();
    ChainBuilder chain(Net(), store.get());
    PendingBlock b;
    chain.Issue(b, 0);
    b.events.back().records = {PutRegistryDepartment(d, 2), PutRegistryKeyIndex(d.key, "tax"),
                               PutGrant(Grant{})};
    d.name_en = "Tax bureau (renamed)";
    b.events.back().records.push_back(PutRegistryDepartment(d, 7));
    before = store->Snapshot().value();
    REQUIRE(chain.Commit(b).ok());

    CHECK(
        Keys(store->ScanRecords(Table::kRegistry, "d", "", 10)) ==
        std::vector<std::string>{RegistryDepartmentKey("tax", 2), RegistryDepartmentKey("tax", 7)});
    CHECK(Keys(store->ScanRecords(Table::kRegistry, "d", RegistryDepartmentKey("tax", 2), 10)) ==
          std::vector<std::string>{RegistryDepartmentKey("tax", 7)});
    CHECK(Keys(store->ScanRecords(Table::kRegistry, "d", "", 1)).size() == 1);
    CHECK(store->ScanRecords(Table::kRegistry, "t", "", 10).empty());
    CHECK(store->GetRecord(Table::kRegistry, RegistryDepartmentKey("tax", 2)) == old_tax);
    CHECK(store->GetRecord(Table::kRegistry, RegistryKeyIndexKey(d.key)) == Bytes{'t', 'a', 'x'});
    // A snapshot taken before the commit does not see the rows; one taken after does.
    CHECK(before->ScanRecords(Table::kRegistry, "", "", 10).empty());
    CHECK_FALSE(before->GetRecord(Table::kRegistry, RegistryKeyIndexKey(d.key)));
    CHECK(store->Snapshot().value()->ScanRecords(Table::kRegistry, "", "", 10).size() == 3);

    // A later block deletes a row and overwrites another.
    PendingBlock b2;
    chain.Issue(b2, 0);
    d.name_en = "Tax bureau (again)";
    b2.events.back().records = {DeleteRecord(Table::kRegistry, RegistryKeyIndexKey(d.key)),
                                PutRegistryDepartment(d, 7)};
    REQUIRE(chain.Commit(b2).ok());
    CHECK_FALSE(store->GetRecord(Table::kRegistry, RegistryKeyIndexKey(d.key)));
    CHECK(store->GetRecord(Table::kRegistry, RegistryDepartmentKey("tax", 7)) ==
          EncodeDepartment(d));
    CHECK(before->ScanRecords(Table::kRegistry, "", "", 10).empty());
    before.reset();  // a snapshot must not outlive its store
  }
  // Reopened, the registry is what LevelDB holds.
  auto store = Store::Open(data, Net().genesis).value();
  CHECK(Keys(store->ScanRecords(Table::kRegistry, "", "", 10)) ==
        std::vector<std::string>{RegistryDepartmentKey("tax", 2), RegistryDepartmentKey("tax", 7)});
  CHECK(store->GetRecord(Table::kRegistry, RegistryDepartmentKey("tax", 7)) == EncodeDepartment(d));
  CHECK_FALSE(store->GetRecord(Table::kRegistry, RegistryKeyIndexKey(d.key)));
}

TEST_CASE("registry keys order versions by effective height", "[ledger]") {
  CHECK(RegistryDepartmentKey("edu", 9) < RegistryDepartmentKey("edu", 10));
  CHECK(RegistryKeyHeight(RegistryDepartmentKey("edu", 77)) == 77);
  CHECK(RegistryKeyHeight(RegistryTypeKey("BIZLIC", 5)) == 5);
  CHECK(RegistryKeyHeight(RegistryValidatorKey(12, "node9")) == 12);
  // "ed" and "edu" do not share a prefix.
  CHECK(RegistryDepartmentKey("edu", 1).rfind(RegistryDepartmentPrefix("ed"), 0) != 0);
}

TEST_CASE("material type use rules in the genesis, and older genesis hashes unchanged",
          "[ledger]") {
  using nlohmann::json;
  const Genesis& g = Net().genesis;
  // The defaults are not written: a genesis made before the rules existed keeps its hash.
  json plain = json::parse(GenesisToJson(g));
  for (const json& t : plain["material_types"]) {
    CHECK_FALSE(t.contains("use_purposes"));
    CHECK_FALSE(t.contains("requires_grant"));
    CHECK_FALSE(t.contains("cascade"));
  }
  json j = plain;
  j["material_types"][1]["use_purposes"] = {"household_registration", "school_enrolment"};
  j["material_types"][1]["requires_grant"] = false;
  j["material_types"][1]["cascade"] = "suspend";
  auto parsed = ParseGenesisJson(j.dump());
  REQUIRE(parsed.ok());
  const MaterialType& t = parsed->material_types[1];
  CHECK(t.use_purposes == std::vector<std::string>{"household_registration", "school_enrolment"});
  CHECK_FALSE(t.requires_grant);
  CHECK(t.cascade == CascadeRule::kSuspend);
  CHECK(parsed->material_types[0].requires_grant);
  CHECK(parsed->material_types[0].cascade == CascadeRule::kRevoke);
  CHECK(GenesisHash(*ParseGenesisJson(GenesisToJson(*parsed))) == GenesisHash(*parsed));
  CHECK(GenesisHash(*parsed) != GenesisHash(g));

  json bad = plain;
  bad["material_types"][0]["cascade"] = "explode";
  CHECK_THAT(ParseGenesisJson(bad.dump()).status().message(),
             Catch::Contains("material_types[0].cascade"));
  bad = plain;
  bad["material_types"][0]["use_purposes"] = {"Not A Purpose"};
  CHECK_THAT(ParseGenesisJson(bad.dump()).status().message(),
             Catch::Contains("material_types[0].use_purposes[0]"));
  bad = plain;
  bad["material_types"][0]["requires_grant"] = "yes";
  CHECK_THAT(ParseGenesisJson(bad.dump()).status().message(), Catch::Contains("requires_grant"));
}

}  // namespace
}  // namespace govledger::ledger

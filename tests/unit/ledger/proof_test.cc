// Proof bundles (ledger/proof.h): built from a real Store, verified offline against the genesis
// only, and every kind of tampering the verifier must name: wrong certificate, too few
// signatures, signatures from non-validators, an inclusion proof for another leaf, a stale state
// proof, changed events, changed disclosed fields, another genesis, and any changed byte of the
// JSON.
#include "ledger/proof.h"

#include <catch2/catch.hpp>
#include <random>

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

using testing::ChainBuilder;
using testing::PendingBlock;
using testing::TempDir;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}

// The holder's receipt of the material with fields, sorted by name.
std::vector<FieldOpening> Receipt() {
  return {{"name", "深圳市南山区示例餐饮有限公司", ToBytes("salt-one-0123456")},
          {"number", "91440300MA5G8XXXX1", ToBytes("salt-two-0123456")}};
}

Bytes FieldsRoot(crypto::Suite suite, const std::vector<FieldOpening>& fields) {
  crypto::MemoryNodeStore nodes;
  crypto::MerkleLog log(suite, &nodes, 0);
  for (const FieldOpening& f : fields) log.Append(FieldLeafBytes(f.salt, f.name, f.value));
  return crypto::DigestBytes(log.Root().value());
}

// A chain where `id` (with fields) is issued at height 2 among other materials, `revoked` is
// revoked at 3, `expiring` expires at 4, and blocks go on to height 5.
struct Chain {
  Chain() : store(Store::Open(dir.path(), Net().genesis).value()), chain(Net(), store.get()) {
    const int64_t t0 = Net().genesis.genesis_time_ms;
    chain.CommitBlocks(1, 3);
    PendingBlock b2;
    chain.Issue(b2, t0 + 300 * kDayMs);
    id = chain.IssueWithFields(b2, t0 + 300 * kDayMs, FieldsRoot(Net().genesis.suite, Receipt()),
                               {"name", "number"});
    revoked = chain.Issue(b2, t0 + 300 * kDayMs, 1);
    expiring = chain.Issue(b2, t0 + 3500);
    REQUIRE(chain.Commit(b2).ok());
    PendingBlock b3;
    chain.Revoke(b3, revoked, 1);
    REQUIRE(chain.Commit(b3).ok());
    PendingBlock b4;
    chain.Expire(b4, expiring);
    REQUIRE(chain.Commit(b4).ok());
    chain.CommitBlocks(1, 2);
  }

  ProofBundle Bundle(const std::string& material_id, std::vector<std::string> disclose = {}) {
    ProofRequest r;
    r.material_id = material_id;
    if (!disclose.empty()) r.fields = Receipt();
    r.disclose = std::move(disclose);
    auto b = BuildProofBundle(*store, Net().genesis, r);
    REQUIRE(b.ok());
    return *b;
  }

  TempDir dir;
  std::unique_ptr<Store> store;
  ChainBuilder chain;
  std::string id;
  std::string revoked;
  std::string expiring;
};

ProofVerification Verify(const ProofBundle& b, VerifyOptions o = {}) {
  return VerifyProofBundle(Net().genesis, b, o);
}

// The step that failed first, or "" when every step passed.
std::string FirstFailure(const ProofVerification& v) {
  for (const ProofCheck& c : v.checks) {
    if (!c.ok) return c.step + ": " + c.detail;
  }
  return "";
}

void CheckInvalidAt(const ProofVerification& v, const std::string& step) {
  INFO(FirstFailure(v));
  CHECK(v.verdict == Verdict::kInvalidProof);
  bool failed = false;
  for (const ProofCheck& c : v.checks) failed |= c.step == step && !c.ok;
  CHECK(failed);
}

TEST_CASE("a bundle of an active material verifies VALID offline with every step reported",
          "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id, {"name"});
  VerifyOptions o;
  o.document_digest = crypto::Hash(Net().genesis.suite, "document " + c.id);
  ProofVerification v = Verify(b, o);
  INFO(FirstFailure(v));
  CHECK(v.verdict == Verdict::kValid);
  CHECK(v.height == 5);
  CHECK(v.status == "ACTIVE");
  CHECK(v.as_of_ms == c.store->tip_time_ms());
  std::vector<std::string> steps;
  for (const ProofCheck& check : v.checks) {
    CHECK(check.ok);
    steps.push_back(check.step);
  }
  CHECK(steps == std::vector<std::string>{"bundle", "validators", "certificate", "state",
                                          "registry", "events", "inclusion", "issuer", "fields",
                                          "document", "validity", "status"});
  REQUIRE(b.disclosed.size() == 1);
  CHECK(b.disclosed[0].value == "深圳市南山区示例餐饮有限公司");

  // The JSON form carries exactly the same proof.
  const std::string text = ProofBundleToJson(b);
  ProofVerification again = VerifyProofBundleJson(Net().genesis, text, o);
  INFO(FirstFailure(again));
  CHECK(again.verdict == Verdict::kValid);
  CHECK(ProofBundleToJson(ProofBundleFromJson(text).value()) == text);
}

TEST_CASE("a bundle checked against another document is TAMPERED at step document", "[ledger]") {
  Chain c;
  VerifyOptions o;
  o.document_digest = crypto::Hash(Net().genesis.suite, "document " + c.id + " (edited)");
  ProofVerification v = Verify(c.Bundle(c.id), o);
  CHECK(v.verdict == Verdict::kTampered);
  CHECK(FirstFailure(v).rfind("document:", 0) == 0);
}

TEST_CASE("revoked, expired and since-expired materials get their verdicts", "[ledger]") {
  Chain c;
  CHECK(Verify(c.Bundle(c.revoked)).verdict == Verdict::kRevoked);
  CHECK(Verify(c.Bundle(c.expiring)).verdict == Verdict::kExpired);
  // Active as of the bundle, but the verifier's clock is past valid_until.
  VerifyOptions later;
  later.now_ms = Net().genesis.genesis_time_ms + 301 * kDayMs;
  ProofVerification v = Verify(c.Bundle(c.id), later);
  CHECK(v.verdict == Verdict::kExpired);
  CHECK(v.status == "ACTIVE");
}

TEST_CASE("a bundle with another block's certificate is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  b.header.commit = c.store->GetCommit(4).value();
  CheckInvalidAt(Verify(b), "certificate");
}

TEST_CASE("a bundle whose certificate has too few signatures is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  REQUIRE(b.header.commit.sigs.size() == QuorumSize(4));
  b.header.commit.sigs.pop_back();
  CheckInvalidAt(Verify(b), "certificate");
}

TEST_CASE("a bundle certified by keys that are not validators is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  // A quorum of well-formed signatures over the right block, by outsiders.
  for (CommitSig& sig : b.header.commit.sigs) {
    auto outsider = crypto::PrivateKey::Generate(Net().genesis.suite).value();
    sig = SignPrecommit(outsider, Net().genesis.chain_id, b.header.commit.height,
                        b.header.commit.round, b.header.commit.block_hash);
  }
  CheckInvalidAt(Verify(b), "certificate");
  // A duplicated signer does not count twice either.
  ProofBundle dup = c.Bundle(c.id);
  dup.header.commit.sigs[1] = dup.header.commit.sigs[0];
  CheckInvalidAt(Verify(dup), "certificate");
}

TEST_CASE("an inclusion proof for another leaf is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  ProofBundle other = c.Bundle(c.revoked);
  REQUIRE(b.txs.size() == 1);
  SECTION("another transaction with its own valid proof") {
    b.txs[0] = other.txs[0];
    CheckInvalidAt(Verify(b), "inclusion");
  }
  SECTION("the right transaction with another leaf's path and index") {
    b.txs[0].inclusion = other.txs[0].inclusion;
    b.txs[0].log_index = other.txs[0].log_index;
    CheckInvalidAt(Verify(b), "inclusion");
  }
  SECTION("the right transaction at a neighbouring index") {
    b.txs[0].log_index ^= 1;
    CheckInvalidAt(Verify(b), "inclusion");
  }
  SECTION("a missing transaction") {
    b.txs.clear();
    CheckInvalidAt(Verify(b), "inclusion");
  }
}

TEST_CASE("a stale state proof does not verify against a newer header", "[ledger]") {
  Chain c;
  ProofBundle old_bundle = c.Bundle(c.id);
  // Revoked after the bundle was made.
  PendingBlock b6;
  c.chain.Revoke(b6, c.id);
  REQUIRE(c.chain.Commit(b6).ok());
  ProofBundle fresh = c.Bundle(c.id);
  CHECK(Verify(fresh).verdict == Verdict::kRevoked);
  // The old bundle still proves what it proved: ACTIVE as of height 5 ("valid as of").
  ProofVerification as_of = Verify(old_bundle);
  CHECK(as_of.verdict == Verdict::kValid);
  CHECK(as_of.height == 5);
  // Passing the old (ACTIVE) record and its proof off under the new header fails.
  ProofBundle spliced = fresh;
  spliced.material = old_bundle.material;
  spliced.state_proof = old_bundle.state_proof;
  spliced.events = old_bundle.events;
  CheckInvalidAt(Verify(spliced), "state");
  // And the old bundle's proof under the new header and its (valid) certificate.
  ProofBundle old_under_new = old_bundle;
  old_under_new.header = fresh.header;
  CheckInvalidAt(Verify(old_under_new), "state");
}

TEST_CASE("changed events and changed records are INVALID_PROOF at their step", "[ledger]") {
  Chain c;
  SECTION("an event's reason") {
    ProofBundle b = c.Bundle(c.revoked);
    b.events.back().reason = "withdrawn by mistake";
    CheckInvalidAt(Verify(b), "events");
  }
  SECTION("an event left out") {
    ProofBundle b = c.Bundle(c.revoked);
    b.events.pop_back();
    CheckInvalidAt(Verify(b), "events");
  }
  SECTION("the record's status") {
    ProofBundle b = c.Bundle(c.revoked);
    b.material.status = MaterialStatus::kActive;
    CheckInvalidAt(Verify(b), "state");
  }
  SECTION("the record's validity") {
    ProofBundle b = c.Bundle(c.expiring);
    b.material.valid_until_ms += 365 * kDayMs;
    CheckInvalidAt(Verify(b), "state");
  }
}

TEST_CASE("a changed disclosed field is INVALID_PROOF at step fields", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id, {"name", "number"});
  CHECK(Verify(b).verdict == Verdict::kValid);
  SECTION("value") {
    b.disclosed[0].value = "另一家公司";
    CheckInvalidAt(Verify(b), "fields");
  }
  SECTION("name swapped with its neighbour") {
    std::swap(b.disclosed[0].name, b.disclosed[1].name);
    CheckInvalidAt(Verify(b), "fields");
  }
  SECTION("salt") {
    b.disclosed[1].salt[0] ^= 1;
    CheckInvalidAt(Verify(b), "fields");
  }
}

TEST_CASE("disclosure needs the holder's exact fields", "[ledger]") {
  Chain c;
  ProofRequest r;
  r.material_id = c.id;
  r.fields = Receipt();
  r.fields[0].salt[0] ^= 1;
  r.disclose = {"name"};
  CHECK(BuildProofBundle(*c.store, Net().genesis, r).status().code() == "fields_mismatch");
  r.fields = Receipt();
  r.disclose = {"address"};
  CHECK(BuildProofBundle(*c.store, Net().genesis, r).status().code() == "unknown_field");
  r.material_id = "M-none";
  CHECK(BuildProofBundle(*c.store, Net().genesis, r).status().code() == "not_found");
}

TEST_CASE("a bundle checked against another network's genesis is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  // Same chain id and departments, other validators: nothing certifies the header.
  testing::TestNetwork other = testing::MakeNetwork(4);
  other.genesis.departments = Net().genesis.departments;
  ProofVerification v = VerifyProofBundle(other.genesis, b, {});
  CHECK(v.verdict == Verdict::kInvalidProof);
  bool bundle_failed = false;
  bool certificate_failed = false;
  for (const ProofCheck& check : v.checks) {
    bundle_failed |= check.step == "bundle" && !check.ok;
    certificate_failed |= check.step == "certificate" && !check.ok;
  }
  CHECK(bundle_failed);
  CHECK(certificate_failed);
}

TEST_CASE("a validator set the chain never committed to is INVALID_PROOF", "[ledger]") {
  Chain c;
  ProofBundle b = c.Bundle(c.id);
  testing::TestNetwork other = testing::MakeNetwork(4);
  // Claims block 3 switched to other validators, "bound" by block 2's real certificate.
  BundleValidatorSet forged;
  forged.effective_height = 3;
  forged.validators = other.genesis.validators;
  forged.before.header_bytes = c.store->GetBlock(2)->header_bytes;
  forged.before.commit = c.store->GetCommit(2).value();
  b.validator_sets.push_back(forged);
  CheckInvalidAt(Verify(b), "validators");
}

TEST_CASE("a bundle after a validator-set change carries the new set and verifies VALID",
          "[ledger]") {
  TempDir dir;
  auto store = Store::Open(dir.path(), Net().genesis).value();
  ChainBuilder chain(Net(), store.get());
  // Governance at block 2: node0 and node1 leave, node4 and node5 join, effective at 4 — the
  // old quorum (node0..node2) can no longer certify anything from block 4 on.
  std::vector<crypto::PrivateKey> new_keys;
  for (int i = 0; i < 2; ++i)
    new_keys.push_back(crypto::PrivateKey::Generate(Net().genesis.suite).value());
  for (const auto& k : new_keys) chain.AddValidatorKey(&k);
  std::string id;
  {
    PendingBlock b1;
    id = chain.Issue(b1, Net().genesis.genesis_time_ms + 300 * kDayMs);
    REQUIRE(chain.Commit(b1).ok());
    PendingBlock b2;
    Event enact;
    enact.material_id = "P1";
    enact.kind = EventKind::kEnact;
    enact.height = 2;
    enact.time_ms = store->tip_time_ms() + 1000;
    for (int i = 0; i < 2; ++i) {
      ValidatorChange leave;
      leave.effective_height = 4;
      leave.remove = true;
      leave.validator.name = "node" + std::to_string(i);
      leave.proposal_id = "P1";
      enact.records.push_back(PutValidatorChange(leave));
      ValidatorChange join;
      join.effective_height = 4;
      join.validator =
          Validator{"node" + std::to_string(4 + i), "civil",       new_keys[i].public_key(),
                    new_keys[i].public_key(),       "127.0.0.1:1", "127.0.0.1:2"};
      join.proposal_id = "P1";
      enact.records.push_back(PutValidatorChange(join));
    }
    b2.events.push_back(enact);
    REQUIRE(chain.Commit(b2).ok());
    chain.CommitBlocks(3, 1);  // blocks 3, 4, 5
  }
  REQUIRE(store->height() == 5);
  ProofRequest r;
  r.material_id = id;
  ProofBundle b = BuildProofBundle(*store, Net().genesis, r).value();
  REQUIRE(b.validator_sets.size() == 1);
  CHECK(b.validator_sets[0].effective_height == 4);
  CHECK(b.validator_sets[0].validators.size() == 4);
  ProofVerification v = Verify(b);
  INFO(FirstFailure(v));
  CHECK(v.verdict == Verdict::kValid);
  CHECK(VerifyProofBundleJson(Net().genesis, ProofBundleToJson(b), {}).verdict == Verdict::kValid);

  SECTION("without the change the header is not certified by the genesis set") {
    b.validator_sets.clear();
    CheckInvalidAt(Verify(b), "certificate");
  }
  SECTION("a key of the new set replaced") {
    b.validator_sets[0].validators[3].key = Net().genesis.validators[0].key;
    CheckInvalidAt(Verify(b), "validators");
  }
  SECTION("the new set bound by a header the old set did not certify") {
    b.validator_sets[0].before.commit.sigs.pop_back();
    CheckInvalidAt(Verify(b), "validators");
  }
}

TEST_CASE("a bundle on an sm (SM2/SM3) network verifies VALID and not under p256", "[ledger]") {
  testing::TestNetwork sm = testing::MakeNetwork(4, crypto::Suite::kSm);
  TempDir dir;
  auto store = Store::Open(dir.path(), sm.genesis).value();
  ChainBuilder chain(sm, store.get());
  PendingBlock b1;
  const std::string id = chain.Issue(b1, sm.genesis.genesis_time_ms + 300 * kDayMs);
  REQUIRE(chain.Commit(b1).ok());
  chain.CommitBlocks(2, 1);
  ProofRequest r;
  r.material_id = id;
  const std::string text = ProofBundleToJson(BuildProofBundle(*store, sm.genesis, r).value());
  VerifyOptions o;
  o.document_digest = crypto::Hash(crypto::Suite::kSm, "document " + id);
  ProofVerification v = VerifyProofBundleJson(sm.genesis, text, o);
  INFO(FirstFailure(v));
  CHECK(v.verdict == Verdict::kValid);
  Genesis p256 = sm.genesis;
  p256.suite = crypto::Suite::kP256;
  CHECK(VerifyProofBundleJson(p256, text, {}).verdict == Verdict::kInvalidProof);
}

TEST_CASE("bundle JSON parsing is strict", "[ledger]") {
  Chain c;
  const std::string text = ProofBundleToJson(c.Bundle(c.id));
  auto edit = [&text](const std::string& from, const std::string& to) {
    std::string t = text;
    const size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    t.replace(at, from.size(), to);
    return ProofBundleFromJson(t);
  };
  CHECK(edit("\"format\"", "\"formats\"").status().code() == "bad_bundle");
  CHECK(edit("\"chain_id\"", "\"extra\": 1, \"chain_id\"").status().code() == "bad_bundle");
  // The top-level members are indented by one space.
  CHECK(edit("\n \"height\": 5", "\n \"height\": 4").status().code() == "bad_bundle");
  CHECK(edit("\n \"height\": 5", "\n \"height\": \"5\"").status().code() == "bad_bundle");
  CHECK(edit(R"("status": "ACTIVE")", R"("status": "VALID")").status().code() == "bad_bundle");
  CHECK(edit(R"("status": "ACTIVE")", R"("status": "active")").status().code() == "bad_bundle");
  CHECK(ProofBundleFromJson("[]").status().code() == "bad_bundle");
  CHECK(ProofBundleFromJson("{").status().code() == "bad_bundle");
  // Upper-case hex would be a second spelling of the same bytes.
  const ProofBundle b = ProofBundleFromJson(text).value();
  const std::string digest_hex = HexEncode(b.material.doc_digest);
  std::string upper = digest_hex;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  REQUIRE(upper != digest_hex);
  CHECK(edit(digest_hex, upper).status().code() == "bad_bundle");
}

TEST_CASE("any changed byte of a bundle's JSON keeps it from verifying VALID", "[ledger]") {
  Chain c;
  const std::string text = ProofBundleToJson(c.Bundle(c.id, {"name"}));
  std::mt19937_64 rng(2024);
  // Every position would take minutes (signature checks); a seeded sample covers all sections.
  for (int i = 0; i < 150; ++i) {
    std::string t = text;
    const size_t at = rng() % t.size();
    const uint8_t mask = static_cast<uint8_t>(1u << (rng() % 7));
    t[at] = static_cast<char>(static_cast<uint8_t>(t[at]) ^ mask);
    // Changing a JSON whitespace byte into other whitespace does not change the bundle.
    const std::string ws = " \n\t\r";
    if (ws.find(text[at]) != std::string::npos && ws.find(t[at]) != std::string::npos) continue;
    ProofVerification v = VerifyProofBundleJson(Net().genesis, t, {});
    INFO("byte " << at << " ('" << text[at] << "') xor " << int(mask) << ": " << FirstFailure(v));
    CHECK(v.verdict != Verdict::kValid);
  }
}

}  // namespace
}  // namespace govledger::ledger

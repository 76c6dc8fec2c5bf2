// Contract evidence bundles (ledger/proof_contract.h) and registry proofs in material bundles
// (ledger/proof.h), on chains the real executor and rule contracts build: a contract created by a
// department and signed by two parties, amended and signed again; a department and a material
// type added by governance, and a material that department issues. Every adversarial edit must
// keep the bundle from verifying and name the failing step.
#include <catch2/catch.hpp>
#include <filesystem>

#include "contracts/material_id.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"
#include "node/executor.h"

using namespace govledger;

namespace {

constexpr int64_t kDayMs = 86'400'000;
const char* kSamrCode = "11440305MB2C16598T";
const char* kHealthCode = "12440305MB2C16598X";

crypto::PrivateKey NewKey() { return crypto::PrivateKey::Generate(crypto::Suite::kP256).value(); }

// A 4-validator chain whose blocks are built by the executor and certified by 3 validators.
struct Chain {
  Chain() {
    dir = (std::filesystem::temp_directory_path() /
           ("govledger-proofb-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)))
              .string();
    std::filesystem::remove_all(dir);
    genesis.chain_id = "proof-test";
    genesis.genesis_time_ms = 1'700'000'000'000;
    for (int i = 0; i < 4; ++i) {
      validators.push_back(NewKey());
      ledger::Validator v;
      v.name = "node" + std::to_string(i);
      v.department = "samr";
      v.key = validators.back().public_key();
      v.tls_key = validators.back().public_key();
      v.p2p_address = "127.0.0.1:1";
      v.api_address = "127.0.0.1:2";
      genesis.validators.push_back(v);
    }
    genesis.departments.push_back(
        {"samr", "区市场监督管理局", "", kSamrCode, {"provider", "validator"}, samr.public_key()});
    genesis.departments.push_back(
        {"dsj", "区政务服务数据管理局", "", "11440305MB2C1659XK", {"consumer"}, dsj.public_key()});
    ledger::MaterialType t;
    t.code = "BIZLIC";
    t.name = "营业执照";
    t.category = "license";
    t.issuers = {"samr"};
    t.max_validity_ms = 365 * kDayMs;
    genesis.material_types.push_back(t);
    store = ledger::Store::Open(dir, genesis).value();
    registry = std::make_unique<contracts::Registry>(genesis);
    executor = std::make_unique<node::Executor>(genesis, *store, *registry);
    time_ms = genesis.genesis_time_ms;
  }
  ~Chain() {
    store.reset();
    std::filesystem::remove_all(dir);
  }

  ledger::Tx Tx(const crypto::PrivateKey& key, ledger::TxPayload payload) {
    ledger::TxBody body;
    body.chain_id = genesis.chain_id;
    body.nonce = ++nonce;
    body.valid_until_height = store->height() + 100;
    body.payload = std::move(payload);
    return ledger::SignTx(key, body);
  }

  // Builds, checks every tx applied, certifies with 3 of 4 validators and commits.
  void Block(const std::vector<ledger::Tx>& txs) {
    std::vector<const ledger::Tx*> ptrs;
    for (const auto& t : txs) ptrs.push_back(&t);
    time_ms += 1000;
    auto built = executor->Build(ptrs, time_ms, validators[0].public_key());
    for (const auto& o : built.outcomes) {
      INFO(o.status.ToString());
      REQUIRE(o.status.ok());
    }
    auto& w = built.write;
    const uint64_t h = w.block.header.height;
    const Bytes hash = crypto::DigestBytes(w.block_hash);
    w.commit = {h, 0, hash, {}};
    for (int i = 0; i < 3; ++i) {
      w.commit.sigs.push_back(ledger::SignPrecommit(validators[i], genesis.chain_id, h, 0, hash));
    }
    REQUIRE(store->CommitBlock(w).ok());
  }

  std::string CreateContract(const std::string& doc, const std::string& prev) {
    ledger::CreateContract c;
    c.doc_digest = crypto::DigestBytes(crypto::Hash(genesis.suite, doc));
    c.parties = {samr.public_key(), tenant.public_key()};
    c.sign_deadline_ms = time_ms + 7 * kDayMs;
    c.prev_contract = prev;
    c.title = "房屋租赁合同";
    ledger::Tx tx = Tx(dsj, c);
    Block({tx});
    return crypto::DigestHex(tx.hash);
  }

  void SignBoth(const std::string& id, const std::string& doc) {
    const Bytes digest = crypto::DigestBytes(crypto::Hash(genesis.suite, doc));
    Block({Tx(samr, ledger::SignContract{id, digest})});
    Block({Tx(tenant, ledger::SignContract{id, digest})});
  }

  // Governance (samr proposes, dsj approves) adds department health, then type BIRTHMED that
  // health issues.
  void AddHealthByGovernance() {
    ledger::GovernanceChange d;
    d.kind = ledger::ChangeKind::kSetDepartment;
    d.department = {"health", "区卫生健康局", "", kHealthCode, {"provider"}, health.public_key()};
    Block({Tx(samr, ledger::ProposeChange{d, store->height() + 20, "区政府常务会议决定"})});
    Block({Tx(dsj, ledger::ApproveProposal{"P" + std::to_string(++proposals)})});
    ledger::GovernanceChange t;
    t.kind = ledger::ChangeKind::kSetMaterialType;
    t.material_type.code = "BIRTHMED";
    t.material_type.name = "出生医学证明";
    t.material_type.category = "certificate";
    t.material_type.issuers = {"health"};
    Block({Tx(samr, ledger::ProposeChange{t, store->height() + 20, "新增证照类型"})});
    Block({Tx(dsj, ledger::ApproveProposal{"P" + std::to_string(++proposals)})});
  }

  std::string IssueBirth(const std::string& serial) {
    ledger::IssueMaterial m;
    m.material_id = *contracts::MakeMaterialId({"BIRTHMED", kHealthCode, serial, "001"});
    m.type_code = "BIRTHMED";
    m.holder_commitment.assign(32, 1);
    m.doc_digest = crypto::DigestBytes(crypto::Hash(genesis.suite, "birth " + serial));
    m.fields_root = crypto::DigestBytes(crypto::MerkleEmptyRoot(genesis.suite));
    m.valid_from_ms = genesis.genesis_time_ms;
    m.valid_until_ms = time_ms + 100 * kDayMs;
    Block({Tx(health, m)});
    return m.material_id;
  }

  ledger::ProofBundle MaterialBundle(const std::string& id) {
    ledger::ProofRequest r;
    r.material_id = id;
    return ledger::BuildProofBundle(*store, genesis, r).value();
  }

  static inline int counter = 0;
  std::string dir;
  std::vector<crypto::PrivateKey> validators;
  crypto::PrivateKey samr = NewKey(), dsj = NewKey(), tenant = NewKey(), health = NewKey();
  ledger::Genesis genesis;
  std::unique_ptr<ledger::Store> store;
  std::unique_ptr<contracts::Registry> registry;
  std::unique_ptr<node::Executor> executor;
  int64_t time_ms = 0;
  uint64_t nonce = 0;
  int proposals = 0;
};

std::string FirstFailure(const std::vector<ledger::ProofCheck>& checks) {
  for (const auto& c : checks) {
    if (!c.ok) return c.step + ": " + c.detail;
  }
  return "";
}

bool StepFailed(const std::vector<ledger::ProofCheck>& checks, const std::string& step) {
  for (const auto& c : checks) {
    if (c.step == step && !c.ok) return true;
  }
  return false;
}

// A contract signed by both parties (v1), then amended (v2) and signed again.
struct ContractChain : Chain {
  ContractChain() {
    v1 = CreateContract("lease v1", "");
    SignBoth(v1, "lease v1");
    v2 = CreateContract("lease v2", v1);
    SignBoth(v2, "lease v2");
    Block({});
    bundle = ledger::BuildContractBundle(*store, genesis, v1).value();
  }
  ledger::ContractVerification Verify(const std::string& doc) {
    return ledger::VerifyContractBundle(genesis, bundle,
                                        crypto::Hash(genesis.suite, doc));
  }
  void CheckInvalidAt(const std::string& step) {
    ledger::ContractVerification v = Verify("lease v2");
    INFO(FirstFailure(v.checks));
    CHECK(v.verdict == ledger::ContractVerdict::kInvalidProof);
    CHECK(StepFailed(v.checks, step));
  }
  std::string v1, v2;
  ledger::ContractBundle bundle;
};

size_t SignTxIndex(const ledger::ContractBundle& b, const crypto::PublicKey& signer) {
  for (size_t i = 0; i < b.txs.size(); ++i) {
    auto tx = ledger::DecodeTx(crypto::Suite::kP256, b.txs[i].raw, 1 << 20).value();
    if (std::holds_alternative<ledger::SignContract>(tx.body.payload) && tx.signer == signer) {
      return i;
    }
  }
  FAIL("no sign tx of that signer");
  return 0;
}

}  // namespace

TEST_CASE("a contract bundle proves who signed the file's version, offline", "[proof]") {
  ContractChain c;
  REQUIRE(c.bundle.versions.size() == 2);
  ledger::ContractVerification v = c.Verify("lease v2");
  INFO(FirstFailure(v.checks));
  CHECK(v.verdict == ledger::ContractVerdict::kSigned);
  CHECK(v.contract_id == c.v2);
  CHECK(v.version == 2);
  CHECK(v.version_count == 2);
  REQUIRE(v.signers.size() == 2);
  CHECK(v.signers[0].who == "department samr (区市场监督管理局)");
  CHECK(v.signers[1].who.rfind("party ", 0) == 0);
  for (const char* step : {"bundle", "validators", "certificate", "state", "registry", "versions",
                           "events", "inclusion", "creator", "signatures", "document", "status"}) {
    bool seen = false;
    for (const auto& check : v.checks) seen |= check.step == step && check.ok;
    INFO(step);
    CHECK(seen);
  }
  // The JSON form verifies the same, and any version's id gives the same history.
  const std::string json = ledger::ContractBundleToJson(c.bundle);
  CHECK(ledger::VerifyContractBundleJson(c.genesis, json, crypto::Hash(c.genesis.suite, "lease v2"))
            .verdict == ledger::ContractVerdict::kSigned);
  auto from_v2 = ledger::BuildContractBundle(*c.store, c.genesis, c.v2).value();
  CHECK(ledger::ContractBundleToJson(from_v2) == json);
}

TEST_CASE("a superseded version and a file of no version get their contract verdicts",
          "[proof]") {
  ContractChain c;
  ledger::ContractVerification old = c.Verify("lease v1");
  CHECK(old.verdict == ledger::ContractVerdict::kSuperseded);
  CHECK(old.version == 1);
  ledger::ContractVerification other = c.Verify("lease v3");
  CHECK(other.verdict == ledger::ContractVerdict::kTampered);
  CHECK(StepFailed(other.checks, "document"));
}

TEST_CASE("an unknown contract id has no bundle", "[proof]") {
  Chain c;
  c.Block({});
  auto b = ledger::BuildContractBundle(*c.store, c.genesis, std::string(64, 'a'));
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().code() == "not_found");
}

TEST_CASE("contract bundles with a wrong or short certificate are INVALID_PROOF", "[proof]") {
  ContractChain c;
  SECTION("another block's certificate") {
    c.bundle.header.commit = c.store->GetCommit(c.store->height() - 1).value();
    c.CheckInvalidAt("certificate");
  }
  SECTION("too few signatures") {
    c.bundle.header.commit.sigs.resize(2);
    c.CheckInvalidAt("certificate");
  }
  SECTION("signed by keys that are not validators") {
    auto header = ledger::DecodeHeader(c.bundle.header.header_bytes).value();
    c.bundle.header.commit.sigs.clear();
    for (int i = 0; i < 3; ++i) {
      c.bundle.header.commit.sigs.push_back(ledger::SignPrecommit(
          NewKey(), c.genesis.chain_id, header.height, 0, c.bundle.header.commit.block_hash));
    }
    c.CheckInvalidAt("certificate");
  }
  SECTION("checked against another network's genesis") {
    ledger::Genesis other = c.genesis;
    other.validators[0].key = NewKey().public_key();
    ledger::ContractVerification v = ledger::VerifyContractBundle(
        other, c.bundle, crypto::Hash(c.genesis.suite, "lease v2"));
    CHECK(v.verdict == ledger::ContractVerdict::kInvalidProof);
    CHECK(StepFailed(v.checks, "bundle"));
  }
}

TEST_CASE("contract bundles with edited transactions are INVALID_PROOF at the named step",
          "[proof]") {
  ContractChain c;
  SECTION("an inclusion proof for another leaf") {
    std::swap(c.bundle.txs[0].log_index, c.bundle.txs[1].log_index);
    c.CheckInvalidAt("inclusion");
  }
  SECTION("a signer's signature swapped for the other signer's") {
    const size_t a = SignTxIndex(c.bundle, c.samr.public_key());
    const size_t b = SignTxIndex(c.bundle, c.tenant.public_key());
    auto ta = ledger::DecodeTx(c.genesis.suite, c.bundle.txs[a].raw, 1 << 20).value();
    auto tb = ledger::DecodeTx(c.genesis.suite, c.bundle.txs[b].raw, 1 << 20).value();
    c.bundle.txs[a].raw = ledger::EncodeSignedTx(ta.body_bytes, ta.signer, tb.signature);
    c.CheckInvalidAt("inclusion");
  }
  SECTION("a sign transaction left out") {
    c.bundle.txs.erase(c.bundle.txs.begin() +
                       static_cast<long>(SignTxIndex(c.bundle, c.tenant.public_key())));
    c.CheckInvalidAt("inclusion");
  }
}

TEST_CASE("contract bundles with a version dropped or edited are INVALID_PROOF", "[proof]") {
  ContractChain c;
  SECTION("the first version dropped") {
    c.bundle.versions.erase(c.bundle.versions.begin());
    c.CheckInvalidAt("versions");
  }
  SECTION("the latest version dropped: the file's version is no longer the last word") {
    c.bundle.versions.pop_back();
    ledger::ContractVerification v = c.Verify("lease v1");
    CHECK(v.verdict == ledger::ContractVerdict::kInvalidProof);
    CHECK(StepFailed(v.checks, "versions"));
  }
  SECTION("the versions in the wrong order") {
    std::swap(c.bundle.versions[0], c.bundle.versions[1]);
    c.CheckInvalidAt("versions");
  }
  SECTION("a record byte changed") {
    c.bundle.versions[1].record.back() ^= 1;
    c.CheckInvalidAt("state");
  }
  SECTION("a SIGN event dropped") {
    c.bundle.versions[1].events.pop_back();
    c.CheckInvalidAt("events");
  }
  SECTION("the registry's proof of no proposals left out") {
    c.bundle.registry = {};
    c.CheckInvalidAt("registry");
  }
}

TEST_CASE("any changed byte of a contract bundle's JSON keeps it from verifying SIGNED",
          "[proof]") {
  ContractChain c;
  const std::string json = ledger::ContractBundleToJson(c.bundle);
  const crypto::Digest doc = crypto::Hash(c.genesis.suite, "lease v2");
  // Every 97th byte, flipped one bit (a full sweep is in the material bundle tests).
  for (size_t i = 0; i < json.size(); i += 97) {
    std::string edited = json;
    edited[i] = static_cast<char>(edited[i] ^ 0x01);
    ledger::ContractVerification v = ledger::VerifyContractBundleJson(c.genesis, edited, doc);
    INFO("byte " << i << ": " << FirstFailure(v.checks));
    CHECK(v.verdict != ledger::ContractVerdict::kSigned);
    if (v.verdict != ledger::ContractVerdict::kSigned) CHECK_FALSE(FirstFailure(v.checks).empty());
  }
}

TEST_CASE("a material of a department added by governance verifies VALID with its registry",
          "[proof]") {
  Chain c;
  c.AddHealthByGovernance();
  const std::string id = c.IssueBirth("000000000001");
  c.Block({});
  ledger::ProofBundle b = c.MaterialBundle(id);
  CHECK(b.registry.proposal_count == 2);
  REQUIRE(b.registry.proposals.size() == 2);
  ledger::VerifyOptions o;
  o.document_digest = crypto::Hash(c.genesis.suite, "birth 000000000001");
  ledger::ProofVerification v = ledger::VerifyProofBundle(c.genesis, b, o);
  INFO(FirstFailure(v.checks));
  CHECK(v.verdict == ledger::Verdict::kValid);
  CHECK(ledger::VerifyProofBundleJson(c.genesis, ledger::ProofBundleToJson(b), o).verdict ==
        ledger::Verdict::kValid);

  auto invalid_at = [&](const ledger::ProofBundle& edited, const std::string& step) {
    ledger::ProofVerification r = ledger::VerifyProofBundle(c.genesis, edited, o);
    INFO(FirstFailure(r.checks));
    CHECK(r.verdict == ledger::Verdict::kInvalidProof);
    CHECK(StepFailed(r.checks, step));
    CHECK(StepFailed(r.checks, "issuer"));
  };
  SECTION("a registry entry edited") {
    auto p = ledger::DecodeProposal(b.registry.proposals[0].record).value();
    p.change.department.key = c.samr.public_key();
    b.registry.proposals[0].record = ledger::EncodeProposal(p);
    invalid_at(b, "registry");
  }
  SECTION("a proposal left out") {
    b.registry.proposals.pop_back();
    b.registry.proposal_count = 1;
    invalid_at(b, "registry");
  }
  SECTION("no registry at all: the department is unknown") {
    b.registry = {};
    invalid_at(b, "registry");
  }
  SECTION("a stale registry from before a later proposal") {
    ledger::ProofBundle before = b;
    ledger::GovernanceChange d;
    d.kind = ledger::ChangeKind::kSetDepartment;
    d.department = {"health", "区卫生健康委员会", "", kHealthCode, {"provider"},
                    c.health.public_key()};
    c.Block({c.Tx(c.samr, ledger::ProposeChange{d, c.store->height() + 20, "更名"})});
    ledger::ProofBundle after = c.MaterialBundle(id);
    CHECK(ledger::VerifyProofBundle(c.genesis, after, o).verdict == ledger::Verdict::kValid);
    after.registry = before.registry;
    invalid_at(after, "registry");
  }
}

TEST_CASE("a department's rights are judged as of the issuing block", "[proof]") {
  Chain c;
  c.AddHealthByGovernance();
  const std::string id = c.IssueBirth("000000000002");
  // Later governance takes the provider role away: the material stays proven.
  ledger::GovernanceChange d;
  d.kind = ledger::ChangeKind::kSetDepartment;
  d.department = {"health", "区卫生健康局", "", kHealthCode, {"consumer"}, c.health.public_key()};
  c.Block({c.Tx(c.samr, ledger::ProposeChange{d, c.store->height() + 20, "职能调整"})});
  c.Block({c.Tx(c.dsj, ledger::ApproveProposal{"P3"})});
  c.Block({});
  ledger::ProofVerification v = ledger::VerifyProofBundle(c.genesis, c.MaterialBundle(id), {});
  INFO(FirstFailure(v.checks));
  CHECK(v.verdict == ledger::Verdict::kValid);
}

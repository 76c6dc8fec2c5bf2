#include "node/executor.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "contracts/material_id.h"
#include "contracts/reasons.h"
#include "ledger/codec.h"
#include "ledger/commit.h"

using namespace govledger;

namespace {

struct Fixture {
  Fixture() {
    dir = (std::filesystem::temp_directory_path() /
           ("govledger-exec-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)))
              .string();
    std::filesystem::remove_all(dir);
    genesis.chain_id = "exec-test";
    genesis.genesis_time_ms = 1'700'000'000'000;
    ledger::Validator v;
    v.name = "node0";
    v.department = "samr";
    v.key = validator.public_key();
    v.tls_key = validator.public_key();
    v.p2p_address = "127.0.0.1:1";
    v.api_address = "127.0.0.1:2";
    genesis.validators.push_back(v);
    ledger::Department d;
    d.id = "samr";
    d.name = "区市场监督管理局";
    d.code = "11440305MB2C16598T";
    d.roles = {"provider", "validator"};
    d.key = samr.public_key();
    genesis.departments.push_back(d);
    ledger::MaterialType t;
    t.code = "BIZLIC";
    t.name = "营业执照";
    t.category = "license";
    t.issuers = {"samr"};
    t.required_fields = {"entity_name"};
    t.max_validity_ms = 365LL * 86'400'000;
    genesis.material_types.push_back(t);
    auto s = ledger::Store::Open(dir, genesis);
    REQUIRE(s.ok());
    store = std::move(*s);
    registry = std::make_unique<contracts::Registry>(genesis);
    executor = std::make_unique<node::Executor>(genesis, *store, *registry);
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }

  ledger::Tx Issue(const std::string& serial, int64_t valid_until_ms) {
    ledger::IssueMaterial m;
    m.material_id = *contracts::MakeMaterialId({"BIZLIC", "11440305MB2C16598T", serial, "001"});
    m.type_code = "BIZLIC";
    m.holder_commitment.assign(32, 1);
    m.doc_digest.assign(32, 2);
    m.fields_root.assign(32, 3);
    m.field_names = {"entity_name"};
    m.valid_from_ms = genesis.genesis_time_ms;
    m.valid_until_ms = valid_until_ms;
    ledger::TxBody body;
    body.chain_id = genesis.chain_id;
    body.nonce = std::hash<std::string>{}(serial);
    body.valid_until_height = 100;
    body.payload = m;
    return ledger::SignTx(samr, body);
  }

  // Starts over with an empty store of another fixture's genesis (a second node of its chain).
  void UseGenesis(const ledger::Genesis& other) {
    executor.reset();
    registry.reset();
    store.reset();
    std::filesystem::remove_all(dir);
    genesis = other;
    store = std::move(ledger::Store::Open(dir, genesis).value());
    registry = std::make_unique<contracts::Registry>(genesis);
    executor = std::make_unique<node::Executor>(genesis, *store, *registry);
  }

  Status Commit(node::BuiltBlock& built) {
    auto& w = built.write;
    Bytes hash = crypto::DigestBytes(w.block_hash);
    w.commit = {w.block.header.height, 0, hash,
                {ledger::SignPrecommit(validator, genesis.chain_id, w.block.header.height, 0, hash)}};
    return store->CommitBlock(w);
  }

  static inline int counter = 0;
  std::string dir;
  crypto::PrivateKey validator = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  crypto::PrivateKey samr = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  ledger::Genesis genesis;
  std::unique_ptr<ledger::Store> store;
  std::unique_ptr<contracts::Registry> registry;
  std::unique_ptr<node::Executor> executor;
};

}  // namespace

TEST_CASE("executor includes valid transactions and leaves rejected ones out with a reason",
          "[node]") {
  Fixture f;
  int64_t t = f.genesis.genesis_time_ms + 1000;
  ledger::Tx a = f.Issue("1", t + 86'400'000);
  ledger::Tx dup = f.Issue("1", t + 86'400'000);
  ledger::Tx b = f.Issue("2", t + 86'400'000);
  dup.hash[0] ^= 1;  // a distinct transaction issuing the same material id
  auto built = f.executor->Build({&a, &dup, &b}, t, f.validator.public_key());
  REQUIRE(built.outcomes.size() == 3);
  REQUIRE(built.outcomes[0].status.ok());
  REQUIRE(built.outcomes[1].status.code() == contracts::reason::kDuplicate);
  REQUIRE(built.outcomes[2].status.ok());
  REQUIRE(built.write.block.txs.size() == 2);
  REQUIRE(built.write.block.header.tx_count == 2);
  REQUIRE(built.write.block.header.log_size == 2);
  REQUIRE(built.outcomes[2].location.log_index == 1);
  REQUIRE(f.Commit(built).ok());
  REQUIRE(f.store->height() == 1);
  REQUIRE(f.store->GetMaterial(std::get<ledger::IssueMaterial>(a.body.payload).material_id));
}

TEST_CASE("executor expires due materials before applying the block's transactions", "[node]") {
  Fixture f;
  int64_t t = f.genesis.genesis_time_ms + 1000;
  ledger::Tx a = f.Issue("7", t + 5000);
  auto b1 = f.executor->Build({&a}, t, f.validator.public_key());
  REQUIRE(f.Commit(b1).ok());
  auto b2 = f.executor->Build({}, t + 5000, f.validator.public_key());
  REQUIRE(b2.expired == 1);
  REQUIRE(f.Commit(b2).ok());
  auto m = f.store->GetMaterial(std::get<ledger::IssueMaterial>(a.body.payload).material_id);
  REQUIRE(m);
  REQUIRE(m->status == ledger::MaterialStatus::kExpired);
  REQUIRE(f.store->height() == 2);
  // The second block links to the first and carries its certificate.
  auto block2 = f.store->GetBlock(2);
  REQUIRE(block2.ok());
  REQUIRE(block2->last_commit.has_value());
  auto block1 = f.store->GetBlock(1);
  REQUIRE(block1.ok());
  REQUIRE(block2->header.prev_hash ==
          crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, block1->header_bytes)));
}

TEST_CASE("a block whose transactions were pre-verified by hash executes without verifying them "
          "again, and one that was not is verified",
          "[node]") {
  Fixture proposer;
  int64_t t = proposer.genesis.genesis_time_ms + 1000;
  ledger::Tx a = proposer.Issue("11", t + 86'400'000);
  ledger::Tx b = proposer.Issue("12", t + 86'400'000);
  auto built = proposer.executor->Build({&a, &b}, t, proposer.validator.public_key());
  REQUIRE(built.write.block.txs.size() == 2);

  // A second executor over its own store of the same genesis, as a syncing node.
  Fixture follower;
  follower.UseGenesis(proposer.genesis);
  follower.executor->MarkVerifiedRaw(crypto::Hash(crypto::Suite::kP256, a.raw));
  auto executed = follower.executor->Execute(built.write.block);
  REQUIRE(executed.ok());
  REQUIRE(follower.executor->verify_stats().cached == 1);
  REQUIRE(follower.executor->verify_stats().verified == 1);
}

TEST_CASE("a block embedding its parent's stored certificate executes, and one whose embedded "
          "certificate carries a forged signature is refused at the certificate",
          "[node]") {
  Fixture f;
  int64_t t = f.genesis.genesis_time_ms + 1000;
  ledger::Tx a = f.Issue("21", t + 86'400'000);
  auto b1 = f.executor->Build({&a}, t, f.validator.public_key());
  REQUIRE(f.Commit(b1).ok());
  ledger::Tx b = f.Issue("22", t + 86'400'000);
  auto b2 = f.executor->Build({&b}, t + 1000, f.validator.public_key());
  ledger::Block block = b2.write.block;
  REQUIRE(block.last_commit.has_value());
  REQUIRE(f.executor->Execute(block).ok());

  block.last_commit->sigs[0].signature.back() ^= 0x01;
  auto forged = f.executor->Execute(block);
  REQUIRE_FALSE(forged.ok());
  REQUIRE(forged.status().code() == "bad_block");
  REQUIRE(forged.status().message().find("certificate of the previous block") != std::string::npos);
  REQUIRE(forged.status().message().find("bad_commit_signature") != std::string::npos);
}

#include "tests/fuzz/dev_chain.h"

#include <memory>

#include "contracts/material_id.h"
#include "contracts/registry.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/executor.h"
#include "node/network_init.h"
#include "tests/fuzz/fuzz_util.h"

namespace govledger::fuzz {

namespace {

constexpr int64_t kGenesisMs = 1'700'000'000'000;
constexpr std::string_view kSamrCode = "11440305MB2C16598T";

ledger::Tx Issue(const crypto::PrivateKey& samr, const std::string& chain_id, int serial) {
  ledger::IssueMaterial m;
  auto id = contracts::MakeMaterialId(
      {"BIZLIC", std::string(kSamrCode), "FZ" + std::to_string(1000 + serial), "001"});
  FUZZ_CHECK(id.ok());
  m.material_id = *id;
  m.type_code = "BIZLIC";
  m.holder_commitment.assign(32, static_cast<uint8_t>(serial));
  m.doc_digest.assign(32, static_cast<uint8_t>(0x40 + serial));
  m.fields_root.assign(32, 3);
  m.field_names = {"address", "business_scope", "entity_name", "legal_representative"};
  m.valid_from_ms = kGenesisMs;
  m.valid_until_ms = kGenesisMs + 365LL * 86'400'000;
  ledger::TxBody body;
  body.chain_id = chain_id;
  body.nonce = 7000 + static_cast<uint64_t>(serial);
  body.valid_until_height = 5000;
  body.created_ms = kGenesisMs;
  body.payload = m;
  return ledger::SignTx(samr, body);
}

}  // namespace

DevChain MakeDevChain(const std::string& dir) {
  DevChain out;
  out.home = dir;
  auto spec = node::ParseNetworkToml(node::EmbeddedDevNetworkToml(), "dev");
  FUZZ_CHECK(spec.ok());
  node::InitOptions opts;
  opts.out_dir = dir;
  opts.flat = true;
  opts.genesis_time_ms = kGenesisMs;
  auto genesis = node::InitNetwork(*spec, opts);
  FUZZ_CHECK(genesis.ok());
  auto config = node::LoadNodeConfig(dir);
  FUZZ_CHECK(config.ok());
  auto samr = crypto::PrivateKey::LoadPemFile(genesis->suite, dir + "/keys/samr.pem");
  auto validator =
      crypto::PrivateKey::LoadPemFile(genesis->suite, config->Path(config->validator_key_file));
  FUZZ_CHECK(samr.ok() && validator.ok());

  auto store = ledger::Store::Open(config->Path(config->data_dir), *genesis);
  FUZZ_CHECK(store.ok());
  contracts::Registry registry(*genesis);
  node::Executor executor(*genesis, **store, registry);

  auto commit = [&](std::vector<ledger::Tx> txs, int64_t time_ms) {
    std::vector<const ledger::Tx*> candidates;
    for (const auto& t : txs) candidates.push_back(&t);
    node::BuiltBlock built = executor.Build(candidates, time_ms, validator->public_key());
    for (const auto& o : built.outcomes) {
      if (!o.status.ok()) std::fprintf(stderr, "dev chain: %s\n", o.status.ToString().c_str());
      FUZZ_CHECK(o.status.ok());
    }
    auto& w = built.write;
    const Bytes hash = crypto::DigestBytes(w.block_hash);
    w.commit = {
        w.block.header.height,
        0,
        hash,
        {ledger::SignPrecommit(*validator, genesis->chain_id, w.block.header.height, 0, hash)}};
    FUZZ_CHECK((*store)->CommitBlock(w).ok());
    for (auto& t : txs) out.txs.push_back(std::move(t));
  };

  std::vector<ledger::Tx> first;
  for (int i = 1; i <= 3; ++i) {
    first.push_back(Issue(*samr, genesis->chain_id, i));
    out.material_ids.push_back(
        std::get<ledger::IssueMaterial>(first.back().body.payload).material_id);
  }
  commit(std::move(first), kGenesisMs + 1000);

  ledger::TxBody revoke;
  revoke.chain_id = genesis->chain_id;
  revoke.nonce = 8001;
  revoke.valid_until_height = 5000;
  revoke.created_ms = kGenesisMs + 1500;
  revoke.payload = ledger::RevokeMaterial{out.material_ids[0], "吊销"};
  commit({ledger::SignTx(*samr, revoke)}, kGenesisMs + 2000);

  // An e-contract samr records and signs as its one party.
  ledger::CreateContract contract;
  contract.doc_digest.assign(32, 0x77);
  contract.parties = {samr->public_key()};
  contract.sign_deadline_ms = kGenesisMs + 86'400'000;
  contract.title = "fuzz contract";
  ledger::TxBody create = revoke;
  create.nonce = 8101;
  create.created_ms = kGenesisMs + 2500;
  create.payload = contract;
  ledger::Tx created = ledger::SignTx(*samr, create);
  out.contract_id = crypto::DigestHex(created.hash);
  commit({created}, kGenesisMs + 3000);
  ledger::TxBody sign = create;
  sign.nonce = 8102;
  sign.payload = ledger::SignContract{out.contract_id, contract.doc_digest};
  commit({ledger::SignTx(*samr, sign)}, kGenesisMs + 4000);

  out.pending = Issue(*samr, genesis->chain_id, 9);
  return out;
}

}  // namespace govledger::fuzz

#include "tests/unit/ledger/chain_fixture.h"

#include <leveldb/db.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "crypto/merkle.h"
#include "crypto/smt.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "ledger/state_tree.h"

namespace govledger::ledger::testing {

namespace {

crypto::PrivateKey NewKey(crypto::Suite suite) {
  return crypto::PrivateKey::Generate(suite).value();
}

}  // namespace

TestNetwork MakeNetwork(size_t validators, crypto::Suite suite) {
  TestNetwork net;
  Genesis& g = net.genesis;
  g.chain_id = "test-chain";
  g.suite = suite;
  g.genesis_time_ms = 1'700'000'000'000;

  struct DeptSpec {
    const char* id;
    const char* name;
    const char* name_en;
    const char* code;
    std::vector<std::string> roles;
  };
  const std::vector<DeptSpec> depts = {
      {"civil", "区民政局", "Civil Affairs Bureau", "11440305MB2C12345X", {"provider", "consumer"}},
      {"market",
       "区市场监督管理局",
       "Market Regulation",
       "11440305MB2C23456Y",
       {"provider", "regulator"}},
      {"edu", "区教育局", "Education Bureau", "11440305MB2C34567Z", {"consumer"}},
  };
  for (const DeptSpec& d : depts) {
    net.department_keys.push_back(NewKey(suite));
    g.departments.push_back(Department{d.id, d.name, d.name_en, d.code, d.roles,
                                       net.department_keys.back().public_key()});
  }
  g.material_types.push_back(MaterialType{"LIC001",
                                          "营业执照",
                                          "Business license",
                                          "license",
                                          {"civil", "market"},
                                          {"name", "number"},
                                          365LL * 24 * 3600 * 1000,
                                          ""});
  g.material_types.push_back(MaterialType{
      "CERT01", "无犯罪记录证明", "No criminal record", "certificate", {"civil"}, {}, 0, "LIC001"});
  for (size_t i = 0; i < validators; ++i) {
    net.validator_keys.push_back(NewKey(suite));
    crypto::PrivateKey tls = NewKey(suite);
    g.validators.push_back(Validator{"node" + std::to_string(i), "civil",
                                     net.validator_keys.back().public_key(), tls.public_key(),
                                     "127.0.0.1:" + std::to_string(26000 + i),
                                     "127.0.0.1:" + std::to_string(27000 + i)});
  }
  return net;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "govledger-ledger-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  GOVLEDGER_CHECK(p != nullptr);
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Material ChainBuilder::Latest(const PendingBlock& b, const std::string& id) const {
  for (auto it = b.materials.rbegin(); it != b.materials.rend(); ++it) {
    if (it->material_id == id) return *it;
  }
  std::optional<Material> m = store_->GetMaterial(id);
  GOVLEDGER_CHECK(m.has_value());
  return *m;
}

void ChainBuilder::Update(PendingBlock& b, Material m, EventKind kind, const Tx* tx,
                          const std::string& actor, const std::string& reason) {
  const crypto::Suite suite = net_.genesis.suite;
  Event e;
  e.material_id = m.material_id;
  e.seq = m.event_count;
  e.kind = kind;
  e.height = store_->height() + 1;
  e.time_ms = store_->tip_time_ms() + block_interval_ms;
  e.actor = actor;
  if (tx != nullptr) e.tx_hash = crypto::DigestBytes(tx->hash);
  e.reason = reason;
  e.prev_event = m.last_event;
  m.event_count += 1;
  m.last_event = crypto::DigestBytes(EventHash(suite, e));
  m.updated_height = e.height;
  b.materials.push_back(std::move(m));
  b.events.push_back(std::move(e));
}

std::string ChainBuilder::Issue(PendingBlock& b, int64_t valid_until_ms, size_t dept,
                                const std::string& type_code) {
  return IssueWithFields(b, valid_until_ms,
                         crypto::DigestBytes(crypto::MerkleEmptyRoot(net_.genesis.suite)),
                         {"name", "number"}, dept, type_code);
}

std::string ChainBuilder::IssueWithFields(PendingBlock& b, int64_t valid_until_ms,
                                          const Bytes& fields_root,
                                          const std::vector<std::string>& field_names, size_t dept,
                                          const std::string& type_code) {
  const crypto::Suite suite = net_.genesis.suite;
  const std::string id = "M" + std::to_string(1000000 + ++serial_);
  IssueMaterial issue;
  issue.material_id = id;
  issue.type_code = type_code;
  issue.holder_commitment = crypto::DigestBytes(
      HolderCommitment(suite, ToBytes("salt"), "holder-" + std::to_string(serial_ % 3)));
  issue.doc_digest = crypto::DigestBytes(crypto::Hash(suite, "document " + id));
  issue.fields_root = fields_root;
  issue.field_names = field_names;
  issue.valid_from_ms = store_->tip_time_ms();
  issue.valid_until_ms = valid_until_ms;
  TxBody body{net_.genesis.chain_id, serial_, store_->height() + 100, 0, issue};
  Tx tx = SignTx(net_.department_keys[dept], body);

  Material m;
  m.material_id = id;
  m.type_code = type_code;
  m.issuer = net_.genesis.departments[dept].id;
  m.holder_commitment = issue.holder_commitment;
  m.doc_digest = issue.doc_digest;
  m.fields_root = issue.fields_root;
  m.field_names = issue.field_names;
  m.valid_from_ms = issue.valid_from_ms;
  m.valid_until_ms = valid_until_ms;
  m.issued_height = store_->height() + 1;
  m.issue_tx = crypto::DigestBytes(tx.hash);
  b.txs.push_back(tx);
  Update(b, std::move(m), EventKind::kIssue, &b.txs.back(), net_.genesis.departments[dept].id, "");
  return id;
}

void ChainBuilder::Revoke(PendingBlock& b, const std::string& material_id, size_t dept) {
  Material m = Latest(b, material_id);
  TxBody body{net_.genesis.chain_id, ++serial_, store_->height() + 100, 0,
              RevokeMaterial{material_id, "withdrawn"}};
  b.txs.push_back(SignTx(net_.department_keys[dept], body));
  m.status = MaterialStatus::kRevoked;
  Update(b, std::move(m), EventKind::kRevoke, &b.txs.back(), net_.genesis.departments[dept].id,
         "withdrawn");
}

void ChainBuilder::Expire(PendingBlock& b, const std::string& material_id) {
  Material m = Latest(b, material_id);
  m.status = MaterialStatus::kExpired;
  Update(b, std::move(m), EventKind::kExpire, nullptr, "", "");
}

BlockWrite ChainBuilder::Build(const PendingBlock& b) {
  const Genesis& g = net_.genesis;
  const uint64_t height = store_->height() + 1;

  PendingLogNodes nodes(store_->log_nodes());
  crypto::MerkleLog log(g.suite, &nodes, store_->log_size());
  BlockWrite w;
  for (const Tx& tx : b.txs) {
    log.Append(tx.raw);
    w.block.txs.push_back(tx.raw);
    w.tx_hashes.push_back(tx.hash);
  }

  BlockHeader& h = w.block.header;
  h.chain_id = g.chain_id;
  h.height = height;
  h.time_ms = store_->tip_time_ms() + block_interval_ms;
  // The validator sets follow the committed registry changes, as the executor's do.
  const std::vector<Validator> set = ValidatorsAt(g.validators, *store_, height);
  const std::vector<Validator> next_set = ValidatorsAt(g.validators, *store_, height + 1);
  h.proposer = set[height % set.size()].key;
  h.prev_hash = crypto::DigestBytes(store_->tip_hash());
  if (height > 1) {
    ledger::Commit last = store_->GetCommit(height - 1).value();
    h.last_commit_hash = crypto::DigestBytes(crypto::Hash(g.suite, EncodeCommit(last)));
    w.block.last_commit = std::move(last);
  }
  h.log_size = log.size();
  h.log_root = crypto::DigestBytes(log.Root().value());
  h.validators_hash = crypto::DigestBytes(ValidatorsHash(g.suite, set));
  h.next_validators_hash = crypto::DigestBytes(ValidatorsHash(g.suite, next_set));
  h.tx_count = static_cast<uint32_t>(b.txs.size());
  h.events_hash = crypto::DigestBytes(EventsHash(g.suite, b.events));
  w.materials = b.materials;
  w.events = b.events;
  w.state = ComputeStateUpdate(*store_, w);
  h.state_root = crypto::DigestBytes(w.state->root);
  w.block.header_bytes = EncodeHeader(h);
  w.block_hash = crypto::Hash(g.suite, w.block.header_bytes);

  w.commit.height = height;
  w.commit.round = 0;
  w.commit.block_hash = crypto::DigestBytes(w.block_hash);
  for (size_t i = 0; i < QuorumSize(set.size()); ++i) {
    w.commit.sigs.push_back(
        SignPrecommit(KeyOf(set[i].key), g.chain_id, height, 0, w.commit.block_hash));
  }
  w.log_nodes = nodes.TakeWrites();
  return w;
}

const crypto::PrivateKey& ChainBuilder::KeyOf(const crypto::PublicKey& validator) const {
  for (const crypto::PrivateKey& k : net_.validator_keys) {
    if (k.public_key() == validator) return k;
  }
  for (const crypto::PrivateKey* k : extra_validator_keys_) {
    if (k->public_key() == validator) return *k;
  }
  GOVLEDGER_CHECK(false && "no private key for a validator of the set");
  std::abort();
}

void ChainBuilder::CommitBlocks(size_t n, size_t txs_per_block) {
  for (size_t i = 0; i < n; ++i) {
    PendingBlock b;
    for (size_t k = 0; k < txs_per_block; ++k) {
      Issue(b, store_->tip_time_ms() + 30LL * 24 * 3600 * 1000, k % 2);
    }
    Status s = Commit(b);
    GOVLEDGER_CHECK(s.ok());
  }
}

void ChainBuilder::CommitMaterials(int blocks, int per_block, uint64_t& serial) {
  for (int b = 0; b < blocks; ++b) {
    PendingBlock block;
    for (int i = 0; i < per_block; ++i) {
      Material m;
      m.material_id = "M" + std::to_string(++serial);
      m.type_code = "LIC001";
      m.issuer = "civil";
      m.holder_commitment.assign(32, 1);
      m.doc_digest.assign(32, 2);
      m.fields_root.assign(32, 3);
      m.issue_tx.assign(32, 4);
      m.last_event.assign(32, 5);
      m.updated_height = store_->height() + 1;
      block.materials.push_back(std::move(m));
    }
    GOVLEDGER_CHECK(Commit(block).ok());
  }
}

uint64_t PointReads(const Store& store, char table) {
  for (const auto& [t, n] : store.point_reads()) {
    if (t == table) return n;
  }
  return 0;
}

void ForEachStoredNode(const std::string& dir,
                       const std::function<void(const std::string& key, const std::string& value,
                                                const crypto::SmtPos& pos,
                                                const crypto::SmtNode& node)>& fn) {
  leveldb::DB* raw = nullptr;
  GOVLEDGER_CHECK(leveldb::DB::Open(leveldb::Options(), dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  for (it->Seek("A"); it->Valid() && it->key()[0] == 'A'; it->Next()) {
    auto pos = crypto::SmtPosFromKey(reinterpret_cast<const uint8_t*>(it->key().data()) + 1,
                                     it->key().size() - 1);
    auto node = crypto::DecodeSmtNode(reinterpret_cast<const uint8_t*>(it->value().data()),
                                      it->value().size());
    GOVLEDGER_CHECK(pos.ok() && node.ok());
    fn(it->key().ToString(), it->value().ToString(), *pos, *node);
  }
}

Digest TipStateRoot(const Store& store) {
  if (store.height() == 0) return crypto::kSmtEmpty;
  return crypto::DigestFromBytes(store.GetBlock(store.height())->header.state_root).value();
}

}  // namespace govledger::ledger::testing

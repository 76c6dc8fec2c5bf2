#include "node/executor.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "contracts/material_id.h"
#include "contracts/reasons.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/pending_chain.h"

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

namespace {

// Three blocks of a chain built and committed one by one by `proposer`: two issues, one more a
// second later, and at the first material's expiry (so the third block's expiry reads what the
// first wrote) a fourth issue.
void BuildThreeBlocks(Fixture& proposer) {
  const int64_t t = proposer.genesis.genesis_time_ms + 1000;
  ledger::Tx a = proposer.Issue("31", t + 5000);
  ledger::Tx b = proposer.Issue("32", t + 86'400'000);
  auto b1 = proposer.executor->Build({&a, &b}, t, proposer.validator.public_key());
  REQUIRE(proposer.Commit(b1).ok());
  ledger::Tx c = proposer.Issue("33", t + 86'400'000);
  auto b2 = proposer.executor->Build({&c}, t + 1000, proposer.validator.public_key());
  REQUIRE(proposer.Commit(b2).ok());
  ledger::Tx d = proposer.Issue("34", t + 86'400'000);
  auto b3 = proposer.executor->Build({&d}, t + 5000, proposer.validator.public_key());
  REQUIRE(b3.expired == 1);
  REQUIRE(proposer.Commit(b3).ok());
}

std::vector<std::pair<std::string, std::string>> StateEntries(const ledger::Store& store) {
  std::vector<std::pair<std::string, std::string>> out;
  store.ForEachStateEntry(
      [&](const std::string& k, const std::string& v) { out.emplace_back(k, v); });
  return out;
}

std::vector<std::string> TreeNodes(const ledger::Store& store) {
  std::vector<std::string> out;
  REQUIRE(store
              .ForEachStateNode([&](const crypto::SmtPos& pos, const crypto::SmtNode& node) {
                Bytes enc = crypto::EncodeSmtNode(node);
                out.push_back(std::to_string(pos.depth) + ":" +
                              std::string(pos.path.begin(), pos.path.end()) +
                              std::string(enc.begin(), enc.end()));
              })
              .ok());
  return out;
}

}  // namespace

TEST_CASE(
    "blocks executed each on the pending block before them and committed in one write leave "
    "the store exactly as committing them one by one",
    "[node]") {
  Fixture proposer;
  BuildThreeBlocks(proposer);

  Fixture follower;
  follower.UseGenesis(proposer.genesis);
  std::vector<node::BuiltBlock> built;
  ledger::PendingChain pending(*follower.store);
  for (uint64_t h = 1; h <= 3; ++h) {
    auto block = proposer.store->GetBlock(h);
    REQUIRE(block.ok());
    auto executed = follower.executor->ExecuteOn(pending, *block);
    INFO("height " << h);
    REQUIRE(executed.ok());
    executed->write.commit = proposer.store->GetCommit(h).value();
    built.push_back(std::move(*executed));
    pending.Push(built.back().write);
  }
  // The pending chain answers as the committed one would: tip, certificates, materials, the
  // expired one.
  REQUIRE(pending.height() == 3);
  REQUIRE(pending.pending_blocks() == 3);
  REQUIRE(pending.tip_hash() == proposer.store->tip_hash());
  REQUIRE(pending.log_size() == proposer.store->log_size());
  REQUIRE(ledger::EncodeCommit(pending.GetCommit(2).value()) ==
          ledger::EncodeCommit(proposer.store->GetCommit(2).value()));
  REQUIRE(follower.store->height() == 0);
  const std::string first =
      *contracts::MakeMaterialId({"BIZLIC", "11440305MB2C16598T", "31", "001"});
  REQUIRE(pending.GetMaterial(first)->status == ledger::MaterialStatus::kExpired);
  REQUIRE_FALSE(follower.store->GetMaterial(first));

  std::vector<const ledger::BlockWrite*> writes;
  for (const auto& b : built) writes.push_back(&b.write);
  REQUIRE(follower.store->CommitBlocks(writes).ok());
  REQUIRE(follower.store->height() == 3);
  REQUIRE(follower.store->tip_hash() == proposer.store->tip_hash());
  REQUIRE(follower.store->log_size() == proposer.store->log_size());
  REQUIRE(follower.store->tip_time_ms() == proposer.store->tip_time_ms());
  REQUIRE(StateEntries(*follower.store) == StateEntries(*proposer.store));
  REQUIRE(TreeNodes(*follower.store) == TreeNodes(*proposer.store));
  for (uint64_t h = 1; h <= 3; ++h) {
    REQUIRE(follower.store->GetBlockBytes(h).value() == proposer.store->GetBlockBytes(h).value());
    REQUIRE(follower.store->GetStateChanges(h).ok());
  }
  // The next block builds the same on both: the state tree's in-memory top moved with the batch.
  const int64_t t = proposer.genesis.genesis_time_ms + 7000;
  ledger::Tx e = proposer.Issue("35", t + 86'400'000);
  auto next_p = proposer.executor->Build({&e}, t, proposer.validator.public_key());
  auto next_f = follower.executor->Build({&e}, t, proposer.validator.public_key());
  REQUIRE(next_f.write.block.header_bytes == next_p.write.block.header_bytes);
}

TEST_CASE("a batch of blocks whose second does not follow the first commits nothing", "[node]") {
  Fixture proposer;
  BuildThreeBlocks(proposer);
  Fixture follower;
  follower.UseGenesis(proposer.genesis);
  auto b1 = follower.executor->Execute(proposer.store->GetBlock(1).value());
  REQUIRE(b1.ok());
  b1->write.commit = proposer.store->GetCommit(1).value();
  ledger::PendingChain p1(*follower.store);
  p1.Push(b1->write);
  auto b2 = follower.executor->ExecuteOn(p1, proposer.store->GetBlock(2).value());
  REQUIRE(b2.ok());
  b2->write.commit = proposer.store->GetCommit(2).value();

  // Block 2 twice: the second copy does not link to the first's tip.
  Status st = follower.store->CommitBlocks({&b1->write, &b2->write, &b2->write});
  REQUIRE(st.code() == "bad_height");
  REQUIRE(follower.store->height() == 0);
  REQUIRE(StateEntries(*follower.store).empty());
  // A block after the first without its state update is refused too (it cannot be computed on
  // the committed tree).
  node::BuiltBlock stateless = *b2;
  stateless.write.state.reset();
  REQUIRE(follower.store->CommitBlocks({&b1->write, &stateless.write}).code() == "bad_block");
  REQUIRE(follower.store->height() == 0);
  // And without its materials' previous states (the store would compare them with its own tip,
  // which is not block 2's parent).
  node::BuiltBlock no_previous = *b2;
  REQUIRE_FALSE(no_previous.write.materials.empty());
  no_previous.write.previous.clear();
  REQUIRE(follower.store->CommitBlocks({&b1->write, &no_previous.write}).code() == "bad_block");
  REQUIRE(follower.store->height() == 0);
  // In order, both commit.
  REQUIRE(follower.store->CommitBlocks({&b1->write, &b2->write}).ok());
  REQUIRE(follower.store->height() == 2);
}

TEST_CASE("a pending chain answers replay and material reads with its blocks' writes over its base",
          "[node]") {
  Fixture f;
  const int64_t t = f.genesis.genesis_time_ms + 1000;
  ledger::Tx a = f.Issue("41", t + 86'400'000);
  auto b1 = f.executor->Build({&a}, t, f.validator.public_key());
  ledger::PendingChain p1(*f.store);
  p1.Push(b1.write);
  const std::string id = std::get<ledger::IssueMaterial>(a.body.payload).material_id;
  REQUIRE(p1.HasTx(a.hash));
  REQUIRE_FALSE(f.store->HasTx(a.hash));
  REQUIRE(p1.GetMaterial(id));
  REQUIRE_FALSE(f.store->GetMaterial(id));
  REQUIRE(p1.height() == 1);
  REQUIRE(p1.tip_time_ms() == t);
  // A transaction on top of it that issues the same material again is refused by the contract,
  // which reads the pending block; on the committed store alone it would apply.
  ledger::Tx again = f.Issue("41", t + 86'400'000);
  again.hash[0] ^= 1;
  auto on_pending =
      contracts::ApplyTx(*f.registry, p1, again, contracts::BlockContext{2, t + 1000});
  REQUIRE(on_pending.status().code() == contracts::reason::kDuplicate);
  REQUIRE(contracts::ApplyTx(*f.registry, *f.store, again, contracts::BlockContext{1, t}).ok());
}

TEST_CASE(
    "a pending chain executes its next block the same while the store commits the chain's "
    "first blocks underneath it on another thread",
    "[node]") {
  Fixture proposer;
  BuildThreeBlocks(proposer);
  Fixture follower;
  follower.UseGenesis(proposer.genesis);
  // Blocks 1 and 2 executed on the chain, as block sync holds them while they are written.
  ledger::PendingChain chain(*follower.store);
  std::vector<node::BuiltBlock> built;
  for (uint64_t h = 1; h <= 2; ++h) {
    auto executed = follower.executor->ExecuteOn(chain, proposer.store->GetBlock(h).value());
    REQUIRE(executed.ok());
    executed->write.commit = proposer.store->GetCommit(h).value();
    built.push_back(std::move(*executed));
    chain.Push(built.back().write);
  }
  // Block 3 expires the material block 1 issued and issues another: it reads the chain's
  // materials, expiry index, replay set, Merkle log and state tree.
  const ledger::Block third = proposer.store->GetBlock(3).value();
  auto expected = follower.executor->ExecuteOn(chain, third);
  REQUIRE(expected.ok());
  const auto same_as_expected = [&](const node::BuiltBlock& b) {
    return b.write.block_hash == expected->write.block_hash &&
           b.write.materials.size() == expected->write.materials.size() &&
           b.write.state->nodes == expected->write.state->nodes &&
           b.write.log_nodes == expected->write.log_nodes && b.expired == expected->expired;
  };

  std::atomic<bool> written{false};
  Status write_status = Status::Ok();
  std::thread writer([&] {
    write_status = follower.store->CommitBlocks({&built[0].write, &built[1].write});
    written = true;
  });
  int runs = 0;
  int differing = 0;
  // Before, during and after the write (a few runs after it, at least).
  for (int after = 0; after < 3; runs++) {
    if (written) ++after;
    auto again = follower.executor->ExecuteOn(chain, third);
    if (!again.ok() || !same_as_expected(*again)) ++differing;
  }
  writer.join();
  REQUIRE(write_status.ok());
  INFO(runs << " executions of block 3");
  CHECK(differing == 0);
  REQUIRE(follower.store->height() == 2);
  // On the store alone, now at height 2, block 3 executes the same as on the chain.
  auto on_store = follower.executor->Execute(third);
  REQUIRE(on_store.ok());
  CHECK(same_as_expected(*on_store));
  on_store->write.commit = proposer.store->GetCommit(3).value();
  REQUIRE(follower.store->CommitBlock(on_store->write).ok());
  REQUIRE(follower.store->tip_hash() == proposer.store->tip_hash());
  REQUIRE(StateEntries(*follower.store) == StateEntries(*proposer.store));
}

namespace {

// A chain view that reads through to another and counts every read, its log and tree nodes'
// included: whether a chain above it still reads it.
class CountingView : public ledger::ChainView {
 public:
  explicit CountingView(const ledger::ChainView& inner)
      : inner_(inner), log_(inner.log_nodes(), reads_), state_(inner.state_nodes(), reads_) {}
  size_t reads() const { return reads_; }

  crypto::Suite suite() const override { return inner_.suite(); }
  uint64_t height() const override { return Read().height(); }
  crypto::Digest tip_hash() const override { return Read().tip_hash(); }
  uint64_t log_size() const override { return Read().log_size(); }
  int64_t tip_time_ms() const override { return Read().tip_time_ms(); }
  Result<ledger::Commit> GetCommit(uint64_t h) const override { return Read().GetCommit(h); }
  const crypto::NodeStore& log_nodes() const override { return log_; }
  const crypto::SmtNodeStore& state_nodes() const override { return state_; }
  std::optional<ledger::Material> GetMaterial(std::string_view id) const override {
    return Read().GetMaterial(id);
  }
  bool HasTx(const crypto::Digest& h) const override { return Read().HasTx(h); }
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override {
    return Read().DueForExpiry(time_ms, limit);
  }
  std::optional<Bytes> GetRecord(ledger::Table t, std::string_view key) const override {
    return Read().GetRecord(t, key);
  }
  std::vector<std::pair<std::string, Bytes>> ScanRecords(ledger::Table t, std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override {
    return Read().ScanRecords(t, prefix, after, limit);
  }

 private:
  struct Log : crypto::NodeStore {
    Log(const crypto::NodeStore& in, size_t& n) : inner(in), reads(n) {}
    std::optional<crypto::Digest> GetNode(uint32_t level, uint64_t index) const override {
      return Read().GetNode(level, index);
    }
    void PutNode(uint32_t, uint64_t, const crypto::Digest&) override { FAIL("read-only"); }
    const crypto::NodeStore& Read() const {
      ++reads;
      return inner;
    }
    const crypto::NodeStore& inner;
    size_t& reads;
  };
  struct State : crypto::SmtNodeStore {
    State(const crypto::SmtNodeStore& in, size_t& n) : inner(in), reads(n) {}
    Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override {
      return Read().GetNode(pos);
    }
    void PutNode(const crypto::SmtPos&, const crypto::SmtNode&) override { FAIL("read-only"); }
    void DeleteNode(const crypto::SmtPos&) override { FAIL("read-only"); }
    const crypto::SmtNodeStore& Read() const {
      ++reads;
      return inner;
    }
    const crypto::SmtNodeStore& inner;
    size_t& reads;
  };
  const ledger::ChainView& Read() const {
    ++reads_;
    return inner_;
  }
  const ledger::ChainView& inner_;
  mutable size_t reads_ = 0;
  Log log_;
  State state_;
};

}  // namespace

TEST_CASE(
    "a pending chain over another one moves onto the store once the other's blocks are "
    "written, reads nothing of the other after the move, and executes and commits the same",
    "[node]") {
  Fixture proposer;
  BuildThreeBlocks(proposer);
  Fixture follower;
  follower.UseGenesis(proposer.genesis);
  // Blocks 1 and 2 on the first chain (as in a write in flight); the second chain, over it,
  // has none of its own, so everything executing block 3 reads goes through to its base.
  auto first = std::make_unique<ledger::PendingChain>(*follower.store);
  std::vector<node::BuiltBlock> written;
  for (uint64_t h = 1; h <= 2; ++h) {
    auto b = follower.executor->ExecuteOn(*first, proposer.store->GetBlock(h).value());
    REQUIRE(b.ok());
    b->write.commit = proposer.store->GetCommit(h).value();
    first->Push(b->write);
    written.push_back(std::move(*b));
  }
  CountingView first_reads(*first);
  ledger::PendingChain second(first_reads);
  const ledger::Block third = proposer.store->GetBlock(3).value();
  auto before = follower.executor->ExecuteOn(second, third);
  REQUIRE(before.ok());
  const size_t reads_before = first_reads.reads();
  REQUIRE(reads_before > 0);

  REQUIRE(follower.store->CommitBlocks({&written[0].write, &written[1].write}).ok());
  second.Rebase(*follower.store);
  // From here `second` reads nothing of `first`: not its materials, replay set, expiry index,
  // records, certificates, log or tree nodes.
  REQUIRE(second.height() == 2);
  REQUIRE(second.GetCommit(2).ok());
  auto after = follower.executor->ExecuteOn(second, third);
  REQUIRE(after.ok());
  CHECK(first_reads.reads() == reads_before);
  CHECK(after->write.block_hash == before->write.block_hash);
  CHECK(after->write.state->nodes == before->write.state->nodes);
  CHECK(after->write.log_nodes == before->write.log_nodes);
  CHECK(after->expired == 1);
  after->write.commit = proposer.store->GetCommit(3).value();
  second.Push(after->write);
  REQUIRE(second.height() == 3);
  REQUIRE(follower.store->CommitBlock(after->write).ok());
  REQUIRE(follower.store->tip_hash() == proposer.store->tip_hash());
  REQUIRE(StateEntries(*follower.store) == StateEntries(*proposer.store));
  REQUIRE(TreeNodes(*follower.store) == TreeNodes(*proposer.store));
}

TEST_CASE(
    "a store given the Executor's previous material states keeps the same state and indexes "
    "as one that reads them itself",
    "[node]") {
  Fixture f;
  const std::string other_dir = f.dir + "-reading";
  std::filesystem::remove_all(other_dir);
  {
    auto other = ledger::Store::Open(other_dir, f.genesis).value();
    const int64_t t = f.genesis.genesis_time_ms + 1000;
    ledger::Tx a = f.Issue("21", t + 5000);  // expires in block 2: its expiry index row goes
    ledger::Tx b = f.Issue("22", t + 86'400'000);
    ledger::Tx c = f.Issue("23", t + 86'400'000);
    std::vector<std::vector<const ledger::Tx*>> blocks = {{&a, &b}, {&c}, {}};
    int64_t time = t;
    for (const auto& txs : blocks) {
      auto built = f.executor->Build(txs, time, f.validator.public_key());
      time += 5000;
      for (const auto& o : built.outcomes) REQUIRE(o.status.ok());
      REQUIRE(built.write.previous.size() == built.write.materials.size());
      REQUIRE(f.Commit(built).ok());  // as built: the previous states taken as given
      ledger::BlockWrite reading = built.write;
      reading.previous.clear();
      REQUIRE(other->CommitBlock(reading).ok());  // reads them from its own state
    }
    REQUIRE(
        f.store->GetMaterial(std::get<ledger::IssueMaterial>(a.body.payload).material_id)->status ==
        ledger::MaterialStatus::kExpired);
    auto entries = [](const ledger::Store& s) {
      std::vector<std::pair<std::string, std::string>> out;
      s.ForEachStateEntry(
          [&](const std::string& k, const std::string& v) { out.emplace_back(k, v); });
      return out;
    };
    const auto built_entries = entries(*f.store);
    CHECK(built_entries == entries(*other));
    CHECK_FALSE(built_entries.empty());
    // The expiry index lost the expired material on both.
    CHECK(f.store->MaterialsExpiringBetween(0, t + 10'000, ledger::ListQuery{}).empty());
  }
  std::filesystem::remove_all(other_dir);
}

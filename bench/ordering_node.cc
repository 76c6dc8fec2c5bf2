// govledger-ordering-node: a benchmark-only wiring of the validator (not a mode of the production
// binary) for the `ordering` benchmark of doc/performance.md. It runs the node's own consensus
// driver, WAL and sign guard, mutual-TLS transport and LevelDB store — every block committed in
// one synced WriteBatch — with a no-op executor in place of the rule contracts: blocks carry
// opaque commands (by default 8 bytes), nothing is executed and no transaction signature exists
// to verify. What it measures is what consensus, transport and storage cost.
//
// Each node keeps `--pending` commands of its own waiting (closed loop, like libhotstuff's
// clients keeping a window of outstanding commands), proposes up to the genesis' max_block_txs of
// them when it is the proposer, and after `--warmup` seconds counts, for `--seconds` seconds, the
// commands committed (by every proposer) and the commit latency of its own commands (from the
// moment it queued them). The result is one JSON object in `--result`.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "crypto/hash.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/consensus_driver.h"
#include "node/executor.h"
#include "node/log.h"
#include "node/mempool.h"

using namespace govledger;

namespace {

// Orders opaque payloads: a block is its header and the commands; the header carries the link,
// the previous certificate and the count, and nothing about state (state_root stays empty).
class OrderingExecutor : public node::BlockExecutor {
 public:
  OrderingExecutor(const ledger::Genesis& genesis, const ledger::Store& store)
      : BlockExecutor(store), genesis_(genesis) {
    validators_hash_ = crypto::DigestBytes(ledger::ValidatorsHash(genesis.suite,
                                                                  genesis.validators));
  }

  node::BuiltBlock Build(const std::vector<const ledger::Tx*>& candidates, int64_t time_ms,
                         const crypto::PublicKey& proposer) const override {
    std::vector<Bytes> payloads;
    payloads.reserve(candidates.size());
    for (const ledger::Tx* tx : candidates) {
      if (payloads.size() >= genesis_.params.max_block_txs) break;
      payloads.push_back(tx->raw);
    }
    return Make(committed_, std::move(payloads), time_ms, proposer, TipCommit());
  }

  Result<node::BuiltBlock> ExecuteOn(const ledger::ChainView& parent,
                                     const ledger::Block& block) const override {
    const ledger::BlockHeader& h = block.header;
    const uint64_t height = parent.height() + 1;
    if (h.height != height) return Bad("height");
    if (h.prev_hash != crypto::DigestBytes(parent.tip_hash())) return Bad("prev_hash");
    if (h.time_ms <= parent.tip_time_ms()) return Bad("time not after the parent's");
    if (block.txs.size() > genesis_.params.max_block_txs) return Bad("too many commands");
    bool known = false;
    for (const auto& v : genesis_.validators) known |= v.key == h.proposer;
    if (!known) return Bad("proposer is not a validator");
    if (height > 1) {
      if (!block.last_commit) return Bad("missing certificate of the previous block");
      Status st = ledger::VerifyCommit(genesis_.suite, genesis_.chain_id, genesis_.validators,
                                       *block.last_commit, height - 1,
                                       crypto::DigestBytes(parent.tip_hash()));
      if (!st.ok()) return Bad("certificate of the previous block: " + st.ToString());
    }
    node::BuiltBlock built = Make(parent, block.txs, h.time_ms, h.proposer, block.last_commit);
    if (built.write.block.header_bytes != block.header_bytes) return Bad("header differs");
    return built;
  }

  std::vector<ledger::Validator> ValidatorsOn(const ledger::ChainView&, uint64_t) const override {
    return genesis_.validators;
  }

 private:
  static Status Bad(const std::string& what) { return Status::Error("bad_block", what); }

  node::BuiltBlock Make(const ledger::ChainView& parent, std::vector<Bytes> payloads,
                        int64_t time_ms, const crypto::PublicKey& proposer,
                        const std::optional<ledger::Commit>& last) const {
    node::BuiltBlock out;
    const uint64_t height = parent.height() + 1;
    ledger::Block& block = out.write.block;
    for (size_t i = 0; i < payloads.size(); ++i) {
      const crypto::Digest hash = crypto::Hash(genesis_.suite, payloads[i]);
      out.write.tx_hashes.push_back(hash);
      node::TxOutcome o;
      o.hash = hash;
      o.location = ledger::TxLocation{height, static_cast<uint32_t>(i), parent.log_size() + i};
      out.outcomes.push_back(o);
    }
    block.txs = std::move(payloads);
    ledger::BlockHeader& h = block.header;
    h.chain_id = genesis_.chain_id;
    h.height = height;
    h.time_ms = time_ms;
    h.proposer = proposer;
    h.prev_hash = crypto::DigestBytes(parent.tip_hash());
    if (height > 1 && last) {
      block.last_commit = *last;
      h.last_commit_hash =
          crypto::DigestBytes(crypto::Hash(genesis_.suite, ledger::EncodeCommit(*last)));
    }
    h.log_size = parent.log_size() + block.txs.size();
    h.validators_hash = validators_hash_;
    h.next_validators_hash = validators_hash_;
    h.tx_count = static_cast<uint32_t>(block.txs.size());
    block.header_bytes = ledger::EncodeHeader(h);
    out.write.block_hash = crypto::Hash(genesis_.suite, block.header_bytes);
    // No state: an empty update on the parent's tree (what block sync needs to stack blocks).
    out.write.state = ledger::ComputeStateUpdate(parent, std::vector<crypto::SmtUpdate>{});
    return out;
  }

  const ledger::Genesis& genesis_;
  Bytes validators_hash_;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int Fail(const Status& st) {
  std::cerr << "govledger-ordering-node: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "govledger-ordering-node: the validator's consensus, transport and store ordering opaque "
      "commands with a no-op executor — the `ordering` benchmark (govledger-bench ordering starts "
      "four of these on a network made by `govledger network init`). Not a production node.",
      "govledger-ordering-node"};
  std::string home, result_file;
  double seconds = 10, warmup = 3;
  size_t pending = 0, payload_bytes = 8;
  app.add_option("--home", home, "Node home made by `govledger network init`")->required();
  app.add_option("--result", result_file, "Write the result JSON here")->required();
  app.add_option("--seconds", seconds, "Seconds to measure (after the warm-up)")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "Seconds before measuring")->check(CLI::NonNegativeNumber);
  app.add_option("--pending", pending,
                 "Commands this node keeps waiting (default: twice the block size)");
  app.add_option("--payload-bytes", payload_bytes, "Bytes per command (at least 8)")
      ->check(CLI::Range(8, 65536));
  CLI11_PARSE(app, argc, argv);
  node::SetLogLevel(node::LogLevel::kWarn);

  auto config = node::LoadNodeConfig(home);
  if (!config.ok()) return Fail(config.status());
  auto genesis = ledger::LoadGenesisFile(config->Path(config->genesis_file));
  if (!genesis.ok()) return Fail(genesis.status());
  auto key = crypto::PrivateKey::LoadPemFile(genesis->suite,
                                             config->Path(config->validator_key_file));
  if (!key.ok()) return Fail(key.status());
  auto store = ledger::Store::Open(config->Path(config->data_dir), *genesis);
  if (!store.ok()) return Fail(store.status());
  uint8_t self = 0;
  for (size_t i = 0; i < genesis->validators.size(); ++i) {
    if (genesis->validators[i].key == key->public_key()) self = static_cast<uint8_t>(i);
  }
  if (pending == 0) pending = 2 * static_cast<size_t>(genesis->params.max_block_txs);

  boost::asio::io_context io;
  OrderingExecutor executor(*genesis, **store);
  node::Mempool mempool(pending + 1, size_t{1} << 30);
  std::unique_ptr<node::ConsensusDriver> driver;

  uint64_t next_command = 0;
  std::unordered_map<uint64_t, double> queued_at;  // own commands: when they were queued
  bool measuring = false;
  uint64_t committed = 0, blocks = 0;
  std::vector<double> latencies_ms;

  auto top_up = [&] {
    while (mempool.size() < pending) {
      auto tx = std::make_shared<ledger::Tx>();
      tx->raw.assign(payload_bytes, 0);
      tx->raw[0] = self;
      const uint64_t n = next_command++;
      for (int b = 0; b < 7; ++b) tx->raw[1 + b] = static_cast<uint8_t>(n >> (8 * (6 - b)));
      tx->hash = crypto::Hash(genesis->suite, tx->raw);
      queued_at[n] = Seconds();
      if (!mempool.Add(tx).ok()) break;
      driver->OnNewTx(*tx, /*forward=*/false);
    }
  };

  node::ConsensusDriver::Hooks hooks;
  hooks.on_commit = [&](const node::BuiltBlock& built) {
    const double now = Seconds();
    for (const node::TxOutcome& o : built.outcomes) mempool.Remove(o.hash);
    for (const Bytes& cmd : built.write.block.txs) {
      if (cmd.size() < 8 || cmd[0] != self) continue;
      uint64_t n = 0;
      for (int b = 0; b < 7; ++b) n = (n << 8) | cmd[1 + b];
      auto it = queued_at.find(n);
      if (it == queued_at.end()) continue;
      if (measuring) latencies_ms.push_back((now - it->second) * 1000);
      queued_at.erase(it);
    }
    if (measuring) {
      committed += built.write.block.txs.size();
      ++blocks;
    }
    top_up();
  };
  hooks.on_forwarded_txs = [](std::vector<Bytes>) {};  // nothing is forwarded
  const node::ValidatorKeys keys{{std::move(*key), std::nullopt}};
  driver = std::make_unique<node::ConsensusDriver>(io, *config, *genesis, **store, executor,
                                                   mempool, keys, std::move(hooks));
  if (Status st = driver->Start(); !st.ok()) return Fail(st);
  top_up();

  const uint64_t start_height = (*store)->height();
  double t_start = 0, cpu_start = 0;
  uint64_t height_start = 0;
  boost::asio::steady_timer timer(io);
  timer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(warmup * 1000)));
  timer.async_wait([&](const boost::system::error_code&) {
    measuring = true;
    t_start = Seconds();
    cpu_start = CpuSeconds();
    height_start = (*store)->height();
    timer.expires_after(std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    timer.async_wait([&](const boost::system::error_code&) {
      measuring = false;
      const double wall = Seconds() - t_start;
      const double cpu = CpuSeconds() - cpu_start;
      const auto& stats = driver->stats();
      nlohmann::json r = {
          {"node", config->name},
          {"seconds", wall},
          {"commands", committed},
          {"blocks", blocks},
          {"commands_per_second", static_cast<double>(committed) / wall},
          {"blocks_per_second", static_cast<double>(blocks) / wall},
          {"heights", (*store)->height() - height_start},
          {"height_at_start", start_height},
          {"cpu_cores", cpu / wall},
          {"cpu_us_per_command", committed ? cpu * 1e6 / static_cast<double>(committed) : 0.0},
          {"own_latency_p50_ms", Percentile(latencies_ms, 50)},
          {"own_latency_p99_ms", Percentile(latencies_ms, 99)},
          {"rounds_above_zero", stats.rounds_above_zero},
          {"wal_syncs", stats.wal_syncs},
          {"block_size", genesis->params.max_block_txs},
          {"payload_bytes", payload_bytes},
          {"pending_per_node", pending}};
      std::ofstream(result_file) << r.dump(2) << "\n";
      driver->Stop();
      io.stop();
    });
  });
  io.run();
  return 0;
}

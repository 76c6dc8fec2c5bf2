#include "bench/ledger_fill.h"

#include <algorithm>
#include <future>
#include <memory>
#include <variant>

#include "bench/bench_common.h"
#include "contracts/registry.h"
#include "ledger/commit.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/executor.h"
#include "util/time.h"

namespace govledger::bench {

Result<std::vector<crypto::PrivateKey>> LoadValidatorKeys(const ledger::Genesis& genesis,
                                                          const std::vector<std::string>& homes) {
  std::vector<std::optional<crypto::PrivateKey>> found(genesis.validators.size());
  for (const std::string& home : homes) {
    auto config = node::LoadNodeConfig(home);
    if (!config.ok()) return config.status();
    auto key =
        crypto::PrivateKey::LoadPemFile(genesis.suite, config->Path(config->validator_key_file));
    if (!key.ok()) return key.status();
    for (size_t i = 0; i < genesis.validators.size(); ++i) {
      if (genesis.validators[i].key == key->public_key()) {
        found[i] = std::move(*key);
        break;
      }
    }
  }
  std::vector<crypto::PrivateKey> out;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!found[i]) {
      return Status::Error("missing_validator_key",
                           "no home holds the key of validator " + genesis.validators[i].name);
    }
    out.push_back(std::move(*found[i]));
  }
  return out;
}

Result<FillResult> FillLedger(const std::string& data_dir, const ledger::Genesis& genesis,
                              const std::vector<crypto::PrivateKey>& validator_keys,
                              const TxSource& source, const FillOptions& options) {
  if (validator_keys.size() != genesis.validators.size()) {
    return Status::Error("invalid_argument", "one private key per genesis validator");
  }
  auto opened = ledger::Store::Open(data_dir, genesis);
  if (!opened.ok()) return opened.status();
  ledger::Store& store = **opened;
  contracts::Registry registry(genesis);
  node::Executor executor(genesis, store, registry);
  const size_t block_txs = std::max<size_t>(1, options.block_txs);
  const uint64_t validity = std::max<uint64_t>(2, genesis.params.max_tx_validity_heights / 2);

  FillResult result;
  const double t0 = NowSeconds();
  // The next block's transactions are signed on the other threads while this one builds and
  // commits the current block.
  auto sign = [&source, &options, validity](uint64_t height, size_t count, uint64_t done) {
    std::vector<ledger::Tx> txs;
    std::vector<Bytes> digests;
    if (done < options.doc_digests.size()) {
      digests.assign(options.doc_digests.begin() + static_cast<std::ptrdiff_t>(done),
                     options.doc_digests.end());
    }
    source.SignTxs(count, height + validity, options.threads, NowMs(), txs,
                   digests.empty() ? nullptr : &digests);
    return txs;
  };
  uint64_t done = 0;
  auto batch_size = [&](uint64_t committed) {
    return static_cast<size_t>(std::min<uint64_t>(block_txs, options.materials - committed));
  };
  std::future<std::vector<ledger::Tx>> next;
  if (options.materials > 0) {
    next = std::async(std::launch::async, sign, store.height() + 1, batch_size(0), uint64_t{0});
  }
  while (done < options.materials) {
    std::vector<ledger::Tx> txs = next.get();
    const uint64_t after = done + txs.size();
    const uint64_t height = store.height() + 1;
    if (after < options.materials) {
      next = std::async(std::launch::async, sign, height + 1, batch_size(after), after);
    }
    std::vector<const ledger::Tx*> candidates;
    candidates.reserve(txs.size());
    for (const ledger::Tx& tx : txs) {
      executor.MarkVerified(tx);
      candidates.push_back(&tx);
    }
    const int64_t time_ms = std::max<int64_t>(NowMs(), store.tip_time_ms() + 1);
    const crypto::PrivateKey& proposer = validator_keys[height % validator_keys.size()];
    node::BuiltBlock built = executor.Build(candidates, time_ms, proposer.public_key());
    for (const node::TxOutcome& o : built.outcomes) {
      if (!o.status.ok()) {
        if (next.valid()) next.wait();
        return Status::Error(
            "fill_rejected",
            "block " + std::to_string(height) + " rejected a transaction: " + o.status.ToString());
      }
    }
    ledger::BlockWrite& w = built.write;
    const Bytes hash = crypto::DigestBytes(w.block_hash);
    w.commit = ledger::Commit{height, 0, hash, {}};
    for (const crypto::PrivateKey& key : validator_keys) {
      w.commit.sigs.push_back(ledger::SignPrecommit(key, genesis.chain_id, height, 0, hash));
    }
    if (Status st = store.CommitBlock(w); !st.ok()) {
      if (next.valid()) next.wait();
      return st;
    }
    for (size_t i = 0; i < txs.size(); ++i) {
      const auto& m = std::get<ledger::IssueMaterial>(txs[i].body.payload);
      if (done + i < options.doc_digests.size()) result.digest_ids.push_back(m.material_id);
      if ((done + i) % 1000 == 0 || done + i < 10) result.sample_ids.push_back(m.material_id);
    }
    done = after;
    ++result.blocks;
    if (options.progress) options.progress(done, height);
  }
  result.materials = done;
  result.height = store.height();
  result.seconds = NowSeconds() - t0;
  return result;
}

}  // namespace govledger::bench

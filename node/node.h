// The validator process: one io_context thread owns the store, mempool and consensus; a worker
// pool verifies signatures; the HTTP API serves clients; node/consensus_driver.h runs Tendermint
// with the other validators over mutual TLS (a one-validator chain is the n = 1 case: quorum of
// one). Blocks are made whenever transactions wait and at least once per block_interval_ms
// (heartbeat blocks make expiry advance).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "contracts/registry.h"
#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/consensus_driver.h"
#include "node/executor.h"
#include "node/http_server.h"
#include "node/keys.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/read_pool.h"
#include "node/storage_guard.h"
#include "node/verifier.h"

namespace govledger::node {

// Result of a submission, as the API reports it.
struct SubmitResult {
  int http_status = 200;     // 200 committed, 202 pending, 4xx/5xx rejected
  crypto::Digest hash{};
  Status status;             // rejection reason when not OK
  std::optional<ledger::TxLocation> location;
};

class Node {
 public:
  ~Node();

  // Loads config, genesis and keys, opens the store. Nothing listens yet.
  static Result<std::unique_ptr<Node>> Open(const NodeConfig& config);

  // Binds the API (writes the bound address to HOME/api.addr) and starts block production.
  Status Start();
  // Runs until Stop(), SIGINT or SIGTERM.
  void Run();
  void Stop();

  // API surface (io thread only).
  void Submit(const Bytes& raw, bool wait, int64_t wait_ms, std::function<void(SubmitResult)> done);
  const ledger::Genesis& genesis() const { return genesis_; }
  const ledger::Store& store() const { return *store_; }
  // Empty while the node can write; else why not (node/storage_guard.h), for /healthz.
  std::string StorageProblem() const { return storage_guard_->Problem(); }
  const contracts::Registry& registry() const { return *registry_; }
  const NodeConfig& config() const { return config_; }
  const Mempool& mempool() const { return mempool_; }
  Metrics& metrics() { return metrics_; }
  size_t api_connections() const { return http_ ? http_->open_connections() : 0; }
  const HttpServerStats* http_stats() const { return http_ ? &http_->stats() : nullptr; }
  // Workers for the API's heavy reads over store snapshots (node/api_reads.h).
  ReadPool& read_pool() { return *read_pool_; }
  const ConsensusDriver* consensus() const { return driver_.get(); }
  // Runs the io handlers that are ready, without Run() (fuzz targets and tests drive a node's API
  // this way: the heavy reads answer through the io thread). Returns how many ran.
  size_t PollForTest();

 private:
  Node(NodeConfig config, ledger::Genesis genesis, std::unique_ptr<ledger::Store> store,
       ValidatorKeys keys);
  // Decode, verify (worker pool), rule-check and add to the mempool; then `done` on the io thread.
  void Admit(const Bytes& raw, bool forward, std::function<void(SubmitResult)> done);
  void OnCommitted(const BuiltBlock& built);
  // Client submissions are refused (503 mempool_full) while the mempool holds this many, counting
  // those still being verified (admitting_): kSubmissionBlocks full blocks, or the mempool's own
  // limit if that is smaller.
  static constexpr size_t kSubmissionBlocks = 3;
  size_t SubmissionLimit() const;
  void Finish(const crypto::Digest& hash, SubmitResult result);
  void Reject(const Status& st, int http_status, const crypto::Digest& hash,
              std::function<void(SubmitResult)>& done);

  struct Waiter {
    std::function<void(SubmitResult)> done;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };

  NodeConfig config_;
  ledger::Genesis genesis_;
  std::unique_ptr<ledger::Store> store_;
  std::unique_ptr<contracts::Registry> registry_;
  std::unique_ptr<Executor> executor_;
  ValidatorKeys keys_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  std::unique_ptr<SignatureVerifier> verifier_;
  std::unique_ptr<ReadPool> read_pool_;  // after io_ and store_: joined before they go
  std::unique_ptr<StorageGuard> storage_guard_;
  std::unique_ptr<ConsensusDriver> driver_;
  std::unique_ptr<HttpServer> http_;
  Mempool mempool_;
  Metrics metrics_;
  std::map<std::string, std::vector<Waiter>> waiters_;  // by tx hash bytes
  // Transactions handed to the verifier and not back yet: a batch, or many clients at once, must
  // not pass the mempool's backpressure all together before the first of them is added to it.
  size_t admitting_ = 0;
  bool stopping_ = false;
};

}  // namespace govledger::node

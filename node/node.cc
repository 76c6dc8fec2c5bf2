#include "node/node.h"

#include <sys/resource.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "ledger/store_check.h"
#include "node/api.h"
#include "node/keys.h"
#include "node/log.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::node {

namespace asio = boost::asio;

namespace {

std::string HashKey(const crypto::Digest& d) { return std::string(d.begin(), d.end()); }

// Descriptors kept for everything but API clients: LevelDB's files, the WAL, peers, logs.
constexpr rlim_t kReservedDescriptors = 256;

// Raises the descriptor limit to its hard maximum and clamps the API connection cap below it, so
// that thousands of clients exhaust the cap (503, counted) and never the process's descriptors
// (which would also stop LevelDB and the peers).
size_t ApiConnectionCap(size_t configured) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return configured;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY) return configured;
  const rlim_t usable = lim.rlim_cur > 2 * kReservedDescriptors ? lim.rlim_cur - kReservedDescriptors
                                                                : lim.rlim_cur / 2;
  if (configured <= usable) return configured;
  GOVLEDGER_LOG(kWarn, "api.max_connections = " << configured << " exceeds what the descriptor "
                       "limit (" << lim.rlim_cur << ") allows; using " << usable
                       << " (raise `ulimit -n` to allow more)");
  return static_cast<size_t>(usable);
}

// Bytes of the regular files under `dir` (0 if it does not exist yet).
uint64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  uint64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

// Opens the store and checks it (ledger/store_check.h) before anything is served from it.
Result<std::unique_ptr<ledger::Store>> OpenStore(const NodeConfig& config,
                                                 const ledger::Genesis& genesis) {
  const std::string dir = config.Path(config.data_dir);
  const std::string what_now =
      ". The node refuses to start so that it never serves or builds on damaged data. Run "
      "`govledger audit chain --home " + config.home + "` for the first bad height; to recover, "
      "stop the node, move " + dir + " aside and start it again: it syncs the chain from its "
      "peers, verifying every certificate (doc/operator.md, \"Storage errors\")";
  ledger::StartupCheckOptions opts;
  opts.full_scan = config.startup_full_scan;
  opts.tip_blocks = config.startup_tip_blocks;
  const uint64_t size = DirectoryBytes(dir);
  if (opts.full_scan && config.startup_full_scan_max_bytes != 0 &&
      size > config.startup_full_scan_max_bytes) {
    opts.full_scan = false;
    GOVLEDGER_LOG(kInfo, "store " << dir << " holds " << size << " bytes, more than [storage] "
                                  "startup_full_scan_max_bytes = "
                                  << config.startup_full_scan_max_bytes
                                  << ": checking its table files and newest blocks only (`govledger "
                                     "audit chain` reads all of it)");
  }
  const int64_t started = NowMs();
  auto store = ledger::OpenCheckedStore(dir, genesis, opts);
  if (!store.ok()) {
    if (store.status().code() != "corrupt_store") return store.status();
    return Status::Error("corrupt_store", "data directory " + dir + " is damaged: " +
                                              store.status().message() + what_now);
  }
  GOVLEDGER_LOG(kInfo, "store " << dir << " checked at height " << (*store)->height() << " ("
                                << (opts.full_scan ? "full checksum scan, " : "")
                                << "last " << opts.tip_blocks << " blocks) in "
                                << NowMs() - started << " ms");
  // Reads of ids and hashes the store does not hold skip LevelDB once this is built.
  ledger::Store::KeyFilterOptions filter;
  filter.on_built = [dir](const ledger::Store::KeyFilterReport& r) {
    if (r.built) {
      GOVLEDGER_LOG(kInfo, "store " << dir << ": key filter built from " << r.keys
                                    << " material and transaction rows in " << r.elapsed_ms
                                    << " ms (" << r.bytes / 1024 << " KiB, for " << r.capacity
                                    << " keys)");
    } else {
      GOVLEDGER_LOG(kWarn, "store " << dir << ": key filter not built (" << r.error
                                    << "); reads go to LevelDB. `govledger audit chain` checks "
                                       "the store");
    }
  };
  (*store)->StartKeyFilter(std::move(filter));
  return store;
}
}  // namespace

Node::Node(NodeConfig config, ledger::Genesis genesis, std::unique_ptr<ledger::Store> store,
           ValidatorKeys keys)
    : config_(std::move(config)),
      genesis_(std::move(genesis)),
      store_(std::move(store)),
      keys_(std::move(keys)),
      signals_(io_, SIGINT, SIGTERM),
      mempool_(config_.mempool_max_txs, config_.mempool_max_bytes) {
  registry_ = std::make_unique<contracts::Registry>(genesis_);
  executor_ = std::make_unique<Executor>(genesis_, *store_, *registry_);
  unsigned threads = config_.verify_threads ? config_.verify_threads
                                            : std::max(1u, std::thread::hardware_concurrency());
  verifier_ = std::make_unique<SignatureVerifier>(io_, genesis_.suite, threads);
  read_pool_ = std::make_unique<ReadPool>(io_, config_.read_workers, config_.read_queue);
  ConsensusDriver::Hooks hooks;
  hooks.on_commit = [this](const BuiltBlock& built) { OnCommitted(built); };
  storage_guard_ = std::make_unique<StorageGuard>(
      std::vector<std::string>{config_.Path(config_.data_dir), config_.Path(config_.wal_dir)},
      config_.min_free_bytes);
  hooks.can_commit = [this](uint64_t height) { return storage_guard_->Check(height); };
  hooks.on_forwarded_txs = [this](std::vector<Bytes> txs) {
    for (const Bytes& raw : txs) {
      Admit(raw, /*forward=*/false, [](SubmitResult) {});
    }
  };
  hooks.preverify_txs = [this](std::shared_ptr<const std::vector<Bytes>> raws,
                               std::function<void()> done) {
    verifier_->VerifyRaw(std::move(raws), genesis_.params.max_tx_bytes,
                         [this, done = std::move(done)](std::vector<crypto::Digest> verified) {
                           for (const crypto::Digest& d : verified) executor_->MarkVerifiedRaw(d);
                           done();
                         });
  };
  hooks.on_workers = [this](size_t n, std::function<void(size_t)> work,
                            std::function<void()> done) {
    verifier_->RunOnWorkers(n, std::move(work), std::move(done));
  };
  driver_ = std::make_unique<ConsensusDriver>(io_, config_, genesis_, *store_, *executor_,
                                              mempool_, keys_, std::move(hooks));
}

Node::~Node() {
  if (driver_) driver_->Stop();
  if (verifier_) verifier_->Stop();
  if (read_pool_) read_pool_->Stop();
}

Result<std::unique_ptr<Node>> Node::Open(const NodeConfig& config) {
  auto genesis = ledger::LoadGenesisFile(config.Path(config.genesis_file));
  if (!genesis.ok()) return genesis.status();
  auto keys = LoadValidatorKeys(config, genesis->suite);
  if (!keys.ok()) return keys.status();
  auto store = OpenStore(config, *genesis);
  if (!store.ok()) return store.status();
  // The key (or the next key of a rotation) must be a validator's in the genesis or one that
  // governance added or rotated in (now or for a later height); a home made by `network join`
  // may start before that and follows the chain.
  bool is_validator = false;
  for (const auto& v : genesis->validators) is_validator |= keys->Holds(v.key);
  for (const auto& c : ledger::GetValidatorChanges(**store)) {
    is_validator |= !c.remove && keys->Holds(c.validator.key);
  }
  if (!is_validator && !config.joining) {
    return Status::Error("not_a_validator",
                         "the key in " + config.Path(config.validator_key_file) +
                             " is not a validator of chain '" + genesis->chain_id +
                             "' (a node joining through governance has `joining = true` in "
                             "node.toml; see `govledger network join`)");
  }
  return std::unique_ptr<Node>(
      new Node(config, std::move(*genesis), std::move(*store), std::move(*keys)));
}

Status Node::Start() {
  std::string host;
  uint16_t port;
  GOVLEDGER_RETURN_IF_ERROR(SplitHostPort(config_.api_listen, host, port));
  HttpLimits limits;
  limits.max_body_bytes = config_.max_body_bytes;
  limits.max_header_bytes = config_.max_header_bytes;
  limits.max_connections = ApiConnectionCap(config_.max_connections);
  limits.max_connections_per_ip = config_.max_connections_per_ip;
  limits.header_timeout_ms = config_.header_timeout_ms;
  limits.body_timeout_ms = config_.body_timeout_ms;
  limits.write_timeout_ms = config_.write_timeout_ms;
  limits.idle_timeout_ms = config_.idle_timeout_ms;
  http_ = std::make_unique<HttpServer>(io_, limits, MakeApiHandler(*this));
  GOVLEDGER_RETURN_IF_ERROR(http_->Listen(host, port));
  auto ep = http_->endpoint();
  std::string bound = ep.address().to_string() + ":" + std::to_string(ep.port());
  GOVLEDGER_RETURN_IF_ERROR(WriteFileAtomic(config_.Path("api.addr"), bound + "\n", 0644));

  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    GOVLEDGER_LOG(kInfo, "signal " << sig << " received, shutting down");
    Stop();
  });
  GOVLEDGER_RETURN_IF_ERROR(driver_->Start());
  GOVLEDGER_LOG(kInfo, "node " << config_.name << " of chain " << genesis_.chain_id << " ("
                               << crypto::SuiteName(genesis_.suite) << ") at height "
                               << store_->height() << "; API on http://" << bound << ", peers on "
                               << config_.p2p_listen << " ("
                               << executor_->ValidatorsAt(store_->height() + 1).size()
                               << " validators)");
  return Status::Ok();
}

void Node::Run() { io_.run(); }

size_t Node::PollForTest() {
  if (io_.stopped()) io_.restart();
  return io_.poll();
}

void Node::Stop() {
  asio::post(io_, [this] {
    if (stopping_) return;
    stopping_ = true;
    const Executor::VerifyStats vs = executor_->verify_stats();
    GOVLEDGER_LOG(kInfo, "block execution: " << vs.cached
                                             << " transaction signatures answered by the "
                                                "admission cache, "
                                             << vs.verified << " verified while executing");
    if (http_) http_->Stop();
    driver_->Stop();
    signals_.cancel();
    // Clients still waiting learn that their transaction may not have been committed.
    auto waiters = std::move(waiters_);
    for (auto& [key, list] : waiters) {
      for (auto& w : list) {
        if (w.timer) w.timer->cancel();
        SubmitResult r;
        r.http_status = 503;
        std::copy(key.begin(), key.end(), r.hash.begin());
        r.status = Status::Error("shutting_down", "node is shutting down; the transaction is "
                                                  "pending and may still be committed");
        w.done(r);
      }
    }
    verifier_->Stop();
    read_pool_->Stop();
    // Let queued writes go out, then stop.
    asio::post(io_, [this] { io_.stop(); });
  });
}

void Node::Reject(const Status& st, int http_status, const crypto::Digest& hash,
                  std::function<void(SubmitResult)>& done) {
  ++metrics_.txs_rejected[st.code()];
  SubmitResult r;
  r.http_status = http_status;
  r.hash = hash;
  r.status = st;
  done(r);
}

void Node::Admit(const Bytes& raw, bool forward, std::function<void(SubmitResult)> done) {
  auto decoded = ledger::DecodeTx(genesis_.suite, raw, genesis_.params.max_tx_bytes);
  if (!decoded.ok()) {
    Reject(decoded.status(), 400, crypto::Digest{}, done);
    return;
  }
  auto tx = std::make_shared<const ledger::Tx>(std::move(*decoded));
  if (auto loc = store_->FindTx(tx->hash)) {
    Reject(Status::Error("replayed_tx", "this transaction was already committed at height " +
                                            std::to_string(loc->height)),
           409, tx->hash, done);
    return;
  }
  SubmitResult pending;
  pending.http_status = 202;
  pending.hash = tx->hash;
  if (mempool_.Contains(tx->hash)) {
    done(pending);
    return;
  }
  ++admitting_;
  verifier_->Verify(tx, [this, tx, forward, pending,
                         done = std::move(done)](std::optional<crypto::Digest> raw_hash) mutable {
    --admitting_;
    if (stopping_) {
      Reject(Status::Error("shutting_down", "node is shutting down"), 503, tx->hash, done);
      return;
    }
    if (!raw_hash) {
      Reject(Status::Error("bad_signature", "the signature does not verify for the signer's key"),
             400, tx->hash, done);
      return;
    }
    executor_->MarkVerifiedRaw(*raw_hash);
    if (!mempool_.Contains(tx->hash)) {
      if (Status st = executor_->Check(*tx, NowMs()); !st.ok()) {
        Reject(st, st.code() == "replayed_tx" ? 409 : 422, tx->hash, done);
        return;
      }
      if (Status st = mempool_.Add(tx); !st.ok()) {
        Reject(st, 503, tx->hash, done);
        return;
      }
      driver_->OnNewTx(*tx, forward);
    }
    done(pending);
  });
}

void Node::Submit(const Bytes& raw, bool wait, int64_t wait_ms,
                  std::function<void(SubmitResult)> done) {
  ++metrics_.txs_submitted;
  // Backpressure: past a few blocks' worth of waiting transactions a client is told to retry
  // before anything is verified or forwarded, so an overloaded network spends its CPU on making
  // full blocks rather than on admitting transactions it cannot order soon. Forwarded
  // transactions are still admitted up to the mempool's own limit: they are in some validator's
  // mempool already and will be proposed, and admitting them verifies their signatures once here.
  if (mempool_.size() + admitting_ >= SubmissionLimit()) {
    Reject(Status::Error("mempool_full", "too many pending transactions (" +
                                             std::to_string(mempool_.size()) + " waiting, " +
                                             std::to_string(admitting_) +
                                             " being verified); retry shortly"),
           503, crypto::Digest{}, done);
    return;
  }
  Admit(raw, /*forward=*/true, [this, wait, wait_ms, done = std::move(done)](SubmitResult r) mutable {
    if (!r.status.ok() || !wait) {
      done(r);
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(std::chrono::milliseconds(std::min(wait_ms, config_.max_wait_ms)));
    std::string key = HashKey(r.hash);
    waiters_[key].push_back(Waiter{std::move(done), timer});
    timer->async_wait([this, key, timer](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = waiters_.find(key);
      if (it == waiters_.end()) return;
      auto& list = it->second;
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].timer != timer) continue;
        SubmitResult timed_out;
        timed_out.http_status = 202;
        std::copy(key.begin(), key.end(), timed_out.hash.begin());
        auto cb = std::move(list[i].done);
        list.erase(list.begin() + static_cast<long>(i));
        if (list.empty()) waiters_.erase(it);
        cb(timed_out);
        return;
      }
    });
  });
}

size_t Node::SubmissionLimit() const {
  const size_t blocks = static_cast<size_t>(genesis_.params.max_block_txs) * kSubmissionBlocks;
  return std::min(config_.mempool_max_txs, std::max<size_t>(blocks, 1));
}

void Node::Finish(const crypto::Digest& hash, SubmitResult result) {
  auto it = waiters_.find(HashKey(hash));
  if (it == waiters_.end()) return;
  auto list = std::move(it->second);
  waiters_.erase(it);
  for (auto& w : list) {
    if (w.timer) w.timer->cancel();
    w.done(result);
  }
}

void Node::OnCommitted(const BuiltBlock& built) {
  const auto& h = built.write.block.header;
  ++metrics_.blocks_committed;
  metrics_.txs_committed += h.tx_count;
  metrics_.materials_expired += built.expired;
  if (h.tx_count > 0 || built.expired > 0) {
    GOVLEDGER_LOG(kInfo, "committed block " << h.height << " with " << h.tx_count << " txs, "
                                            << built.expired << " expiries");
  } else {
    GOVLEDGER_LOG(kDebug, "committed heartbeat block " << h.height);
  }
  for (const TxOutcome& o : built.outcomes) {
    if (!o.status.ok() && o.status.code() == "block_full") continue;  // stays for the next block
    mempool_.Remove(o.hash);
    SubmitResult r;
    r.hash = o.hash;
    if (o.status.ok()) {
      r.http_status = 200;
      r.location = o.location;
    } else {
      ++metrics_.txs_rejected[o.status.code()];
      r.http_status = 422;
      r.status = o.status;
    }
    Finish(o.hash, r);
  }
}

}  // namespace govledger::node

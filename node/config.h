// A validator's local configuration (HOME/node.toml): where its keys, genesis and data live and
// which addresses it listens on. Network-wide rules live in the genesis, not here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "consensus/core.h"
#include "util/status.h"

namespace govledger::node {

class FrameFilter;  // node/frame_filter.h

struct NodeConfig {
  std::string home;             // absolute; relative paths below resolve against it
  std::string name = "node0";
  std::string genesis_file = "genesis.json";
  std::string validator_key_file = "validator.pem";
  std::string tls_key_file = "tls.pem";
  std::string data_dir = "data";
  std::string wal_dir = "wal";      // consensus WAL and sign guard
  std::string api_listen = "127.0.0.1:7001";
  std::string p2p_listen = "127.0.0.1:7101";
  // A node made by `govledger network join`: its key is not in the genesis, and it follows the
  // chain without voting until a governance proposal adds it (the validators then pin its TLS
  // key). Without this, a validator key unknown to the genesis and the state is refused.
  bool joining = false;
  // API limits.
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  size_t max_connections = 4096;     // clamped to what the descriptor limit allows
  size_t max_connections_per_ip = 256;
  int64_t header_timeout_ms = 10'000;  // the whole request header (slowloris)
  int64_t body_timeout_ms = 30'000;    // the body, after the header ("request_timeout_ms" too)
  int64_t write_timeout_ms = 30'000;   // writing one answer to a client that does not read
  int64_t idle_timeout_ms = 30'000;    // a kept-alive connection between requests
  // Token buckets per client address (0 = no limit): reads (every GET) and submissions.
  uint64_t read_rate_per_s = 200;
  uint64_t read_burst = 400;
  uint64_t submit_rate_per_s = 100;
  uint64_t submit_burst = 200;
  // Signed requests (node/request_auth.h) are fresh within this many ms of the node's clock.
  int64_t auth_window_ms = 300'000;
  // Heavy reads (reports, proofs, blocks, listings) run on these workers over store snapshots.
  unsigned read_workers = 2;
  size_t read_queue = 64;
  int64_t max_wait_ms = 60'000;     // longest a client may wait for a commit
  size_t max_batch_txs = 1'000;     // transactions in one POST /v1/txs (the body limit applies too)
  // Mempool.
  size_t mempool_max_txs = 50'000;
  size_t mempool_max_bytes = 64 << 20;
  unsigned verify_threads = 0;      // 0 = number of cores
  // Consensus: per-step timeouts growing per round; how often latest messages are resent.
  consensus::Timeouts timeouts;
  int64_t rebroadcast_ms = 500;
  // A proposer under load builds its block this long after the previous block's time at the
  // earliest (fewer, fuller blocks: each height costs synced writes whatever it holds). 0 = at
  // once. Heights that take longer anyway (a network's message rounds) never wait. While the
  // host's CPU is busy (over half), the window stretches toward block_fill_max_ms
  // (node/consensus_driver.h, FillWindowMs); a max at or below block_fill_ms keeps it fixed.
  int64_t block_fill_ms = 5;
  int64_t block_fill_max_ms = 25;
  // Storage ([storage]): checks when the node starts (ledger/store_check.h), and the free space
  // below which the node stops committing and signing rather than run its disk full.
  bool startup_full_scan = true;
  // The full scan reads the whole store, O(ledger size): above this many bytes of data directory
  // it is skipped (tip checks only, logged; `govledger audit chain` does the full check). 0: no
  // limit. 2 GiB is about 1.4 M materials, a scan of seconds.
  uint64_t startup_full_scan_max_bytes = 2ull << 30;
  uint64_t startup_tip_blocks = 16;
  uint64_t min_free_bytes = 64ull << 20;
  // Keys ([keys]): a file holding the passphrase of encrypted key files (else the environment
  // variable GOVLEDGER_KEY_PASSPHRASE; never the command line), and the override that lets a
  // key file readable by group or others load.
  std::string key_passphrase_file;
  bool allow_readable_keys = false;
  // Key rotation (doc/operator.md): the keys a governance rotation gives this validator. Empty:
  // none. The node signs with the next validator key from the height the rotation takes effect
  // and presents the next TLS key from then on; until then, and if no rotation names them, the
  // current keys.
  std::string next_validator_key_file;
  std::string next_tls_key_file;
  // Fault-injection tests only (node/frame_filter.h); never read from node.toml, null in the
  // production daemon.
  std::shared_ptr<FrameFilter> frame_filter;

  std::string Path(const std::string& relative) const;  // resolve against home
};

Result<NodeConfig> LoadNodeConfig(const std::string& home);
std::string NodeConfigToToml(const NodeConfig& c);

// "host:port" → host and port; port 0 means "any free port".
Status SplitHostPort(const std::string& addr, std::string& host, uint16_t& port);

}  // namespace govledger::node

// Drives the pure Tendermint core (consensus/core.h) inside the node: writes every input to the
// WAL before acting on it, carries out the core's effects (peer broadcast over node/p2p, timers,
// building and validating blocks with the Executor, committing decided blocks to the store),
// rebroadcasts this validator's latest messages, forwards admitted transactions to the other
// validators and catches up by block sync when peers are ahead. Runs on the node's io thread,
// except for the store write of a decided block, which runs on a commit thread of its own while
// the io thread goes on admitting transactions and answering the API and peers (OnDecide).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "consensus/core.h"
#include "consensus/wal.h"
#include "ledger/genesis.h"
#include "ledger/pending_chain.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/executor.h"
#include "node/keys.h"
#include "node/mempool.h"
#include "node/p2p.h"
#include "util/host_cpu.h"

namespace govledger::pb {
class P2pMessage;
}

namespace govledger::node {

// How long after the previous block's time a loaded proposer builds its next round-0 block at the
// earliest: `min_ms` (NodeConfig::block_fill_ms) while the host's CPU is at most half busy,
// stretching linearly to `max_ms` (block_fill_max_ms; never below min_ms) at 90 % busy and above.
// A height's fixed cost (synced writes, signed messages, waking threads) only matters when CPU is
// scarce, and then fewer, fuller blocks leave more of it to the transactions.
int64_t FillWindowMs(int64_t min_ms, int64_t max_ms, double host_busy);

class ConsensusDriver {
 public:
  struct Hooks {
    // After a block is durably committed: resolve waiting clients, clean the mempool.
    std::function<void(const BuiltBlock&)> on_commit;
    // Transactions another validator forwarded: admit them like submissions (no re-forwarding).
    std::function<void(std::vector<Bytes> txs)> on_forwarded_txs;
    // Before committing block `height`: false (not enough free space, node/storage_guard.h)
    // holds the commit back; it is retried every second. Unset: always true.
    std::function<bool(uint64_t height)> can_commit;
    // Block sync: verify these serialized transactions' signatures off the io thread (so that
    // executing the fetched blocks finds them verified), then call done on the io thread.
    // Unset: execution verifies them itself.
    std::function<void(std::shared_ptr<const std::vector<Bytes>> raws, std::function<void()> done)>
        preverify_txs;
    // Block sync: runs work(0) ... work(n - 1) off the io thread (on the verifier's workers; work
    // must touch nothing the io thread owns), then done on the io thread. Unset: the fetched
    // blocks' certificates are checked on the io thread as they are applied.
    std::function<void(size_t n, std::function<void(size_t)> work, std::function<void()> done)>
        on_workers;
  };

  ConsensusDriver(boost::asio::io_context& io, const NodeConfig& config,
                  const ledger::Genesis& genesis, ledger::Store& store, BlockExecutor& executor,
                  const Mempool& mempool, const ValidatorKeys& keys, Hooks hooks);
  ~ConsensusDriver();

  // Opens the WAL (replaying the current height), starts the transport and consensus.
  Status Start();
  void Stop();

  // A transaction entered this node's mempool: forward it and wake a waiting proposer.
  void OnNewTx(const ledger::Tx& tx, bool forward);

  struct Stats {
    uint64_t rounds_above_zero = 0;  // heights decided in a round > 0
    uint64_t evidence = 0;
    uint64_t synced_blocks = 0;
    uint64_t invalid_proposals = 0;
    uint64_t wal_syncs = 0;          // group commits of the WAL and sign guard
    uint64_t blocks_cut_short = 0;   // proposals bounded by time or bytes, not by the mempool
    uint64_t fill_waits = 0;         // proposals that waited block_fill_ms for a fuller block
    int64_t fill_window_ms = 0;      // the last window a proposal waited out (FillWindowMs)
  };
  const Stats& stats() const { return stats_; }
  uint64_t consensus_height() const;
  uint32_t consensus_round() const;
  size_t connected_peers() const;

 private:
  void Pump();
  void Feed(consensus::Input in, bool record);
  void Handle(const consensus::Effect& e);
  bool RecordOwn(const consensus::Input& in);
  // Answers the core's BuildBlock: builds now, or (round 0, under load) once the block has had
  // its fill window (FillWindowMs) since the previous one to fill (BuildNow then).
  void DoBuild(uint64_t height, uint32_t round);
  void BuildNow(uint64_t height, uint32_t round);
  void ArmFill(int64_t delay_ms);
  void OnValidate(const consensus::ValidateBlock& v);
  // Hands the decided block to the commit thread (Store::CommitBlock: its synced write is most
  // of a height's io-thread time on a loaded validator). Until FinishCommit runs, the core gets
  // no input and block sync applies nothing, so nothing reads the tip as it moves except what
  // the store allows (reads concurrent with a commit); the io thread meanwhile admits
  // transactions, answers the API and peers, and sends this node's signed messages.
  void OnDecide(const consensus::Decide& d);
  // On the io thread once the commit thread has written (or failed to write) the block: the
  // clients and the mempool learn of it, the queued inputs run, the next height starts. A failed
  // write is retried every second, as a storage-guard hold-back is.
  // `d` carries no block bytes (the BuiltBlock does; see OnDecide).
  void FinishCommit(const consensus::Decide& d, std::shared_ptr<BuiltBlock> block, Status st);
  void RetryCommit(const consensus::Decide& d);
  void StartHeight();
  // StartHeight from the io loop (after a commit): the inputs, admissions and HTTP requests that
  // queued during the height run first, so the next proposal takes all of them.
  void PostStartHeight();
  void BeginConsensusHeight();
  // Group commit: one WAL and sign-guard sync for every signed message of a Pump, then they go.
  void FlushOwn();
  // The largest proposal to build now: max_block_txs, cut so that building it takes at most a
  // quarter of the round's propose timeout at the recent cost per transaction.
  size_t ProposalTxLimit(uint32_t round) const;
  void NoteExecution(size_t txs, int64_t elapsed_us);
  void Rebroadcast();
  void ArmRebroadcast();
  void OnPeerMessage(uint32_t peer, Bytes payload);
  // Block sync (node/consensus_sync.cc), in four steps: a fetched batch is decoded (OnBlocks),
  // its transactions' signatures and the certificates no later block of it embeds are verified
  // on the worker pool while the next batch is already requested (VerifyFetched); once verified
  // and in height order, its blocks are checked and executed, each on the chain the ones before
  // it leave (ApplyVerified, one batch per turn of the io loop; ApplyFetched), and they are
  // written on the commit thread, several to a synced write, while the next ones execute
  // (StartSyncWrite, FinishSyncWrite). Up to kSyncBatchesInFlight batches are verified or
  // waiting to be applied, and one more that arrives meanwhile waits.
  struct FetchedBlock {
    ledger::Block block;
    ledger::Commit commit;
    // Its certificate verified on a worker against the validator set of the batch (below).
    bool certified = false;
    // `commit` is the certificate the next block of the batch embeds as its last_commit: bound
    // by hash to that block, and through the chain to the last block of the write it goes in,
    // whose certificate is checked by its signatures (ApplyFetched); its own signatures are not
    // checked (doc/design.md, decisions of 6 Dec).
    bool vouched = false;
  };
  struct FetchedBatch {
    uint32_t peer = 0;
    std::vector<FetchedBlock> blocks;
    // The validator set of the height after the tip when the batch was fetched. A block's
    // certificate checked against it stands only if its own height has the same set (a
    // governance change inside the batch makes the io thread check again).
    std::vector<ledger::Validator> set;
    int pending = 0;  // verifications still running (io thread only)
  };
  static constexpr size_t kSyncBatchesInFlight = 4;
  static constexpr uint32_t kMaxSyncBlocks = 64;       // per batch asked for
  // Synced blocks are committed in one write (ledger::Store::CommitBlocks) until there are this
  // many, or this many transactions in them: what a write saves is a block's fixed cost (its
  // fsync), which a block of a thousand transactions already spreads thin, while the pending
  // blocks' maps grow with every transaction (measured: 10-transaction blocks +30 %, 1,000-
  // transaction blocks a few percent slower when four went in one write).
  static constexpr size_t kSyncCommitBlocks = kMaxSyncBlocks;  // a batch (a peer may send more)
  static constexpr size_t kSyncCommitTxs = 1000;
  // Consensus inputs queued during sync writes that make block sync let its pipeline drain
  // (ApplyVerified) so that they run.
  static constexpr size_t kSyncDrainInputs = 64;
  static constexpr size_t kMaxSyncBytes = 8u << 20;    // per batch served
  static constexpr int64_t kSyncRetryMs = 2000;        // before asking again
  void OnBlocks(uint32_t peer, const pb::P2pMessage& msg);
  void VerifyFetched(uint32_t peer, std::vector<FetchedBlock> fetched);
  void ApplyVerified();
  // Executes the batch's blocks on the sync tip and starts a write when the commit thread is
  // free. True when the tip reached the batch's last height (blocks already on it are skipped).
  bool ApplyFetched(const FetchedBatch& batch);
  bool SyncCertificateOk(uint32_t peer, const std::vector<ledger::Validator>& set,
                         const ledger::Commit& c, uint64_t height,
                         const crypto::Digest& block_hash) const;
  // Hands every executed block waiting (sync_built_) to the commit thread, once the last one's
  // certificate holds and the storage guard allows; false (the blocks dropped, to be fetched
  // again) otherwise.
  bool StartSyncWrite();
  // On the io thread after the write: the clients and the mempool learn of the blocks, the chain
  // is rebased on the store, and the blocks executed meanwhile are the next write; when none
  // are, consensus resumes from the new tip. A failed write drops what was executed on it.
  void FinishSyncWrite(std::shared_ptr<std::vector<BuiltBlock>> blocks, Status st);
  void DropSyncBlocks();
  // The chain block sync executes on: the store's tip and the blocks written or waiting.
  const ledger::ChainView& SyncTip() const;
  // The last height of the batches being verified or waiting to be applied; 0: none.
  uint64_t SyncInHandTo() const;
  void RequestBlocks(uint32_t peer, uint64_t from_height = 0);  // 0: from the tip + 1
  void SendStatus(std::optional<uint32_t> peer);
  // The validators of `height` and of the next one, with this node's index if it is one and the
  // key it signs with there (the next key from the height a rotation takes effect).
  consensus::Membership MembershipAt(uint64_t height) const;
  const crypto::PrivateKey& KeyAt(uint64_t height) const;
  // Key rotation: loads the TLS keys (node.toml tls_key, [keys] next_tls_key_file) and, once the
  // validator set of `height` pins the next one, presents it (P2p::SetOwnTlsKey).
  Status LoadTlsKeys();
  bool NextTlsKeyPinnedAt(uint64_t height) const;
  void MaybeRotateTls(uint64_t height);
  // Pins every validator the committed state knows (genesis and governance additions) in the
  // transport, starting it when a second node appears. Called at start and after each commit.
  Status RefreshPeers();
  Status StartP2p(std::vector<PeerInfo> peers);
  void OnPeerConnected(uint32_t peer);
  // This node's latest signed messages (and its valid value's proof-of-lock), as p2p frames.
  std::vector<Bytes> LatestMessageFrames() const;

  boost::asio::io_context& io_;
  const NodeConfig& config_;
  const ledger::Genesis& genesis_;
  ledger::Store& store_;
  BlockExecutor& executor_;
  const Mempool& mempool_;
  const ValidatorKeys& keys_;
  Hooks hooks_;
  std::string tls_pem_, next_tls_pem_;  // decrypted PKCS#8 PEMs, in memory only
  crypto::PublicKey next_tls_public_;
  bool presenting_next_tls_ = false;
  const crypto::PrivateKey* signing_key_ = nullptr;  // of the height begun last (for the log)
  size_t known_changes_ = 0;  // validator changes already pinned by RefreshPeers

  std::unique_ptr<consensus::Wal> wal_;
  std::unique_ptr<consensus::Core> core_;
  std::unique_ptr<P2p> p2p_;
  std::deque<std::pair<consensus::Input, bool>> inputs_;  // (input, record in WAL)
  bool pumping_ = false;
  bool stopped_ = false;

  std::map<Bytes, BuiltBlock> built_;  // executed blocks of the current height, by hash
  bool waiting_for_txs_ = false;  // height not started yet: idle chain waiting for txs
  bool begin_posted_ = false;     // a BeginConsensusHeight for arriving txs is queued
  bool start_posted_ = false;     // a StartHeight after a commit is queued
  std::vector<Bytes> pending_out_;  // own signed messages waiting for the group sync
  bool own_unsafe_ = false;  // a WAL or guard sync failed: none of our messages leave any more
  double exec_us_per_tx_ = 0;    // moving average of building / re-executing, per transaction
  double height_ms_avg_ = 0;     // moving average of start-to-commit of heights decided here
  int64_t height_began_ms_ = 0;
  boost::asio::steady_timer build_timer_;
  // The proposer's wait for a fuller block (NodeConfig::block_fill_ms; round 0 only): set while
  // armed, for the round-0 proposal of fill_height_.
  boost::asio::steady_timer fill_timer_;
  bool fill_pending_ = false;
  uint64_t fill_height_ = 0;
  HostCpu host_cpu_;  // how busy the host is, for the fill window
  boost::asio::steady_timer rebroadcast_timer_;
  boost::asio::steady_timer commit_retry_;
  std::map<std::tuple<uint64_t, uint32_t, uint8_t>, std::shared_ptr<boost::asio::steady_timer>>
      timeouts_;
  std::map<uint32_t, uint64_t> peer_heights_;
  int64_t sync_requested_at_ms_ = 0;
  uint64_t sync_requested_from_ = 0;  // the first height of the last block request
  // Fetched batches in height order, each verified or being verified (FetchedBatch::pending).
  std::deque<std::shared_ptr<FetchedBatch>> sync_batches_;
  bool sync_applying_ = false;  // ApplyVerified is running (a batch verified meanwhile waits)
  std::optional<std::pair<uint32_t, std::vector<FetchedBlock>>> sync_next_;  // arrived meanwhile
  bool sync_apply_deferred_ = false;  // a verified batch waits for the decided block's write
  bool sync_apply_posted_ = false;    // an ApplyVerified for the next batch is queued
  // Blocks executed by sync and not in the store yet, as chains: those of the write in flight
  // (over the store) and those waiting for the next (sync_built_, over the first or, once it is
  // written, the store). Set only while a write is in flight (between turns of the io loop), so
  // consensus, whose inputs wait meanwhile, never sees them.
  std::unique_ptr<ledger::PendingChain> sync_written_chain_;
  std::unique_ptr<ledger::PendingChain> sync_chain_;
  std::vector<BuiltBlock> sync_built_;
  // Whether the last of sync_built_ had its certificate checked, and if not, against which set
  // and from which peer: a write must end on a checked certificate.
  bool sync_last_checked_ = false;
  std::vector<ledger::Validator> sync_last_set_;
  uint32_t sync_last_peer_ = 0;
  Stats stats_;
  // What the commit thread is writing. While it writes anything, the core's inputs wait (Pump)
  // and nothing is built; block sync executes during its own writes, not during a decided one.
  enum class Write { kNone, kDecided, kSynced };
  Write writing_ = Write::kNone;
  // Last, so that it is joined (by Stop, or here) before anything the commit reads goes.
  boost::asio::thread_pool commit_thread_{1};
};

}  // namespace govledger::node

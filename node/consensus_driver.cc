#include "node/consensus_driver.h"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <chrono>

#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "node/keys.h"
#include "node/log.h"
#include "node/p2p_messages.h"
#include "proto/p2p.pb.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::node {

namespace asio = boost::asio;
using consensus::Effect;
using consensus::Input;

namespace {

// A proposal is one p2p frame (at most 16 MiB) and one WAL record: bounded well below that.
constexpr size_t kMaxProposalBytes = 8u << 20;
// Never fewer than this many per proposal, whatever the cost estimate says.
constexpr size_t kMinProposalTxs = 50;
// Timeouts stretch to this many times the recent start-to-commit time of a height, up to
// kMaxTimeoutStretch times their configured value: a loaded network that needs 900 ms for a
// height does not time out its rounds at 1,000 ms (which would waste the work and collapse the
// throughput), while a crashed proposer still costs a bounded wait.
constexpr double kTimeoutOverHeight = 2.0;
constexpr int64_t kMaxTimeoutStretch = 4;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The host's busy share at which the fill window starts to stretch, and at which it is longest.
constexpr double kFillStretchFrom = 0.5;
constexpr double kFillStretchTo = 0.9;

}  // namespace

int64_t FillWindowMs(int64_t min_ms, int64_t max_ms, double host_busy) {
  if (max_ms <= min_ms) return min_ms;
  const double f =
      std::clamp((host_busy - kFillStretchFrom) / (kFillStretchTo - kFillStretchFrom), 0.0, 1.0);
  return min_ms + static_cast<int64_t>(f * static_cast<double>(max_ms - min_ms) + 0.5);
}

ConsensusDriver::ConsensusDriver(asio::io_context& io, const NodeConfig& config,
                                 const ledger::Genesis& genesis, ledger::Store& store,
                                 BlockExecutor& executor, const Mempool& mempool,
                                 const ValidatorKeys& keys, Hooks hooks)
    : io_(io),
      config_(config),
      genesis_(genesis),
      store_(store),
      executor_(executor),
      mempool_(mempool),
      keys_(keys),
      hooks_(std::move(hooks)),
      build_timer_(io),
      fill_timer_(io),
      rebroadcast_timer_(io),
      commit_retry_(io) {}

size_t ConsensusDriver::ProposalTxLimit(uint32_t round) const {
  size_t limit = genesis_.params.max_block_txs;
  if (exec_us_per_tx_ > 0) {
    const double budget_us = static_cast<double>(config_.timeouts.ProposeFor(round)) * 1000 / 4;
    limit = std::min(limit, std::max(kMinProposalTxs, static_cast<size_t>(budget_us /
                                                                          exec_us_per_tx_)));
  }
  return limit;
}

void ConsensusDriver::NoteExecution(size_t txs, int64_t elapsed_us) {
  if (txs < 10) return;  // per-block costs dominate: no estimate of the per-transaction cost
  const double per_tx = static_cast<double>(elapsed_us) / static_cast<double>(txs);
  exec_us_per_tx_ = exec_us_per_tx_ == 0 ? per_tx : 0.7 * exec_us_per_tx_ + 0.3 * per_tx;
}

ConsensusDriver::~ConsensusDriver() { Stop(); }

uint64_t ConsensusDriver::consensus_height() const { return core_ ? core_->height() : 0; }
uint32_t ConsensusDriver::consensus_round() const { return core_ ? core_->round() : 0; }
size_t ConsensusDriver::connected_peers() const {
  size_t n = 0;
  if (!p2p_) return 0;
  for (uint32_t i = 0; i < p2p_->peer_count(); ++i) {
    if (p2p_->Connected(i)) ++n;  // never true for this node's own entry
  }
  return n;
}

const crypto::PrivateKey& ConsensusDriver::KeyAt(uint64_t height) const {
  const crypto::PrivateKey* listed = keys_.ListedIn(executor_.ValidatorsAt(height));
  return listed ? *listed : keys_.current;
}

consensus::Membership ConsensusDriver::MembershipAt(uint64_t height) const {
  consensus::Membership m;
  const std::vector<ledger::Validator> set = executor_.ValidatorsAt(height);
  const crypto::PrivateKey* listed = keys_.ListedIn(set);
  m.key = listed ? listed : &keys_.current;
  for (uint32_t i = 0; i < set.size(); ++i) {
    m.validators.push_back(set[i].key);
    if (listed && set[i].key == listed->public_key()) m.self = i;
  }
  for (const auto& v : executor_.ValidatorsAt(height + 1)) m.next.push_back(v.key);
  return m;
}

Status ConsensusDriver::StartP2p(std::vector<PeerInfo> peers) {
  P2pConfig pc;
  pc.listen = config_.p2p_listen;
  pc.peers = std::move(peers);
  pc.filter = config_.frame_filter;  // tests only (node/frame_filter.h); null in production
  presenting_next_tls_ = NextTlsKeyPinnedAt(store_.height() + 1);
  pc.tls_key_pem = presenting_next_tls_ ? next_tls_pem_ : tls_pem_;
  p2p_ = std::make_unique<P2p>(
      io_, pc, [this](uint32_t peer, Bytes payload) { OnPeerMessage(peer, std::move(payload)); },
      [this](uint32_t peer) { OnPeerConnected(peer); });
  Status st = p2p_->Start();
  if (!st.ok()) p2p_.reset();  // tried again when the peers change
  return st;
}

std::vector<Bytes> ConsensusDriver::LatestMessageFrames() const {
  std::vector<Bytes> frames;
  for (const Effect& e : core_->LatestMessages()) {
    pb::P2pMessage msg;
    if (const auto* p = std::get_if<consensus::BroadcastProposal>(&e)) {
      *msg.mutable_proposal() = ToPb(p->proposal);
    } else if (const auto* v = std::get_if<consensus::BroadcastVote>(&e)) {
      *msg.mutable_vote() = ToPb(v->vote);
    } else {
      continue;
    }
    frames.push_back(Serialize(msg));
  }
  return frames;
}

void ConsensusDriver::OnPeerConnected(uint32_t peer) {
  if (stopped_) return;
  // Only what a group sync has made durable is resent (FlushOwn runs before any other handler).
  if (!own_unsafe_ && pending_out_.empty()) {
    for (const Bytes& frame : LatestMessageFrames()) p2p_->Send(peer, frame);
  }
  SendStatus(peer);
}

Status ConsensusDriver::LoadTlsKeys() {
  // node/keys.h: mode and passphrase checks; p2p gets the decrypted PEM in memory.
  auto tls = LoadKeyPair(config_, crypto::Suite::kP256, config_.tls_key_file,
                         config_.next_tls_key_file, "TLS key");
  if (!tls.ok()) return tls.status();
  tls_pem_ = tls->current.ToPem();
  if (tls->next) {
    next_tls_pem_ = tls->next->ToPem();
    next_tls_public_ = tls->next->public_key();
  }
  return Status::Ok();
}

bool ConsensusDriver::NextTlsKeyPinnedAt(uint64_t height) const {
  if (next_tls_pem_.empty()) return false;
  for (const auto& v : executor_.ValidatorsAt(height)) {
    if (v.tls_key == next_tls_public_) return true;
  }
  return false;
}

void ConsensusDriver::MaybeRotateTls(uint64_t height) {
  if (!p2p_ || presenting_next_tls_ || !NextTlsKeyPinnedAt(height)) return;
  if (Status st = p2p_->SetOwnTlsKey(next_tls_pem_); !st.ok()) {
    GOVLEDGER_LOG(kError, "p2p: cannot switch to the next TLS key: " << st.ToString());
    return;
  }
  presenting_next_tls_ = true;
  GOVLEDGER_LOG(kInfo, "key rotation: presenting the next TLS key from height "
                           << height << " (" << config_.Path(config_.next_tls_key_file)
                           << "); make it node.toml's tls_key at the next restart");
}

Status ConsensusDriver::RefreshPeers() {
  // Every node ever named stays pinned: a removed validator can still serve and fetch blocks,
  // while its votes stop counting (the core checks membership per height).
  std::vector<ledger::ValidatorChange> changes = ledger::GetValidatorChanges(store_);
  if (p2p_ && changes.size() == known_changes_) return Status::Ok();
  std::vector<PeerInfo> peers;
  bool listed = false;  // this node's validator key is among them
  for (const auto& v : genesis_.validators) {
    peers.push_back({v.name, v.p2p_address, v.tls_key});
    listed |= keys_.Holds(v.key);
  }
  for (const auto& c : changes) {
    if (c.remove) continue;
    listed |= keys_.Holds(c.validator.key);
    bool known = false;
    for (const auto& p : peers) known |= p.tls_key == c.validator.tls_key;
    if (!known) peers.push_back({c.validator.name, c.validator.p2p_address, c.validator.tls_key});
  }
  known_changes_ = changes.size();
  if (!p2p_) {
    // A lone validator needs no transport; a node that is not among the validators yet does
    // (it must reach them to catch up).
    if (peers.size() < 2 && listed) return Status::Ok();
    return StartP2p(std::move(peers));
  }
  for (const auto& p : peers) {
    auto added = p2p_->AddPeer(p);
    if (!added.ok()) GOVLEDGER_LOG(kWarn, "p2p: cannot pin " << p.name << ": " << added.status().ToString());
  }
  return Status::Ok();
}

Status ConsensusDriver::Start() {
  auto wal = consensus::Wal::Open(config_.Path(config_.wal_dir));
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (wal_->dropped_tail_bytes() > 0) {
    GOVLEDGER_LOG(kWarn, "consensus WAL: dropped a torn tail of " << wal_->dropped_tail_bytes()
                                                                  << " bytes");
  }

  GOVLEDGER_RETURN_IF_ERROR(LoadTlsKeys());
  const uint64_t next = store_.height() + 1;
  consensus::CoreConfig cc;
  cc.chain_id = genesis_.chain_id;
  cc.suite = genesis_.suite;
  consensus::Membership first = MembershipAt(next);
  cc.validators = first.validators;
  cc.self = first.self;
  cc.timeouts = config_.timeouts;
  core_ = std::make_unique<consensus::Core>(cc, first.key, wal_->guard());
  signing_key_ = first.self ? first.key : nullptr;
  if (!first.self) {
    GOVLEDGER_LOG(kWarn, "this node's key is not a validator at height "
                             << next << ": following the chain without voting (if governance "
                                        "rotated this validator's keys, name the new ones in "
                                        "node.toml: [keys] next_validator_key_file and "
                                        "next_tls_key_file, or validator_key and tls_key)");
  } else if (first.key != &keys_.current) {
    GOVLEDGER_LOG(kInfo, "key rotation: signing with the next validator key ("
                             << config_.Path(config_.next_validator_key_file)
                             << "); make it node.toml's validator_key at the next restart");
  }
  GOVLEDGER_RETURN_IF_ERROR(RefreshPeers());

  // Resume the height the WAL recorded if it is the next one; otherwise begin afresh.
  auto recorded = wal_->ReadCurrentHeight();
  if (!recorded.ok()) return recorded.status();
  if (recorded->first == next) {
    inputs_.clear();
    // Recorded inputs go first (they are already in the WAL, so not appended again); the new
    // effects of starting the height queue behind them.
    for (auto& in : recorded->second) inputs_.emplace_back(std::move(in), false);
    for (auto& e : core_->StartHeight(next, MembershipAt(next))) Handle(e);
    GOVLEDGER_LOG(kInfo, "consensus: replaying " << recorded->second.size()
                                                 << " WAL inputs of height " << next);
    Pump();
  } else {
    StartHeight();
  }
  ArmRebroadcast();
  return Status::Ok();
}

void ConsensusDriver::Stop() {
  if (stopped_) return;
  stopped_ = true;
  build_timer_.cancel();
  fill_timer_.cancel();
  rebroadcast_timer_.cancel();
  commit_retry_.cancel();
  for (auto& [k, t] : timeouts_) t->cancel();
  timeouts_.clear();
  if (p2p_) p2p_->Stop();
  // A block being written is written (the store stays whole either way); its FinishCommit,
  // posted to the io thread, does nothing once stopped.
  commit_thread_.join();
}

void ConsensusDriver::StartHeight() {
  const uint64_t next = store_.height() + 1;
  if (Status st = RefreshPeers(); !st.ok()) {
    GOVLEDGER_LOG(kError, "p2p: " << st.ToString());
  }
  MaybeRotateTls(next);
  built_.clear();
  build_timer_.cancel();
  fill_timer_.cancel();
  fill_pending_ = false;
  for (auto& [k, t] : timeouts_) t->cancel();
  timeouts_.clear();
  if (Status st = wal_->BeginHeight(next); !st.ok()) {
    GOVLEDGER_LOG(kError, "consensus WAL: " << st.ToString());
  }
  // An idle chain waits for transactions, up to the heartbeat interval, before starting the
  // height: no stream of empty blocks, and no round-0 timeouts while the proposer waits. Every
  // validator applies the same rule; forwarded transactions reach peers before the proposal
  // (same ordered connection), so they start together.
  int64_t since_tip = NowMs() - store_.tip_time_ms();
  if (mempool_.size() == 0 && since_tip < genesis_.params.block_interval_ms) {
    waiting_for_txs_ = true;
    build_timer_.expires_after(
        std::chrono::milliseconds(genesis_.params.block_interval_ms - since_tip));
    build_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !stopped_ && waiting_for_txs_) BeginConsensusHeight();
    });
    return;
  }
  BeginConsensusHeight();
}

void ConsensusDriver::PostStartHeight() {
  if (start_posted_) return;
  start_posted_ = true;
  asio::post(io_, [this] {
    start_posted_ = false;
    // Block sync may have started the height meanwhile.
    if (!stopped_ && core_->height() <= store_.height()) StartHeight();
  });
}

void ConsensusDriver::BeginConsensusHeight() {
  waiting_for_txs_ = false;
  height_began_ms_ = NowMs();
  build_timer_.cancel();
  const uint64_t next = store_.height() + 1;
  consensus::Membership m = MembershipAt(next);
  if (m.self && m.key != signing_key_) {
    if (signing_key_ != nullptr) {
      GOVLEDGER_LOG(kInfo, "key rotation: signing with the "
                               << (m.key == &keys_.current ? "current" : "next")
                               << " validator key from height " << next);
    }
    signing_key_ = m.key;
  }
  for (auto& e : core_->StartHeight(next, std::move(m))) Handle(e);
  Pump();
}

void ConsensusDriver::Feed(Input in, bool record) {
  inputs_.emplace_back(std::move(in), record);
  Pump();
}

void ConsensusDriver::Pump() {
  if (pumping_ || stopped_) return;
  pumping_ = true;
  // A decided block being written holds the inputs back (FinishCommit pumps them).
  while (!inputs_.empty() && !stopped_ && writing_ == Write::kNone) {
    auto [in, record] = std::move(inputs_.front());
    inputs_.pop_front();
    if (record) {
      // Recorded before acting on it. The fsync is deferred to this node's next signed message
      // (RecordOwn syncs the file): losing unsynced inputs in a crash can only make the node
      // wait longer, never sign against what it signed before.
      if (Status st = wal_->Append(in, /*sync=*/false); !st.ok()) {
        GOVLEDGER_LOG(kError, "consensus WAL append failed: " << st.ToString()
                                                              << "; input dropped");
        continue;
      }
    }
    for (const Effect& e : core_->OnInput(in)) Handle(e);
  }
  FlushOwn();
  pumping_ = false;
}

void ConsensusDriver::FlushOwn() {
  if (pending_out_.empty()) return;
  std::vector<Bytes> frames = std::move(pending_out_);
  pending_out_.clear();
  if (own_unsafe_) return;
  // Every input appended so far and the sign guard are durable before any of our signed
  // messages leaves: one fdatasync each for the whole batch.
  ++stats_.wal_syncs;
  if (Status st = wal_->Sync(); !st.ok()) {
    own_unsafe_ = true;
    GOVLEDGER_LOG(kError, "consensus WAL sync failed: " << st.ToString()
                                                        << "; this node sends no more votes");
    return;
  }
  if (!p2p_) return;
  for (const Bytes& frame : frames) p2p_->Broadcast(frame);
}

bool ConsensusDriver::RecordOwn(const Input& in) {
  // Appended now, synced by FlushOwn before the message is sent (group commit).
  if (Status st = wal_->Append(in, /*sync=*/false); !st.ok()) {
    GOVLEDGER_LOG(kError, "consensus WAL append failed: " << st.ToString()
                                                          << "; own message not sent");
    return false;
  }
  return true;
}

void ConsensusDriver::Handle(const Effect& e) {
  if (const auto* p = std::get_if<consensus::BroadcastProposal>(&e)) {
    // Our own signed message is durable in the WAL before any peer can see it: a restart then
    // re-derives the same lock instead of forgetting what peers already hold.
    consensus::Input own = consensus::ProposalIn{p->proposal};
    if (!RecordOwn(own)) return;
    pb::P2pMessage msg;
    *msg.mutable_proposal() = ToPb(p->proposal);
    pending_out_.push_back(Serialize(msg));
    inputs_.emplace_back(std::move(own), false);
  } else if (const auto* v = std::get_if<consensus::BroadcastVote>(&e)) {
    consensus::Input own = consensus::VoteIn{v->vote};
    if (!RecordOwn(own)) return;
    pb::P2pMessage msg;
    *msg.mutable_vote() = ToPb(v->vote);
    pending_out_.push_back(Serialize(msg));
    inputs_.emplace_back(std::move(own), false);
  } else if (const auto* t = std::get_if<consensus::ScheduleTimeout>(&e)) {
    auto key = std::make_tuple(t->height, t->round, static_cast<uint8_t>(t->step));
    auto timer = std::make_shared<asio::steady_timer>(io_);
    int64_t delay = std::max<int64_t>(t->delay_ms, 0);
    const auto stretched = static_cast<int64_t>(kTimeoutOverHeight * height_ms_avg_);
    delay = std::max(delay, std::min(stretched, delay * kMaxTimeoutStretch));
    timer->expires_after(std::chrono::milliseconds(delay));
    consensus::TimeoutIn in{t->height, t->round, t->step};
    timer->async_wait([this, in, key](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      timeouts_.erase(key);
      Feed(in, true);
    });
    timeouts_[key] = timer;
  } else if (const auto* b = std::get_if<consensus::BuildBlock>(&e)) {
    DoBuild(b->height, b->round);
  } else if (const auto* check = std::get_if<consensus::ValidateBlock>(&e)) {
    OnValidate(*check);
  } else if (const auto* d = std::get_if<consensus::Decide>(&e)) {
    OnDecide(*d);
  } else if (const auto* ev = std::get_if<consensus::Evidence>(&e)) {
    ++stats_.evidence;
    const std::vector<ledger::Validator> set = executor_.ValidatorsAt(ev->height);
    const std::string who = ev->validator < set.size() ? set[ev->validator].name
                                                       : std::to_string(ev->validator);
    GOVLEDGER_LOG(kWarn, "EVIDENCE: validator " << who << " " << ev->kind << " at height "
                                                << ev->height << " round " << ev->round);
  }
}

void ConsensusDriver::DoBuild(uint64_t height, uint32_t round) {
  if (height != store_.height() + 1) return;
  // Each height costs synced writes (the WAL's, the block's), signed messages and thread
  // wake-ups whatever it holds: a proposer whose previous block is only a few ms old (a loaded
  // one-validator chain commits every ~1 ms) lets the mempool fill for the rest of its fill
  // window first, longer while the host's CPU is busy (FillWindowMs). Round 0 only: a later round
  // is a recovery and should not wait. A network whose heights take longer than that never
  // waits, nor does an empty heartbeat block.
  const size_t full = genesis_.params.max_block_txs;
  if (round == 0 && config_.block_fill_ms > 0 && mempool_.size() > 0 && mempool_.size() < full) {
    const int64_t since = NowMs() - store_.tip_time_ms();
    // Past the longest window there is nothing to decide (and no /proc/stat to read).
    if (since >= 0 && since < std::max(config_.block_fill_ms, config_.block_fill_max_ms)) {
      const int64_t window = FillWindowMs(config_.block_fill_ms, config_.block_fill_max_ms,
                                          host_cpu_.Busy(SteadyMs()));
      if (since < window) {
        fill_pending_ = true;
        fill_height_ = height;
        ++stats_.fill_waits;
        stats_.fill_window_ms = window;
        ArmFill(window - since);
        return;
      }
    }
  }
  BuildNow(height, round);
}

void ConsensusDriver::ArmFill(int64_t delay_ms) {
  fill_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  fill_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_ || !fill_pending_) return;
    fill_pending_ = false;
    BuildNow(fill_height_, 0);
    Pump();
  });
}

void ConsensusDriver::BuildNow(uint64_t height, uint32_t round) {
  if (writing_ != Write::kNone || height != store_.height() + 1) return;
  const size_t limit = ProposalTxLimit(round);
  std::vector<TxPtr> pending = mempool_.Peek(limit);
  std::vector<const ledger::Tx*> candidates;
  size_t bytes = 0;
  for (const auto& tx : pending) {
    if (bytes + tx->raw.size() > kMaxProposalBytes) break;
    bytes += tx->raw.size();
    candidates.push_back(tx.get());
  }
  if (candidates.size() < std::min<size_t>(mempool_.size(), genesis_.params.max_block_txs)) {
    ++stats_.blocks_cut_short;
  }
  int64_t time_ms = std::max(NowMs(), store_.tip_time_ms() + 1);
  const int64_t t0 = NowUs();
  BuiltBlock built = executor_.Build(candidates, time_ms, KeyAt(height).public_key());
  NoteExecution(candidates.size(), NowUs() - t0);
  Bytes hash = crypto::DigestBytes(built.write.block_hash);
  Bytes block = ledger::EncodeBlock(built.write.block);
  built_[hash] = std::move(built);
  inputs_.emplace_back(consensus::BlockIn{height, round, hash, std::move(block)}, true);
}

void ConsensusDriver::OnNewTx(const ledger::Tx& tx, bool forward) {
  if (stopped_) return;
  // A full block's worth arrived while the proposer waited for one: build it now.
  if (fill_pending_ && mempool_.size() >= genesis_.params.max_block_txs) ArmFill(0);
  if (forward && p2p_) {
    pb::P2pMessage msg;
    msg.mutable_txs()->add_txs(tx.raw.data(), tx.raw.size());
    p2p_->Broadcast(Serialize(msg));
  }
  if (waiting_for_txs_ && !begin_posted_) {
    // Posted, so that transactions arriving together go into one block; one post at a time, and
    // it starts the height only if it still has something to propose (a post that outlived the
    // height it was meant for made an empty block per transaction before; doc/performance.md).
    begin_posted_ = true;
    asio::post(io_, [this] {
      begin_posted_ = false;
      if (waiting_for_txs_ && !stopped_ && mempool_.size() > 0) BeginConsensusHeight();
    });
  }
}

void ConsensusDriver::OnValidate(const consensus::ValidateBlock& v) {
  auto verdict = [&](bool valid, const std::string& why) {
    if (!valid) {
      ++stats_.invalid_proposals;
      GOVLEDGER_LOG(kWarn, "proposal at height " << v.height << " round " << v.round
                                                 << " is invalid: " << why);
    }
    inputs_.emplace_back(consensus::ValidityIn{v.height, v.round, v.block_hash, valid}, true);
  };
  if (v.height != store_.height() + 1) return verdict(false, "not the next height");
  if (built_.count(v.block_hash)) return verdict(true, "");
  auto block = ledger::DecodeBlock(v.block);
  if (!block.ok()) return verdict(false, block.status().ToString());
  if (crypto::DigestBytes(crypto::Hash(genesis_.suite, block->header_bytes)) != v.block_hash) {
    return verdict(false, "block hash does not match the proposal");
  }
  // Only a block time too far AHEAD of this node's clock is refused; a past time is bounded by
  // the parent's (the executor refuses a time not after it). Refusing old times too (as before)
  // broke liveness (found by the fault tests, doc/testing.md): a value locked in round r is
  // re-proposed unchanged in later rounds, so once it is older than the drift, validators that
  // had not validated it yet (restarted, or that missed its first proposal) refuse it forever,
  // while those locked on it prevote nothing else. An early time only ages less.
  int64_t drift = block->header.time_ms - NowMs();
  if (drift > genesis_.params.max_clock_drift_ms) {
    return verdict(false, "block time is " + std::to_string(drift) + " ms from this node's clock");
  }
  const int64_t t0 = NowUs();
  auto built = executor_.Execute(*block);
  NoteExecution(block->txs.size(), NowUs() - t0);
  if (!built.ok()) return verdict(false, built.status().ToString());
  built_[v.block_hash] = std::move(*built);
  verdict(true, "");
}

void ConsensusDriver::OnDecide(const consensus::Decide& d) {
  if (d.height != store_.height() + 1) return;
  if (writing_ != Write::kNone) {
    // Only a retry gets here (the core's inputs wait during a write): block sync is writing, and
    // may bring this height itself; if it does not, the next retry commits it.
    RetryCommit(d);
    return;
  }
  auto it = built_.find(d.block_hash);
  if (it == built_.end()) {
    if (d.block.empty()) return;  // a retry (no bytes) whose executed block went with its height
    auto block = ledger::DecodeBlock(d.block);
    GOVLEDGER_CHECK(block.ok());  // the core decides only on blocks this node validated
    auto built = executor_.Execute(*block);
    if (!built.ok()) {
      GOVLEDGER_LOG(kError, "decided block " << d.height << " does not execute here: "
                                             << built.status().ToString());
      return;
    }
    it = built_.emplace(d.block_hash, std::move(*built)).first;
  }
  it->second.write.commit = d.commit;
  // What follows needs the decision but not the block's bytes, which can be megabytes: the
  // executed block goes with it, and a retry finds it in built_ by hash.
  consensus::Decide decided{d.height, d.round, d.block_hash, {}, d.commit};
  if (hooks_.can_commit && !hooks_.can_commit(d.height)) {
    RetryCommit(decided);  // held back by the storage guard, which has said why
    return;
  }
  auto block = std::make_shared<BuiltBlock>(std::move(it->second));
  built_.erase(it);
  writing_ = Write::kDecided;
  asio::post(commit_thread_, [this, decided = std::move(decided), block]() mutable {
    Status st = store_.CommitBlock(block->write);
    asio::post(io_, [this, decided = std::move(decided), block = std::move(block),
                     st = std::move(st)] { FinishCommit(decided, block, st); });
  });
}

void ConsensusDriver::FinishCommit(const consensus::Decide& d, std::shared_ptr<BuiltBlock> block,
                                   Status st) {
  writing_ = Write::kNone;
  if (stopped_) return;
  if (!st.ok()) {
    GOVLEDGER_LOG(
        kError, "cannot commit block " << d.height << ": " << st.ToString() << "; retrying in 1s");
    built_.emplace(d.block_hash, std::move(*block));
    RetryCommit(d);
    Pump();
    return;
  }
  if (d.round > 0) ++stats_.rounds_above_zero;
  if (height_began_ms_ > 0) {
    const auto took = static_cast<double>(NowMs() - height_began_ms_);
    height_ms_avg_ = height_ms_avg_ == 0 ? took : 0.8 * height_ms_avg_ + 0.2 * took;
    height_began_ms_ = 0;
  }
  hooks_.on_commit(*block);
  PostStartHeight();
  Pump();  // what arrived during the write (the core ignores the decided height's inputs)
  if (sync_apply_deferred_) {
    sync_apply_deferred_ = false;
    ApplyVerified();
  }
}

void ConsensusDriver::RetryCommit(const consensus::Decide& d) {
  commit_retry_.expires_after(std::chrono::seconds(1));
  commit_retry_.async_wait([this, d](const boost::system::error_code& ec) {
    if (!ec && !stopped_) OnDecide(d);
  });
}

void ConsensusDriver::SendStatus(std::optional<uint32_t> peer) {
  if (!p2p_) return;
  pb::P2pMessage msg;
  msg.mutable_status()->set_height(store_.height());
  Bytes bytes = Serialize(msg);
  if (peer) {
    p2p_->Send(*peer, bytes);
  } else {
    p2p_->Broadcast(bytes);
  }
}

void ConsensusDriver::ArmRebroadcast() {
  if (stopped_) return;
  rebroadcast_timer_.expires_after(std::chrono::milliseconds(config_.rebroadcast_ms));
  rebroadcast_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    Rebroadcast();
    ArmRebroadcast();
  });
}

void ConsensusDriver::Rebroadcast() {
  if (!p2p_) return;
  if (!own_unsafe_ && pending_out_.empty()) {
    for (const Bytes& frame : LatestMessageFrames()) p2p_->Broadcast(frame);
  }
  SendStatus(std::nullopt);
}

void ConsensusDriver::OnPeerMessage(uint32_t peer, Bytes payload) {
  if (stopped_) return;
  pb::P2pMessage msg;
  if (!msg.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    GOVLEDGER_LOG(kWarn, "peer " << peer << " sent an undecodable message; ignored");
    return;
  }
  switch (msg.msg_case()) {
    case pb::P2pMessage::kProposal:
      Feed(consensus::ProposalIn{FromPb(msg.proposal())}, true);
      break;
    case pb::P2pMessage::kVote:
      if (auto v = FromPb(msg.vote())) Feed(consensus::VoteIn{*v}, true);
      break;
    case pb::P2pMessage::kTxs: {
      std::vector<Bytes> txs;
      for (const auto& t : msg.txs().txs()) txs.push_back(ToBytes(t));
      hooks_.on_forwarded_txs(std::move(txs));
      break;
    }
    case pb::P2pMessage::kStatus: {
      peer_heights_[peer] = msg.status().height();
      if (msg.status().height() > SyncTip().height() &&
          SteadyMs() - sync_requested_at_ms_ > kSyncRetryMs) {
        RequestBlocks(peer);
      }
      break;
    }
    case pb::P2pMessage::kBlockRequest: {
      pb::P2pMessage out;
      size_t bytes = 0;
      uint32_t max = std::min(msg.block_request().max_blocks(), kMaxSyncBlocks);
      for (uint64_t h = msg.block_request().from_height();
           h >= 1 && h <= store_.height() && out.blocks().blocks_size() < static_cast<int>(max) &&
           bytes < kMaxSyncBytes;
           ++h) {
        auto block = store_.GetBlockBytes(h);
        auto commit = store_.GetCommit(h);
        if (!block.ok() || !commit.ok()) break;
        Bytes commit_bytes = ledger::EncodeCommit(*commit);
        auto* sb = out.mutable_blocks()->add_blocks();
        sb->set_block(block->data(), block->size());
        sb->set_commit(commit_bytes.data(), commit_bytes.size());
        bytes += block->size() + commit_bytes.size();
      }
      if (p2p_) p2p_->Send(peer, Serialize(out));
      break;
    }
    case pb::P2pMessage::kBlocks:
      OnBlocks(peer, msg);
      break;
    default:
      GOVLEDGER_LOG(kWarn, "peer " << peer << " sent an empty message; ignored");
  }
}

}  // namespace govledger::node

#include "tests/sim/simulator.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "tests/sim/simulator_internal.h"

namespace govledger::consensus::sim {

const char* ScenarioName(Scenario s) {
  switch (s) {
    case Scenario::kClean:
      return "clean";
    case Scenario::kLossy:
      return "lossy";
    case Scenario::kPartition:
      return "partition";
    case Scenario::kCrashRestart:
      return "crash-restart";
    case Scenario::kEquivocation:
      return "equivocating-proposer";
    case Scenario::kDoubleVote:
      return "double-voter";
    case Scenario::kInvalidSignatures:
      return "invalid-signatures";
    case Scenario::kMixed:
      return "mixed";
  }
  return "?";
}

std::string SimResult::Summary() const {
  std::ostringstream o;
  o << (ok ? "ok" : "FAILED: " + failure) << " | end " << end_ms << " ms, healed " << heal_ms
    << " ms, height " << min_height << ", max decision round " << max_round << ", " << events
    << " events, " << messages << " messages (" << dropped << " dropped), " << restarts
    << " restarts (" << lost_wals << " without WAL), " << syncs << " syncs, " << evidence
    << " evidence, " << invalid_signatures << " invalid signatures, " << signature_checks
    << " signature checks (" << commit_checks << " certificates)";
  return o.str();
}

namespace internal {

namespace {

crypto::Digest Fingerprint(std::initializer_list<const Bytes*> parts) {
  Bytes all;
  for (const Bytes* p : parts) AppendLengthPrefixed(all, *p);
  return crypto::Hash(crypto::Suite::kP256, all);
}

}  // namespace

const std::vector<crypto::PrivateKey>& Keys() {
  static const std::vector<crypto::PrivateKey> keys = [] {
    std::vector<crypto::PrivateKey> k;
    for (int i = 0; i < 7; ++i) {
      k.push_back(crypto::PrivateKey::Generate(crypto::Suite::kP256).value());
    }
    return k;
  }();
  return keys;
}

Bytes Sha256(const Bytes& b) { return crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, b)); }

bool Simulation::CachedVerify(const crypto::PublicKey& k, const Bytes& m, const Bytes& s) {
  const crypto::Digest key = Fingerprint({&k, &m, &s});
  auto it = verified_.find(key);
  if (it != verified_.end()) return it->second;
  const bool ok = crypto::Verify(crypto::Suite::kP256, k, m, s);
  ++res_.signature_checks;
  verified_.emplace(key, ok);
  return ok;
}

Status Simulation::CachedVerifyCommit(const ledger::Commit& c, uint64_t height, const Bytes& hash) {
  Bytes all;
  AppendU64BE(all, height);
  AppendLengthPrefixed(all, hash);
  AppendU64BE(all, c.height);
  AppendU32BE(all, c.round);
  AppendLengthPrefixed(all, c.block_hash);
  for (const auto& s : c.sigs) {
    AppendLengthPrefixed(all, s.validator);
    AppendLengthPrefixed(all, s.signature);
  }
  const crypto::Digest key = crypto::Hash(crypto::Suite::kP256, all);
  auto it = verified_commits_.find(key);
  if (it != verified_commits_.end()) return it->second;
  Status st =
      ledger::VerifyCommit(crypto::Suite::kP256, kChainId, ledger_validators_, c, height, hash);
  res_.signature_checks += c.sigs.size();
  ++res_.commit_checks;
  verified_commits_.emplace(key, st);
  return st;
}

std::unique_ptr<Core> Simulation::MakeCore(uint32_t i) {
  CoreConfig c;
  c.chain_id = std::string(kChainId);
  c.validators = pubs_;
  c.self = i;
  c.timeouts.propose_ms = 500;
  c.timeouts.propose_delta_ms = 100;
  c.timeouts.prevote_ms = 150;
  c.timeouts.prevote_delta_ms = 50;
  c.timeouts.precommit_ms = 150;
  c.timeouts.precommit_delta_ms = 50;
  c.verify = [this](const crypto::PublicKey& k, const Bytes& m, const Bytes& s) {
    return CachedVerify(k, m, s);
  };
  return std::make_unique<Core>(std::move(c), &Keys()[i], &nodes_[i].guard);
}

// The node's order: the input is durable in the WAL before the core acts on it.
void Simulation::Feed(uint32_t i, const Input& in) {
  Node& nd = nodes_[i];
  if (!nd.up) return;
  nd.wal.records.push_back(EncodeInput(in));
  Handle(i, nd.core->OnInput(in));
}

void Simulation::CheckSigned(uint32_t i, const Effect& e) {
  if (!Honest(i)) return;
  std::tuple<uint32_t, uint64_t, uint32_t, uint8_t> key;
  Bytes what;
  if (const auto* p = std::get_if<BroadcastProposal>(&e)) {
    key = {i, p->proposal.height, p->proposal.round, 1};
    what = p->proposal.block_hash;
    AppendU32BE(what, static_cast<uint32_t>(p->proposal.pol_round));
  } else if (const auto* v = std::get_if<BroadcastVote>(&e)) {
    key = {i, v->vote.height, v->vote.round, v->vote.type == VoteType::kPrevote ? 2 : 3};
    what = v->vote.block_hash;
  } else {
    return;
  }
  auto [it, inserted] = signed_.emplace(key, what);
  if (!inserted && it->second != what) {
    std::ostringstream o;
    o << "honest validator " << i << " signed two different messages for height "
      << std::get<1>(key) << " round " << std::get<2>(key) << " step " << int(std::get<3>(key));
    Fail(o.str());
  }
}

void Simulation::Handle(uint32_t i, const std::vector<Effect>& effects) {
  Node& nd = nodes_[i];
  const uint64_t epoch = nd.epoch;
  for (const Effect& e : effects) {
    if (!nd.up || nd.epoch != epoch || !res_.ok) return;
    const bool signed_msg =
        std::holds_alternative<BroadcastProposal>(e) || std::holds_alternative<BroadcastVote>(e);
    if (signed_msg && nd.crash_before_signed >= 0 && nd.crash_before_signed-- == 0) {
      // Between the SignGuard's fsync and the message reaching the WAL and the network.
      Trace("node ", i, " crashes before sending a signed message");
      Crash(i);
      return;
    }
    if (const auto* p = std::get_if<BroadcastProposal>(&e)) {
      CheckSigned(i, e);
      Trace("node ", i, " proposes h=", p->proposal.height, " r=", p->proposal.round,
            " pol=", p->proposal.pol_round);
      nd.wal.records.push_back(EncodeInput(ProposalIn{p->proposal}));
      SendProposal(i, p->proposal);
    } else if (const auto* v = std::get_if<BroadcastVote>(&e)) {
      CheckSigned(i, e);
      Trace("node ", i, v->vote.type == VoteType::kPrevote ? " prevotes" : " precommits",
            " h=", v->vote.height, " r=", v->vote.round,
            v->vote.block_hash.empty() ? " nil" : " block");
      nd.wal.records.push_back(EncodeInput(VoteIn{v->vote}));
      SendVote(i, v->vote);
    } else if (const auto* t = std::get_if<ScheduleTimeout>(&e)) {
      const TimeoutIn in{t->height, t->round, t->step};
      At(t->delay_ms, [this, i, epoch, in] {
        if (nodes_[i].up && nodes_[i].epoch == epoch) Feed(i, in);
      });
    } else if (const auto* b = std::get_if<BuildBlock>(&e)) {
      const uint64_t h = b->height;
      const uint32_t r = b->round;
      // Like a node waiting for transactions (up to its block interval) before building.
      At(50 + static_cast<int64_t>(Rand(100)), [this, i, epoch, h, r] {
        if (!nodes_[i].up || nodes_[i].epoch != epoch) return;
        Bytes block = MakeBlock(i, h, r, "block");
        Feed(i, BlockIn{h, r, Sha256(block), block});
      });
    } else if (const auto* check = std::get_if<ValidateBlock>(&e)) {
      const ValidityIn in{check->height, check->round, check->block_hash, IsValid(*check)};
      At(1 + static_cast<int64_t>(Rand(5)), [this, i, epoch, in] {
        if (nodes_[i].up && nodes_[i].epoch == epoch) Feed(i, in);
      });
    } else if (const auto* d = std::get_if<Decide>(&e)) {
      OnDecide(i, *d);
    } else if (const auto* ev = std::get_if<Evidence>(&e)) {
      if (!Honest(i)) continue;
      ++res_.evidence;
      Trace("node ", i, " evidence ", ev->kind, " against ", ev->validator);
      if (ev->validator < o_.n && Honest(ev->validator)) {
        Fail("evidence " + ev->kind + " against honest validator " + std::to_string(ev->validator));
      }
    }
  }
}

Bytes Simulation::MakeBlock(uint32_t i, uint64_t h, uint32_t r, const char* kind) {
  std::ostringstream o;
  o << kind << " h=" << h << " r=" << r << " proposer=" << i << " seed=" << o_.seed
    << " nonce=" << rng_();
  return ToBytes(o.str());
}

// valid(v): the bytes hash to the proposed hash, are a block of this height, and were not
// marked bad by a Byzantine proposer.
bool Simulation::IsValid(const ValidateBlock& v) const {
  if (Sha256(v.block) != v.block_hash) return false;
  const std::string prefix = "block h=" + std::to_string(v.height) + " ";
  const std::string text = ToString(v.block);
  return text.compare(0, prefix.size(), prefix) == 0;
}

void Simulation::OnDecide(uint32_t i, const Decide& d) {
  Status st = CachedVerifyCommit(d.commit, d.height, d.block_hash);
  if (!st.ok()) {
    Fail("node " + std::to_string(i) + " decided height " + std::to_string(d.height) +
         " with a certificate that fails VerifyCommit: " + st.ToString());
    return;
  }
  if (Sha256(d.block) != d.block_hash) {
    Fail("node " + std::to_string(i) + " decided block bytes that do not match the hash");
    return;
  }
  if (d.commit.round != d.round) Fail("Decide round differs from its certificate's round");
  res_.max_round = std::max(res_.max_round, d.round);
  Trace("node ", i, " decides h=", d.height, " r=", d.round);
  Record(i, d.height, Decision{d.block_hash, d.block, d.commit});
  StartNext(i, d.height + 1);
}

void Simulation::Record(uint32_t i, uint64_t height, Decision dec) {
  if (Honest(i)) {
    auto [it, inserted] = decisions_.emplace(height, dec.hash);
    if (!inserted && it->second != dec.hash) {
      Fail("SAFETY: two different blocks decided at height " + std::to_string(height) + " (node " +
           std::to_string(i) + ")");
    }
  }
  nodes_[i].decided[height] = std::move(dec);
}

void Simulation::StartNext(uint32_t i, uint64_t height) {
  Node& nd = nodes_[i];
  nd.wal.BeginHeight(height);
  Handle(i, nd.core->StartHeight(height));
}

// Block sync: a node that sees a peer ahead takes the block and certificate some honest node
// decided, verifies the certificate and moves on, as the node's block sync does.
void Simulation::MaybeSync(uint32_t i) {
  Node& nd = nodes_[i];
  if (nd.sync_pending) return;
  const uint64_t h = nd.core->height();
  bool available = false;
  for (const Node& other : nodes_) {
    available = available || (Honest(other.index) && other.decided.count(h) > 0);
  }
  if (!available) return;
  nd.sync_pending = true;
  const uint64_t epoch = nd.epoch;
  At(300 + static_cast<int64_t>(Rand(300)), [this, i, h, epoch] {
    Node& n = nodes_[i];
    n.sync_pending = false;
    if (!n.up || n.epoch != epoch || n.core->height() != h) return;
    for (const Node& other : nodes_) {
      auto it = other.decided.find(h);
      if (!Honest(other.index) || it == other.decided.end()) continue;
      Status st = CachedVerifyCommit(it->second.commit, h, it->second.hash);
      if (!st.ok()) {
        Fail("a synced certificate fails VerifyCommit: " + st.ToString());
        return;
      }
      ++res_.syncs;
      Trace("node ", i, " syncs height ", h, " from node ", other.index);
      Record(i, h, it->second);
      StartNext(i, h + 1);
      return;
    }
  });
}

void Simulation::Crash(uint32_t i) {
  Node& nd = nodes_[i];
  if (!nd.up) return;
  Trace("node ", i, " crashes");
  res_.invalid_signatures += nd.core->stats().invalid_signatures;
  nd.up = false;
  ++nd.epoch;
  nd.crash_before_signed = -1;
  nd.sync_pending = false;
  nd.core.reset();
  // Sometimes the WAL is lost with the crash while the sign guard (a separate file) survives:
  // the restarted core re-derives different messages and only the guard keeps it from signing
  // them. Such a node also forgets its lock, so it counts as faulty until that height ends
  // (the crash scenario has no Byzantine nodes to add to it).
  nd.lose_wal = o_.scenario == Scenario::kCrashRestart && Chance(0.3);
  At(100 + static_cast<int64_t>(Rand(1400)), [this, i] { Restart(i); });
}

// A restart rebuilds the core from the WAL and the sign guard, as the node does.
void Simulation::Restart(uint32_t i) {
  Node& nd = nodes_[i];
  if (nd.up) return;
  ++res_.restarts;
  nd.up = true;
  nd.core = MakeCore(i);
  const uint64_t next = nd.decided.empty() ? 1 : nd.decided.rbegin()->first + 1;
  if (nd.lose_wal) {
    nd.lose_wal = false;
    nd.wal = MemWal{};
    nd.amnesiac_height = next;
    ++res_.lost_wals;
  }
  if (nd.wal.height != next) nd.wal.BeginHeight(next);
  Trace("node ", i, " restarts at height ", next, " replaying ", nd.wal.records.size(), " inputs");
  const std::vector<Bytes> records = nd.wal.records;
  const uint64_t epoch = nd.epoch;
  Handle(i, nd.core->StartHeight(next));
  for (const Bytes& r : records) {
    if (!nd.up || nd.epoch != epoch || nd.core->height() != next || !res_.ok) break;
    Result<Input> in = DecodeInput(r);
    if (!in.ok()) {
      Fail("a WAL record does not decode: " + in.status().ToString());
      return;
    }
    Handle(i, nd.core->OnInput(*in));
  }
  if (nd.up && nd.epoch == epoch) Rebroadcast(i);
}

void Simulation::Rebroadcast(uint32_t i) {
  Node& nd = nodes_[i];
  if (!nd.up) return;
  for (const Effect& e : nd.core->LatestMessages()) {
    if (const auto* p = std::get_if<BroadcastProposal>(&e)) Broadcast(i, ProposalIn{p->proposal});
    if (const auto* v = std::get_if<BroadcastVote>(&e)) Broadcast(i, VoteIn{v->vote});
  }
}

SimResult Simulation::Run() {
  for (uint32_t i = 0; i < o_.n; ++i) {
    pubs_.push_back(Keys()[i].public_key());
    ledger::Validator v;
    v.name = "node" + std::to_string(i);
    v.key = pubs_.back();
    ledger_validators_.push_back(v);
  }
  nodes_.resize(o_.n);
  group_.assign(o_.n, 0);
  for (uint32_t i = 0; i < o_.n; ++i) nodes_[i].index = i;
  SetUpScenario();
  res_.heal_ms = heal_at_;
  for (uint32_t i = 0; i < o_.n; ++i) {
    nodes_[i].core = MakeCore(i);
    StartNext(i, 1);
  }
  for (uint32_t i = 0; i < o_.n; ++i) {
    At(400 + static_cast<int64_t>(Rand(200)), [this, i] { RebroadcastTick(i); });
  }
  if (net_.partitions) At(static_cast<int64_t>(Rand(500)), [this] { PartitionTick(); });
  if (net_.crashes) At(static_cast<int64_t>(Rand(500)), [this] { CrashTick(); });
  if (heal_at_ == 0) {
    Heal();
  } else {
    At(heal_at_, [this] { Heal(); });
  }

  const int64_t deadline = heal_at_ + o_.liveness_bound_ms;
  while (!queue_.empty() && res_.ok) {
    Event e = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    now_ = e.time;
    ++res_.events;
    e.fn();
    if (healed_ && Reached(goal_)) break;
    if (now_ > deadline) {
      Fail("LIVENESS: height " + std::to_string(goal_) + " not decided by every honest node " +
           std::to_string(o_.liveness_bound_ms) + " ms after the faults healed:" + Heights());
    }
  }
  if (res_.ok && !Reached(goal_)) Fail("no events left before the goal height:" + Heights());
  res_.end_ms = now_;
  res_.min_height = UINT64_MAX;
  for (const Node& nd : nodes_) {
    if (!Honest(nd.index)) continue;
    res_.min_height =
        std::min<uint64_t>(res_.min_height, nd.decided.empty() ? 0 : nd.decided.rbegin()->first);
    if (nd.core) res_.invalid_signatures += nd.core->stats().invalid_signatures;
  }
  return res_;
}

}  // namespace internal

SimResult RunSimulation(const SimOptions& options) {
  internal::Simulation sim(options);
  return sim.Run();
}

}  // namespace govledger::consensus::sim

// The simulator's fake network (delays, drops, duplicates, partitions), its Byzantine senders
// and the fault schedule (crashes, partitions, healing).
#include <algorithm>
#include <sstream>

#include "tests/sim/simulator_internal.h"

namespace govledger::consensus::sim::internal {

// ------------------------------------------------------------------ network

void Simulation::Send(uint32_t from, uint32_t to, const Input& msg) {
  if (from == to) return;
  ++res_.messages;
  if (!healed_ && (Partitioned(from, to) || Chance(net_.drop))) {
    ++res_.dropped;
    return;
  }
  const int64_t max_delay = healed_ ? 20 : net_.max_delay;
  At(1 + static_cast<int64_t>(Rand(static_cast<uint64_t>(max_delay))),
     [this, to, msg] { Deliver(to, msg); });
  if (!healed_ && Chance(net_.dup)) {
    At(1 + static_cast<int64_t>(Rand(static_cast<uint64_t>(max_delay))),
       [this, to, msg] { Deliver(to, msg); });
  }
}

void Simulation::Broadcast(uint32_t from, const Input& msg) {
  for (uint32_t to = 0; to < o_.n; ++to) Send(from, to, msg);
}

void Simulation::Deliver(uint32_t to, const Input& msg) {
  Node& nd = nodes_[to];
  if (!nd.up || !res_.ok) return;
  uint64_t h = 0;
  if (const auto* p = std::get_if<ProposalIn>(&msg)) {
    h = p->proposal.height;
    nd.seen_proposals[{h, p->proposal.round}] = p->proposal.block_hash;
  } else if (const auto* v = std::get_if<VoteIn>(&msg)) {
    h = v->vote.height;
  }
  if (h > nd.core->height()) MaybeSync(to);
  Feed(to, msg);
}

void Simulation::SendProposal(uint32_t i, const Proposal& p) {
  if (nodes_[i].role != Role::kEquivocator) {
    Broadcast(i, ProposalIn{p});
    if (nodes_[i].role == Role::kBadSigner) SendForgeries(i, ProposalIn{p});
    return;
  }
  // A second proposal for the same round, sometimes of a bad block; peers get one, the other
  // or both, in either order.
  Proposal alt = p;
  alt.block = MakeBlock(i, p.height, p.round, Chance(0.5) ? "BAD" : "block");
  alt.block_hash = Sha256(alt.block);
  alt.signature = Keys()[i].Sign(ProposalSignBytes(kChainId, alt));
  for (uint32_t to = 0; to < o_.n; ++to) {
    switch (Rand(3)) {
      case 0:
        Send(i, to, ProposalIn{p});
        break;
      case 1:
        Send(i, to, ProposalIn{alt});
        break;
      default:
        Send(i, to, ProposalIn{alt});
        Send(i, to, ProposalIn{p});
    }
  }
}

void Simulation::SendVote(uint32_t i, const Vote& v) {
  if (nodes_[i].role != Role::kDoubleVoter) {
    Broadcast(i, VoteIn{v});
    if (nodes_[i].role == Role::kBadSigner) SendForgeries(i, VoteIn{v});
    return;
  }
  // The same step signed twice: for a block and for nil.
  Vote other = v;
  if (v.block_hash.empty()) {
    auto it = nodes_[i].seen_proposals.find({v.height, v.round});
    other.block_hash = it != nodes_[i].seen_proposals.end()
                           ? it->second
                           : Sha256(MakeBlock(i, v.height, v.round, "block"));
  } else {
    other.block_hash.clear();
  }
  other.signature = Keys()[i].Sign(VoteSignBytes(kChainId, other));
  for (uint32_t to = 0; to < o_.n; ++to) {
    switch (Rand(3)) {
      case 0:
        Send(i, to, VoteIn{v});
        break;
      case 1:
        Send(i, to, VoteIn{other});
        break;
      default:
        Send(i, to, VoteIn{other});
        Send(i, to, VoteIn{v});
    }
  }
}

// Messages that must all be dropped: a flipped signature, another validator's identity, an
// unknown validator index, a changed block hash under the original signature, junk signatures.
void Simulation::SendForgeries(uint32_t i, const Input& msg) {
  std::vector<Input> bad;
  if (const auto* pin = std::get_if<ProposalIn>(&msg)) {
    Proposal p = pin->proposal;
    Proposal a = p;
    a.signature[a.signature.size() / 2] ^= 0x10;
    bad.push_back(ProposalIn{a});
    Proposal b = p;
    b.block = MakeBlock(i, p.height, p.round, "block");
    b.block_hash = Sha256(b.block);
    bad.push_back(ProposalIn{b});
    Proposal c = p;
    c.round = p.round + 1;  // claims the next round's proposer slot
    c.proposer = static_cast<uint32_t>((p.height + c.round) % o_.n);
    bad.push_back(ProposalIn{c});
  } else if (const auto* vin = std::get_if<VoteIn>(&msg)) {
    Vote v = vin->vote;
    Vote a = v;
    a.signature[a.signature.size() / 2] ^= 0x01;
    a.block_hash = v.block_hash.empty() ? Sha256(ToBytes("x")) : Bytes{};
    bad.push_back(VoteIn{a});
    Vote b = v;
    b.validator = static_cast<uint32_t>((i + 1 + Rand(o_.n - 1)) % o_.n);  // impersonation
    b.block_hash = Sha256(ToBytes("forged"));
    bad.push_back(VoteIn{b});
    Vote c = v;
    c.validator = static_cast<uint32_t>(o_.n + Rand(5));
    bad.push_back(VoteIn{c});
    Vote d = v;
    d.signature = Bytes(Rand(90), 0x30);
    d.round = v.round + static_cast<uint32_t>(Rand(3));
    bad.push_back(VoteIn{d});
  }
  // Each forgery to one random peer: every one costs a signature check somewhere.
  for (const Input& in : bad) Send(i, static_cast<uint32_t>(Rand(o_.n)), in);
}

// ------------------------------------------------------------------ faults

void Simulation::SetUpScenario() {
  const size_t f = F();
  std::vector<uint32_t> order(o_.n);
  for (uint32_t i = 0; i < o_.n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng_);
  auto byzantine = [&](size_t count, Role role) {
    for (size_t k = 0; k < count && k < order.size(); ++k) nodes_[order[k]].role = role;
  };
  switch (o_.scenario) {
    case Scenario::kClean:
      net_ = NetParams{0, 0, 20, false, false};
      break;
    case Scenario::kLossy:
      net_ = NetParams{0.25, 0.15, 300, false, false};
      break;
    case Scenario::kPartition:
      net_ = NetParams{0.05, 0.05, 80, true, false};
      break;
    case Scenario::kCrashRestart:
      net_ = NetParams{0.05, 0.05, 80, false, true};
      break;
    case Scenario::kEquivocation:
      net_ = NetParams{0.05, 0.05, 80, false, false};
      byzantine(f, Role::kEquivocator);
      break;
    case Scenario::kDoubleVote:
      net_ = NetParams{0.05, 0.05, 80, false, false};
      byzantine(f, Role::kDoubleVoter);
      break;
    case Scenario::kInvalidSignatures:
      net_ = NetParams{0.05, 0.05, 80, false, false};
      byzantine(f, Role::kBadSigner);
      break;
    case Scenario::kMixed: {
      net_ = NetParams{0.15, 0.1, 150, true, f >= 2};
      const Role roles[] = {Role::kEquivocator, Role::kDoubleVoter, Role::kBadSigner};
      if (f >= 1) byzantine(1, roles[Rand(3)]);
      break;
    }
  }
  heal_at_ = o_.scenario == Scenario::kClean ? 0 : 1000 + static_cast<int64_t>(Rand(2000));
}

void Simulation::PartitionTick() {
  if (healed_) return;
  // Two sides, both non-empty.
  for (;;) {
    int ones = 0;
    for (auto& g : group_) {
      g = static_cast<int>(Rand(2));
      ones += g;
    }
    if (ones > 0 && ones < static_cast<int>(o_.n)) break;
  }
  partition_until_ = now_ + 200 + static_cast<int64_t>(Rand(1300));
  Trace("partition until ", partition_until_);
  At(partition_until_ - now_ + 200 + static_cast<int64_t>(Rand(800)), [this] { PartitionTick(); });
}

void Simulation::CrashTick() {
  if (healed_) return;
  size_t faulty = 0;
  std::vector<uint32_t> candidates;
  for (const Node& nd : nodes_) {
    const bool amnesiac = nd.up && nd.core && nd.core->height() == nd.amnesiac_height;
    if (!Honest(nd.index) || !nd.up || nd.crash_before_signed >= 0 || amnesiac) {
      ++faulty;
    } else {
      candidates.push_back(nd.index);
    }
  }
  if (faulty < F() && !candidates.empty()) {
    const uint32_t i = candidates[Rand(candidates.size())];
    if (Chance(0.5)) {
      Crash(i);
    } else {
      nodes_[i].crash_before_signed = static_cast<int>(Rand(3));
    }
  }
  At(300 + static_cast<int64_t>(Rand(700)), [this] { CrashTick(); });
}

void Simulation::Heal() {
  healed_ = true;
  partition_until_ = 0;
  uint64_t top = 0;
  for (Node& nd : nodes_) {
    nd.crash_before_signed = -1;
    if (!nd.up) Restart(nd.index);
    if (Honest(nd.index) && !nd.decided.empty()) top = std::max(top, nd.decided.rbegin()->first);
  }
  goal_ = std::max(o_.target_height, top + 2);
  Trace("healed; goal height ", goal_);
}

bool Simulation::Reached(uint64_t goal) const {
  for (const Node& nd : nodes_) {
    if (!Honest(nd.index)) continue;
    if (nd.decided.empty() || nd.decided.rbegin()->first < goal) return false;
  }
  return true;
}

std::string Simulation::Heights() const {
  std::ostringstream o;
  for (const Node& nd : nodes_) {
    o << " [node " << nd.index << (Honest(nd.index) ? "" : " byzantine") << (nd.up ? "" : " down")
      << " decided " << (nd.decided.empty() ? 0 : nd.decided.rbegin()->first);
    if (nd.core) o << " at h=" << nd.core->height() << " r=" << nd.core->round();
    o << "]";
  }
  return o.str();
}

}  // namespace govledger::consensus::sim::internal

// Admission of inputs (height, validator, proposer, signature and equivocation checks), the
// validity questions asked of the node, and signing behind the SignGuard. The "upon" rules of
// Algorithm 1 live in core_rules.cc.
#include "consensus/core.h"

#include <utility>

#include "consensus/core_state.h"
#include "ledger/commit.h"

namespace govledger::consensus {

namespace {

uint8_t GuardStep(VoteType type) { return type == VoteType::kPrevote ? 2 : 3; }

const char* EvidenceKind(VoteType type) {
  return type == VoteType::kPrevote ? "double_prevote" : "double_precommit";
}

bool SameSignedProposal(const Proposal& a, const Proposal& b) {
  return a.block_hash == b.block_hash && a.pol_round == b.pol_round;
}

}  // namespace

size_t MaxFaulty(size_t n) { return n == 0 ? 0 : (n - 1) / 3; }

Core::Core(CoreConfig config, const crypto::PrivateKey* key, SignGuard* guard)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.config = std::move(config);
  s.key = key;
  s.guard = guard;
  std::vector<crypto::PublicKey> set = s.config.validators;
  s.SetValidators(std::move(set), s.config.self);
  s.next_validators = s.config.validators;
}

Core::~Core() = default;

void Core::State::SetValidators(std::vector<crypto::PublicKey> set, std::optional<uint32_t> me) {
  config.validators = std::move(set);
  config.self = me;
  n = config.validators.size();
  GOVLEDGER_CHECK(n > 0);
  quorum = ledger::QuorumSize(n);
  skip = MaxFaulty(n) + 1;
  if (config.self.has_value()) {
    GOVLEDGER_CHECK(*config.self < n);
    GOVLEDGER_CHECK(key != nullptr && guard != nullptr);
    GOVLEDGER_CHECK(key->public_key() == config.validators[*config.self]);
  }
}

std::vector<Effect> Core::StartHeight(uint64_t height, Membership membership) {
  State& s = *s_;
  GOVLEDGER_CHECK(height > 0 && (!s.started || height > s.height));
  // Buffered messages were checked against the set announced as `next`; one that no longer
  // matches (a node restarted, or skipped heights by sync) must not be counted unchecked.
  if (membership.validators != s.next_validators || height != s.height + 1) {
    s.future.clear();
    s.future_per_validator.clear();
  }
  if (membership.key != nullptr) s.key = membership.key;
  s.SetValidators(std::move(membership.validators), membership.self);
  s.next_validators = membership.next.empty() ? s.config.validators : std::move(membership.next);
  return StartHeight(height);
}

std::vector<Effect> Core::StartHeight(uint64_t height) {
  State& s = *s_;
  GOVLEDGER_CHECK(height > 0 && (!s.started || height > s.height));
  std::vector<Effect> out;
  s.out = &out;
  s.started = true;
  s.decided = false;
  s.height = height;
  s.round = 0;
  s.step = Step::kPropose;
  s.locked_value.reset();
  s.locked_round = -1;
  s.valid_value.reset();
  s.valid_round = -1;
  s.rounds.clear();
  s.values.clear();
  s.evidence_sent.clear();
  s.far_round_checked.clear();
  std::vector<Input> buffered = std::move(s.future);
  s.future.clear();
  s.future_per_validator.clear();

  s.StartRound(0);
  s.Evaluate();
  // Replayed one at a time, as OnInput would have: a WAL that carries these messages over into
  // the new height replays them the same way.
  for (const Input& in : buffered) {
    if (const auto* p = std::get_if<ProposalIn>(&in)) {
      if (p->proposal.height == height) s.HandleProposal(p->proposal, /*verified=*/true);
    } else if (const auto* v = std::get_if<VoteIn>(&in)) {
      if (v->vote.height == height) s.HandleVote(v->vote, /*verified=*/true);
    }
    s.Evaluate();
  }
  s.out = nullptr;
  return out;
}

std::vector<Effect> Core::OnInput(const Input& in) {
  State& s = *s_;
  std::vector<Effect> out;
  if (!s.started) return out;
  s.out = &out;
  std::visit(
      [&s](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ProposalIn>) {
          s.HandleProposal(x.proposal, /*verified=*/false);
        } else if constexpr (std::is_same_v<T, VoteIn>) {
          s.HandleVote(x.vote, /*verified=*/false);
        } else if constexpr (std::is_same_v<T, TimeoutIn>) {
          s.HandleTimeout(x);
        } else if constexpr (std::is_same_v<T, ValidityIn>) {
          s.HandleValidity(x);
        } else {
          s.HandleBlock(x);
        }
      },
      in);
  s.Evaluate();
  s.out = nullptr;
  return out;
}

uint64_t Core::height() const { return s_->height; }
uint32_t Core::round() const { return s_->round; }
Step Core::step() const { return s_->step; }
const Core::Stats& Core::stats() const { return s_->stats; }

std::vector<Effect> Core::LatestMessages() const {
  const State& s = *s_;
  std::vector<Effect> out;
  if (!s.started || !s.IsValidator()) return out;
  const uint32_t self = *s.config.self;
  auto own_votes = [&](const RoundState& rs) {
    for (const VoteSet* set : {&rs.prevotes, &rs.precommits}) {
      if (const Vote* v = set->First(self)) out.push_back(BroadcastVote{*v});
    }
  };
  // The current round's proposal; our votes of this round and the previous one, and of the
  // rounds of our lock and valid value.
  auto cur = s.rounds.find(s.round);
  if (cur != s.rounds.end()) {
    for (const Proposal& p : cur->second.proposals) {
      if (p.proposer == self) out.push_back(BroadcastProposal{p});
    }
  }
  std::set<int64_t> rounds = {s.locked_round, s.valid_round, static_cast<int64_t>(s.round) - 1,
                              static_cast<int64_t>(s.round)};
  for (int64_t r : rounds) {
    if (r < 0) continue;
    auto it = s.rounds.find(static_cast<uint32_t>(r));
    if (it != s.rounds.end()) own_votes(it->second);
  }
  // And the 2f+1 prevotes (other validators' too) that make our valid value a proof-of-lock.
  // TCP is not gossip: a validator locked on an older value unlocks only if it sees this POL
  // (line 28), and part of it may be a Byzantine vote whose other version it got first.
  if (s.valid_value && s.valid_round >= 0) {
    auto it = s.rounds.find(static_cast<uint32_t>(s.valid_round));
    if (it != s.rounds.end()) {
      for (const auto& [validator, votes] : it->second.prevotes.by_validator) {
        if (validator == self) continue;
        for (const Vote& v : votes) {
          if (v.block_hash == *s.valid_value) out.push_back(BroadcastVote{v});
        }
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ admission

// Buffers a verified message for height + 1, within the bounds. True if buffered.
bool Core::State::BufferFuture(const Input& in, uint32_t sender, bool verified) {
  if (!verified) return false;
  if (future.size() >= kMaxFutureMessages) return false;
  size_t& mine = future_per_validator[sender];
  if (mine >= kMaxFuturePerValidator) return false;
  ++mine;
  future.push_back(in);
  ++stats.future_messages;
  return true;
}

void Core::State::HandleProposal(const Proposal& p, bool verified) {
  if (p.height < height) {
    ++stats.stale_messages;
    return;
  }
  if (p.height > height + 1) return;
  if (p.proposer >= SetOf(p.height).size()) {
    ++stats.unknown_validators;
    return;
  }
  if (p.proposer != Proposer(p.height, p.round)) return;
  if (p.pol_round < -1 || p.pol_round >= static_cast<int64_t>(p.round)) return;
  if (p.block_hash.empty() || p.block_hash.size() > kMaxHashSize) return;
  const bool future_height = p.height > height;
  if (!future_height && p.round > static_cast<uint64_t>(round) + kMaxRoundsAhead) {
    FarFutureRound(p.proposer, p.round, ProposalSignBytes(config.chain_id, p), p.signature);
    return;
  }
  if (!future_height && decided) return;

  auto rit = rounds.find(p.round);
  if (!future_height && rit != rounds.end()) {
    for (const Proposal& q : rit->second.proposals) {
      // A rebroadcast: nothing new, and no signature to check.
      if (SameSignedProposal(q, p) && q.signature == p.signature && q.block == p.block) return;
    }
  }
  if (future_height) {
    for (const Input& in : future) {
      const auto* q = std::get_if<ProposalIn>(&in);
      if (q != nullptr && q->proposal.height == p.height && q->proposal.round == p.round &&
          SameSignedProposal(q->proposal, p) && q->proposal.block == p.block) {
        return;
      }
    }
  }
  if (!verified) {
    if (!VerifySignature(p.height, p.proposer, ProposalSignBytes(config.chain_id, p), p.signature)) {
      ++stats.invalid_signatures;
      return;
    }
    verified = true;
  }
  if (future_height) {
    BufferFuture(ProposalIn{p}, p.proposer, verified);
    return;
  }

  RoundState& rs = rounds[p.round];
  rs.senders.insert(p.proposer);
  bool known = false;
  for (const Proposal& q : rs.proposals) known = known || SameSignedProposal(q, p);
  if (!known) {
    if (!rs.proposals.empty()) EmitEvidence(p.proposer, p.round, "double_proposal");
    // The conflicting proposal is kept (within a bound) like any message in the paper's log: a
    // quorum may have formed on it elsewhere, and line 49 needs its block to decide.
    if (rs.proposals.size() >= kMaxProposalsPerRound) return;
    rs.proposals.push_back(p);
  }
  AddCandidate(p.block_hash, p.block, p.round, /*known_valid=*/false);
}

void Core::State::HandleVote(const Vote& v, bool verified) {
  if (v.height < height) {
    ++stats.stale_messages;
    return;
  }
  if (v.height > height + 1) return;
  if (v.type != VoteType::kPrevote && v.type != VoteType::kPrecommit) return;
  if (v.validator >= SetOf(v.height).size()) {
    ++stats.unknown_validators;
    return;
  }
  if (v.block_hash.size() > kMaxHashSize) return;
  const bool future_height = v.height > height;
  if (!future_height && v.round > static_cast<uint64_t>(round) + kMaxRoundsAhead) {
    FarFutureRound(v.validator, v.round, VoteSignBytes(config.chain_id, v), v.signature);
    return;
  }
  if (!future_height && decided) return;

  const std::vector<Vote>* slot = nullptr;
  if (!future_height) {
    auto rit = rounds.find(v.round);
    if (rit != rounds.end()) {
      const VoteSet& set =
          v.type == VoteType::kPrevote ? rit->second.prevotes : rit->second.precommits;
      auto it = set.by_validator.find(v.validator);
      if (it != set.by_validator.end()) slot = &it->second;
    }
    // The same vote again (a rebroadcast, or a re-signature of the same content): nothing new.
    if (slot != nullptr) {
      for (const Vote& known : *slot) {
        if (known.block_hash == v.block_hash) return;
      }
    }
  } else {
    for (const Input& in : future) {
      const auto* q = std::get_if<VoteIn>(&in);
      if (q != nullptr && q->vote.type == v.type && q->vote.height == v.height &&
          q->vote.round == v.round && q->vote.validator == v.validator &&
          q->vote.block_hash == v.block_hash) {
        return;
      }
    }
  }
  if (!verified) {
    if (!VerifySignature(v.height, v.validator, VoteSignBytes(config.chain_id, v), v.signature)) {
      ++stats.invalid_signatures;
      return;
    }
    verified = true;
  }
  if (future_height) {
    BufferFuture(VoteIn{v}, v.validator, verified);
    return;
  }
  if (slot != nullptr) {
    // Equivocation: reported once. The vote still counts for its own value (see VoteSet), but
    // only for nil or a proposed value (junk values cannot fill memory), plus one other.
    EmitEvidence(v.validator, v.round, EvidenceKind(v.type));
    const bool relevant = v.block_hash.empty() || values.count(v.block_hash) > 0;
    if (slot->size() >= kMaxVotesPerSlot || (!relevant && slot->size() >= 2)) return;
  }
  RoundState& rs = rounds[v.round];
  VoteSet& set = v.type == VoteType::kPrevote ? rs.prevotes : rs.precommits;
  set.by_validator[v.validator].push_back(v);
  ++set.count[v.block_hash];
  rs.senders.insert(v.validator);
}

void Core::State::HandleTimeout(const TimeoutIn& t) {
  if (decided || t.height != height) return;
  switch (t.step) {
    case Step::kPropose:
      OnTimeoutPropose(t.round);
      return;
    case Step::kPrevote:
      OnTimeoutPrevote(t.round);
      return;
    case Step::kPrecommit:
      OnTimeoutPrecommit(t.round);
      return;
  }
}

void Core::State::HandleValidity(const ValidityIn& v) {
  if (decided || v.height != height) return;
  auto it = values.find(v.block_hash);
  if (it == values.end()) return;
  for (Candidate& c : it->second) {
    if (c.verdict == Verdict::kPending) {
      c.verdict = v.valid ? Verdict::kValid : Verdict::kInvalid;
      PumpValidation(v.block_hash);
      return;
    }
  }
  // Not asked (or already answered, e.g. once from the WAL and once live): ignored.
}

void Core::State::HandleBlock(const BlockIn& b) {
  if (decided || b.height != height || b.round != round) return;
  if (b.block_hash.empty() || b.block_hash.size() > kMaxHashSize) return;
  RoundState& rs = rounds[round];
  if (!rs.awaiting_block) return;
  rs.awaiting_block = false;
  // The node built this block, so it is valid(v) without asking.
  AddCandidate(b.block_hash, b.block, round, /*known_valid=*/true);
  SignProposal(b.block_hash, b.block, -1);
}

// ------------------------------------------------------------------ validity

void Core::State::AddCandidate(const Bytes& hash, const Bytes& block, uint32_t r,
                               bool known_valid) {
  std::vector<Candidate>& cs = values[hash];
  for (Candidate& c : cs) {
    if (c.block == block) {
      if (known_valid) c.verdict = Verdict::kValid;
      return;
    }
  }
  if (cs.size() >= kMaxCandidatesPerHash) return;
  cs.push_back(Candidate{block, known_valid ? Verdict::kValid : Verdict::kUnknown, r});
  PumpValidation(hash);
}

// Asks about the next unanswered candidate of `hash`, unless one is valid or pending already.
void Core::State::PumpValidation(const Bytes& hash) {
  std::vector<Candidate>& cs = values[hash];
  for (const Candidate& c : cs) {
    if (c.verdict == Verdict::kValid || c.verdict == Verdict::kPending) return;
  }
  for (Candidate& c : cs) {
    if (c.verdict == Verdict::kUnknown) {
      c.verdict = Verdict::kPending;
      Emit(ValidateBlock{height, c.round, hash, c.block});
      return;
    }
  }
}

// valid(v) for the value with this hash: kValid once any candidate is valid; kInvalid once all
// are invalid; otherwise not known yet.
Verdict Core::State::HashVerdict(const Bytes& hash) const {
  auto it = values.find(hash);
  if (it == values.end() || it->second.empty()) return Verdict::kUnknown;
  bool all_invalid = true;
  for (const Candidate& c : it->second) {
    if (c.verdict == Verdict::kValid) return Verdict::kValid;
    all_invalid = all_invalid && c.verdict == Verdict::kInvalid;
  }
  return all_invalid ? Verdict::kInvalid : Verdict::kPending;
}

const Bytes* Core::State::ValidBlock(const Bytes& hash) const {
  auto it = values.find(hash);
  if (it == values.end()) return nullptr;
  for (const Candidate& c : it->second) {
    if (c.verdict == Verdict::kValid) return &c.block;
  }
  return nullptr;
}

void Core::State::FarFutureRound(uint32_t validator, uint32_t r, const Bytes& sign_bytes,
                                 const Bytes& sig) {
  if (!far_round_checked.insert(validator).second) return;
  if (!VerifySignature(height, validator, sign_bytes, sig)) {
    ++stats.invalid_signatures;
    return;
  }
  EmitEvidence(validator, r, "far_future_round");
}

void Core::State::EmitEvidence(uint32_t validator, uint32_t r, const std::string& kind) {
  if (!evidence_sent.emplace(validator, r, kind).second) return;
  ++stats.evidence;
  Emit(Evidence{validator, kind, height, r});
}

void Core::State::ScheduleTimeout(Step st) {
  int64_t delay = 0;
  switch (st) {
    case Step::kPropose:
      delay = config.timeouts.ProposeFor(round);
      break;
    case Step::kPrevote:
      delay = config.timeouts.PrevoteFor(round);
      break;
    case Step::kPrecommit:
      delay = config.timeouts.PrecommitFor(round);
      break;
  }
  Emit(consensus::ScheduleTimeout{height, round, st, delay});
}

// ------------------------------------------------------------------ signing

// Moves the SignGuard to (height, round, step); false (do not sign) if that is not strictly
// after what was signed before — after a restart, the guard is ahead of the replayed state.
bool Core::State::ReserveSignature(uint8_t guard_step) {
  const SignGuard::Position pos{height, round, guard_step};
  if (!(guard->Last() < pos)) return false;
  return guard->Persist(pos);
}

void Core::State::SignProposal(const Bytes& hash, const Bytes& block, int64_t pol_round) {
  if (!IsValidator()) return;
  const uint32_t self = *config.self;
  RoundState& rs = rounds[round];
  for (const Proposal& q : rs.proposals) {
    if (q.proposer == self) {
      // Signed before the restart (and replayed from the WAL): only that one may go out again.
      Emit(BroadcastProposal{q});
      return;
    }
  }
  // Without a signature the round goes on from the propose timeout StartRound scheduled.
  if (!ReserveSignature(1)) return;
  Proposal p;
  p.height = height;
  p.round = round;
  p.pol_round = static_cast<int32_t>(pol_round);
  p.block_hash = hash;
  p.block = block;
  p.proposer = self;
  p.signature = key->Sign(ProposalSignBytes(config.chain_id, p));
  rs.proposals.push_back(p);
  rs.senders.insert(self);
  Emit(BroadcastProposal{std::move(p)});
}

void Core::State::SignVote(VoteType type, const Bytes& hash) {
  if (!IsValidator()) return;
  const uint32_t self = *config.self;
  RoundState& rs = rounds[round];
  VoteSet& set = type == VoteType::kPrevote ? rs.prevotes : rs.precommits;
  bool can_sign = false;
  if (const Vote* same = set.Find(self, hash)) {
    // Our vote for this step is known already (replayed from the WAL, or echoed by a peer): the
    // identical vote may go out again; a different one never.
    Emit(BroadcastVote{*same});
    return;
  }
  if (set.First(self) == nullptr) can_sign = ReserveSignature(GuardStep(type));
  if (!can_sign) {
    // We cannot take part in this step (we signed it before a restart, but that vote is not in
    // the WAL). Make sure the round still moves on by the step's timeout, which is always safe:
    // a timeout only leads to nil votes or a higher round.
    bool& scheduled =
        type == VoteType::kPrevote ? rs.prevote_timeout_scheduled : rs.precommit_timeout_scheduled;
    if (!scheduled) {
      scheduled = true;
      ScheduleTimeout(type == VoteType::kPrevote ? Step::kPrevote : Step::kPrecommit);
    }
    return;
  }
  Vote v;
  v.type = type;
  v.height = height;
  v.round = round;
  v.block_hash = hash;
  v.validator = self;
  v.signature = key->Sign(VoteSignBytes(config.chain_id, v));
  set.by_validator[self].push_back(v);
  ++set.count[hash];
  rs.senders.insert(self);
  Emit(BroadcastVote{std::move(v)});
}

}  // namespace govledger::consensus

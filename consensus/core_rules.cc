// The "upon" rules of Algorithm 1 (line numbers refer to the paper), evaluated to a fixpoint
// after every input: each rule that fires changes the step, the round or a "first time" flag,
// so the loop ends.
#include <utility>

#include "consensus/core_state.h"

namespace govledger::consensus {

// StartRound(round), lines 11-21. Every validator schedules the propose timeout, the proposer
// included: if its own proposal cannot be produced (no block from the node yet, or a signature
// the SignGuard refuses after a restart) the round still moves on.
void Core::State::StartRound(uint32_t r) {
  round = r;
  step = Step::kPropose;
  RoundState& rs = rounds[r];
  if (IsValidator() && Proposer(height, r) == *config.self) {
    const Bytes* block = valid_value ? ValidBlock(*valid_value) : nullptr;
    if (block != nullptr) {
      const Bytes hash = *valid_value;
      const Bytes copy = *block;
      SignProposal(hash, copy, valid_round);
    } else {
      rs.awaiting_block = true;
      Emit(BuildBlock{height, r});
    }
  }
  ScheduleTimeout(Step::kPropose);
}

void Core::State::Evaluate() {
  while (started && !decided) {
    if (TryDecide()) return;
    if (TrySkipRound()) continue;
    if (TryCurrentRound()) continue;
    return;
  }
}

// Line 49: a proposal for v and 2f+1 precommits for id(v) in any round r, with valid(v). The
// block may come from any proposal of this height carrying the same hash (a re-proposal of the
// value in another round): the decision rests on the precommits, the block only has to match.
bool Core::State::TryDecide() {
  for (auto& [r, rs] : rounds) {
    for (const auto& [hash, count] : rs.precommits.count) {
      if (hash.empty() || count < quorum) continue;
      const Bytes* block = ValidBlock(hash);
      if (block == nullptr) continue;  // no proposal yet, or valid(v) not known (or false)
      Decide d;
      d.height = height;
      d.round = r;
      d.block_hash = hash;
      d.block = *block;
      d.commit.height = height;
      d.commit.round = r;
      d.commit.block_hash = hash;
      for (const auto& [validator, votes] : rs.precommits.by_validator) {
        if (const Vote* vote = rs.precommits.Find(validator, hash)) {
          d.commit.sigs.push_back(ledger::CommitSig{config.validators[validator], vote->signature});
        }
      }
      decided = true;
      Emit(std::move(d));
      return true;
    }
  }
  return false;
}

// Line 55: f+1 validators sent something for a higher round: go there (the highest such).
bool Core::State::TrySkipRound() {
  for (auto it = rounds.rbegin(); it != rounds.rend() && it->first > round; ++it) {
    if (it->second.senders.size() >= skip) {
      StartRound(it->first);
      return true;
    }
  }
  return false;
}

bool Core::State::TryCurrentRound() {
  RoundState& rs = rounds[round];
  // Lines 22 and 28: prevote on the round's proposal.
  if (step == Step::kPropose) {
    for (size_t i = 0; i < rs.proposals.size(); ++i) {
      const Bytes hash = rs.proposals[i].block_hash;
      const int64_t vr = rs.proposals[i].pol_round;
      if (vr >= 0) {
        auto pol = rounds.find(static_cast<uint32_t>(vr));
        if (pol == rounds.end() || pol->second.prevotes.Count(hash) < quorum) continue;
      }
      const Verdict verdict = HashVerdict(hash);
      if (verdict != Verdict::kValid && verdict != Verdict::kInvalid) continue;
      const bool lock_ok = vr < 0 ? (locked_round == -1 || locked_value == hash)
                                  : (locked_round <= vr || locked_value == hash);
      step = Step::kPrevote;
      SignVote(VoteType::kPrevote, verdict == Verdict::kValid && lock_ok ? hash : Bytes{});
      return true;
    }
  }
  // Line 34: 2f+1 prevotes of any kind while in prevote, first time.
  if (step == Step::kPrevote && !rs.prevote_timeout_scheduled && rs.prevotes.total() >= quorum) {
    rs.prevote_timeout_scheduled = true;
    ScheduleTimeout(Step::kPrevote);
  }
  // Line 36: proposal for v, 2f+1 prevotes for id(v), valid(v), step >= prevote, first time.
  if (step != Step::kPropose && !rs.valid_value_rule_fired) {
    for (const auto& [hash, count] : rs.prevotes.count) {
      if (hash.empty() || count < quorum) continue;
      bool proposed = false;
      for (const Proposal& p : rs.proposals) proposed = proposed || p.block_hash == hash;
      if (!proposed || HashVerdict(hash) != Verdict::kValid) continue;
      const Bytes v = hash;
      rs.valid_value_rule_fired = true;
      if (step == Step::kPrevote) {
        locked_value = v;
        locked_round = round;
        step = Step::kPrecommit;
        SignVote(VoteType::kPrecommit, v);
      }
      valid_value = v;
      valid_round = round;
      return true;
    }
  }
  // Line 44: 2f+1 nil prevotes while in prevote.
  if (step == Step::kPrevote && rs.prevotes.Count(Bytes{}) >= quorum) {
    step = Step::kPrecommit;
    SignVote(VoteType::kPrecommit, Bytes{});
    return true;
  }
  // Line 47: 2f+1 precommits of any kind, first time.
  if (!rs.precommit_timeout_scheduled && rs.precommits.total() >= quorum) {
    rs.precommit_timeout_scheduled = true;
    ScheduleTimeout(Step::kPrecommit);
  }
  return false;
}

// Lines 57-66: a timeout acts only if the core is still at that round and step.
void Core::State::OnTimeoutPropose(uint32_t r) {
  if (r != round || step != Step::kPropose) return;
  step = Step::kPrevote;
  SignVote(VoteType::kPrevote, Bytes{});
}

void Core::State::OnTimeoutPrevote(uint32_t r) {
  if (r != round || step != Step::kPrevote) return;
  step = Step::kPrecommit;
  SignVote(VoteType::kPrecommit, Bytes{});
}

void Core::State::OnTimeoutPrecommit(uint32_t r) {
  if (r != round) return;
  StartRound(round + 1);
}

}  // namespace govledger::consensus

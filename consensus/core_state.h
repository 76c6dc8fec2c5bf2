// Private to the consensus core (core.cc, core_rules.cc): the per-height state of Algorithm 1
// and the helpers the two halves share. Not part of the module's API.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "consensus/core.h"

namespace govledger::consensus {

// Bounds that keep a Byzantine validator (valid key, arbitrary messages) from growing the state
// without limit.
inline constexpr size_t kMaxFutureMessages = 4096;    // buffered for height + 1, in total
inline constexpr size_t kMaxFuturePerValidator = 64;  // ... and per sender
inline constexpr uint32_t kMaxRoundsAhead = 1000;     // rounds beyond round_p + this: dropped
inline constexpr size_t kMaxProposalsPerRound = 4;    // distinct signed proposals kept
inline constexpr size_t kMaxCandidatesPerHash = 4;    // distinct block bytes per block hash
inline constexpr size_t kMaxHashSize = 64;
// Values one validator may vote for in one (round, type): the first, then nil or values with a
// proposal at this height, plus one other (it may arrive before its proposal).
inline constexpr size_t kMaxVotesPerSlot = 8;

// Votes of one (round, type). An honest validator has one; an equivocator's further votes for
// other values are kept too (within bounds) and count for their own value, as every message in
// the paper's log does: a proof-of-lock may rest on the version of a Byzantine vote that this
// node did not get first, and without it a validator locked on an older value never unlocks.
// Counting both is safe: two quorums for different values still share an honest validator.
struct VoteSet {
  std::map<uint32_t, std::vector<Vote>> by_validator;  // first vote first
  std::map<Bytes, size_t> count;                       // distinct validators per block hash
  size_t Count(const Bytes& hash) const {
    auto it = count.find(hash);
    return it == count.end() ? 0 : it->second;
  }
  size_t total() const { return by_validator.size(); }  // distinct validators
  const Vote* Find(uint32_t validator, const Bytes& hash) const {
    auto it = by_validator.find(validator);
    if (it == by_validator.end()) return nullptr;
    for (const Vote& v : it->second) {
      if (v.block_hash == hash) return &v;
    }
    return nullptr;
  }
  const Vote* First(uint32_t validator) const {
    auto it = by_validator.find(validator);
    return it == by_validator.end() || it->second.empty() ? nullptr : &it->second.front();
  }
};

struct RoundState {
  std::vector<Proposal> proposals;  // by proposer(h, r), distinct signed content, arrival order
  VoteSet prevotes;
  VoteSet precommits;
  std::set<uint32_t> senders;                // distinct validators with any message (line 55)
  bool prevote_timeout_scheduled = false;    // line 34 "for the first time"
  bool precommit_timeout_scheduled = false;  // line 47
  bool valid_value_rule_fired = false;       // line 36
  bool awaiting_block = false;               // BuildBlock emitted, BlockIn not yet received
};

// valid(v) is asked of the node per distinct (block hash, block bytes); at most one question per
// hash is outstanding, so a ValidityIn (which names only the hash) is never ambiguous.
enum class Verdict { kUnknown, kPending, kValid, kInvalid };
struct Candidate {
  Bytes block;
  Verdict verdict = Verdict::kUnknown;
  uint32_t round = 0;  // round of the proposal that brought it (for ValidateBlock)
};

struct Core::State {
  CoreConfig config;
  const crypto::PrivateKey* key = nullptr;
  SignGuard* guard = nullptr;
  size_t n = 0;
  size_t quorum = 0;  // 2f+1
  size_t skip = 0;    // f+1

  bool started = false;
  bool decided = false;
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
  std::optional<Bytes> locked_value;  // values are identified by block hash
  int64_t locked_round = -1;
  std::optional<Bytes> valid_value;
  int64_t valid_round = -1;

  std::map<uint32_t, RoundState> rounds;
  std::map<Bytes, std::vector<Candidate>> values;
  std::set<std::tuple<uint32_t, uint32_t, std::string>> evidence_sent;  // (validator, round, kind)
  // Validators whose message for a round beyond round + kMaxRoundsAhead was checked this height:
  // one signature check each, however many such messages they send.
  std::set<uint32_t> far_round_checked;
  std::vector<Input> future;  // verified messages for height + 1, arrival order
  std::map<uint32_t, size_t> future_per_validator;
  Stats stats;

  std::vector<Effect>* out = nullptr;  // effects of the call in progress

  // The set of height + 1 (messages buffered before it starts are checked against it).
  std::vector<crypto::PublicKey> next_validators;

  // The validators of `h` (the current height or the next one).
  const std::vector<crypto::PublicKey>& SetOf(uint64_t h) const {
    return h > height ? next_validators : config.validators;
  }
  uint32_t Proposer(uint64_t h, uint32_t r) const {
    const size_t size = SetOf(h).size();
    return static_cast<uint32_t>((h % size + r % size) % size);
  }
  bool IsValidator() const { return config.self.has_value(); }
  // A message of this height for a round no honest validator can have reached (f+1 messages of
  // a higher round make every honest node skip ahead): dropped; if its signature holds, it is
  // evidence against its signer ("far_future_round"), checked once per validator and height.
  void FarFutureRound(uint32_t validator, uint32_t r, const Bytes& sign_bytes, const Bytes& sig);
  bool VerifySignature(uint64_t h, uint32_t validator, const Bytes& msg, const Bytes& sig) const {
    const crypto::PublicKey& k = SetOf(h)[validator];
    return config.verify ? config.verify(k, msg, sig) : crypto::Verify(config.suite, k, msg, sig);
  }
  // Makes `set` the current one (n, quorum, f+1 follow it).
  void SetValidators(std::vector<crypto::PublicKey> set, std::optional<uint32_t> self);
  void Emit(Effect e) { out->push_back(std::move(e)); }

  // ---- core.cc: admission of inputs, validation questions, signing
  void HandleProposal(const Proposal& p, bool verified);
  void HandleVote(const Vote& v, bool verified);
  void HandleTimeout(const TimeoutIn& t);
  void HandleValidity(const ValidityIn& v);
  void HandleBlock(const BlockIn& b);
  bool BufferFuture(const Input& in, uint32_t sender, bool verified);
  void AddCandidate(const Bytes& hash, const Bytes& block, uint32_t round, bool known_valid);
  void PumpValidation(const Bytes& hash);
  Verdict HashVerdict(const Bytes& hash) const;
  const Bytes* ValidBlock(const Bytes& hash) const;
  void EmitEvidence(uint32_t validator, uint32_t round, const std::string& kind);
  void ScheduleTimeout(Step s);
  void SignProposal(const Bytes& hash, const Bytes& block, int64_t pol_round);
  void SignVote(VoteType type, const Bytes& hash);
  bool ReserveSignature(uint8_t step);

  // ---- core_rules.cc: the "upon" rules of Algorithm 1
  void StartRound(uint32_t r);
  void Evaluate();
  bool TryDecide();
  bool TrySkipRound();
  bool TryCurrentRound();
  void OnTimeoutPropose(uint32_t r);
  void OnTimeoutPrevote(uint32_t r);
  void OnTimeoutPrecommit(uint32_t r);
};

}  // namespace govledger::consensus

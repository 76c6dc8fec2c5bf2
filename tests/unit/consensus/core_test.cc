#include "consensus/core.h"

#include <catch2/catch.hpp>
#include <memory>

#include "consensus/core_state.h"  // kMaxRoundsAhead
#include "ledger/canonical.h"
#include "ledger/commit.h"
#include "tests/unit/consensus/fixture.h"

namespace govledger::consensus {
namespace {

using testing::BlockBytes;
using testing::BlockHash;
using testing::Only;
using testing::SignedProposal;
using testing::SignedVote;

constexpr VoteType kPrevote = VoteType::kPrevote;
constexpr VoteType kPrecommit = VoteType::kPrecommit;

// One core under test (validator `self`, or a follower) and the other validators' keys to
// script its peers. With n = 4 at height 1 the proposers of rounds 0..3 are 1, 2, 3, 0.
class Harness {
 public:
  explicit Harness(size_t n = 4, std::optional<uint32_t> self = 0, SignGuard* guard = nullptr)
      : v(testing::MakeValidators(n)), guard_(guard != nullptr ? guard : &own_guard_) {
    Restart(self);
  }
  // A fresh core over the same guard: a process restart.
  void Restart(std::optional<uint32_t> self = 0) {
    core = std::make_unique<Core>(testing::MakeConfig(v, self), self ? &v.keys[*self] : nullptr,
                                  self ? guard_ : nullptr);
  }

  std::vector<Effect> Start(uint64_t h) { return core->StartHeight(h); }
  std::vector<Effect> In(const Input& in) { return core->OnInput(in); }
  std::vector<Effect> Prop(uint32_t proposer, uint64_t h, uint32_t r, const std::string& label,
                           int32_t pol = -1) {
    return In(ProposalIn{SignedProposal(v, proposer, h, r, label, pol)});
  }
  std::vector<Effect> Vote(uint32_t validator, VoteType t, uint64_t h, uint32_t r,
                           const std::string& label) {
    return In(VoteIn{SignedVote(v, validator, t, h, r, label)});
  }
  std::vector<Effect> Valid(uint64_t h, uint32_t r, const std::string& label, bool ok = true) {
    return In(ValidityIn{h, r, BlockHash(label), ok});
  }
  std::vector<Effect> Timeout(uint64_t h, uint32_t r, Step s) { return In(TimeoutIn{h, r, s}); }

  // Height 1, round 0: proposal `label` from validator 1, valid; our prevote goes out.
  std::vector<Effect> ProposeAndAccept(const std::string& label) {
    Start(1);
    auto e = Prop(1, 1, 0, label);
    REQUIRE(Only<ValidateBlock>(e).size() == 1);
    return Valid(1, 0, label);
  }
  // Locks on `label` in round 0 (prevotes from 1 and 2 complete the quorum), then moves to
  // round 1 on nil precommits from 1 and 2.
  void LockInRound0ThenRound1(const std::string& label) {
    ProposeAndAccept(label);
    Vote(1, kPrevote, 1, 0, label);
    auto e = Vote(2, kPrevote, 1, 0, label);
    auto pcs = Only<BroadcastVote>(e);
    REQUIRE(pcs.size() == 1);
    REQUIRE(pcs[0].vote.type == kPrecommit);
    REQUIRE(pcs[0].vote.block_hash == BlockHash(label));
    Vote(1, kPrecommit, 1, 0, "");
    e = Vote(2, kPrecommit, 1, 0, "");
    REQUIRE(Only<ScheduleTimeout>(e).size() == 1);
    Timeout(1, 0, Step::kPrecommit);
    REQUIRE(core->round() == 1);
  }

  testing::TestValidators v;
  std::unique_ptr<Core> core;

 private:
  MemorySignGuard own_guard_;
  SignGuard* guard_;
};

std::optional<consensus::Vote> OnlyVote(const std::vector<Effect>& e) {
  auto votes = Only<BroadcastVote>(e);
  if (votes.size() != 1) return std::nullopt;
  return votes[0].vote;
}

// ------------------------------------------------------------------ signing layouts

TEST_CASE("proposal and vote sign bytes follow the documented layout", "[consensus]") {
  Proposal p;
  p.height = 0x0102030405060708;
  p.round = 9;
  p.pol_round = -1;
  p.block_hash = {0xaa, 0xbb};
  Bytes expected = ToBytes("govledger/proposal/v1");
  for (uint8_t b : Bytes{0, 0, 0, 2, 'c', 'h'}) expected.push_back(b);
  for (uint8_t b :
       Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0xaa, 0xbb}) {
    expected.push_back(b);
  }
  CHECK(ProposalSignBytes("ch", p) == expected);

  consensus::Vote v;
  v.type = VoteType::kPrevote;
  v.height = 1;
  v.round = 2;
  Bytes pv = ToBytes("govledger/prevote/v1");
  for (uint8_t b : Bytes{0, 0, 0, 2, 'c', 'h', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0}) {
    pv.push_back(b);
  }
  CHECK(VoteSignBytes("ch", v) == pv);
  v.type = VoteType::kPrecommit;
  v.block_hash = {7};
  CHECK(VoteSignBytes("ch", v) == ledger::PrecommitSignBytes("ch", 1, 2, Bytes{7}));
}

// ------------------------------------------------------------------ progress

TEST_CASE("a single validator decides every height alone", "[consensus]") {
  Harness h(1, 0);
  for (uint64_t height = 1; height <= 3; ++height) {
    auto e = h.Start(height);
    auto build = Only<BuildBlock>(e);
    REQUIRE(build.size() == 1);
    CHECK(build[0].height == height);
    const std::string label = "solo" + std::to_string(height);
    e = h.In(BlockIn{height, 0, BlockHash(label), BlockBytes(label)});
    CHECK(Only<BroadcastProposal>(e).size() == 1);
    CHECK(Only<BroadcastVote>(e).size() == 2);  // prevote, precommit
    CHECK(Only<ValidateBlock>(e).empty());      // its own block needs no verdict
    auto d = Only<Decide>(e);
    REQUIRE(d.size() == 1);
    CHECK(d[0].height == height);
    CHECK(d[0].block == BlockBytes(label));
    CHECK(ledger::VerifyCommit(crypto::Suite::kP256, testing::kChainId, h.v.ledger_validators,
                               d[0].commit, height, BlockHash(label))
              .ok());
  }
}

TEST_CASE("four validators decide with a certificate of exactly the precommits", "[consensus]") {
  Harness h;
  h.ProposeAndAccept("a");
  h.Vote(1, kPrevote, 1, 0, "a");
  h.Vote(2, kPrevote, 1, 0, "a");  // our precommit goes out
  h.Vote(3, kPrecommit, 1, 0, "a");
  auto e = h.Vote(1, kPrecommit, 1, 0, "a");
  auto d = Only<Decide>(e);
  REQUIRE(d.size() == 1);
  CHECK(d[0].round == 0);
  CHECK(d[0].block_hash == BlockHash("a"));
  REQUIRE(d[0].commit.sigs.size() == 3);
  CHECK(d[0].commit.sigs[0].validator == h.v.pubs[0]);
  CHECK(d[0].commit.sigs[1].validator == h.v.pubs[1]);
  CHECK(d[0].commit.sigs[2].validator == h.v.pubs[3]);
  CHECK(ledger::VerifyCommit(crypto::Suite::kP256, testing::kChainId, h.v.ledger_validators,
                             d[0].commit, 1, BlockHash("a"))
            .ok());
  // Decided: the height is over until StartHeight.
  CHECK(h.Vote(2, kPrecommit, 1, 0, "a").empty());
}

TEST_CASE("the proposer asks for a block and proposes it", "[consensus]") {
  Harness h;
  auto e = h.Start(4);  // proposer(4, 0) = 0
  REQUIRE(Only<BuildBlock>(e).size() == 1);
  e = h.In(BlockIn{4, 0, BlockHash("mine"), BlockBytes("mine")});
  auto props = Only<BroadcastProposal>(e);
  REQUIRE(props.size() == 1);
  CHECK(props[0].proposal.pol_round == -1);
  CHECK(props[0].proposal.proposer == 0);
  auto vote = OnlyVote(e);
  REQUIRE(vote);
  CHECK(vote->type == kPrevote);
  CHECK(vote->block_hash == BlockHash("mine"));
  // A second answer to the same BuildBlock (e.g. after a WAL replay) is ignored.
  CHECK(h.In(BlockIn{4, 0, BlockHash("other"), BlockBytes("other")}).empty());
  auto latest = h.core->LatestMessages();
  CHECK(Only<BroadcastProposal>(latest).size() == 1);
  CHECK(Only<BroadcastVote>(latest).size() == 1);
}

TEST_CASE("a follower without a key decides but never signs", "[consensus]") {
  Harness h(4, std::nullopt);
  std::vector<Effect> all = h.Start(1);
  auto add = [&all](std::vector<Effect> e) { all.insert(all.end(), e.begin(), e.end()); };
  add(h.Prop(1, 1, 0, "a"));
  add(h.Valid(1, 0, "a"));
  for (uint32_t i = 1; i <= 3; ++i) add(h.Vote(i, kPrevote, 1, 0, "a"));
  for (uint32_t i = 1; i <= 3; ++i) add(h.Vote(i, kPrecommit, 1, 0, "a"));
  CHECK(Only<Decide>(all).size() == 1);
  CHECK(Only<BroadcastVote>(all).empty());
  CHECK(Only<BroadcastProposal>(all).empty());
  CHECK(h.core->LatestMessages().empty());
}

// ------------------------------------------------------------------ rejections

TEST_CASE("a vote with a bad signature is dropped and counted", "[consensus]") {
  Harness h;
  h.Start(1);
  consensus::Vote forged = SignedVote(h.v, 2, kPrevote, 1, 0, "a");
  forged.validator = 1;  // signed by 2, claims 1
  CHECK(h.In(VoteIn{forged}).empty());
  consensus::Vote tampered = SignedVote(h.v, 1, kPrevote, 1, 0, "a");
  tampered.block_hash = BlockHash("b");
  CHECK(h.In(VoteIn{tampered}).empty());
  Proposal p = SignedProposal(h.v, 1, 1, 0, "a");
  p.signature[10] ^= 1;
  CHECK(h.In(ProposalIn{p}).empty());
  CHECK(h.core->stats().invalid_signatures == 3);
  // None of them counted: two real prevotes do not make a quorum with a forged one.
  h.Timeout(1, 0, Step::kPropose);
  h.Vote(2, kPrevote, 1, 0, "");
  CHECK(Only<ScheduleTimeout>(h.Vote(3, kPrevote, 1, 0, "")).size() == 1);
}

TEST_CASE("a message from an unknown validator index is dropped", "[consensus]") {
  Harness h;
  h.Start(1);
  consensus::Vote v = SignedVote(h.v, 1, kPrevote, 1, 0, "a");
  v.validator = 9;
  CHECK(h.In(VoteIn{v}).empty());
  Proposal p = SignedProposal(h.v, 1, 1, 0, "a");
  p.proposer = 4;
  CHECK(h.In(ProposalIn{p}).empty());
  CHECK(h.core->stats().unknown_validators == 2);
}

TEST_CASE("a proposal from the wrong proposer is ignored", "[consensus]") {
  Harness h;
  h.Start(1);
  CHECK(h.Prop(2, 1, 0, "a").empty());  // proposer(1, 0) is 1
  CHECK(h.Prop(3, 1, 0, "a").empty());
  h.Timeout(1, 0, Step::kPropose);  // and nothing of it is counted toward round skips
  CHECK(h.core->round() == 0);
}

TEST_CASE("a proposal whose pol_round is not below its round is ignored", "[consensus]") {
  Harness h;
  h.Start(1);
  CHECK(h.Prop(1, 1, 0, "a", 0).empty());
  CHECK(h.Prop(1, 1, 0, "a", -2).empty());
}

TEST_CASE("messages for past heights are dropped as stale", "[consensus]") {
  Harness h;
  h.Start(1);
  h.Start(2);
  CHECK(h.Vote(1, kPrevote, 1, 0, "a").empty());
  CHECK(h.Prop(1, 1, 0, "a").empty());
  CHECK(h.core->stats().stale_messages == 2);
}

TEST_CASE("messages for the next height are buffered and replayed", "[consensus]") {
  Harness h;
  h.Start(1);
  CHECK(h.Prop(2, 2, 0, "next").empty());  // proposer(2, 0) = 2
  CHECK(h.Vote(3, kPrevote, 2, 0, "next").empty());
  CHECK(h.Vote(3, kPrevote, 3, 0, "far").empty());  // two ahead: dropped
  CHECK(h.core->stats().future_messages == 2);
  auto e = h.Start(2);
  auto v = Only<ValidateBlock>(e);
  REQUIRE(v.size() == 1);
  CHECK(v[0].block_hash == BlockHash("next"));
  e = h.Valid(2, 0, "next");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash == BlockHash("next"));
  // The buffered prevote of 3 counts: one more makes a quorum and our precommit.
  e = h.Vote(1, kPrevote, 2, 0, "next");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
}

// ------------------------------------------------------------------ validator-set changes

namespace {
Membership SetOf(const testing::TestValidators& v, size_t n, std::optional<uint32_t> self,
                 size_t next_n = 0) {
  Membership m;
  m.validators.assign(v.pubs.begin(), v.pubs.begin() + static_cast<std::ptrdiff_t>(n));
  m.self = self;
  if (next_n) m.next.assign(v.pubs.begin(), v.pubs.begin() + static_cast<std::ptrdiff_t>(next_n));
  return m;
}
}  // namespace

TEST_CASE("after a validator joins, the quorum of five needs four precommits", "[consensus]") {
  Harness h(4);
  testing::TestValidators five = testing::MakeValidators(5);
  h.core->StartHeight(1, SetOf(five, 4, 0, 5));
  auto e = h.core->StartHeight(2, SetOf(five, 5, 0));  // proposer(2, 0) = 2 of 5
  e = h.In(ProposalIn{SignedProposal(five, 2, 2, 0, "b")});
  REQUIRE(Only<ValidateBlock>(e).size() == 1);
  h.Valid(2, 0, "b");
  for (uint32_t i : {1u, 2u, 4u}) h.In(VoteIn{SignedVote(five, i, kPrevote, 2, 0, "b")});
  // Three precommits (ours included) were a quorum of four, not of five.
  h.In(VoteIn{SignedVote(five, 1, kPrecommit, 2, 0, "b")});
  e = h.In(VoteIn{SignedVote(five, 2, kPrecommit, 2, 0, "b")});
  CHECK(Only<Decide>(e).empty());
  e = h.In(VoteIn{SignedVote(five, 4, kPrecommit, 2, 0, "b")});
  auto d = Only<Decide>(e);
  REQUIRE(d.size() == 1);
  REQUIRE(d[0].commit.sigs.size() == 4);
  CHECK(ledger::VerifyCommit(crypto::Suite::kP256, testing::kChainId, five.ledger_validators,
                             d[0].commit, 2, BlockHash("b"))
            .ok());
}

TEST_CASE("messages for the next height are checked against the announced next set",
          "[consensus]") {
  Harness h(4);
  testing::TestValidators five = testing::MakeValidators(5);
  h.core->StartHeight(1, SetOf(five, 4, 0, 5));
  // The joining validator's prevote for height 2 is buffered (it is in the next set) ...
  CHECK(h.In(VoteIn{SignedVote(five, 4, kPrevote, 2, 0, "b")}).empty());
  CHECK(h.core->stats().future_messages == 1);
  CHECK(h.core->stats().unknown_validators == 0);
  // ... and counts once height 2 starts with five validators.
  h.core->StartHeight(2, SetOf(five, 5, 0));
  h.In(ProposalIn{SignedProposal(five, 2, 2, 0, "b")});
  h.Valid(2, 0, "b");
  h.In(VoteIn{SignedVote(five, 1, kPrevote, 2, 0, "b")});
  auto e = h.In(VoteIn{SignedVote(five, 2, kPrevote, 2, 0, "b")});
  auto v = OnlyVote(e);
  REQUIRE(v);
  CHECK(v->type == kPrecommit);  // 0 (ours), 1, 2 and the buffered 4: four of five
}

TEST_CASE("a removed validator's votes no longer count and it stops signing", "[consensus]") {
  testing::TestValidators four = testing::MakeValidators(4);
  Harness h(4, 3);
  h.core->StartHeight(1, SetOf(four, 4, 3, 3));
  // From height 2 the set is validators 0..2: validator 3 (this node) follows without signing,
  // and an index 3 message is unknown.
  std::vector<Effect> all = h.core->StartHeight(2, SetOf(four, 3, std::nullopt));
  auto add = [&all](std::vector<Effect> e) { all.insert(all.end(), e.begin(), e.end()); };
  add(h.In(ProposalIn{SignedProposal(four, 2, 2, 0, "c")}));  // proposer(2, 0) = 2 of 3
  add(h.Valid(2, 0, "c"));
  add(h.In(VoteIn{SignedVote(four, 3, kPrevote, 2, 0, "c")}));
  CHECK(h.core->stats().unknown_validators == 1);
  for (uint32_t i : {0u, 1u, 2u}) add(h.In(VoteIn{SignedVote(four, i, kPrevote, 2, 0, "c")}));
  for (uint32_t i : {0u, 1u, 2u}) add(h.In(VoteIn{SignedVote(four, i, kPrecommit, 2, 0, "c")}));
  CHECK(Only<Decide>(all).size() == 1);
  CHECK(Only<BroadcastVote>(all).empty());
}

TEST_CASE("a duplicate vote is counted once", "[consensus]") {
  Harness h;
  h.Start(1);
  h.Timeout(1, 0, Step::kPropose);  // our nil prevote
  CHECK(h.Vote(1, kPrevote, 1, 0, "").empty());
  CHECK(h.Vote(1, kPrevote, 1, 0, "").empty());  // re-signed, same content
  CHECK(h.core->stats().evidence == 0);
  CHECK(Only<ScheduleTimeout>(h.Vote(2, kPrevote, 1, 0, "a")).size() == 1);
}

TEST_CASE("two different votes for one step are evidence, and the validator counts once",
          "[consensus]") {
  Harness h;
  h.Start(1);
  h.Timeout(1, 0, Step::kPropose);  // our nil prevote
  h.Vote(1, kPrevote, 1, 0, "a");
  auto e = h.Vote(1, kPrevote, 1, 0, "");
  auto ev = Only<Evidence>(e);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].validator == 1);
  CHECK(ev[0].kind == "double_prevote");
  CHECK(ev[0].height == 1);
  CHECK(ev[0].round == 0);
  // Two validators (us and 1) are no 2f+1 of any kind, however many votes 1 signs.
  CHECK(Only<ScheduleTimeout>(e).empty());
  // Reported once; a third value without a proposal is not even kept.
  e = h.Vote(1, kPrevote, 1, 0, "b");
  CHECK(Only<Evidence>(e).empty());
  CHECK(Only<ScheduleTimeout>(e).empty());
  CHECK(h.core->stats().evidence == 1);
  // 1's nil vote counts for nil (as in the paper's message log): with 2's, 2f+1 nil prevotes.
  e = h.Vote(2, kPrevote, 1, 0, "");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
  CHECK(OnlyVote(e)->block_hash.empty());
  // Precommits too.
  h.Vote(2, kPrecommit, 1, 0, "");
  ev = Only<Evidence>(h.Vote(2, kPrecommit, 1, 0, "a"));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == "double_precommit");
}

TEST_CASE("an equivocator's other vote completes a proof-of-lock relayed by a peer",
          "[consensus]") {
  // Locked on v in round 0. In round 1, 2 and 3 prevote w and validator 1 signs both nil and w;
  // we got its nil vote first. When a peer relays 1's w vote, it counts for w: with 2 and 3 that
  // is 2f+1 for the proposed w, and we relock on w. Without it a validator locked on an older
  // value could wait forever for a POL that exists.
  Harness h;
  h.LockInRound0ThenRound1("v");
  h.Prop(2, 1, 1, "w");
  REQUIRE(OnlyVote(h.Valid(1, 1, "w"))->block_hash.empty());  // locked on v
  h.Vote(1, kPrevote, 1, 1, "");
  h.Vote(2, kPrevote, 1, 1, "w");
  CHECK(Only<BroadcastVote>(h.Vote(3, kPrevote, 1, 1, "w")).empty());
  auto e = h.Vote(1, kPrevote, 1, 1, "w");
  CHECK(Only<Evidence>(e).size() == 1);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
  CHECK(OnlyVote(e)->block_hash == BlockHash("w"));
  // Our rebroadcast now carries that POL, 1's w vote included, for validators still locked.
  size_t pol_votes = 0;
  for (const auto& bv : Only<BroadcastVote>(h.core->LatestMessages())) {
    if (bv.vote.round == 1 && bv.vote.type == kPrevote && bv.vote.validator != 0) {
      CHECK(bv.vote.block_hash == BlockHash("w"));
      ++pol_votes;
    }
  }
  CHECK(pol_votes == 3);
}

TEST_CASE("a signed vote for a round no honest validator can reach is evidence, checked once "
          "per validator and height, and not counted",
          "[consensus]") {
  Harness h;
  h.Start(1);
  const uint32_t far = kMaxRoundsAhead + 5;
  auto e = h.Vote(2, kPrevote, 1, far, "x");
  auto ev = Only<Evidence>(e);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].validator == 2);
  CHECK(ev[0].kind == "far_future_round");
  CHECK(ev[0].round == far);
  CHECK(Only<ScheduleTimeout>(e).empty());  // not taken as a round to skip to
  // More of them cost no further signature check and raise nothing new.
  CHECK(Only<Evidence>(h.Vote(2, kPrecommit, 1, far + 1, "y")).empty());
  CHECK(h.core->stats().evidence == 1);
  // Within kMaxRoundsAhead a later round is fine: no evidence.
  CHECK(Only<Evidence>(h.Vote(3, kPrevote, 1, kMaxRoundsAhead, "z")).empty());
  CHECK(h.core->stats().evidence == 1);
  CHECK(h.core->stats().invalid_signatures == 0);
}

TEST_CASE("two different proposals from the proposer are evidence", "[consensus]") {
  Harness h;
  h.Start(1);
  h.Prop(1, 1, 0, "a");
  auto e = h.Prop(1, 1, 0, "b");
  auto ev = Only<Evidence>(e);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == "double_proposal");
  CHECK(ev[0].validator == 1);
  // We prevote for the first one.
  e = h.Valid(1, 0, "a");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash == BlockHash("a"));
}

TEST_CASE("an invalid block gets a nil prevote", "[consensus]") {
  Harness h;
  h.Start(1);
  h.Prop(1, 1, 0, "bad");
  auto e = h.Valid(1, 0, "bad", false);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash.empty());
}

// ------------------------------------------------------------------ locking

TEST_CASE("a validator locked in round 0 prevotes nil for another value without a POL",
          "[consensus]") {
  Harness h;
  h.LockInRound0ThenRound1("v");
  h.Prop(2, 1, 1, "w");  // proposer(1, 1) = 2
  auto e = h.Valid(1, 1, "w");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->round == 1);
  CHECK(OnlyVote(e)->block_hash.empty());
}

TEST_CASE("a re-proposal of the locked value with its POL gets a prevote without revalidation",
          "[consensus]") {
  Harness h;
  h.LockInRound0ThenRound1("v");
  auto e = h.Prop(2, 1, 1, "v", 0);
  CHECK(Only<ValidateBlock>(e).empty());  // verdict cached by hash
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash == BlockHash("v"));
}

TEST_CASE("a proposal with a POL round we have no quorum for waits for the timeout",
          "[consensus]") {
  Harness h;
  h.LockInRound0ThenRound1("v");
  // Claims a POL in round 0 for w, which never had 2f+1 prevotes.
  h.Prop(2, 1, 1, "w", 0);
  CHECK(Only<BroadcastVote>(h.Valid(1, 1, "w")).empty());
  auto e = h.Timeout(1, 1, Step::kPropose);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash.empty());
}

TEST_CASE("a higher POL unlocks: prevote for a value with 2f+1 prevotes in a later round",
          "[consensus]") {
  Harness h;
  h.LockInRound0ThenRound1("v");
  // Round 1: no proposal reaches us; the others prevote x.
  h.Timeout(1, 1, Step::kPropose);
  h.Vote(1, kPrevote, 1, 1, "x");
  auto e = h.Vote(2, kPrevote, 1, 1, "x");
  CHECK(Only<ScheduleTimeout>(e).size() == 1);  // line 34: 2f+1 prevotes of any kind
  h.Vote(3, kPrevote, 1, 1, "x");
  e = h.Timeout(1, 1, Step::kPrevote);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash.empty());
  h.Vote(1, kPrecommit, 1, 1, "");
  h.Vote(2, kPrecommit, 1, 1, "");
  h.Timeout(1, 1, Step::kPrecommit);
  REQUIRE(h.core->round() == 2);
  // Round 2: proposer 3 re-proposes x with POL round 1; lockedRound 0 <= 1.
  h.Prop(3, 1, 2, "x", 1);
  e = h.Valid(1, 2, "x");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash == BlockHash("x"));
}

TEST_CASE("2f+1 prevotes for a proposed value relock and precommit it in a later round",
          "[consensus]") {
  Harness h;
  h.LockInRound0ThenRound1("v");
  h.Prop(2, 1, 1, "w");
  REQUIRE(OnlyVote(h.Valid(1, 1, "w"))->block_hash.empty());  // locked on v
  h.Vote(1, kPrevote, 1, 1, "w");
  h.Vote(2, kPrevote, 1, 1, "w");
  auto e = h.Vote(3, kPrevote, 1, 1, "w");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
  CHECK(OnlyVote(e)->block_hash == BlockHash("w"));
}

TEST_CASE("the proposer re-proposes its valid value with its POL round", "[consensus]") {
  Harness h;
  // Height 3: proposers of rounds 0, 1 are 3 and 0.
  h.Start(3);
  h.Prop(3, 3, 0, "v");
  h.Valid(3, 0, "v");
  h.Vote(1, kPrevote, 3, 0, "v");
  h.Vote(2, kPrevote, 3, 0, "v");
  h.Vote(1, kPrecommit, 3, 0, "");
  h.Vote(2, kPrecommit, 3, 0, "");
  auto e = h.Timeout(3, 0, Step::kPrecommit);
  CHECK(Only<BuildBlock>(e).empty());
  auto props = Only<BroadcastProposal>(e);
  REQUIRE(props.size() == 1);
  CHECK(props[0].proposal.round == 1);
  CHECK(props[0].proposal.pol_round == 0);
  CHECK(props[0].proposal.block_hash == BlockHash("v"));
  CHECK(props[0].proposal.block == BlockBytes("v"));
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->block_hash == BlockHash("v"));
}

TEST_CASE("2f+1 nil prevotes lead to a nil precommit", "[consensus]") {
  Harness h;
  h.Start(1);
  h.Timeout(1, 0, Step::kPropose);
  h.Vote(1, kPrevote, 1, 0, "");
  auto e = h.Vote(2, kPrevote, 1, 0, "");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
  CHECK(OnlyVote(e)->block_hash.empty());
}

TEST_CASE("timeouts are scheduled once per round and act only at their round and step",
          "[consensus]") {
  Harness h;
  h.Start(1);
  h.Timeout(1, 0, Step::kPropose);
  h.Vote(1, kPrevote, 1, 0, "a");
  auto e = h.Vote(2, kPrevote, 1, 0, "b");  // 2f+1 of mixed prevotes
  auto t = Only<ScheduleTimeout>(e);
  REQUIRE(t.size() == 1);
  CHECK(t[0].step == Step::kPrevote);
  CHECK(t[0].delay_ms == Timeouts{}.PrevoteFor(0));
  CHECK(Only<ScheduleTimeout>(h.Vote(3, kPrevote, 1, 0, "c")).empty());
  CHECK(h.Timeout(1, 0, Step::kPropose).empty());  // already past propose
  CHECK(h.Timeout(1, 5, Step::kPrevote).empty());  // another round
  e = h.Timeout(1, 0, Step::kPrevote);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
  h.Vote(1, kPrecommit, 1, 0, "a");
  t = Only<ScheduleTimeout>(h.Vote(2, kPrecommit, 1, 0, "b"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].step == Step::kPrecommit);
  CHECK(Only<ScheduleTimeout>(h.Vote(3, kPrecommit, 1, 0, "")).empty());
  e = h.Timeout(1, 0, Step::kPrecommit);
  CHECK(h.core->round() == 1);
  t = Only<ScheduleTimeout>(e);
  REQUIRE(t.size() == 1);
  CHECK(t[0].step == Step::kPropose);
  CHECK(t[0].delay_ms == Timeouts{}.ProposeFor(1));
}

TEST_CASE("a re-proposed value decides on the block known from an earlier round", "[consensus]") {
  Harness f(4, std::nullopt);
  f.Start(1);
  f.Prop(1, 1, 0, "a");
  f.Valid(1, 0, "a");
  f.Timeout(1, 0, Step::kPropose);
  f.Vote(1, kPrecommit, 1, 0, "");
  f.Vote(2, kPrecommit, 1, 0, "");
  f.Vote(3, kPrecommit, 1, 0, "");
  f.Timeout(1, 0, Step::kPrecommit);
  REQUIRE(f.core->round() == 1);
  // Round 1 re-proposed a (that proposal never reached us) and gathered 2f+1 precommits.
  f.Vote(0, kPrecommit, 1, 1, "a");
  f.Vote(1, kPrecommit, 1, 1, "a");
  auto d = Only<Decide>(f.Vote(2, kPrecommit, 1, 1, "a"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].round == 1);
  CHECK(d[0].commit.round == 1);
  CHECK(d[0].block == BlockBytes("a"));
  CHECK(ledger::VerifyCommit(crypto::Suite::kP256, testing::kChainId, f.v.ledger_validators,
                             d[0].commit, 1, BlockHash("a"))
            .ok());
}

TEST_CASE("precommits of an earlier round decide while in a later round", "[consensus]") {
  Harness h(4, std::nullopt);
  h.Start(1);
  h.Prop(1, 1, 0, "a");
  h.Valid(1, 0, "a");
  h.Vote(1, kPrecommit, 1, 0, "a");
  h.Vote(2, kPrevote, 1, 3, "");
  h.Vote(3, kPrevote, 1, 3, "");
  REQUIRE(h.core->round() == 3);
  CHECK(Only<Decide>(h.Vote(2, kPrecommit, 1, 0, "a")).empty());
  auto d = Only<Decide>(h.Vote(3, kPrecommit, 1, 0, "a"));
  REQUIRE(d.size() == 1);
  CHECK(d[0].round == 0);
  CHECK(d[0].commit.sigs.size() == 3);
}

TEST_CASE("no decision without a valid verdict for the block", "[consensus]") {
  Harness h(4, std::nullopt);
  h.Start(1);
  h.Prop(1, 1, 0, "a");
  for (uint32_t i = 1; i <= 3; ++i) CHECK(Only<Decide>(h.Vote(i, kPrecommit, 1, 0, "a")).empty());
  CHECK(Only<Decide>(h.Valid(1, 0, "a")).size() == 1);

  Harness g(4, std::nullopt);
  g.Start(1);
  g.Prop(1, 1, 0, "bad");
  for (uint32_t i = 1; i <= 3; ++i) g.Vote(i, kPrecommit, 1, 0, "bad");
  CHECK(Only<Decide>(g.Valid(1, 0, "bad", false)).empty());
}

// ------------------------------------------------------------------ round skip

TEST_CASE("f+1 messages for a higher round skip to it", "[consensus]") {
  Harness h;
  h.Start(1);
  CHECK(h.Vote(2, kPrevote, 1, 5, "").empty());
  CHECK(h.core->round() == 0);
  auto e = h.Vote(3, kPrecommit, 1, 5, "");
  CHECK(h.core->round() == 5);
  CHECK(h.core->step() == Step::kPropose);
  auto t = Only<ScheduleTimeout>(e);
  REQUIRE(t.size() == 1);
  CHECK(t[0].round == 5);
  CHECK(t[0].delay_ms == Timeouts{}.ProposeFor(5));
  // A proposal counts as a message of its round too: proposer(1, 7) = 0 is us, so use round 8
  // (proposer 1) plus a vote from 2.
  h.Prop(1, 1, 8, "z");
  CHECK(h.core->round() == 5);
  h.Vote(2, kPrevote, 1, 8, "z");
  CHECK(h.core->round() == 8);
}

// ------------------------------------------------------------------ sign guard

TEST_CASE("a restarted validator does not sign a conflicting vote", "[consensus]") {
  MemorySignGuard guard;
  Harness h(4, 0, &guard);
  auto e = h.ProposeAndAccept("a");
  REQUIRE(OnlyVote(e));
  CHECK(guard.Last().height == 1);
  CHECK(guard.Last().round == 0);
  CHECK(guard.Last().step == 2);

  h.Restart(0);  // the WAL is lost: only the guard survives
  h.Start(1);
  e = h.Timeout(1, 0, Step::kPropose);  // would be a nil prevote: a different vote
  CHECK(Only<BroadcastVote>(e).empty());
  // The round still moves on by the prevote timeout.
  auto t = Only<ScheduleTimeout>(e);
  REQUIRE(t.size() == 1);
  CHECK(t[0].step == Step::kPrevote);
  // Later steps are new signatures and allowed.
  e = h.Timeout(1, 0, Step::kPrevote);
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->type == kPrecommit);
}

TEST_CASE("a restarted validator re-emits exactly the vote its WAL holds", "[consensus]") {
  MemorySignGuard guard;
  Harness h(4, 0, &guard);
  auto e = h.ProposeAndAccept("a");
  const consensus::Vote signed_before = *OnlyVote(e);

  h.Restart(0);
  h.Start(1);
  // WAL replay: the inputs, then our own vote as the node logged it.
  CHECK(Only<ValidateBlock>(h.Prop(1, 1, 0, "a")).size() == 1);
  CHECK(Only<BroadcastVote>(h.Valid(1, 0, "a")).empty());  // guard: not re-signed
  h.In(VoteIn{signed_before});
  auto latest = Only<BroadcastVote>(h.core->LatestMessages());
  REQUIRE(latest.size() == 1);
  CHECK(latest[0].vote.signature == signed_before.signature);

  // Own vote replayed before the input that caused it: the identical vote is re-emitted.
  h.Restart(0);
  h.Start(1);
  h.In(VoteIn{signed_before});
  h.Prop(1, 1, 0, "a");
  e = h.Valid(1, 0, "a");
  REQUIRE(OnlyVote(e));
  CHECK(OnlyVote(e)->signature == signed_before.signature);
}

TEST_CASE("a restarted proposer does not sign a second proposal", "[consensus]") {
  MemorySignGuard guard;
  Harness h(4, 0, &guard);
  h.Start(4);
  auto e = h.In(BlockIn{4, 0, BlockHash("first"), BlockBytes("first")});
  REQUIRE(Only<BroadcastProposal>(e).size() == 1);
  h.Restart(0);
  e = h.Start(4);
  REQUIRE(Only<BuildBlock>(e).size() == 1);
  e = h.In(BlockIn{4, 0, BlockHash("second"), BlockBytes("second")});
  CHECK(Only<BroadcastProposal>(e).empty());
  CHECK(Only<BroadcastVote>(e).empty());
}

TEST_CASE("a single validator that crashed between signing and logging still progresses",
          "[consensus]") {
  // The guard holds (1, 0, precommit) but none of the signed messages reached the WAL (so, by
  // the driving rule, none left the node): round 0 cannot be signed again, and the fallback
  // timeouts carry the validator to round 1, where it decides.
  MemorySignGuard guard;
  Harness h(1, 0, &guard);
  h.Start(1);
  REQUIRE(Only<Decide>(h.In(BlockIn{1, 0, BlockHash("a"), BlockBytes("a")})).size() == 1);
  h.Restart(0);
  h.Start(1);
  auto e = h.In(BlockIn{1, 0, BlockHash("a"), BlockBytes("a")});  // replayed from the WAL
  CHECK(Only<BroadcastProposal>(e).empty());
  e = h.Timeout(1, 0, Step::kPropose);
  CHECK(Only<BroadcastVote>(e).empty());
  REQUIRE(Only<ScheduleTimeout>(e).size() == 1);
  e = h.Timeout(1, 0, Step::kPrevote);
  CHECK(Only<BroadcastVote>(e).empty());
  REQUIRE(Only<ScheduleTimeout>(e).size() == 1);
  e = h.Timeout(1, 0, Step::kPrecommit);
  REQUIRE(Only<BuildBlock>(e).size() == 1);
  e = h.In(BlockIn{1, 1, BlockHash("b"), BlockBytes("b")});
  auto d = Only<Decide>(e);
  REQUIRE(d.size() == 1);
  CHECK(d[0].round == 1);
}

TEST_CASE("a guard that cannot persist prevents the signature", "[consensus]") {
  struct FailingGuard : SignGuard {
    Position Last() const override { return {}; }
    bool Persist(const Position&) override { return false; }
  } guard;
  Harness h(4, 0, &guard);
  auto e = h.ProposeAndAccept("a");
  CHECK(Only<BroadcastVote>(e).empty());
  CHECK(h.core->step() == Step::kPrevote);
}

}  // namespace
}  // namespace govledger::consensus

// Tendermint consensus (Algorithm 1 of "The latest gossip on BFT consensus", Buchman, Kwon,
// Milosevic 2018) as a pure, deterministic state machine: inputs in, effects out. No Asio,
// LevelDB, clocks or threads: the node feeds it messages, timeouts and proposal verdicts and
// carries out the effects (send, schedule a timeout, validate or build a block, commit).
//
// Safety rests on: a validator signs at most one proposal per (height, round) and one vote per
// (height, round, type) — enforced by the SignGuard, persisted before a signature leaves — and
// on locking (lockedValue/lockedRound) exactly as in the paper. Liveness needs the node to
// rebroadcast its latest messages periodically (TCP is not gossip) and timeouts that grow with
// the round.
//
// Driving a Core (the node, and the simulator in tests/sim, do exactly this):
//   - Append every input to the WAL (fsync) before OnInput; on restart, StartHeight(the WAL's
//     height) and feed the recorded inputs back in order.
//   - Carry out the effects in order. A BroadcastProposal/BroadcastVote is this validator's own
//     signed message: append it to the WAL as ProposalIn/VoteIn (fsync) BEFORE it leaves the
//     node. Then every message a peer may hold is replayed after a crash, which rebuilds the lock;
//     the SignGuard alone only prevents conflicting signatures.
//   - Feeding our own messages back (from the WAL or echoed by peers) is harmless.
//   - LatestMessages() may include other validators' prevotes (our valid value's proof-of-lock):
//     send them as they are; they are not ours to log.
//
// Thread-safety: none; one thread drives a Core.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <string>
#include <variant>
#include <vector>

#include "consensus/messages.h"
#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/types.h"

namespace govledger::consensus {

enum class Step : uint8_t { kPropose = 0, kPrevote = 1, kPrecommit = 2 };

struct Timeouts {
  int64_t propose_ms = 1000;     // base; each round adds *_delta_ms
  int64_t propose_delta_ms = 500;
  int64_t prevote_ms = 500;
  int64_t prevote_delta_ms = 250;
  int64_t precommit_ms = 500;
  int64_t precommit_delta_ms = 250;
  int64_t ProposeFor(uint32_t round) const { return propose_ms + propose_delta_ms * round; }
  int64_t PrevoteFor(uint32_t round) const { return prevote_ms + prevote_delta_ms * round; }
  int64_t PrecommitFor(uint32_t round) const { return precommit_ms + precommit_delta_ms * round; }
};

struct CoreConfig {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  // The validators of every height unless StartHeight is given a Membership (a network whose set
  // never changes, and the simulator).
  std::vector<crypto::PublicKey> validators;  // index = position; proposer (h + r) mod n
  std::optional<uint32_t> self;               // this node's index; empty for a non-validator
  Timeouts timeouts;
  // Checks a message signature by `key` over `msg`. Empty: crypto::Verify with `suite`. A node
  // whose worker pool has verified a message already can answer from that result instead of
  // verifying again on the consensus thread (the simulator shares one cache across its cores).
  std::function<bool(const crypto::PublicKey& key, const Bytes& msg, const Bytes& sig)> verify;
};

// The validators of one height, and of the next one (governance changes the set between
// heights; messages for height + 1 that arrive early are checked against `next`).
struct Membership {
  std::vector<crypto::PublicKey> validators;  // index = position; proposer (h + r) mod n
  std::optional<uint32_t> self;               // this node's index in `validators`, if any
  std::vector<crypto::PublicKey> next;        // the set of height + 1; empty: the same set
  // The key this node signs with from this height (a governance rotation gives a validator a
  // new one); null: the key it had. Must be validators[*self] when self is set.
  const crypto::PrivateKey* key = nullptr;
};

// ---------------------------------------------------------------- inputs

struct ProposalIn { Proposal proposal; };
struct VoteIn { Vote vote; };
struct TimeoutIn {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
};
// The node's verdict on a proposal's block (ValidateBlock effect): valid(v) in the paper.
struct ValidityIn {
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;
  bool valid = false;
};
// The node's block for this node's own proposal (BuildBlock effect).
struct BlockIn {
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;
  Bytes block;
};
using Input = std::variant<ProposalIn, VoteIn, TimeoutIn, ValidityIn, BlockIn>;

// ---------------------------------------------------------------- effects

struct BroadcastProposal { Proposal proposal; };
struct BroadcastVote { Vote vote; };
struct ScheduleTimeout {
  uint64_t height = 0;
  uint32_t round = 0;
  Step step = Step::kPropose;
  int64_t delay_ms = 0;
};
// Ask the node for a block to propose at (height, round); answered with BlockIn.
struct BuildBlock { uint64_t height = 0; uint32_t round = 0; };
// Ask the node whether a proposed block is valid; answered with ValidityIn.
struct ValidateBlock {
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;
  Bytes block;
};
// 2f+1 precommits for a block: commit it (with this certificate), then call Core::StartHeight.
struct Decide {
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;
  Bytes block;
  ledger::Commit commit;
};
// Evidence of misbehaviour: two different signed messages from one validator for one step.
struct Evidence {
  uint32_t validator = 0;
  std::string kind;  // "double_proposal", "double_prevote", "double_precommit"
  uint64_t height = 0;
  uint32_t round = 0;
};
using Effect = std::variant<BroadcastProposal, BroadcastVote, ScheduleTimeout, BuildBlock,
                            ValidateBlock, Decide, Evidence>;

// ---------------------------------------------------------------- sign guard

// The last (height, round, step) this validator signed. Persist() records it; it must be durable
// (fsync'd) before any message signed at that position leaves the node — consensus::Wal records
// it in the WAL and the node syncs the WAL before sending (group commit). The core calls it before
// every signature it emits and never signs at or below the persisted position — so a restarted
// node cannot double-sign.
class SignGuard {
 public:
  virtual ~SignGuard() = default;
  struct Position {
    uint64_t height = 0;
    uint32_t round = 0;
    uint8_t step = 0;  // 1 proposal, 2 prevote, 3 precommit
    bool operator<(const Position& o) const {
      return std::tie(height, round, step) < std::tie(o.height, o.round, o.step);
    }
  };
  virtual Position Last() const = 0;
  virtual bool Persist(const Position& p) = 0;  // false: do not sign
};

class MemorySignGuard : public SignGuard {
 public:
  Position Last() const override { return last_; }
  bool Persist(const Position& p) override {
    last_ = p;
    return true;
  }

 private:
  Position last_;
};

// ---------------------------------------------------------------- core

class Core {
 public:
  // `key` signs this node's messages (must be validators[*self] when self is set). `guard`
  // outlives the core.
  Core(CoreConfig config, const crypto::PrivateKey* key, SignGuard* guard);
  ~Core();

  // Begins `height` at round 0 (StartRound(0) in the paper). Messages already received for this
  // height are replayed.
  std::vector<Effect> StartHeight(uint64_t height);
  // The same, with the validator set of this height (and the next) replacing the configured one.
  // Messages buffered for this height were checked against the `next` of the previous call, so
  // the caller must pass the same set then as `validators` now (the node derives both from the
  // committed state, where a change is recorded two heights before it takes effect).
  std::vector<Effect> StartHeight(uint64_t height, Membership membership);
  // Feeds one input. Signatures and validator indexes of messages are checked here; invalid
  // messages are dropped (counted in stats()).
  std::vector<Effect> OnInput(const Input& in);

  uint64_t height() const;
  uint32_t round() const;
  Step step() const;
  // This node's latest signed proposal and votes of the current height, plus the 2f+1 prevotes
  // behind its valid value, for periodic rebroadcast.
  std::vector<Effect> LatestMessages() const;

  struct Stats {
    uint64_t invalid_signatures = 0;
    uint64_t unknown_validators = 0;
    uint64_t stale_messages = 0;     // for past heights
    uint64_t future_messages = 0;    // buffered for later heights (bounded)
    uint64_t evidence = 0;
  };
  const Stats& stats() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Quorum helpers: n = 3f + 1 tolerates f; quorum is 2f+1 (ledger::QuorumSize), f+1 skips rounds.
size_t MaxFaulty(size_t n);

}  // namespace govledger::consensus

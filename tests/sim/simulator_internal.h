// Private to the simulator (simulator.cc, simulator_net.cc): the simulation's state and the
// node it plays for each core. See simulator.h for what a run does and checks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "consensus/core.h"
#include "consensus/wal.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "ledger/commit.h"
#include "tests/sim/simulator.h"

namespace govledger::consensus::sim::internal {

inline constexpr std::string_view kChainId = "sim-chain";

// Real P-256 keys, generated once per process.
const std::vector<crypto::PrivateKey>& Keys();
Bytes Sha256(const Bytes& b);

enum class Role { kHonest, kEquivocator, kDoubleVoter, kBadSigner };

struct Decision {
  Bytes hash;
  Bytes block;
  ledger::Commit commit;
};

// The WAL as the node keeps it, in memory: EncodeInput records of the current height, carried
// over into the next height like consensus::Wal::BeginHeight does.
struct MemWal {
  uint64_t height = 0;
  std::vector<Bytes> records;

  void BeginHeight(uint64_t h) {
    std::vector<Bytes> carried;
    for (const Bytes& r : records) {
      Result<Input> in = DecodeInput(r);
      if (!in.ok()) continue;
      uint64_t rh = 0;
      if (const auto* p = std::get_if<ProposalIn>(&*in)) rh = p->proposal.height;
      if (const auto* v = std::get_if<VoteIn>(&*in)) rh = v->vote.height;
      if (rh == h) carried.push_back(r);
    }
    records = std::move(carried);
    height = h;
  }
};

struct Node {
  uint32_t index = 0;
  Role role = Role::kHonest;
  std::unique_ptr<Core> core;
  MemorySignGuard guard;  // durable: survives crashes
  MemWal wal;             // durable: survives crashes
  bool up = true;
  uint64_t epoch = 0;            // bumped by a crash; timers of an older epoch are void
  int crash_before_signed = -1;  // >= 0: crash before carrying out that many more signed effects
  bool lose_wal = false;         // the next restart finds the WAL gone (the sign guard survives)
  uint64_t amnesiac_height = 0;  // restarted without its WAL at this height: faulty until it ends
  bool sync_pending = false;
  std::map<uint64_t, Decision> decided;
  std::map<std::pair<uint64_t, uint32_t>, Bytes> seen_proposals;  // for the double voter
};

struct NetParams {
  double drop = 0;
  double dup = 0;
  int64_t max_delay = 20;
  bool partitions = false;
  bool crashes = false;
};

class Simulation {
 public:
  explicit Simulation(const SimOptions& o) : o_(o), rng_(o.seed * 0x9E3779B97F4A7C15ULL + o.n) {}

  SimResult Run();

 private:
  struct Event {
    int64_t time;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return std::tie(a.time, a.seq) > std::tie(b.time, b.seq);
    }
  };

  // ---- plumbing
  void At(int64_t delay, std::function<void()> fn) {
    queue_.push(Event{now_ + std::max<int64_t>(delay, 0), seq_++, std::move(fn)});
  }
  uint64_t Rand(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool Chance(double p) { return p > 0 && static_cast<double>(rng_() >> 11) * 0x1.0p-53 < p; }
  void Fail(const std::string& why) {
    if (res_.ok) {
      res_.ok = false;
      std::ostringstream o;
      o << "t=" << now_ << " ms: " << why;
      res_.failure = o.str();
    }
  }
  template <typename... A>
  void Trace(A&&... a) {
    if (!o_.trace) return;
    std::ostringstream s;
    s << "t=" << now_ << " ";
    (s << ... << a);
    std::cerr << s.str() << "\n";
  }
  bool Honest(uint32_t i) const { return nodes_[i].role == Role::kHonest; }
  size_t F() const { return MaxFaulty(o_.n); }

  // ---- nodes
  std::unique_ptr<Core> MakeCore(uint32_t i);
  void Feed(uint32_t i, const Input& in);
  void Handle(uint32_t i, const std::vector<Effect>& effects);
  void OnDecide(uint32_t i, const Decide& d);
  void Record(uint32_t i, uint64_t height, Decision dec);
  void StartNext(uint32_t i, uint64_t height);
  void MaybeSync(uint32_t i);
  void Crash(uint32_t i);
  void Restart(uint32_t i);
  void Rebroadcast(uint32_t i);
  void RebroadcastTick(uint32_t i) {
    Rebroadcast(i);
    At(400 + static_cast<int64_t>(Rand(200)), [this, i] { RebroadcastTick(i); });
  }
  Bytes MakeBlock(uint32_t i, uint64_t h, uint32_t r, const char* kind);
  bool IsValid(const ValidateBlock& v) const;
  void CheckSigned(uint32_t i, const Effect& e);

  // ---- network
  void Send(uint32_t from, uint32_t to, const Input& msg);
  void Broadcast(uint32_t from, const Input& msg);
  void Deliver(uint32_t to, const Input& msg);
  void SendProposal(uint32_t i, const Proposal& p);
  void SendVote(uint32_t i, const Vote& v);
  void SendForgeries(uint32_t i, const Input& msg);
  bool Partitioned(uint32_t a, uint32_t b) const {
    return !healed_ && now_ < partition_until_ && group_[a] != group_[b];
  }

  // ---- faults
  void SetUpScenario();
  void PartitionTick();
  void CrashTick();
  void Heal();
  bool Reached(uint64_t goal) const;
  std::string Heights() const;

  // ---- shared verification (each distinct signed message verified once per run)
  bool CachedVerify(const crypto::PublicKey& k, const Bytes& m, const Bytes& s);
  Status CachedVerifyCommit(const ledger::Commit& c, uint64_t height, const Bytes& hash);

  const SimOptions o_;
  std::mt19937_64 rng_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  SimResult res_;

  std::vector<Node> nodes_;
  std::vector<crypto::PublicKey> pubs_;
  std::vector<ledger::Validator> ledger_validators_;
  NetParams net_;
  bool healed_ = false;
  int64_t heal_at_ = 0;
  uint64_t goal_ = 0;
  int64_t partition_until_ = 0;
  std::vector<int> group_;

  std::map<uint64_t, Bytes> decisions_;  // height -> block hash decided by honest nodes
  std::map<std::tuple<uint32_t, uint64_t, uint32_t, uint8_t>, Bytes> signed_;  // honest signatures
  std::map<crypto::Digest, bool> verified_;
  std::map<crypto::Digest, Status> verified_commits_;
};

}  // namespace govledger::consensus::sim::internal

// A seeded, deterministic discrete-event simulator for the consensus core: n cores with real
// P-256 keys over a fake network (random delays, drops, duplicates, reordering, partitions that
// heal), crash-and-restart from an in-memory WAL and a durable sign guard, and Byzantine
// validators (equivocating proposer, double voter, sender of invalid signatures).
//
// The simulator plays the node: it logs every input before feeding it, logs this validator's own
// signed messages, answers BuildBlock and ValidateBlock, delivers timeouts on a virtual clock,
// rebroadcasts each validator's latest messages, catches a node up from a peer's decision (block
// sync) when it sees peers ahead, and on Decide verifies the certificate and starts the next
// height.
//
// Checked after every step: no two honest nodes decide different blocks at one height; every
// decision's certificate passes ledger::VerifyCommit; no honest validator ever signs two
// different messages for one step (across restarts too) or is named in evidence. After the
// faults heal: every honest node decides new heights within a bounded virtual time.
#pragma once

#include <cstdint>
#include <string>

namespace govledger::consensus::sim {

enum class Scenario {
  kClean,              // no faults at all: no round changes needed, no block sync
  kLossy,              // heavy drops, duplicates, long and reordering delays
  kPartition,          // the network splits and heals, repeatedly
  kCrashRestart,       // up to f honest nodes crash (also between signing and sending) and restart
  kEquivocation,       // f Byzantine proposers sign two proposals per round (one may be bad)
  kDoubleVote,         // f Byzantine validators sign a block and nil for the same step
  kInvalidSignatures,  // f Byzantine validators send forged, tampered and unknown-index messages
  kMixed,              // a random Byzantine role, partitions, drops (and a crash when f >= 2)
};
const char* ScenarioName(Scenario s);

struct SimOptions {
  uint64_t seed = 1;
  size_t n = 4;
  Scenario scenario = Scenario::kClean;
  uint64_t target_height = 5;          // every honest node decides at least this height
  int64_t liveness_bound_ms = 60'000;  // virtual time allowed after the faults heal
  bool trace = false;                  // print every event to stderr (for replaying one seed)
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the first violation
  int64_t end_ms = 0;
  int64_t heal_ms = 0;
  uint64_t min_height = 0;  // lowest height decided by every honest node
  uint32_t max_round = 0;   // highest round any decision was made in
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t dropped = 0;
  uint64_t restarts = 0;
  uint64_t lost_wals = 0;  // restarts from the sign guard alone
  uint64_t syncs = 0;
  uint64_t evidence = 0;            // emitted by honest cores
  uint64_t invalid_signatures = 0;  // dropped by honest cores
  uint64_t signature_checks = 0;    // crypto::Verify calls (the run's cost)
  uint64_t commit_checks = 0;       // distinct certificates checked with VerifyCommit
  std::string Summary() const;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace govledger::consensus::sim

// Harness for the fault-injection and Byzantine scenarios: the four-department network of
// tests/integration/network_harness.h run on `govledger-node-faulty` (tests/faults/), whose
// fault layer each test steers by rewriting a node's control file (HOME/faults.json, format in
// tests/faults/fault_filter.h); a background client load that records every acknowledged
// transaction; and the end-of-scenario checks: liveness (a transaction commits once at most f
// nodes are faulty), safety on the honest nodes (same block and a valid 2f+1 certificate at every
// height, every acknowledged transaction where it was acknowledged) and an offline
// `govledger audit chain` of every stopped node's data.
//
// Thread-safety: as network_harness.h; Load runs its own client thread and is driven from the
// test's thread.
#pragma once

#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/network_harness.h"

namespace govledger::itest {

std::string FaultyNodeBinary();  // BIN_DIR/tests/faults/govledger-node-faulty

// A network of faulty-capable nodes in its own temporary directory.
struct FaultNet {
  explicit FaultNet(NetworkOptions options = DefaultOptions());
  static NetworkOptions DefaultOptions();
  TempDir tmp{"govledger-faults"};
  Network net;
  AckLedger ledger;
};

// Writes node i's control file atomically (tmp + rename). `control` as in fault_filter.h.
void SetFaults(Network& net, size_t i, const Json& control);
void ClearFaults(Network& net, size_t i);
void ClearAllFaults(Network& net);
// {"send": {"block": true}} and/or {"receive": {"block": true}} towards each node in `peers`
// (by validator index), merged into `control`.
void BlockPeers(Network& net, Json& control, const std::vector<size_t>& peers, bool send,
                bool receive);
// Cuts every link between the two groups, both ways.
void Partition(Network& net, const std::vector<size_t>& a, const std::vector<size_t>& b);

// True if node i's log (all runs) contains `text`.
bool LogContains(const DevNode& node, const std::string& text);
size_t LogCount(const DevNode& node, const std::string& text);

// A client thread that issues materials through the nodes in `via` in turn, each submission
// waiting for its commit, and records every acknowledgement. Submissions to a node that is down
// or stopped just fail; the loop goes on. Refresh() after restarting nodes (their API ports
// change).
class Load {
 public:
  Load(Network& net, std::vector<size_t> via, uint64_t seed);
  ~Load();
  void Refresh();  // test thread: re-reads the URLs of the nodes
  void Stop();
  std::vector<Ack> acks();
  size_t ack_count();

 private:
  void Run();
  Network& net_;
  std::vector<size_t> via_;
  std::mutex mu_;
  std::vector<std::string> urls_;
  std::vector<Ack> acks_;
  std::atomic<bool> stop_{false};
  std::mt19937_64 rng_;
  std::thread thread_;
};

// Liveness: a fresh material submitted through `via` is acknowledged as committed (the 20 s
// wait of IssueAndRequireAck, retried through each of `via` until `deadline`).
void RequireCommitsResume(Network& net, AckLedger& ledger, const std::vector<size_t>& via,
                          milliseconds deadline = milliseconds(60'000));

// Ends a scenario: clears every control file, starts every stopped node among `honest`, waits
// until they all reach the highest height, checks the same chain and every acknowledged
// transaction on each of them, that no honest node saw evidence when `evidence_free`, and a
// transaction commits; then stops `honest` and audits each one's data with
// `govledger audit chain --home`.
void EndChecks(Network& net, const AckLedger& ledger, const std::vector<size_t>& honest,
               bool evidence_free = true);

// Test parameters from the environment (the long runs of scripts/soak.sh set them).
int64_t EnvInt(const char* name, int64_t fallback);

}  // namespace govledger::itest

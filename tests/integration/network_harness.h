// Harness for the multi-validator integration tests: a four-department network (a copy of
// network-configs/local-4 with free loopback ports and small timeouts) created with the real
// `govledger network init`, four real `govledger-node` processes on it, and the checks every
// scenario ends with: all nodes hold the same block at every height, and no transaction
// acknowledged to a client is lost.
//
// Builds on tests/integration/harness.h (DevNode in validator mode, TxFactory, WaitFor, ...): the
// same rules hold here. Every wait has a deadline, failures throw HarnessError or fail a Catch2
// check, and every node is killed and reaped when its owner goes away.
//
// Thread-safety: Network is single-owner and used from the test's thread (it owns the nodes,
// which must be started from that thread, see harness.h). AckLedger is not synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace govledger::itest {

// A TCP port on 127.0.0.1 that nothing listens on now, below the kernel's ephemeral range: a
// port from bind(0) lies inside that range, where the outgoing connections of the nodes
// themselves pick their local ports, and a restarted node could then find its fixed p2p port
// taken by one of them. Ports already in `taken` are not returned again.
uint16_t FreeLoopbackPort(std::vector<uint16_t>& taken);

struct NetworkOptions {
  // [network] block_interval_ms: the longest an idle chain waits before a heartbeat block.
  int64_t block_interval_ms = 300;
  // [consensus] timeouts: small, for loopback.
  int64_t timeout_propose_ms = 300;
  int64_t timeout_vote_ms = 200;   // prevote and precommit
  int64_t timeout_delta_ms = 100;  // added per round to each of the three
  int64_t rebroadcast_ms = 100;
  std::string log_level = "info";
  // The daemon every node runs (empty: govledger-node), e.g. tests/faults/' govledger-node-faulty.
  std::string node_binary;
};

// The local-4 network (departments mca, edu, water, samr; validators node0..node3) in
// DIR/net, made by `govledger network init` from DIR/network.toml. Nodes are not started by the
// constructor.
class Network {
 public:
  static constexpr size_t kSize = 4;

  Network(const TempDir& dir, NetworkOptions options = {});
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  size_t size() const { return nodes_.size(); }
  DevNode& node(size_t i) { return *nodes_.at(i); }
  const DevNode& node(size_t i) const { return *nodes_.at(i); }
  std::string Home(size_t i) const;  // DIR/net/node<i>
  std::string KeysDir() const;       // DIR/net/keys
  const std::string& out_dir() const { return out_dir_; }
  const TxFactory& factory() const { return *factory_; }
  // The validator index of node i in the genesis (the order proposers rotate through).
  uint32_t ValidatorIndex(size_t i) const { return validator_index_.at(i); }
  // Which node is validator `index` of the genesis.
  size_t NodeOfValidator(uint32_t index) const;

  // Creates the home of a fifth (sixth, ...) node with `govledger network join` (free loopback
  // ports, the genesis of node 0) and adds it as node size() (not started, not yet a validator:
  // a governance proposal must add it). Returns its index.
  size_t AddJoiningNode(const std::string& name, const std::string& department);
  // Twins: a copy of node i's home (same validator and TLS keys, same p2p address, no chain
  // data, no WAL) as node size(), not started. Returns its index.
  size_t AddTwin(size_t i);

  // Throws HarnessError naming the first of `nodes` that ended without the test ending it (a
  // crash), with its log.
  void RequireNoneDied(const std::vector<size_t>& nodes);
  // Starts every node that is not running and waits until each is healthy; RequireNoneDied first.
  void StartAll();
  // Starts nodes 0..3, then waits until every running node is connected to every other running
  // node (consensus.peers_connected) and the chain has committed at least one block.
  void StartAllAndWaitReady();
  // Nodes that are running now.
  std::vector<size_t> Running();

  // /v1/status "height" of node i (HarnessError if it does not answer).
  uint64_t Height(size_t i);
  // The highest / lowest height among `nodes`.
  uint64_t MaxHeight(const std::vector<size_t>& nodes);
  uint64_t MinHeight(const std::vector<size_t>& nodes);
  // Waits until every node in `nodes` is at `height` or above; false at the deadline.
  bool WaitHeight(const std::vector<size_t>& nodes, uint64_t height, milliseconds timeout);

  // For failure messages: each node's status (or why it has none) and the tail of its log.
  std::string Describe(size_t log_bytes = 3000);

 private:
  std::string out_dir_;
  std::string log_level_;
  std::string node_binary_;
  std::vector<uint16_t> taken_ports_;
  std::vector<std::unique_ptr<DevNode>> nodes_;
  std::vector<uint32_t> validator_index_;
  std::unique_ptr<TxFactory> factory_;
};

// The "consensus" object of a node's /v1/status (HarnessError if the node does not report one:
// a node without the consensus wiring).
Json ConsensusStatus(const std::string& url);

// The value of an unlabelled metric of a node's /metrics (HarnessError if it is not there).
uint64_t MetricValue(const std::string& url, const std::string& name);

// A valid issue of one of local-4's material types for `department` (mca: MARRIAGE, edu: ENROLL,
// water: WATERCONN, samr: BIZLIC), with an expiry where the type demands one.
IssueSpec Local4Issue(const std::string& department);

// A transaction a node answered as committed: where, and through which node.
struct Ack {
  std::string tx_hash;
  std::string material_id;
  uint64_t height = 0;
  uint64_t index = 0;
  size_t via = 0;  // the node that acknowledged it
};

// Submits `tx` to node `via` and waits for the commit (POST /v1/tx?wait=1). Returns the ack, or
// nullopt with `why` set to the answer (a wait that timed out answers 202 pending).
std::optional<Ack> SubmitAndWait(Network& net, size_t via, const TxFactory::Built& tx,
                                 std::string* why = nullptr,
                                 milliseconds wait = milliseconds(20'000));
// Submits without waiting (POST /v1/tx); throws unless the node accepts it (202).
void SubmitNoWait(Network& net, size_t via, const TxFactory::Built& tx);
// GET /v1/tx/{hash} on `url`: "committed", "pending" or "" (not found / no answer), with the
// location when committed.
struct TxState {
  std::string status;
  uint64_t height = 0;
  uint64_t index = 0;
};
TxState TxStatus(const std::string& url, const std::string& tx_hash);

// Every transaction acknowledged to a client in a scenario. At the end, each one must be on every
// node at the height and index it was acknowledged with.
class AckLedger {
 public:
  void Add(const Ack& a) { acks_.push_back(a); }
  const std::vector<Ack>& acks() const { return acks_; }
  uint64_t MaxHeight() const;
  // Fails a Catch2 check listing every acknowledged transaction missing or moved on node i, or
  // whose material is not on it.
  void CheckAllPresent(Network& net, size_t i) const;

 private:
  std::vector<Ack> acks_;
};

// Issues a fresh material from `department` through node `via` and requires the commit ack;
// records it in `ledger`.
Ack IssueAndRequireAck(Network& net, AckLedger& ledger, size_t via,
                       const std::string& department = "mca");

// The safety check: for every height up to the lowest height among `nodes`, every one of them
// holds a block with the same "hash", and each block carries a commit certificate for that hash
// signed by at least 2f+1 = 3 validators. Fails Catch2 checks naming the first divergence.
// Returns the number of heights compared.
// `from` > 1 compares only heights from..top (a long soak checks each epoch's new blocks; the
// hash links of the nodes' own chains are the offline audit's).
uint64_t CheckSameChain(Network& net, const std::vector<size_t>& nodes, uint64_t from = 1);

// Ends a scenario: starts every stopped node, waits until all four reach the height the
// highest one was at (`catch_up` deadline), then runs CheckSameChain over all four and checks
// every acknowledged transaction on every node.
void FinalChecks(Network& net, const AckLedger& ledger,
                 milliseconds catch_up = milliseconds(60'000));

}  // namespace govledger::itest

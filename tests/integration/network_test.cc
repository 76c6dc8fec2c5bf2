// Integration tests of the four-department validator network: four real `govledger-node`
// processes on loopback (a copy of network-configs/local-4 with free ports, small consensus
// timeouts), crashed with SIGKILL, stopped and restarted while clients submit transactions.
//
// Every scenario ends with the safety check (every node holds the same block, with a commit
// certificate, at every height) and checks that each transaction a node acknowledged as
// committed is on every node at the height it was acknowledged with. Nothing asserts how long
// anything takes: every wait polls with a generous deadline, and "nothing happens" is checked
// over a bounded window in which anything that did happen would be a safety violation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "tests/integration/harness.h"
#include "tests/integration/network_harness.h"

namespace govledger::itest {
namespace {

const std::vector<std::string> kDepartments = {"mca", "edu", "water", "samr"};

std::vector<size_t> AllNodes() { return {0, 1, 2, 3}; }

std::vector<size_t> Except(std::vector<size_t> nodes, size_t skip) {
  nodes.erase(std::remove(nodes.begin(), nodes.end(), skip), nodes.end());
  return nodes;
}

Json MaterialView(const std::string& url, const std::string& id) {
  HttpReply r = Get(url, "/v1/material/" + id);
  if (r.status != 200) return Json();
  Json j = r.json();
  // Views of the same state at different tips differ only in these.
  j.erase("as_of_height");
  j.erase("as_of_time");
  return j;
}

// A progress line on stderr with the time since `since`: ctest shows it when a test fails or
// times out, which tells which phase was slow.
void Progress(std::chrono::steady_clock::time_point since, const std::string& what) {
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since);
  std::cerr << "[network +" << ms.count() << " ms] " << what << std::endl;
}

// A network in its own temporary directory (declared first: removed after the nodes are gone).
struct TestNet {
  explicit TestNet(NetworkOptions options = {}) : net(tmp, options) {}
  TempDir tmp{"govledger-net"};
  Network net;
  AckLedger ledger;
};

// Replaces a PEM key file of a home with a freshly generated key of `suite`; returns the old
// file's content.
std::string ReplaceKey(const std::string& path, crypto::Suite suite) {
  std::string old = ReadFileOrThrow(path);
  auto key = crypto::PrivateKey::Generate(suite);
  REQUIRE(key.ok());
  REQUIRE(key->SavePemFile(path).ok());
  return old;
}

}  // namespace

// ================================================================== commit on all four

TEST_CASE("four validators commit materials submitted to different nodes and all hold them",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();

  // Each department submits through a different validator, node1 first.
  std::vector<Ack> acks;
  for (size_t d = 0; d < kDepartments.size(); ++d) {
    acks.push_back(IssueAndRequireAck(net, t.ledger, (d + 1) % Network::kSize, kDepartments[d]));
  }

  // Once acknowledged by one node, the material reaches every node, identical everywhere.
  for (const Ack& a : acks) {
    Json reference;
    bool everywhere = WaitFor(
        [&] {
          reference = MaterialView(net.node(a.via).url(), a.material_id);
          for (size_t i : AllNodes()) {
            if (reference.is_null() ||
                MaterialView(net.node(i).url(), a.material_id) != reference) {
              return false;
            }
          }
          return true;
        },
        milliseconds(30'000), milliseconds(100));
    INFO("material " << a.material_id << " acknowledged by node" << a.via << " at height "
                     << a.height << ": " << reference.dump());
    CHECK(everywhere);
    CHECK(reference.value("status", "") == "ACTIVE");
  }

  FinalChecks(net, t.ledger);
}

// ================================================================== crash of a follower

TEST_CASE("a validator killed with SIGKILL rejoins, catches up and loses no acknowledged tx",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const size_t victim = 2;
  const std::vector<size_t> others = Except(AllNodes(), victim);

  IssueAndRequireAck(net, t.ledger, victim, "water");  // acknowledged by the node about to die
  IssueAndRequireAck(net, t.ledger, 0, "mca");
  const uint64_t victim_height = net.Height(victim);
  net.node(victim).Kill9();

  // The other three go on committing, with and without transactions, well past the victim.
  for (size_t k = 0; k < 6; ++k) {
    IssueAndRequireAck(net, t.ledger, others[k % others.size()], kDepartments[k % 4]);
  }
  if (!net.WaitHeight(others, victim_height + 10, milliseconds(60'000))) {
    FAIL("the three live validators did not reach height " << victim_height + 10 << "\n"
                                                           << net.Describe());
  }

  net.node(victim).Start();
  const uint64_t target = net.MaxHeight(others);
  if (!net.WaitHeight({victim}, target, milliseconds(60'000))) {
    FAIL("the restarted validator did not catch up to height " << target << "\n" << net.Describe());
  }
  t.ledger.CheckAllPresent(net, victim);

  // It takes part again: a transaction submitted to it is committed.
  IssueAndRequireAck(net, t.ledger, victim, "water");
  FinalChecks(net, t.ledger);
}

// ================================================================== proposers killed in turn

TEST_CASE("commits continue with 3 of 4 while each validator is killed in turn as proposer",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  std::vector<size_t> killed;

  for (int turn = 0; turn < 4; ++turn) {
    // The proposer of (height, round) is validator (height + round) mod 4: kill the one that
    // proposes soonest among those not killed yet (the next height's round-0 proposer on the
    // first turn, unless a block lands between reading the tip and the kill).
    const uint64_t tip = net.MaxHeight(AllNodes());
    size_t victim = Network::kSize;
    for (uint64_t d = 1; d <= Network::kSize && victim == Network::kSize; ++d) {
      size_t candidate = net.NodeOfValidator(static_cast<uint32_t>((tip + d) % Network::kSize));
      if (std::find(killed.begin(), killed.end(), candidate) == killed.end()) victim = candidate;
    }
    REQUIRE(victim < Network::kSize);
    killed.push_back(victim);
    INFO("turn " << turn << ": killed node" << victim << " at tip " << tip);
    net.node(victim).Kill9();

    // The three others commit transactions, including at heights the dead node should propose.
    const std::vector<size_t> live = Except(AllNodes(), victim);
    for (size_t k = 0; k < 5; ++k) {
      IssueAndRequireAck(net, t.ledger, live[k % live.size()], kDepartments[(turn + k) % 4]);
    }
    if (!net.WaitHeight(live, tip + Network::kSize + 1, milliseconds(60'000))) {
      FAIL("with node" << victim << " down the chain did not pass height "
                       << tip + Network::kSize + 1 << "\n"
                       << net.Describe());
    }
    CheckSameChain(net, live);
    // The heights the dead validator should have proposed were decided in a later round, and
    // the live nodes' /metrics say so.
    const uint64_t late =
        MetricValue(net.node(live[0]).url(), "govledger_consensus_heights_above_round_zero_total");
    CHECK(late > 0);
    // The dead one is not counted among its peers.
    CHECK(MetricValue(net.node(live[0]).url(), "govledger_consensus_peers_connected") <= 2);

    net.node(victim).Start();
    const uint64_t target = net.MaxHeight(live);
    if (!net.WaitHeight({victim}, target, milliseconds(60'000))) {
      FAIL("node" << victim << " did not catch up to height " << target << " after its restart\n"
                  << net.Describe());
    }
  }
  FinalChecks(net, t.ledger);
}

// ================================================================== no quorum

TEST_CASE("with 2 of 4 validators down nothing is committed or diverges and commits resume",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  IssueAndRequireAck(net, t.ledger, 2, "water");
  IssueAndRequireAck(net, t.ledger, 3, "samr");

  net.node(2).Kill9();
  net.node(3).Kill9();
  const std::vector<size_t> live = {0, 1};
  // A decision needs precommits of 3 validators. The two live ones can still finish the height
  // that was in flight at the kill if precommits of the dead ones reached them, never one more.
  const uint64_t stalled = net.MaxHeight(live);

  // Transactions submitted now cannot be in any block that 3 validators precommit.
  std::vector<TxFactory::Built> stuck;
  for (size_t k = 0; k < 4; ++k) {
    TxFactory::Built tx =
        net.factory().Issue(Local4Issue(kDepartments[k % 2]), net.Height(live[k % 2]) + 1000);
    SubmitNoWait(net, live[k % 2], tx);
    stuck.push_back(tx);
  }
  // A client that waits is told "pending" when its wait ends, not "committed".
  TxFactory::Built waited = net.factory().Issue(Local4Issue("mca"), net.Height(0) + 1000);
  std::string why;
  bool acknowledged = SubmitAndWait(net, 0, waited, &why, milliseconds(1'000)).has_value();
  INFO("answer to the waiting client: " << why);
  CHECK_FALSE(acknowledged);
  CHECK(why.find(" 202 ") != std::string::npos);
  stuck.push_back(waited);

  // For 3 s: no live node goes beyond the height in flight, and none of the transactions is
  // committed anywhere.
  std::string violation;
  WaitFor(
      [&] {
        for (size_t i : live) {
          uint64_t h = net.Height(i);
          if (h > stalled + 1) {
            violation = "node" + std::to_string(i) + " committed height " + std::to_string(h) +
                        " with only 2 of 4 validators up (height was " + std::to_string(stalled) +
                        ")";
            return true;
          }
          for (const auto& tx : stuck) {
            const std::string hash = crypto::DigestHex(tx.tx.hash);
            if (TxStatus(net.node(i).url(), hash).status == "committed") {
              violation = "node" + std::to_string(i) + " committed tx " + hash +
                          " submitted while 2 of 4 validators were down";
              return true;
            }
          }
        }
        return false;
      },
      milliseconds(3'000), milliseconds(100));
  INFO(violation);
  CHECK(violation.empty());
  CheckSameChain(net, live);

  // One returns: 3 of 4 again, and the pending transactions are committed on all three.
  net.node(2).Start();
  const std::vector<size_t> three = {0, 1, 2};
  bool resumed = WaitFor(
      [&] {
        for (const auto& tx : stuck) {
          for (size_t i : three) {
            if (TxStatus(net.node(i).url(), crypto::DigestHex(tx.tx.hash)).status != "committed") {
              return false;
            }
          }
        }
        return true;
      },
      milliseconds(60'000), milliseconds(200));
  if (!resumed) FAIL("commits did not resume with 3 of 4 validators up\n" << net.Describe());
  for (const auto& tx : stuck) {
    const std::string hash = crypto::DigestHex(tx.tx.hash);
    TxState s = TxStatus(net.node(0).url(), hash);
    CHECK(s.height > stalled);
    t.ledger.Add(Ack{hash, tx.material_id, s.height, s.index, 0});
  }
  IssueAndRequireAck(net, t.ledger, 2, "water");
  CheckSameChain(net, three);

  FinalChecks(net, t.ledger);  // node3 returns too
}

// ================================================================== keys not in the genesis

TEST_CASE("govledger-node with a validator key not in the genesis exits with not_a_validator",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  ReplaceKey(net.Home(3) + "/validator.pem", net.factory().genesis().suite);

  const std::string log = t.tmp.Sub("impostor.log");
  Process p = Process::Spawn(
      {NodeBinary(), "--home", net.Home(3), "--api", "127.0.0.1:0", "--log-level", "info"}, log,
      log);
  auto ended = p.Wait(milliseconds(30'000));
  std::string output = ReadFileOrThrow(log);
  INFO("govledger-node output: " << output);
  REQUIRE(ended.has_value());
  CHECK(ended->code != 0);
  CHECK_FALSE(ended->signaled);
  CHECK(output.find("not_a_validator") != std::string::npos);
}

TEST_CASE("a validator presenting a TLS key not pinned in the genesis is refused by every peer",
          "[network]") {
  TestNet t;
  Network& net = t.net;
  const size_t impostor = 3;
  const std::vector<size_t> honest = {0, 1, 2};
  // TLS keys are P-256 whatever the chain's suite.
  const std::string pinned_pem = ReplaceKey(net.Home(impostor) + "/tls.pem", crypto::Suite::kP256);

  for (size_t i : honest) net.node(i).Start();
  net.node(impostor).Start();  // it starts (and warns): it is the peers that refuse it
  bool connected = WaitFor(
      [&] {
        for (size_t i : honest) {
          if (ConsensusStatus(net.node(i).url()).value("peers_connected", uint64_t{0}) < 2) {
            return false;
          }
        }
        return net.MinHeight(honest) >= 1;
      },
      milliseconds(60'000), milliseconds(100));
  if (!connected) FAIL("the three honest validators did not connect\n" << net.Describe());

  // The honest three commit, while the impostor gets no connection and no block: watched for at
  // least 3 s and until the others have committed 5 more blocks.
  const uint64_t start = net.MaxHeight(honest);
  for (size_t k = 0; k < 3; ++k) IssueAndRequireAck(net, t.ledger, honest[k], kDepartments[k]);
  const auto watch_from = std::chrono::steady_clock::now();
  std::string violation;
  bool watched = WaitFor(
      [&] {
        Json c = ConsensusStatus(net.node(impostor).url());
        uint64_t h = net.Height(impostor);
        if (c.value("peers_connected", uint64_t{1}) != 0 || h != 0) {
          violation = "the impostor has " + c.dump() + " at height " + std::to_string(h);
          return true;
        }
        for (size_t i : honest) {
          uint64_t peers = ConsensusStatus(net.node(i).url()).value("peers_connected", uint64_t{9});
          if (peers > 2) {
            violation = "node" + std::to_string(i) + " reports " + std::to_string(peers) +
                        " peers connected: it accepted the impostor";
            return true;
          }
        }
        return std::chrono::steady_clock::now() - watch_from >= milliseconds(3'000) &&
               net.MinHeight(honest) >= start + 5;
      },
      milliseconds(60'000), milliseconds(100));
  INFO(violation);
  CHECK(violation.empty());
  if (!watched) FAIL("the three honest validators stopped committing\n" << net.Describe());
  CHECK(net.node(impostor).running());
  CheckSameChain(net, honest);

  // With the pinned key back, the same node is accepted and catches up.
  net.node(impostor).Stop();
  WriteFileOrThrow(net.Home(impostor) + "/tls.pem", pinned_pem);
  FinalChecks(net, t.ledger);
}

// ================================================================== block sync

TEST_CASE("a validator 1,000 blocks behind catches up through block sync", "[network]") {
  NetworkOptions options;
  options.block_interval_ms = 20;  // empty heartbeat blocks pile up fast
  // With one validator down, every fourth height waits out its dead proposer's round (propose
  // and precommit timeouts): short ones keep 1,000 heights within CI's time.
  options.timeout_propose_ms = 100;
  options.timeout_vote_ms = 50;
  options.timeout_delta_ms = 50;
  const auto began = std::chrono::steady_clock::now();
  TestNet t(options);
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const size_t laggard = 3;
  const std::vector<size_t> others = {0, 1, 2};

  IssueAndRequireAck(net, t.ledger, laggard, "samr");
  const uint64_t stopped_at = net.Height(laggard);
  net.node(laggard).Stop();
  IssueAndRequireAck(net, t.ledger, 0, "mca");
  Progress(began, "node3 stopped at height " + std::to_string(stopped_at));

  if (!net.WaitHeight(others, stopped_at + 1000, milliseconds(160'000))) {
    FAIL("the three validators did not reach height " << stopped_at + 1000 << "\n"
                                                      << net.Describe());
  }
  IssueAndRequireAck(net, t.ledger, 1, "edu");  // a transaction far above the laggard

  net.node(laggard).Start();
  const uint64_t target = net.MaxHeight(others);
  Progress(began, "node3 restarted; the others are at height " + std::to_string(target));
  REQUIRE(target >= stopped_at + 1000);
  if (!net.WaitHeight({laggard}, target, milliseconds(100'000))) {
    FAIL("node" << laggard << " did not catch up from " << stopped_at << " to " << target << "\n"
                << net.Describe());
  }
  Progress(began, "node3 caught up");
  Json c = ConsensusStatus(net.node(laggard).url());
  INFO("consensus status of the laggard: " << c.dump());
  CHECK(c.value("synced_blocks", uint64_t{0}) > 0);
  CHECK(MetricValue(net.node(laggard).url(), "govledger_consensus_synced_blocks_total") >=
        c.value("synced_blocks", uint64_t{0}));

  // Caught up, it takes part in consensus again.
  IssueAndRequireAck(net, t.ledger, laggard, "samr");
  FinalChecks(net, t.ledger);
  Progress(began, "final checks done");
}

}  // namespace govledger::itest

// Fault-injection scenarios on four real validator processes (`govledger-node-faulty`, the
// daemon with the test-only fault layer of tests/faults/): partitions both ways and one way, a
// flapping link, lossy links with duplicates and reordering, SIGSTOP, crash loops with kill -9
// under load, clock skew. Each ends with EndChecks (fault_harness.h): commits resume once at most
// f = 1 node is faulty, the honest nodes hold the same certified chain, every acknowledged
// transaction is where it was acknowledged, and `govledger audit chain` passes on every node's
// data. Nothing asserts how long anything takes; "nothing is committed" is watched over a bounded
// window in which any commit would be a safety violation.
//
// Long versions: GOVLEDGER_CRASH_CYCLES (default 8) sets the crash loop's length;
// scripts/soak.sh runs a long random mix.
#include <signal.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "crypto/hash.h"
#include "tests/faults/fault_harness.h"

namespace govledger::itest {
namespace {

const std::vector<std::string> kDepartments = {"mca", "edu", "water", "samr"};
const std::vector<size_t> kAll = {0, 1, 2, 3};

// Watches `nodes` for `window`: true if any of them got past `height` (a violation when no
// quorum exists), with the node and height in `what`.
bool CommittedPast(Network& net, const std::vector<size_t>& nodes, uint64_t height,
                   milliseconds window, std::string& what) {
  return WaitFor(
      [&] {
        for (size_t i : nodes) {
          uint64_t h = net.Height(i);
          if (h > height) {
            what = "node" + std::to_string(i) + " at height " + std::to_string(h);
            return true;
          }
        }
        return false;
      },
      window, milliseconds(100));
}

void AddAll(AckLedger& ledger, const std::vector<Ack>& acks) {
  for (const Ack& a : acks) ledger.Add(a);
}

}  // namespace

TEST_CASE("a 2|2 partition commits nothing on either side and commits resume when it heals",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  IssueAndRequireAck(net, t.ledger, 0, "mca");

  Partition(net, {0, 1}, {2, 3});
  // Every node applies its control file within 50 ms of the change (on its next frame): wait
  // until all four logged it. A height in flight then may still finish; nothing after it can.
  if (!WaitFor(
          [&] {
            for (size_t i : kAll) {
              if (!LogContains(net.node(i), "FAULTS: applied {\"peers\"")) return false;
            }
            return true;
          },
          milliseconds(30'000), milliseconds(50))) {
    FAIL("the partition was not applied\n" << net.Describe());
  }
  const uint64_t cut = net.MaxHeight(kAll) + 1;
  std::vector<TxFactory::Built> stuck;
  for (size_t i : kAll) {
    stuck.push_back(net.factory().Issue(Local4Issue(kDepartments[i]), net.Height(i) + 1000));
    SubmitNoWait(net, i, stuck.back());
  }
  std::string what;
  bool violated = CommittedPast(net, kAll, cut, milliseconds(4'000), what);
  INFO("committed during a 2|2 partition: " << what);
  CHECK_FALSE(violated);
  CheckSameChain(net, kAll);

  ClearAllFaults(net);
  bool all_committed = WaitFor(
      [&] {
        for (const auto& tx : stuck) {
          if (TxStatus(net.node(0).url(), crypto::DigestHex(tx.tx.hash)).status != "committed") {
            return false;
          }
        }
        return true;
      },
      milliseconds(60'000), milliseconds(200));
  if (!all_committed) FAIL("the pending transactions were not committed after healing\n" << net.Describe());
  for (const auto& tx : stuck) {
    const std::string hash = crypto::DigestHex(tx.tx.hash);
    TxState s = TxStatus(net.node(0).url(), hash);
    CHECK(s.height > cut - 1);
    t.ledger.Add(Ack{hash, tx.material_id, s.height, s.index, 0});
  }
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("one-way partitions and a flapping link keep one chain and commits resume",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();

  // node0 hears everyone but nobody hears it: the other three go on.
  {
    Json c = Json::object();
    BlockPeers(net, c, {1, 2, 3}, /*send=*/true, /*receive=*/false);
    SetFaults(net, 0, c);
  }
  RequireCommitsResume(net, t.ledger, {1, 2, 3});
  // node3 sends to everyone but hears nobody: the other three go on, node0 healed.
  ClearFaults(net, 0);
  {
    Json c = Json::object();
    BlockPeers(net, c, {0, 1, 2}, /*send=*/false, /*receive=*/true);
    SetFaults(net, 3, c);
  }
  RequireCommitsResume(net, t.ledger, {0, 1, 2});
  ClearFaults(net, 3);
  // node0 cannot reach node1, while node1 reaches node0 (node0 is the one faulty node): no
  // relaying is needed for the others to decide.
  {
    Json c = Json::object();
    BlockPeers(net, c, {1}, /*send=*/true, /*receive=*/false);
    SetFaults(net, 0, c);
  }
  for (size_t k = 0; k < 4; ++k) IssueAndRequireAck(net, t.ledger, k, kDepartments[k]);
  ClearAllFaults(net);

  // A flapping link: node2 cut off from everyone and back, under load, many times.
  Load load(net, {0, 1, 3}, 7);
  std::mt19937_64 rng(11);
  const int64_t flaps = EnvInt("GOVLEDGER_FLAPS", 12);
  for (int64_t k = 0; k < flaps; ++k) {
    Json c = Json::object();
    BlockPeers(net, c, {0, 1, 3}, true, true);
    SetFaults(net, 2, c);
    std::this_thread::sleep_for(milliseconds(200 + rng() % 600));  // the fault schedule
    ClearFaults(net, 2);
    std::this_thread::sleep_for(milliseconds(200 + rng() % 600));
  }
  load.Stop();
  AddAll(t.ledger, load.acks());
  INFO("acknowledged under the flapping link: " << load.ack_count());
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("10% drop with duplicates, reordering and delay on every link keeps safety and liveness",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  Json lossy = {{"peers",
                 {{"*",
                   {{"send",
                     {{"drop", 0.1}, {"duplicate", 0.1}, {"reorder", 0.1}, {"delay_ms", 5},
                      {"jitter_ms", 20}}}}}}}};
  for (size_t i : kAll) {
    lossy["seed"] = 100 + i;
    SetFaults(net, i, lossy);
  }
  Load load(net, kAll, 3);
  const size_t want = static_cast<size_t>(EnvInt("GOVLEDGER_LOSSY_TXS", 12));
  bool enough = WaitFor([&] { return load.ack_count() >= want; }, milliseconds(120'000),
                        milliseconds(200));
  load.Stop();
  AddAll(t.ledger, load.acks());
  INFO("acknowledged over lossy links: " << load.ack_count());
  if (!enough) FAIL("fewer than " << want << " commits over lossy links\n" << net.Describe());
  CheckSameChain(net, kAll);
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("a validator frozen by SIGSTOP for 20 s and continued catches up and loses nothing",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  IssueAndRequireAck(net, t.ledger, 1, "edu");
  const uint64_t frozen_at = net.Height(1);
  net.node(1).Signal(SIGSTOP);
  const auto frozen = std::chrono::steady_clock::now();
  RequireCommitsResume(net, t.ledger, {0, 2, 3});
  for (size_t k = 0; k < 3; ++k) IssueAndRequireAck(net, t.ledger, k == 0 ? 0 : k + 1, kDepartments[k]);
  // The fault lasts 20 s whatever the commits above took.
  std::this_thread::sleep_until(frozen + milliseconds(EnvInt("GOVLEDGER_SIGSTOP_MS", 20'000)));
  net.node(1).Signal(SIGCONT);
  const uint64_t target = net.MaxHeight({0, 2, 3});
  CHECK(target > frozen_at);
  if (!net.WaitHeight({1}, target, milliseconds(60'000))) {
    FAIL("node1 did not catch up after SIGCONT\n" << net.Describe());
  }
  IssueAndRequireAck(net, t.ledger, 1, "edu");
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("crash loop: kill -9 at random points under load loses no acknowledged transaction",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const int64_t cycles = EnvInt("GOVLEDGER_CRASH_CYCLES", 8);
  const uint64_t seed = static_cast<uint64_t>(EnvInt("GOVLEDGER_SEED", 1));
  std::mt19937_64 rng(seed);
  INFO("crash loop of " << cycles << " cycles, seed " << seed << " (GOVLEDGER_SEED)");
  Load load(net, kAll, seed);
  for (int64_t k = 0; k < cycles; ++k) {
    const size_t victim = rng() % 4;
    std::this_thread::sleep_for(milliseconds(rng() % 800));  // a random point in the load
    net.node(victim).Kill9();
    load.Refresh();
    std::this_thread::sleep_for(milliseconds(rng() % 500));
    net.node(victim).Start();
    load.Refresh();
    if (k % 10 == 9 || k == cycles - 1) {
      // Liveness along the way: with the victim back, commits go on.
      RequireCommitsResume(net, t.ledger, kAll);
      std::cerr << "[faults] crash cycle " << k + 1 << "/" << cycles << ": "
                << load.ack_count() << " acknowledged, height " << net.MaxHeight(kAll)
                << std::endl;
    }
  }
  load.Stop();
  AddAll(t.ledger, load.acks());
  INFO("acknowledged during the crash loop: " << load.ack_count());
  CHECK(load.ack_count() > 0);
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("clock skew: 3 s on one node is tolerated, 8 s makes its blocks refused, safety holds",
          "[faults]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  SetFaults(net, 2, {{"clock_skew_ms", 3000}});
  // node2 proposes every fourth height: with 3 s (within max_clock_drift_ms = 5 s) its
  // proposals are accepted, at least one of them.
  const uint64_t from = net.MaxHeight(kAll);
  for (size_t k = 0; k < 6; ++k) IssueAndRequireAck(net, t.ledger, k % 4, kDepartments[k % 4]);
  if (!net.WaitHeight(kAll, from + 8, milliseconds(60'000))) {
    FAIL("no progress with a 3 s skew\n" << net.Describe());
  }
  // 8 s ahead, beyond the drift bound: the others refuse node2's proposals (and node2 theirs),
  // and the three others carry the chain.
  SetFaults(net, 2, {{"clock_skew_ms", 8000}});
  // node2 re-reads its control file within 50 ms, on its next frame: until it logged the new
  // skew its proposals still carry the old one.
  if (!WaitFor([&] { return LogContains(net.node(2), "\"clock_skew_ms\":8000"); },
               milliseconds(30'000), milliseconds(50))) {
    FAIL("the 8 s skew was not applied\n" << net.Describe());
  }
  const uint64_t skewed_from = net.MaxHeight(kAll);
  // Keep the chain busy until node2 has had its turn to propose and been refused: how many
  // heights that takes depends on the rounds, not on a fixed count.
  auto refused = [&] {
    for (size_t i : {0, 1, 3}) {
      if (LogContains(net.node(i), "ms from this node's clock")) return true;
    }
    return false;
  };
  for (size_t k = 0; k < 40 && !refused(); ++k) {
    IssueAndRequireAck(net, t.ledger, k % 3 == 2 ? 3 : k % 3);
  }
  CHECK(refused());
  if (!net.WaitHeight({0, 1, 3}, skewed_from + 8, milliseconds(60'000))) {
    FAIL("no progress with an 8 s skew on one node\n" << net.Describe());
  }
  // Block times never go backwards on the chain, skew or not.
  const uint64_t top = net.MinHeight(kAll);
  int64_t last = 0;
  for (uint64_t h = 1; h <= top; ++h) {
    Json b = Get(net.node(0).url(), "/v1/block/" + std::to_string(h)).json();
    const Json& hdr = b.contains("header") ? b["header"] : b;
    int64_t time = hdr.value("time_ms", int64_t{0});
    INFO("height " << h << " time_ms " << time << " after " << last);
    CHECK(time > last);
    last = time;
  }
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("a validator that dies on its own is reported by the harness, not restarted over",
          "[faults]") {
  // Every scenario restarts the nodes it stopped; one the test did not stop crashed, and that
  // must fail the scenario (the hour-long soak once carried on past a segfault unnoticed).
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  CHECK(net.node(2).UnexpectedEnd().empty());
  net.node(1).Kill9();  // ended by the test: expected, restarted without complaint
  CHECK(net.node(1).UnexpectedEnd().empty());
  net.node(2).Signal(SIGSEGV);
  REQUIRE(WaitFor([&] { return !net.node(2).running(); }, milliseconds(30'000), milliseconds(20)));
  CHECK_THAT(net.node(2).UnexpectedEnd(), Catch::Contains("signal 11") && Catch::Contains("SEGV"));
  CHECK_THAT(net.Describe(), Catch::Contains("NOT RUNNING: it died by signal 11"));
  REQUIRE_THROWS_WITH(net.StartAll(), Catch::Contains("node2 died by signal 11"));
  CHECK(!net.node(1).running());  // StartAll refused before restarting anything
}

}  // namespace govledger::itest

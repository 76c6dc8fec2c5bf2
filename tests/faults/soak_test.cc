// The soak: random faults on the four-validator network for GOVLEDGER_SOAK_SECONDS (default
// 3600), one fault at a time on top of a steady client load, every invariant checked after each
// one. Hidden from ctest (tag [.soak]); scripts/soak.sh runs it. The seed (GOVLEDGER_SEED) and
// each fault are printed, so a failure can be replayed.
#include <signal.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <random>
#include <thread>

#include "tests/faults/fault_harness.h"

namespace govledger::itest {

TEST_CASE("soak: an hour of random faults keeps one chain, loses nothing and keeps committing",
          "[.soak]") {
  const int64_t seconds = EnvInt("GOVLEDGER_SOAK_SECONDS", 3600);
  const uint64_t seed = static_cast<uint64_t>(EnvInt("GOVLEDGER_SEED", 1));
  std::mt19937_64 rng(seed);
  FaultNet t;
  Network& net = t.net;
  const std::vector<size_t> all = {0, 1, 2, 3};
  net.StartAllAndWaitReady();
  Load load(net, all, seed);
  const auto began = std::chrono::steady_clock::now();
  const auto until = began + std::chrono::seconds(seconds);
  bool byzantine_seen = false;
  uint64_t epoch = 0;
  uint64_t checked_to = 0;  // heights compared on all four so far
  auto hold = [&](int64_t lo_ms, int64_t hi_ms) {  // how long a fault lasts: the schedule
    std::this_thread::sleep_for(milliseconds(lo_ms + static_cast<int64_t>(rng() % (hi_ms - lo_ms))));
  };
  while (std::chrono::steady_clock::now() < until) {
    ++epoch;
    const size_t victim = rng() % 4;
    const int kind = static_cast<int>(rng() % 8);
    static const char* kNames[] = {"kill -9",      "SIGSTOP",         "2|2 partition",
                                   "one-way cut",  "lossy links",     "clock skew",
                                   "byzantine",    "crash burst"};
    std::cerr << "[soak] seed " << seed << " epoch " << epoch << ": " << kNames[kind]
              << " on node" << victim << ", " << load.ack_count() << " acknowledged, height "
              << net.MaxHeight(net.Running()) << std::endl;
    switch (kind) {
      case 0:
        net.node(victim).Kill9();
        load.Refresh();
        hold(0, 5000);
        net.node(victim).Start();
        break;
      case 1:
        net.node(victim).Signal(SIGSTOP);
        hold(1000, 20'000);
        net.node(victim).Signal(SIGCONT);
        break;
      case 2: {
        std::vector<size_t> a = {victim, (victim + 1) % 4}, b = {(victim + 2) % 4, (victim + 3) % 4};
        Partition(net, a, b);
        hold(1000, 10'000);
        break;
      }
      case 3: {
        Json c = Json::object();
        BlockPeers(net, c, {(victim + 1) % 4, (victim + 2) % 4, (victim + 3) % 4},
                   rng() % 2 == 0, rng() % 2 == 1);
        SetFaults(net, victim, c);
        hold(1000, 10'000);
        break;
      }
      case 4:
        for (size_t i : all) {
          SetFaults(net, i, {{"seed", rng()},
                             {"peers", {{"*", {{"send", {{"drop", 0.1}, {"duplicate", 0.1},
                                                        {"reorder", 0.1}, {"delay_ms", 5},
                                                        {"jitter_ms", 30}}}}}}}});
        }
        hold(5000, 20'000);
        break;
      case 5:
        SetFaults(net, victim, {{"clock_skew_ms", static_cast<int64_t>(rng() % 16'000) - 8000}});
        hold(5000, 15'000);
        break;
      case 6: {
        static const char* kBehaviours[] = {"equivocate", "double_vote", "garbage", "far_future",
                                            "forge_sync"};
        SetFaults(net, victim, {{"byzantine", {kBehaviours[rng() % 5], kBehaviours[rng() % 5]}}});
        byzantine_seen = true;
        hold(5000, 15'000);
        break;
      }
      default:
        for (int k = 0; k < 5; ++k) {
          const size_t v = rng() % 4;
          net.node(v).Kill9();
          load.Refresh();
          hold(0, 800);
          net.node(v).Start();
          load.Refresh();
          hold(0, 800);
        }
    }
    ClearAllFaults(net);
    net.StartAll();
    load.Refresh();
    // After every fault: commits resume, and all four hold one certified chain.
    RequireCommitsResume(net, t.ledger, all, milliseconds(120'000));
    if (!net.WaitHeight(all, net.MaxHeight(all), milliseconds(120'000))) {
      FAIL("epoch " << epoch << ": the nodes did not converge\n" << net.Describe());
    }
    // The heights since the previous epoch (all of them each time would make a long soak's
    // checking grow with the square of its length); the end checks compare the whole chain.
    checked_to = CheckSameChain(net, all, checked_to + 1);
  }
  load.Stop();
  for (const Ack& a : load.acks()) t.ledger.Add(a);
  std::cerr << "[soak] " << epoch << " faults in " << seconds << " s; " << t.ledger.acks().size()
            << " acknowledged transactions" << std::endl;
  EndChecks(net, t.ledger, all, /*evidence_free=*/!byzantine_seen);
}

}  // namespace govledger::itest

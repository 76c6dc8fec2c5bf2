// Seeded simulation runs of the consensus core; see tests/sim/simulator.h for what is checked.
//
//   GOVLEDGER_SIM_SEEDS=N   run seeds 1..N of every scenario and size (a longer run)
//   GOVLEDGER_SIM_SEED=S    run only seed S (replaying a failure)
//   GOVLEDGER_SIM_TRACE=1   print every event of the run to stderr
#include "tests/sim/simulator.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace govledger::consensus::sim {
namespace {

std::vector<uint64_t> Seeds(uint64_t default_count) {
  if (const char* one = std::getenv("GOVLEDGER_SIM_SEED")) {
    return {std::strtoull(one, nullptr, 10)};
  }
  uint64_t count = default_count;
  if (const char* n = std::getenv("GOVLEDGER_SIM_SEEDS")) count = std::strtoull(n, nullptr, 10);
  std::vector<uint64_t> seeds;
  for (uint64_t s = 1; s <= count; ++s) seeds.push_back(s);
  return seeds;
}

struct Totals {
  uint64_t seeds = 0;
  uint64_t evidence = 0;
  uint64_t invalid_signatures = 0;
  uint64_t restarts = 0;
  uint64_t lost_wals = 0;
  uint64_t syncs = 0;
  uint32_t max_round = 0;
  uint64_t signature_checks = 0;
  uint64_t commit_checks = 0;
  uint64_t heights = 0;
};

Totals RunSeeds(Scenario scenario, size_t n, uint64_t default_seeds) {
  const std::string test = Catch::getResultCapture().getCurrentTestName();
  const auto start = std::chrono::steady_clock::now();
  Totals t;
  for (uint64_t seed : Seeds(default_seeds)) {
    SimOptions o;
    o.seed = seed;
    o.n = n;
    o.scenario = scenario;
    o.trace = std::getenv("GOVLEDGER_SIM_TRACE") != nullptr;
    const SimResult r = RunSimulation(o);
    INFO("seed " << seed << " (" << ScenarioName(scenario) << ", n=" << n << "): " << r.Summary());
    INFO("replay: GOVLEDGER_SIM_SEED=" << seed << " GOVLEDGER_SIM_TRACE=1 sim_consensus \"" << test
                                       << "\"");
    REQUIRE(r.ok);
    if (scenario == Scenario::kClean) {
      // Nothing is lost: every height is decided in round 0, with no block sync needed.
      CHECK(r.max_round == 0);
      CHECK(r.syncs == 0);
      CHECK(r.evidence == 0);
    }
    ++t.seeds;
    t.evidence += r.evidence;
    t.invalid_signatures += r.invalid_signatures;
    t.restarts += r.restarts;
    t.lost_wals += r.lost_wals;
    t.syncs += r.syncs;
    t.max_round = std::max(t.max_round, r.max_round);
    t.signature_checks += r.signature_checks;
    t.commit_checks += r.commit_checks;
    t.heights += r.min_height;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << test << ": " << t.seeds << " seeds in " << secs << " s; " << t.heights
            << " heights; evidence " << t.evidence << ", invalid signatures "
            << t.invalid_signatures << ", restarts " << t.restarts << " (" << t.lost_wals
            << " without WAL)"
            << ", syncs " << t.syncs << ", max decision round " << t.max_round << ", "
            << t.signature_checks << " signature checks (" << t.commit_checks << " certificates)\n";
  return t;
}

// Defaults give 8 x (18 + 8) = 208 seeds per CI run; GOVLEDGER_SIM_SEEDS=N makes it a longer
// one. Signature checks are nearly all of the cost, and n = 7 has twice as many per height.
constexpr uint64_t kSeeds4 = 18;
constexpr uint64_t kSeeds7 = 8;

TEST_CASE("sim: clean network n=4", "[sim]") { RunSeeds(Scenario::kClean, 4, kSeeds4); }
TEST_CASE("sim: clean network n=7", "[sim]") { RunSeeds(Scenario::kClean, 7, kSeeds7); }

TEST_CASE("sim: lossy network n=4", "[sim]") { RunSeeds(Scenario::kLossy, 4, kSeeds4); }
TEST_CASE("sim: lossy network n=7", "[sim]") { RunSeeds(Scenario::kLossy, 7, kSeeds7); }

TEST_CASE("sim: partitions that heal n=4", "[sim]") { RunSeeds(Scenario::kPartition, 4, kSeeds4); }
TEST_CASE("sim: partitions that heal n=7", "[sim]") { RunSeeds(Scenario::kPartition, 7, kSeeds7); }

TEST_CASE("sim: crash and restart from the WAL n=4", "[sim]") {
  Totals t = RunSeeds(Scenario::kCrashRestart, 4, kSeeds4);
  CHECK(t.restarts > 0);
}
TEST_CASE("sim: crash and restart from the WAL n=7", "[sim]") {
  Totals t = RunSeeds(Scenario::kCrashRestart, 7, kSeeds7);
  CHECK(t.restarts > 0);
}

TEST_CASE("sim: equivocating proposer n=4", "[sim]") {
  Totals t = RunSeeds(Scenario::kEquivocation, 4, kSeeds4);
  CHECK(t.evidence > 0);
}
TEST_CASE("sim: equivocating proposers n=7", "[sim]") {
  Totals t = RunSeeds(Scenario::kEquivocation, 7, kSeeds7);
  CHECK(t.evidence > 0);
}

TEST_CASE("sim: double voter n=4", "[sim]") {
  Totals t = RunSeeds(Scenario::kDoubleVote, 4, kSeeds4);
  CHECK(t.evidence > 0);
}
TEST_CASE("sim: double voters n=7", "[sim]") {
  Totals t = RunSeeds(Scenario::kDoubleVote, 7, kSeeds7);
  CHECK(t.evidence > 0);
}

TEST_CASE("sim: invalid signatures n=4", "[sim]") {
  Totals t = RunSeeds(Scenario::kInvalidSignatures, 4, kSeeds4);
  CHECK(t.invalid_signatures > 0);
}
TEST_CASE("sim: invalid signatures n=7", "[sim]") {
  Totals t = RunSeeds(Scenario::kInvalidSignatures, 7, kSeeds7);
  CHECK(t.invalid_signatures > 0);
}

TEST_CASE("sim: mixed faults n=4", "[sim]") { RunSeeds(Scenario::kMixed, 4, kSeeds4); }
TEST_CASE("sim: mixed faults n=7", "[sim]") { RunSeeds(Scenario::kMixed, 7, kSeeds7); }

}  // namespace
}  // namespace govledger::consensus::sim

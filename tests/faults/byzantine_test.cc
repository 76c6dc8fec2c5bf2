// Byzantine validators on real processes: node3 runs `govledger-node-faulty` with one of the
// behaviours of tests/faults/byzantine.h switched on (it holds its real key, so what it forges
// is validly signed), or a second process holds its keys (Twins). The three honest validators
// must keep one certified chain, keep committing, and detect the misbehaviour: as consensus
// evidence (/v1/status "evidence", "EVIDENCE:" log lines) for conflicting signed messages, as
// logged refusals for garbage and forged sync answers.
#include <catch2/catch.hpp>

#include "tests/faults/fault_harness.h"

namespace govledger::itest {
namespace {

const std::vector<size_t> kHonest = {0, 1, 2};
const std::vector<size_t> kAll = {0, 1, 2, 3};

uint64_t Evidence(Network& net, size_t i) {
  return ConsensusStatus(net.node(i).url()).value("evidence", uint64_t{0});
}

// Waits until every honest node logged `text` at least once.
bool AllHonestLogged(Network& net, const std::string& text, milliseconds timeout) {
  return WaitFor(
      [&] {
        for (size_t i : kHonest) {
          if (!LogContains(net.node(i), text)) return false;
        }
        return true;
      },
      timeout, milliseconds(200));
}

}  // namespace

TEST_CASE("an equivocating, double-voting validator is reported as evidence and the chain stays one",
          "[faults][byzantine]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  SetFaults(net, 3, {{"byzantine", {"equivocate", "double_vote"}}});
  Load load(net, kHonest, 5);
  // node3 proposes every fourth height: wait for its double proposals and double votes to be
  // seen by every honest validator.
  bool proposals = AllHonestLogged(net, "EVIDENCE: validator node3 double_proposal",
                                   milliseconds(90'000));
  bool prevotes = AllHonestLogged(net, "EVIDENCE: validator node3 double_prevote",
                                  milliseconds(60'000));
  bool precommits = AllHonestLogged(net, "EVIDENCE: validator node3 double_precommit",
                                    milliseconds(60'000));
  const uint64_t h = net.MaxHeight(kHonest);
  bool progress = net.WaitHeight(kHonest, h + 4, milliseconds(60'000));
  load.Stop();
  for (const Ack& a : load.acks()) t.ledger.Add(a);
  INFO(net.Describe(1500));
  CHECK(proposals);
  CHECK(prevotes);
  CHECK(precommits);
  CHECK(progress);
  for (size_t i : kHonest) CHECK(Evidence(net, i) > 0);
  // The Byzantine node's own store followed the honest chain too.
  CheckSameChain(net, kAll);
  EndChecks(net, t.ledger, kHonest, /*evidence_free=*/false);
}

TEST_CASE("garbage frames and messages for far-future heights and rounds do not stop the chain, "
          "and a signed far-future round is logged as evidence",
          "[faults][byzantine]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  SetFaults(net, 3, {{"byzantine", {"garbage", "far_future"}}});
  for (size_t k = 0; k < 6; ++k) IssueAndRequireAck(net, t.ledger, kHonest[k % 3]);
  const uint64_t h = net.MaxHeight(kAll);
  // node3 still votes honestly besides the junk: all four keep committing together.
  if (!net.WaitHeight(kAll, h + 6, milliseconds(60'000))) {
    FAIL("the chain stalled under garbage and far-future messages\n" << net.Describe());
  }
  CHECK(AllHonestLogged(net, "sent an undecodable message", milliseconds(30'000)));
  // A signed vote for a round a million ahead is evidence against its signer.
  CHECK(AllHonestLogged(net, "far_future_round", milliseconds(30'000)));
  for (size_t i : kHonest) {
    // Far-future messages are neither counted nor taken as a height to catch up to.
    Json c = ConsensusStatus(net.node(i).url());
    INFO("node" << i << ": " << c.dump());
    CHECK(c.value("height", uint64_t{0}) <= net.Height(i) + 1);
  }
  CheckSameChain(net, kAll);
  EndChecks(net, t.ledger, kAll, /*evidence_free=*/false);
}

TEST_CASE("forged blocks and certificates served during block sync are refused and logged",
          "[faults][byzantine]") {
  FaultNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const size_t laggard = 2;
  IssueAndRequireAck(net, t.ledger, laggard, "water");
  const uint64_t stopped_at = net.Height(laggard);
  net.node(laggard).Stop();
  for (size_t k = 0; k < 4; ++k) IssueAndRequireAck(net, t.ledger, k % 2 == 0 ? 0 : 1);
  if (!net.WaitHeight({0, 1, 3}, stopped_at + 12, milliseconds(60'000))) {
    FAIL("no progress with the laggard down\n" << net.Describe());
  }
  // The laggard hears only the Byzantine node3, which forges every block-sync answer.
  SetFaults(net, 3, {{"byzantine", {"forge_sync"}}});
  {
    Json c = Json::object();
    BlockPeers(net, c, {0, 1}, /*send=*/false, /*receive=*/true);
    SetFaults(net, laggard, c);
  }
  net.node(laggard).Start();
  DevNode& lag = net.node(laggard);
  bool all_kinds = WaitFor(
      [&] {
        return LogCount(net.node(3), "BYZANTINE: forged sync answer") >= 5 &&
               LogContains(lag, "with a bad certificate") && LogContains(lag, "does not execute");
      },
      milliseconds(60'000), milliseconds(200));
  INFO(net.Describe(2500));
  CHECK(all_kinds);
  // Not one forged block was taken: what the laggard holds is the honest validators' chain. (The
  // real blocks before a last block with a forged certificate may be taken: each is bound by
  // hash to the next one's embedded certificate, and the write they go in ends on a block whose
  // certificate was checked by its signatures.)
  CHECK(CheckSameChain(net, {0, 1, laggard}) == net.Height(laggard));

  // Once it hears honest peers again, it catches up with the real chain.
  ClearFaults(net, laggard);
  const uint64_t target = net.MaxHeight({0, 1});
  if (!net.WaitHeight({laggard}, target, milliseconds(60'000))) {
    FAIL("the laggard did not catch up from honest peers\n" << net.Describe());
  }
  EndChecks(net, t.ledger, kAll);
}

TEST_CASE("Twins: two processes with one validator's keys are reported and cannot fork the chain",
          "[faults][byzantine]") {
  FaultNet t;
  Network& net = t.net;
  // Both processes listen on node3's one p2p address (SO_REUSEPORT), started together from the
  // same (empty) home: each honest validator's dial to node3 reaches one twin or the other, and
  // both twins' dials are accepted as node3 (each replacing the other's inbound connection).
  net.node(3).options().extra_args = {"--twin"};
  const size_t twin = net.AddTwin(3);
  net.StartAll();
  if (!WaitFor(
          [&] {
            for (size_t i : kHonest) {
              if (ConsensusStatus(net.node(i).url()).value("peers_connected", uint64_t{0}) < 3 ||
                  net.Height(i) < 1) {
                return false;
              }
            }
            return true;
          },
          milliseconds(60'000), milliseconds(100))) {
    FAIL("the network with twins did not start\n" << net.Describe());
  }
  Load load(net, kHonest, 9);
  // Each twin signs for validator node3 with its own WAL and sign guard, from what it hears: the
  // honest validators get two different signed messages for one step. If the kernel put every
  // honest dial on the same twin, the other hears nothing: an honest node is restarted, and its
  // new dial lands anew. Each attempt is such a draw, and under a loaded machine (CI runs the
  // suites side by side) a draw that splits the twins can take several: six attempts of 20 s
  // were seen to miss once, so there are twelve of 15 s (the whole test stays under ctest's
  // 300 s).
  bool detected = false;
  for (size_t attempt = 0; attempt < 12 && !detected; ++attempt) {
    detected = WaitFor(
        [&] {
          for (size_t i : kHonest) {
            if (Evidence(net, i) > 0) return true;
          }
          return false;
        },
        milliseconds(15'000), milliseconds(250));
    if (!detected) {
      net.node(kHonest[attempt % 3]).Restart();
      load.Refresh();
    }
  }
  const uint64_t h = net.MaxHeight(kHonest);
  bool progress = net.WaitHeight(kHonest, h + 4, milliseconds(60'000));
  load.Stop();
  for (const Ack& a : load.acks()) t.ledger.Add(a);
  INFO(net.Describe(1500));
  CHECK(detected);
  CHECK(progress);
  // Whatever either twin committed is the honest chain.
  CheckSameChain(net, {0, 1, 2, 3, twin});
  net.node(twin).Stop();
  net.node(3).Stop();
  EndChecks(net, t.ledger, kHonest, /*evidence_free=*/false);
}

}  // namespace govledger::itest

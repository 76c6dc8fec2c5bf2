// Validator-set changes enacted by consensus (issue 4's governance, carried out by the BFT
// network): a fifth department's node joins through `govledger network join` and a governance
// proposal, and a genesis validator is removed — each proven by a quorum that only exists if the
// change really took effect in every node's consensus.
//
// With five validators the quorum is four: after node0 is killed, commits continue only if the
// joined node votes. After node0 is removed the set is four again (quorum three): with node1 also
// killed, commits continue only if node0 no longer counts.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "tests/integration/harness.h"
#include "tests/integration/network_harness.h"

namespace govledger::itest {
namespace {

struct TestNet {
  TempDir tmp{"govledger-membership"};
  Network net{tmp};
  AckLedger ledger;
};

void Progress(std::chrono::steady_clock::time_point since, const std::string& what) {
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since);
  std::cerr << "[membership +" << ms.count() << " ms] " << what << std::endl;
}

Json CliOk(const DevNode& via, const std::vector<std::string>& args) {
  CliResult r = via.Cli(args);
  INFO("govledger " << args.front() << " " << args.at(1) << ": " << r.Describe());
  REQUIRE(r.exit_code == 0);
  return r.json();
}

// Proposes `change_args` from mca and approves it from edu and water: three of the four
// departments, the two-thirds threshold of local-4. Returns the proposal once ENACTED.
Json EnactProposal(Network& net, size_t via, const std::vector<std::string>& change_args) {
  const DevNode& n = net.node(via);
  std::vector<std::string> propose = {"governance", "propose", "--key", net.KeysDir() + "/mca.pem",
                                      "--reason", "成员变更 membership change"};
  propose.insert(propose.end(), change_args.begin(), change_args.end());
  Json p = CliOk(n, propose);
  const std::string id = p.value("proposal_id", std::string());
  REQUIRE_FALSE(id.empty());
  for (const char* dept : {"edu", "water"}) {
    CliOk(n, {"governance", "approve", "--key", net.KeysDir() + "/" + dept + ".pem", "--id", id});
  }
  Json enacted = CliOk(n, {"governance", "list", "--id", id});
  REQUIRE(enacted["status"] == "ENACTED");
  return enacted;
}

std::string ValidatorFingerprint(const std::string& home, crypto::Suite suite) {
  auto key = crypto::PublicKeyFromPem(suite, ReadFileOrThrow(home + "/validator.pub.pem"));
  REQUIRE(key.ok());
  return crypto::Fingerprint(suite, *key);
}

// The value of a top-level `key = "value"` line of a TOML file.
std::string TomlString(const std::string& path, const std::string& key) {
  const std::string text = ReadFileOrThrow(path);
  const std::string prefix = key + " = \"";
  size_t at = text.find(prefix);
  REQUIRE(at != std::string::npos);
  at += prefix.size();
  return text.substr(at, text.find('"', at) - at);
}

// The fingerprints that signed the stored certificate of block `height` on `url`.
std::vector<std::string> CertificateSigners(const std::string& url, uint64_t height) {
  HttpReply r = Get(url, "/v1/block/" + std::to_string(height));
  REQUIRE(r.status == 200);
  const Json block = r.json();  // kept: a range-for over a temporary's member would dangle
  std::vector<std::string> out;
  for (const Json& s : block["commit"]["signatures"]) out.push_back(s["validator"]);
  return out;
}

}  // namespace

TEST_CASE("a validator added by governance votes from its effective height and a removed one "
          "stops counting",
          "[network][governance]") {
  const auto t0 = std::chrono::steady_clock::now();
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const crypto::Suite suite = net.factory().genesis().suite;

  // The joining node starts before the proposal: it is refused by every validator (unpinned) and
  // has nothing to vote on yet.
  const size_t joined = net.AddJoiningNode("node4", "water");
  REQUIRE(joined == 4);
  net.node(joined).Start();
  const std::string home4 = net.node(joined).home();
  Progress(t0, "node4 home created and started");

  CliResult bad_remove = net.node(1).Cli(
      {"governance", "propose", "--key", net.KeysDir() + "/mca.pem", "--reason", "x",
       "--remove-validator", "node9"});
  CHECK(bad_remove.exit_code != 0);

  Json add = EnactProposal(
      net, 1,
      {"--add-validator", "node4", "--department", "water", "--validator-key",
       home4 + "/validator.pub.pem", "--tls-key", home4 + "/tls.pub.pem", "--p2p",
       TomlString(home4 + "/node.toml", "p2p_listen"), "--api",
       TomlString(home4 + "/node.toml", "api_listen")});
  const uint64_t effective = add["effective_height"].get<uint64_t>();
  CHECK(effective == add["enacted_height"].get<uint64_t>() + 2);
  Progress(t0, "node4 added, effective from height " + std::to_string(effective));

  // Every node, node4 included (through block sync), passes the effective height.
  IssueAndRequireAck(net, t.ledger, 1, "edu");
  IssueAndRequireAck(net, t.ledger, 2, "samr");
  REQUIRE(net.WaitHeight({0, 1, 2, 3, 4}, effective + 1, milliseconds(60'000)));
  CHECK(Status(net.node(1).url())["validators"] == 5);
  Json set = CliOk(net.node(2), {"governance", "validators"});
  CHECK(set["validators"].size() == 5);

  // Quorum of five is four: with node0 gone, nothing commits unless node4 votes.
  net.node(0).Kill9();
  Progress(t0, "node0 killed; committing with node1..node4");
  Ack with_joined = IssueAndRequireAck(net, t.ledger, 2, "water");
  REQUIRE(net.WaitHeight({1, 2, 3, 4}, with_joined.height, milliseconds(60'000)));
  const std::string fp4 = ValidatorFingerprint(home4, suite);
  std::vector<std::string> signers = CertificateSigners(net.node(4).url(), with_joined.height);
  CHECK(signers.size() >= 4);
  CHECK(std::find(signers.begin(), signers.end(), fp4) != signers.end());

  // Remove node0 (still down): the set is four again, quorum three.
  Json remove = EnactProposal(net, 1, {"--remove-validator", "node0"});
  const uint64_t removed_at = remove["effective_height"].get<uint64_t>();
  Progress(t0, "node0 removed, effective from height " + std::to_string(removed_at));
  IssueAndRequireAck(net, t.ledger, 3, "mca");
  REQUIRE(net.WaitHeight({1, 2, 3, 4}, removed_at + 1, milliseconds(60'000)));
  CHECK(Status(net.node(1).url())["validators"] == 4);

  // node1 down as well: node2, node3 and node4 are three of four, a quorum only without node0.
  net.node(1).Kill9();
  Progress(t0, "node1 killed; committing with node2..node4");
  IssueAndRequireAck(net, t.ledger, 3, "samr");

  // The removed node restarts and follows the chain without voting; node1 catches up too.
  net.node(0).Start();
  net.node(1).Start();
  IssueAndRequireAck(net, t.ledger, 4, "edu");
  const uint64_t top = net.MaxHeight({2, 3, 4});
  REQUIRE(net.WaitHeight({0, 1, 2, 3, 4}, top, milliseconds(60'000)));
  CHECK(CheckSameChain(net, {0, 1, 2, 3, 4}) >= top);
  for (size_t i = 0; i < 5; ++i) t.ledger.CheckAllPresent(net, i);
  Progress(t0, "done");
}

}  // namespace govledger::itest

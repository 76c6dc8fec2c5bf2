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
#include "util/file.h"

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

namespace govledger::itest {
namespace {

// Appends a [keys] table to a node.toml made by `network init` (which writes none).
void AppendKeysTable(const std::string& home, const std::string& lines) {
  const std::string path = home + "/node.toml";
  std::string text = ReadFileOrThrow(path);
  REQUIRE(text.find("[keys]") == std::string::npos);
  REQUIRE(WriteFileAtomic(path, text + "\n[keys]\n" + lines, 0644).ok());
}

// Rewrites the `key = "value"` line of a node.toml.
void SetTomlString(const std::string& home, const std::string& key, const std::string& value) {
  const std::string path = home + "/node.toml";
  std::string text = ReadFileOrThrow(path);
  const std::string prefix = key + " = \"";
  size_t at = text.find(prefix);
  REQUIRE(at != std::string::npos);
  const size_t end = text.find('"', at + prefix.size());
  text.replace(at, end + 1 - at, prefix + value + "\"");
  REQUIRE(WriteFileAtomic(path, text, 0644).ok());
}

std::string PublicKeyFingerprint(const std::string& pub_file, crypto::Suite suite) {
  auto key = crypto::PublicKeyFromPem(suite, ReadFileOrThrow(pub_file));
  REQUIRE(key.ok());
  return crypto::Fingerprint(suite, *key);
}

}  // namespace

// Issue 7: "a validator's key can be rotated through governance". node3 gets new consensus and
// TLS keys by a proposal; from the effective height it signs with the new key and presents the
// new TLS key, in the running process. With node0 down, three of four must sign, so a commit
// after the effective height proves node3's new key counts (and its old one no longer does).
TEST_CASE("a validator's keys rotated by governance sign from the effective height, and the node "
          "restarts on the new keys",
          "[network][governance]") {
  const auto t0 = std::chrono::steady_clock::now();
  TestNet t;
  Network& net = t.net;
  net.StartAllAndWaitReady();
  const crypto::Suite suite = net.factory().genesis().suite;
  DevNode& n3 = net.node(3);
  const std::string home3 = n3.home();
  const std::string suite_name = suite == crypto::Suite::kSm ? "sm" : "p256";

  // The operator of node3 makes the next keys and names them in node.toml; a restart loads them
  // (the node keeps signing with its current key until a rotation takes effect).
  CliOk(n3, {"keygen", "--suite", suite_name, "--out", home3 + "/next-validator.pem",
             "--public-out", home3 + "/next-validator.pub.pem"});
  CliOk(n3, {"keygen", "--suite", "p256", "--out", home3 + "/next-tls.pem", "--public-out",
             home3 + "/next-tls.pub.pem"});
  AppendKeysTable(home3, "next_validator_key_file = \"next-validator.pem\"\n"
                         "next_tls_key_file = \"next-tls.pem\"\n");
  n3.Stop();
  n3.Start();
  IssueAndRequireAck(net, t.ledger, 0, "edu");
  Progress(t0, "node3 restarted holding its next keys");

  // A rotation of a validator that does not exist, or one that rotates nothing, is refused.
  CliResult unknown = net.node(1).Cli(
      {"governance", "propose", "--key", net.KeysDir() + "/mca.pem", "--reason", "x",
       "--rotate-validator", "node9", "--validator-key", home3 + "/next-validator.pub.pem",
       "--tls-key", home3 + "/next-tls.pub.pem"});
  CHECK(unknown.exit_code != 0);

  const std::string new_fp = PublicKeyFingerprint(home3 + "/next-validator.pub.pem", suite);
  Json rotate = EnactProposal(
      net, 1,
      {"--rotate-validator", "node3", "--validator-key", home3 + "/next-validator.pub.pem",
       "--tls-key", home3 + "/next-tls.pub.pem"});
  CHECK(rotate["change"]["kind"] == "rotate_validator");
  const uint64_t effective = rotate["effective_height"].get<uint64_t>();
  Progress(t0, "node3's keys rotated, effective from height " + std::to_string(effective));

  // The new keys are another validator's from now on: rotating node2 to them is refused.
  CliResult reuse = net.node(1).Cli(
      {"governance", "propose", "--key", net.KeysDir() + "/mca.pem", "--reason", "x",
       "--rotate-validator", "node2", "--validator-key", home3 + "/next-validator.pub.pem",
       "--tls-key", home3 + "/next-tls.pub.pem"});
  CHECK(reuse.exit_code != 0);
  CHECK(reuse.Describe().find("already used by validator 'node3'") != std::string::npos);

  IssueAndRequireAck(net, t.ledger, 1, "samr");
  IssueAndRequireAck(net, t.ledger, 2, "water");
  REQUIRE(net.WaitHeight({0, 1, 2, 3}, effective + 1, milliseconds(60'000)));
  Json set = CliOk(net.node(2), {"governance", "validators"});
  REQUIRE(set["validators"].size() == 4);
  CHECK(set["validators"][3]["name"] == "node3");  // same place in the set
  CHECK(set["validators"][3]["key_fingerprint"] == new_fp);

  // Quorum of four is three: with node0 gone, commits need node3, under its new key.
  net.node(0).Kill9();
  Progress(t0, "node0 killed; committing with node1..node3");
  Ack rotated = IssueAndRequireAck(net, t.ledger, 2, "edu");
  std::vector<std::string> signers = CertificateSigners(net.node(1).url(), rotated.height);
  CHECK(signers.size() == 3);
  CHECK(std::find(signers.begin(), signers.end(), new_fp) != signers.end());
  CHECK(n3.LogTail(200'000).find("presenting the next TLS key") != std::string::npos);

  // The operator makes the new keys the node's own and restarts it; it still votes.
  SetTomlString(home3, "validator_key", "next-validator.pem");
  SetTomlString(home3, "tls_key", "next-tls.pem");
  std::string toml = ReadFileOrThrow(home3 + "/node.toml");
  toml.erase(toml.find("\n[keys]\n"));
  REQUIRE(WriteFileAtomic(home3 + "/node.toml", toml + "\n", 0644).ok());
  n3.Kill9();
  n3.Start();
  Progress(t0, "node3 restarted on its new keys");
  Ack after_restart = IssueAndRequireAck(net, t.ledger, 1, "mca");
  signers = CertificateSigners(net.node(2).url(), after_restart.height);
  CHECK(std::find(signers.begin(), signers.end(), new_fp) != signers.end());

  // node0 comes back and catches up: one chain, nothing acknowledged lost.
  net.node(0).Start();
  IssueAndRequireAck(net, t.ledger, 1, "samr");
  const uint64_t top = net.MaxHeight({1, 2, 3});
  REQUIRE(net.WaitHeight({0, 1, 2, 3}, top, milliseconds(60'000)));
  CHECK(CheckSameChain(net, {0, 1, 2, 3}) >= top);
  for (size_t i = 0; i < 4; ++i) t.ledger.CheckAllPresent(net, i);
  Progress(t0, "done");
}

}  // namespace govledger::itest

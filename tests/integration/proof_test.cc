// Proof bundles end to end on the four-validator network (issue 5): `govledger proof export`
// from one node, `govledger verify FILE --bundle B --trust GENESIS` offline for every verdict,
// a bundle with one changed byte, and the online refresh (--node) that turns an old VALID bundle
// into REVOKED after a revocation while proving the old log is a prefix of the new one.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/network_harness.h"
#include "util/time.h"

namespace govledger::itest {
namespace {

constexpr int64_t kDayMs = 86'400'000;

struct ProofNet {
  ProofNet() { net.StartAllAndWaitReady(); }
  TempDir tmp{"govledger-proof"};
  Network net{tmp};
  AckLedger ledger;

  std::string Genesis() const { return net.Home(0) + "/genesis.json"; }
  std::string Key(const std::string& dept) const { return net.KeysDir() + "/" + dept + ".pem"; }

  // Issues `spec` with document `doc` (written to tmp/<name>) through node `via`.
  std::string Issue(IssueSpec spec, const std::string& name, size_t via = 0) {
    const std::string text = "document " + name + " " + RandomSerial();
    spec.document = Bytes(text.begin(), text.end());
    WriteFileOrThrow(tmp.Sub(name), text);
    const uint64_t h = net.Height(via);
    auto built = net.factory().Issue(spec, h + 1000);
    std::string why;
    auto ack = SubmitAndWait(net, via, built, &why);
    INFO(why);
    REQUIRE(ack.has_value());
    ledger.Add(*ack);
    return built.material_id;
  }

  Json Cli(size_t via, const std::vector<std::string>& args, int expect_exit = 0) {
    CliResult r = net.node(via).Cli(args);
    INFO("govledger " << args.front() << ": " << r.Describe());
    REQUIRE(r.exit_code == expect_exit);
    return r.json();
  }

  std::string Export(const std::string& id, size_t via) {
    const std::string path = tmp.Sub(id.substr(id.size() - 16) + ".govproof");
    Cli(via, {"proof", "export", "--id", id, "--out", path});
    return path;
  }

  // Offline verification (no --node: DevNode::Cli passes --node, so call RunCli directly).
  Json VerifyOffline(const std::string& file, const std::string& bundle, int expect_exit) {
    CliResult r = RunCli({"--json", "verify", file, "--bundle", bundle, "--trust", Genesis()},
                         CliOptions{tmp.path()});
    INFO("govledger verify --bundle: " << r.Describe());
    REQUIRE(r.exit_code == expect_exit);
    return r.json();
  }
};

std::string FailedStep(const Json& v) {
  for (const Json& c : v["checks"]) {
    if (!c["ok"].get<bool>()) return c["step"];
  }
  return "";
}

}  // namespace

TEST_CASE("offline bundles give each verdict and only VALID exits 0", "[network][proof]") {
  ProofNet p;
  const std::string valid = p.Issue(Local4Issue("samr"), "license.pdf", 0);
  const std::string revoked = p.Issue(Local4Issue("mca"), "marriage.pdf", 1);
  const std::string suspended = p.Issue(Local4Issue("water"), "water.pdf", 2);
  const std::string destroyed = p.Issue(Local4Issue("edu"), "enroll.pdf", 3);
  IssueSpec later = Local4Issue("samr");
  later.valid_from_ms = NowMs() + 10 * kDayMs;
  const std::string not_yet = p.Issue(later, "later.pdf", 0);
  IssueSpec brief = Local4Issue("edu");
  brief.valid_until_ms = NowMs() + 3'000;
  const std::string expiring = p.Issue(brief, "brief.pdf", 1);

  p.Cli(1, {"material", "revoke", "--key", p.Key("mca"), "--id", revoked, "--reason", "登记错误"});
  p.Cli(2, {"material", "suspend", "--key", p.Key("water"), "--id", suspended, "--reason", "核查"});
  // Destroying needs a material no longer in force: revoked first, then the tombstone.
  p.Cli(3, {"material", "revoke", "--key", p.Key("edu"), "--id", destroyed, "--reason", "退学"});
  p.Cli(3, {"material", "destroy", "--key", p.Key("edu"), "--id", destroyed, "--reason", "期满销毁"});

  // A bundle of the soon-expiring material made while it is still valid.
  const std::string brief_bundle = p.Export(expiring, 1);

  struct Case {
    std::string id, file, verdict;
    size_t via;
  };
  for (const Case& c : std::vector<Case>{{valid, "license.pdf", "VALID", 0},
                                         {revoked, "marriage.pdf", "REVOKED", 1},
                                         {suspended, "water.pdf", "SUSPENDED", 2},
                                         {destroyed, "enroll.pdf", "DESTROYED", 3},
                                         {not_yet, "later.pdf", "UNKNOWN", 0}}) {
    INFO("expecting " << c.verdict);
    const std::string bundle = p.Export(c.id, c.via);
    Json v = p.VerifyOffline(p.tmp.Sub(c.file), bundle, c.verdict == "VALID" ? 0 : 1);
    CHECK(v["verdict"] == c.verdict);
    // Every proof step holds; only the status (or validity window) says why it is not VALID.
    const std::string failed = FailedStep(v);
    if (c.verdict == "VALID") {
      CHECK(failed.empty());
    } else {
      CHECK((failed == "status" || failed == "validity"));
    }
  }

  // A changed document is TAMPERED.
  const std::string valid_bundle = p.Export(valid, 2);
  WriteFileOrThrow(p.tmp.Sub("forged.pdf"), ReadFileOrThrow(p.tmp.Sub("license.pdf")) + " ");
  Json forged = p.VerifyOffline(p.tmp.Sub("forged.pdf"), valid_bundle, 1);
  CHECK(forged["verdict"] == "TAMPERED");
  CHECK(FailedStep(forged) == "document");

  // One changed byte in the certificate: INVALID_PROOF, naming that step.
  std::string text = ReadFileOrThrow(valid_bundle);
  const size_t at = text.find("\"signature\": \"");
  REQUIRE(at != std::string::npos);
  char& digit = text[at + 40];  // inside r of the DER signature
  digit = digit == '0' ? '1' : '0';
  const std::string broken = p.tmp.Sub("broken.govproof");
  WriteFileOrThrow(broken, text);
  Json bad = p.VerifyOffline(p.tmp.Sub("license.pdf"), broken, 1);
  CHECK(bad["verdict"] == "INVALID_PROOF");
  CHECK(FailedStep(bad) == "certificate");

  // A bundle made before expiry says EXPIRED once the verifier's clock has passed valid_until.
  REQUIRE(WaitFor([&] { return NowMs() > brief.valid_until_ms + 500; }, milliseconds(10'000),
                  milliseconds(100)));
  Json late = p.VerifyOffline(p.tmp.Sub("brief.pdf"), brief_bundle, 1);
  CHECK(late["verdict"] == "EXPIRED");
}

TEST_CASE("a VALID bundle refreshed online after a revocation says REVOKED, consistently",
          "[network][proof]") {
  ProofNet p;
  const std::string id = p.Issue(Local4Issue("samr"), "license.pdf", 0);
  const std::string bundle = p.Export(id, 0);
  Json before = p.VerifyOffline(p.tmp.Sub("license.pdf"), bundle, 0);
  CHECK(before["verdict"] == "VALID");

  p.Cli(2, {"material", "revoke", "--key", p.Key("samr"), "--id", id, "--reason", "吊销"});
  p.Cli(2, {"material", "show", "--id", id});  // committed on node 2

  // Offline, the old bundle still proves VALID as of its height ...
  Json offline = p.VerifyOffline(p.tmp.Sub("license.pdf"), bundle, 0);
  CHECK(offline["verdict"] == "VALID");
  // ... online (another node), the status is refreshed and the logs are consistent.
  Json online = p.Cli(3, {"verify", p.tmp.Sub("license.pdf"), "--bundle", bundle, "--trust",
                          p.Genesis()},
                      1);
  CHECK(online["verdict"] == "REVOKED");
  CHECK(online["online"]["consistent"] == true);
  CHECK(online["height"].get<uint64_t>() > before["height"].get<uint64_t>());
}

}  // namespace govledger::itest

namespace govledger::itest {
namespace {

// A key pair made by `govledger keygen` (its private key file, and its public key beside it).
std::string Keygen(ProofNet& p, const std::string& name) {
  Json j = p.Cli(0, {"keygen", "--suite", "p256", "--out", p.tmp.Sub(name + ".pem")});
  WriteFileOrThrow(p.tmp.Sub(name + ".pub"), j["public_key_pem"].get<std::string>());
  return p.tmp.Sub(name);
}

Json VerifyContractOffline(ProofNet& p, const std::string& file, const std::string& bundle,
                           int expect_exit) {
  CliResult r = RunCli(
      {"--json", "contract", "verify", file, "--bundle", bundle, "--trust", p.Genesis()},
      CliOptions{p.tmp.path()});
  INFO("govledger contract verify --bundle: " << r.Describe());
  REQUIRE(r.exit_code == expect_exit);
  return r.json();
}

// Waits until node `to` has every block node `from` has committed (a command acknowledged by one
// node may not have reached another yet).
void Sync(ProofNet& p, size_t from, size_t to) {
  REQUIRE(p.net.WaitHeight({to}, p.net.Height(from), milliseconds(30'000)));
}

// The bundle's text with one hex digit flipped: the first one `skip` characters after `marker`.
std::string FlipAfter(std::string text, const std::string& marker, size_t skip) {
  const size_t at = text.find(marker);
  REQUIRE(at != std::string::npos);
  char& c = text[at + marker.size() + skip];
  c = c == '0' ? '1' : '0';
  return text;
}

}  // namespace

TEST_CASE("a contract signed by two parties is proven offline, and a changed file or bundle "
          "fails at the named step",
          "[network][proof][econtract]") {
  ProofNet p;
  const std::string landlord = Keygen(p, "landlord");
  const std::string tenant = Keygen(p, "tenant");
  const std::string lease = p.tmp.Sub("lease.pdf");
  WriteFileOrThrow(lease, "房屋租赁合同 " + RandomSerial());
  Json created = p.Cli(0, {"contract", "create", "--key", p.Key("samr"), "--file", lease,
                           "--party", landlord + ".pub", "--party", tenant + ".pub",
                           "--deadline", "+7d", "--title", "房屋租赁合同"});
  const std::string id = created["contract_id"];
  Sync(p, 0, 1);
  p.Cli(1, {"contract", "sign", "--key", landlord + ".pem", "--id", id, "--file", lease});
  Sync(p, 1, 2);
  p.Cli(2, {"contract", "sign", "--key", tenant + ".pem", "--id", id, "--file", lease});
  Sync(p, 2, 3);

  const std::string bundle = p.tmp.Sub("lease.govproof");
  Json exported = p.Cli(3, {"contract", "export", "--id", id, "--out", bundle});
  CHECK(exported["versions"].size() == 1);

  Json v = VerifyContractOffline(p, lease, bundle, 0);
  CHECK(v["verdict"] == "SIGNED");
  CHECK(v["contract_id"] == id);
  CHECK(FailedStep(v).empty());
  REQUIRE(v["signers"].size() == 2);
  for (const Json& s : v["signers"]) {
    CHECK(s["who"].get<std::string>().rfind("party ", 0) == 0);
  }

  // The file with one more byte is none of the versions.
  WriteFileOrThrow(p.tmp.Sub("lease-forged.pdf"), ReadFileOrThrow(lease) + " ");
  Json forged = VerifyContractOffline(p, p.tmp.Sub("lease-forged.pdf"), bundle, 1);
  CHECK(forged["verdict"] == "TAMPERED");
  CHECK(FailedStep(forged) == "document");

  // One changed digit in the certificate, or in a transaction's audit path.
  const std::string text = ReadFileOrThrow(bundle);
  const std::string bad_cert = p.tmp.Sub("bad-cert.govproof");
  WriteFileOrThrow(bad_cert, FlipAfter(text, "\"signature\": \"", 26));
  Json cert = VerifyContractOffline(p, lease, bad_cert, 1);
  CHECK(cert["verdict"] == "INVALID_PROOF");
  CHECK(FailedStep(cert) == "certificate");
  const std::string bad_path = p.tmp.Sub("bad-path.govproof");
  WriteFileOrThrow(bad_path, FlipAfter(text, "\"inclusion\": [\n    \"", 5));
  Json path = VerifyContractOffline(p, lease, bad_path, 1);
  CHECK(path["verdict"] == "INVALID_PROOF");
  CHECK(FailedStep(path) == "inclusion");
}

TEST_CASE("a department added by governance issues a material that verifies VALID offline",
          "[network][proof][governance]") {
  ProofNet p;
  const std::string health = Keygen(p, "health");
  p.Cli(0, {"governance", "propose", "--key", p.Key("samr"), "--reason", "卫健局加入区块链政务协同",
            "--add-department", "health", "--name", "区卫生健康局", "--code",
            "12440305MB2C16598X", "--roles", "provider,consumer", "--department-key",
            health + ".pub"});
  Sync(p, 0, 1);
  p.Cli(1, {"governance", "approve", "--key", p.Key("mca"), "--id", "P1"});
  Sync(p, 1, 2);
  p.Cli(2, {"governance", "approve", "--key", p.Key("water"), "--id", "P1"});
  Sync(p, 2, 0);
  Json p1 = p.Cli(0, {"governance", "list", "--id", "P1"});
  INFO(p1.dump());
  REQUIRE(p1["status"] == "ENACTED");
  WriteFileOrThrow(p.tmp.Sub("birthmed.json"),
                   R"({"code": "BIRTHMED", "name": "出生医学证明", "category": "certificate",
                       "issuers": ["health"], "required_fields": ["child_name"],
                       "use_purposes": []})");
  p.Cli(0, {"governance", "propose", "--key", p.Key("samr"), "--reason", "新增出生医学证明",
            "--material-type", p.tmp.Sub("birthmed.json")});
  Sync(p, 0, 1);
  p.Cli(1, {"governance", "approve", "--key", p.Key("mca"), "--id", "P2"});
  Sync(p, 1, 2);
  p.Cli(2, {"governance", "approve", "--key", p.Key("water"), "--id", "P2"});
  // Five departments now: four approvals (2/3, rounded up).
  Sync(p, 2, 3);
  p.Cli(3, {"governance", "approve", "--key", p.Key("edu"), "--id", "P2"});
  Json p2 = p.Cli(3, {"governance", "list", "--id", "P2"});
  INFO(p2.dump());
  REQUIRE(p2["status"] == "ENACTED");

  const std::string birth = p.tmp.Sub("birth.pdf");
  WriteFileOrThrow(birth, "出生医学证明 " + RandomSerial());
  Json issued = p.Cli(3, {"material", "issue", "--key", health + ".pem", "--type", "BIRTHMED",
                          "--holder", "110101202601010012", "--file", birth, "--field",
                          "child_name=张小明", "--receipt", p.tmp.Sub("birth.receipt.json")});
  const std::string id = issued["material_id"];
  Sync(p, 3, 1);
  const std::string bundle = p.Export(id, 1);
  Json v = p.VerifyOffline(birth, bundle, 0);
  CHECK(v["verdict"] == "VALID");
  CHECK(FailedStep(v).empty());
  for (const Json& c : v["checks"]) {
    if (c["step"] == "issuer") {
      CHECK(c["detail"].get<std::string>().find("added by governance") != std::string::npos);
    }
  }

  // trace proves the history complete against the trusted genesis.
  Sync(p, 3, 2);
  Json trace = p.Cli(2, {"trace", "--id", id, "--trust", p.Genesis()});
  CHECK(trace["proof"]["verified"] == true);

  // An edited registry entry in the bundle: INVALID_PROOF, the issuer step not proven.
  std::string text = ReadFileOrThrow(bundle);
  const std::string edited = p.tmp.Sub("edited-registry.govproof");
  WriteFileOrThrow(edited, FlipAfter(text, "\"proposal_count\": ", 0));
  Json bad = p.VerifyOffline(birth, edited, 1);
  CHECK(bad["verdict"] == "INVALID_PROOF");
  CHECK(FailedStep(bad) == "registry");

  // The department revokes its material with its own key; a fresh bundle proves REVOKED.
  p.Cli(3, {"material", "revoke", "--key", health + ".pem", "--id", id, "--reason", "登记错误"});
  Json revoked = p.VerifyOffline(birth, p.Export(id, 3), 1);
  CHECK(revoked["verdict"] == "REVOKED");
  CHECK(FailedStep(revoked) == "status");
}

}  // namespace govledger::itest

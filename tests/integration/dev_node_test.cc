// Integration tests against a real one-validator dev chain: `govledger-node --dev` processes on
// loopback, driven through the real `govledger` CLI and, for malformed input, raw HTTP.
// Each TEST_CASE starts its own node in its own temporary home on an OS-chosen port, so the cases
// are independent and may run in parallel. Nothing here sleeps for a fixed time: every wait polls
// with a bounded deadline.
#include <leveldb/db.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sign.h"
#include "ledger/codec.h"
#include "ledger/store.h"
#include "node/http_client.h"
#include "tests/integration/harness.h"
#include "tests/prom_text_check.h"
#include "util/bytes.h"

namespace govledger::itest {
namespace {

constexpr char kHolderId[] = "440305202401010012";  // a citizen ID number (made up)

// A dev chain in its own temporary directory, started. `block_interval_ms` > 0 writes a copy of
// the dev network with that heartbeat interval and creates the chain from it.
struct DevChain {
  explicit DevChain(int64_t block_interval_ms = 0)
      : node(tmp.Sub("node"), Options(block_interval_ms)) {
    node.Start();
  }

  DevNodeOptions Options(int64_t block_interval_ms) {
    DevNodeOptions o;
    if (block_interval_ms > 0) {
      o.network_toml = tmp.Sub("network.toml");
      WriteDevNetworkToml(o.network_toml, block_interval_ms);
    }
    return o;
  }

  TempDir tmp;  // declared first: destroyed after the node is gone
  DevNode node;
};

// A stand-in for a PDF: unique content so that its digest matches no other test's document.
std::string WriteDocument(const TempDir& tmp, const std::string& name) {
  std::string path = tmp.Sub(name);
  WriteFileOrThrow(path, "%PDF-1.7\n% govledger integration test: " + name + "\n" +
                             HexEncode(RandomBytes(32)) + "\n%%EOF\n");
  return path;
}

// A copy of `path` with one byte changed.
std::string WriteTamperedCopy(const std::string& path, const std::string& copy_path) {
  std::string bytes = ReadFileOrThrow(path);
  REQUIRE(bytes.size() > 20);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  WriteFileOrThrow(copy_path, bytes);
  return copy_path;
}

struct Issued {
  std::string material_id;
  std::string tx_hash;
  uint64_t height = 0;
};

std::vector<std::string> BirthCertificateArgs(const DevNode& node, const std::string& file) {
  return {"material", "issue",
          "--key",    node.KeyPath("health"),
          "--type",   "BIRTHMED",
          "--holder", kHolderId,
          "--file",   file,
          "--field",  "child_name=李小明",
          "--field",  "birth_date=2024-01-01",
          "--field",  "birth_place=南山区人民医院",
          "--field",  "mother_name=王芳"};
}

// A business license from market regulation (a type that must expire).
std::vector<std::string> BusinessLicenseArgs(const DevNode& node, const std::string& file,
                                             const std::string& valid_until) {
  return {"material",      "issue",
          "--key",         node.KeyPath("samr"),
          "--type",        "BIZLIC",
          "--holder",      "91440300MA5FXXXX1X",
          "--file",        file,
          "--field",       "entity_name=深圳市南山区示例科技有限公司",
          "--field",       "legal_representative=张伟",
          "--field",       "business_scope=软件开发",
          "--field",       "address=深圳市南山区科技园",
          "--valid-until", valid_until};
}

Issued IssueViaCli(const DevNode& node, const std::vector<std::string>& args) {
  CliResult r = node.Cli(args);
  INFO("govledger material issue: " << r.Describe());
  REQUIRE(r.exit_code == 0);
  Json j = r.json();
  REQUIRE(j.contains("material_id"));
  REQUIRE(j.contains("tx_hash"));
  REQUIRE(j.contains("height"));
  return Issued{j["material_id"].get<std::string>(), j["tx_hash"].get<std::string>(),
                j["height"].get<uint64_t>()};
}

Issued IssueBirthCertificate(const DevNode& node, const std::string& file,
                             const std::vector<std::string>& extra = {}) {
  auto args = BirthCertificateArgs(node, file);
  args.insert(args.end(), extra.begin(), extra.end());
  return IssueViaCli(node, args);
}

// `govledger verify FILE --json`: the verdict, with the exit code checked against it (0 exactly
// when VALID).
std::string Verdict(const DevNode& node, const std::string& file) {
  CliResult r = node.Cli({"verify", file});
  INFO("govledger verify: " << r.Describe());
  Json j = r.json();
  REQUIRE(j.contains("verdict"));
  std::string verdict = j["verdict"].get<std::string>();
  CHECK(r.exit_code == (verdict == "VALID" ? 0 : 1));
  return verdict;
}

// The error code of a CLI rejection: {"error":{"code",...}} on stdout or, failing that, stderr.
std::string CliErrorCode(const CliResult& r) {
  for (const std::string* stream : {&r.out, &r.err}) {
    Json j = Json::parse(*stream, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object() &&
        j["error"].contains("code") && j["error"]["code"].is_string()) {
      return j["error"]["code"].get<std::string>();
    }
  }
  return "";
}

std::string ErrorCode(const HttpReply& r) {
  Json j = r.json();
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string()) {
    return j["error"]["code"].get<std::string>();
  }
  return "";
}

uint64_t LogSize(const DevNode& node) { return Status(node.url())["log_size"].get<uint64_t>(); }

// A replay window for crafted transactions: well inside max_tx_validity_heights.
uint64_t ValidUntilHeight(const DevNode& node) {
  return Status(node.url())["height"].get<uint64_t>() + 1000;
}

HttpReply SubmitAndWait(const DevNode& node, const Bytes& raw_tx) {
  return Post(node.url(), "/v1/tx?wait=1", TxRequestBody(raw_tx));
}

// The submission left no trace: no tx added to the log, none waiting in the mempool, and (when
// given) no such material.
void RequireNothingStored(const DevNode& node, uint64_t log_size_before,
                          const std::string& material_id = "") {
  Json status = Status(node.url());
  CHECK(status["log_size"].get<uint64_t>() == log_size_before);
  CHECK(status["mempool_txs"].get<uint64_t>() == 0);
  if (!material_id.empty()) {
    HttpReply m = Get(node.url(), "/v1/material/" + material_id);
    INFO("GET /v1/material/" << material_id << ": " << m.body);
    CHECK(m.status == 404);
  }
}

// The CLI's trace events, with kinds and heights.
Json TraceEvents(const DevNode& node, const std::string& material_id) {
  CliResult r = node.Cli({"trace", "--id", material_id});
  INFO("govledger trace: " << r.Describe());
  REQUIRE(r.exit_code == 0);
  Json j = r.json();
  REQUIRE(j.contains("events"));
  REQUIRE(j["events"].is_array());
  return j["events"];
}

Json MaterialView(const DevNode& node, const std::string& id) {
  HttpReply r = Get(node.url(), "/v1/material/" + id);
  INFO("GET /v1/material/" << id << ": " << r.body);
  REQUIRE(r.status == 200);
  Json j = r.json();
  // Views of the same state at different tips differ only in these.
  j.erase("as_of_height");
  j.erase("as_of_time");
  return j;
}

Json HistoryEvents(const DevNode& node, const std::string& id) {
  HttpReply r = Get(node.url(), "/v1/material/" + id + "/history");
  INFO("GET /v1/material/" << id << "/history: " << r.body);
  REQUIRE(r.status == 200);
  return r.json()["events"];
}

}  // namespace

// ================================================================== verification via the CLI

TEST_CASE("an issued document verifies as VALID and verify exits 0", "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  std::string receipt = chain.tmp.Sub("birth.receipt.json");
  Issued issued = IssueBirthCertificate(chain.node, doc, {"--receipt", receipt});
  CHECK(issued.height >= 1);
  CHECK(ReadFileOrThrow(receipt).find(issued.material_id) != std::string::npos);

  CHECK(Verdict(chain.node, doc) == "VALID");

  // The human form says so too, with the same exit status.
  CliResult text = chain.node.Cli({"verify", doc}, /*json=*/false);
  INFO(text.Describe());
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("VALID") != std::string::npos);
}

TEST_CASE("a copy of an issued document with one byte changed verifies as UNKNOWN and exits 1",
          "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  IssueBirthCertificate(chain.node, doc);
  std::string tampered = WriteTamperedCopy(doc, chain.tmp.Sub("birth-tampered.pdf"));

  CHECK(Verdict(chain.node, tampered) == "UNKNOWN");
  CHECK(Verdict(chain.node, doc) == "VALID");  // the original is unaffected
}

TEST_CASE("the document of a revoked material verifies as REVOKED and exits 1", "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  Issued issued = IssueBirthCertificate(chain.node, doc);

  CliResult revoke = chain.node.Cli({"material", "revoke", "--key", chain.node.KeyPath("health"),
                                     "--id", issued.material_id, "--reason", "issued in error"});
  INFO("govledger material revoke: " << revoke.Describe());
  REQUIRE(revoke.exit_code == 0);

  CHECK(Verdict(chain.node, doc) == "REVOKED");
  CHECK(MaterialView(chain.node, issued.material_id)["status"] == "REVOKED");
}

TEST_CASE("a material whose valid_from is in the future verifies as NOT_YET_VALID",
          "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  IssueBirthCertificate(chain.node, doc, {"--valid-from", "+30d"});

  CHECK(Verdict(chain.node, doc) == "NOT_YET_VALID");
}

TEST_CASE("material show and list find an issued material by id, issuer, type, digest and expiry",
          "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  Issued issued = IssueBirthCertificate(chain.node, doc);
  std::string digest = MaterialView(chain.node, issued.material_id)["doc_digest"];

  CliResult show = chain.node.Cli({"material", "show", "--id", issued.material_id});
  INFO("govledger material show: " << show.Describe());
  CHECK(show.exit_code == 0);
  CHECK(show.out.find(issued.material_id) != std::string::npos);
  CHECK(show.out.find("ACTIVE") != std::string::npos);

  for (std::vector<std::string> filter : {std::vector<std::string>{"--issuer", "health"},
                                          {"--type", "BIRTHMED"},
                                          {"--digest", digest}}) {
    std::vector<std::string> args{"material", "list", "--key", chain.node.KeyPath("health")};
    args.insert(args.end(), filter.begin(), filter.end());
    CliResult list = chain.node.Cli(args);
    INFO("govledger material list " << filter[0] << ": " << list.Describe());
    CHECK(list.exit_code == 0);
    CHECK(list.out.find(issued.material_id) != std::string::npos);
  }

  // A business license valid for 10 days is expiring within 30; the birth certificate (no expiry)
  // is not.
  Issued license = IssueViaCli(
      chain.node, BusinessLicenseArgs(chain.node, WriteDocument(chain.tmp, "license.pdf"), "+10d"));
  CliResult expiring = chain.node.Cli(
      {"material", "list", "--key", chain.node.KeyPath("samr"), "--expiring-within", "30d"});
  INFO("govledger material list --expiring-within 30d: " << expiring.Describe());
  CHECK(expiring.exit_code == 0);
  CHECK(expiring.out.find(license.material_id) != std::string::npos);
  CHECK(expiring.out.find(issued.material_id) == std::string::npos);
}

// ================================================================== lifecycle and trace

TEST_CASE("an expired material verifies as EXPIRED and its trace lists ISSUE then EXPIRE",
          "[integration]") {
  DevChain chain(/*block_interval_ms=*/200);
  std::string doc = WriteDocument(chain.tmp, "license.pdf");
  Issued issued = IssueViaCli(chain.node, BusinessLicenseArgs(chain.node, doc, "+2s"));

  // Expiry is decided by block time; heartbeat blocks every 200 ms carry it past valid_until.
  std::string verdict;
  bool expired = WaitFor(
      [&] {
        verdict = Verdict(chain.node, doc);
        return verdict == "EXPIRED";
      },
      milliseconds(20'000), milliseconds(200));
  INFO("last verdict: " << verdict);
  REQUIRE(expired);

  Json events = TraceEvents(chain.node, issued.material_id);
  INFO("trace: " << events.dump());
  REQUIRE(events.size() == 2);
  CHECK(events[0]["kind"] == "ISSUE");
  CHECK(events[1]["kind"] == "EXPIRE");
  CHECK(events[0]["seq"] == 0);
  CHECK(events[1]["seq"] == 1);
  CHECK(events[0]["height"].get<uint64_t>() == issued.height);
  CHECK(events[1]["height"].get<uint64_t>() > events[0]["height"].get<uint64_t>());

  Json material = MaterialView(chain.node, issued.material_id);
  CHECK(material["status"] == "EXPIRED");
}

TEST_CASE("a revoked material's trace lists ISSUE then REVOKE with increasing heights",
          "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  Issued issued = IssueBirthCertificate(chain.node, doc);
  CliResult revoke = chain.node.Cli({"material", "revoke", "--key", chain.node.KeyPath("health"),
                                     "--id", issued.material_id, "--reason", "duplicate record"});
  INFO("govledger material revoke: " << revoke.Describe());
  REQUIRE(revoke.exit_code == 0);

  Json events = TraceEvents(chain.node, issued.material_id);
  INFO("trace: " << events.dump());
  REQUIRE(events.size() == 2);
  CHECK(events[0]["kind"] == "ISSUE");
  CHECK(events[1]["kind"] == "REVOKE");
  CHECK(events[0]["seq"] == 0);
  CHECK(events[1]["seq"] == 1);
  CHECK(events[0]["height"].get<uint64_t>() == issued.height);
  CHECK(events[1]["height"].get<uint64_t>() > events[0]["height"].get<uint64_t>());

  // The node's own history agrees, reason included.
  Json history = HistoryEvents(chain.node, issued.material_id);
  REQUIRE(history.size() == 2);
  CHECK(history[1]["kind"] == "REVOKE");
  CHECK(history[1]["reason"] == "duplicate record");
  CHECK(history[1]["actor"] == "health");
  CHECK(history[1]["height"] == events[1]["height"]);
}

// ================================================================== durability

TEST_CASE(
    "a node restarted after SIGTERM keeps its materials, their history, its status and "
    "height",
    "[integration]") {
  DevChain chain;
  DevNode& node = chain.node;
  std::string doc_a = WriteDocument(chain.tmp, "a.pdf");
  std::string doc_b = WriteDocument(chain.tmp, "b.pdf");
  Issued a = IssueBirthCertificate(node, doc_a);
  Issued b = IssueBirthCertificate(node, doc_b);
  CliResult revoke = node.Cli({"material", "revoke", "--key", node.KeyPath("health"), "--id",
                               b.material_id, "--reason", "superseded"});
  INFO(revoke.Describe());
  REQUIRE(revoke.exit_code == 0);

  Json before = Status(node.url());
  Json material_a = MaterialView(node, a.material_id);
  Json material_b = MaterialView(node, b.material_id);
  Json history_a = HistoryEvents(node, a.material_id);
  Json history_b = HistoryEvents(node, b.material_id);
  REQUIRE(history_b.size() == 2);

  node.Restart();  // SIGTERM, exit 0, start again on the same home

  Json after = Status(node.url());
  INFO("before: " << before.dump() << "\nafter: " << after.dump());
  CHECK(after["chain_id"] == before["chain_id"]);
  CHECK(after["genesis_hash"] == before["genesis_hash"]);
  CHECK(after["log_size"] == before["log_size"]);
  // Heartbeat blocks may have been added in between; the old tip is still where it was.
  uint64_t old_height = before["height"].get<uint64_t>();
  CHECK(after["height"].get<uint64_t>() >= old_height);
  HttpReply block = Get(node.url(), "/v1/block/" + std::to_string(old_height));
  REQUIRE(block.status == 200);
  CHECK(block.json()["hash"] == before["tip_hash"]);

  CHECK(MaterialView(node, a.material_id) == material_a);
  CHECK(MaterialView(node, b.material_id) == material_b);
  CHECK(HistoryEvents(node, a.material_id) == history_a);
  CHECK(HistoryEvents(node, b.material_id) == history_b);
  CHECK(Verdict(node, doc_a) == "VALID");
  CHECK(Verdict(node, doc_b) == "REVOKED");

  CliResult status = node.Cli({"status"});
  INFO("govledger status: " << status.Describe());
  CHECK(status.exit_code == 0);
  Json cli_status = status.json();
  CHECK(cli_status["chain_id"] == before["chain_id"]);
  CHECK(cli_status["height"].get<uint64_t>() >= old_height);

  // The chain goes on from where it was.
  Issued c = IssueBirthCertificate(node, WriteDocument(chain.tmp, "c.pdf"));
  CHECK(c.height > old_height);
}

namespace {

// Department systems submitting issues as fast as they can through the HTTP API, each waiting
// for the commit acknowledgement before its next submission, until the node stops answering.
// Records every acknowledgement (committed, with height and index).
class SubmissionStream {
 public:
  struct Ack {
    std::string material_id;
    std::string tx_hash;
    uint64_t height = 0;
    uint64_t index = 0;
  };

  SubmissionStream(const DevNode& node, int submitters)
      : url_(node.url()),
        factory_(node.home()),
        valid_until_height_(ValidUntilHeight(node)),
        ended_by_(static_cast<size_t>(submitters)) {
    for (size_t i = 0; i < ended_by_.size(); ++i) threads_.emplace_back([this, i] { Submit(i); });
  }
  // On an early exit (a failed check) the node may still be up: the flag stops the submitters.
  ~SubmissionStream() {
    abandon_ = true;
    Join();
  }

  size_t ack_count() const { return ack_count_; }
  // Waits for every submitter to end (they end when the node stops answering).
  void Join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  // After Join():
  const std::vector<Ack>& acks() const { return acks_; }
  // Answers other than a commit acknowledgement, as "STATUS BODY".
  const std::vector<std::string>& other_answers() const { return other_answers_; }
  // Why each submitter stopped: "unreachable" (no answer), "answered" or "abandoned".
  const std::vector<std::string>& ended_by() const { return ended_by_; }

 private:
  void Submit(size_t i) {
    while (!abandon_) {
      TxFactory::Built built = factory_.Issue(IssueSpec{}, valid_until_height_);
      auto r = node::HttpPost(url_, "/v1/tx?wait=1", TxRequestBody(built.tx.raw), 30'000);
      if (!r.ok()) {
        ended_by_[i] = r.status().code();
        return;
      }
      Json j = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      std::lock_guard<std::mutex> lock(mu_);
      if (r->status == 200 && j.is_object() && j.value("status", "") == "committed") {
        acks_.push_back(Ack{built.material_id, crypto::DigestHex(built.tx.hash),
                            j.value("height", uint64_t{0}), j.value("index", uint64_t{0})});
        ++ack_count_;
        continue;
      }
      other_answers_.push_back(std::to_string(r->status) + " " + r->body);
      ended_by_[i] = "answered";
      return;
    }
    ended_by_[i] = "abandoned";
  }

  const std::string url_;
  const TxFactory factory_;
  const uint64_t valid_until_height_;
  std::atomic<bool> abandon_{false};
  std::atomic<size_t> ack_count_{0};
  std::mutex mu_;
  std::vector<Ack> acks_;                   // guarded by mu_
  std::vector<std::string> other_answers_;  // guarded by mu_
  std::vector<std::string> ended_by_;       // element i written by submitter i only
  std::vector<std::thread> threads_;        // last: started once everything above exists
};

uint64_t MaxHeight(const std::vector<SubmissionStream::Ack>& acks) {
  uint64_t h = 0;
  for (const auto& a : acks) h = std::max(h, a.height);
  return h;
}

// Every acknowledged issue is in the node's ledger: its tx at the acknowledged height and index,
// in that block, and the material ACTIVE with that issue tx.
void RequireAcknowledgedPresent(const DevNode& node,
                                const std::vector<SubmissionStream::Ack>& acks) {
  Json status = Status(node.url());
  CHECK(status["height"].get<uint64_t>() >= MaxHeight(acks));
  CHECK(status["log_size"].get<uint64_t>() >= acks.size());

  std::vector<std::string> lost;
  for (const auto& a : acks) {
    std::string at = " (acknowledged at height " + std::to_string(a.height) + " index " +
                     std::to_string(a.index) + "): ";
    HttpReply tx = Get(node.url(), "/v1/tx/" + a.tx_hash);
    Json t = tx.json();
    if (tx.status != 200 || t.value("status", "") != "committed" ||
        t.value("height", uint64_t{0}) != a.height || t.value("index", uint64_t{0}) != a.index) {
      lost.push_back("tx " + a.tx_hash + at + tx.body);
      continue;
    }
    HttpReply block =
        SignedGet(node.url(), "/v1/block/" + std::to_string(a.height), node.KeyPath("health"));
    Json b = block.json();
    if (block.status != 200 || !b.contains("txs") || b["txs"].size() <= a.index ||
        !b["txs"][a.index].is_object() || b["txs"][a.index].value("tx_hash", "") != a.tx_hash) {
      lost.push_back("block " + std::to_string(a.height) + " lacks tx " + a.tx_hash + at);
      continue;
    }
    HttpReply m = Get(node.url(), "/v1/material/" + a.material_id);
    Json mj = m.json();
    if (m.status != 200 || mj.value("issue_tx", "") != a.tx_hash ||
        mj.value("issued_height", uint64_t{0}) != a.height || mj.value("status", "") != "ACTIVE") {
      lost.push_back("material " + a.material_id + at + m.body);
    }
  }
  INFO(lost.size() << " of " << acks.size() << " acknowledged issues lost or changed");
  for (const auto& l : lost) UNSCOPED_INFO(l);
  CHECK(lost.empty());
}

// After a restart the chain keeps growing above `height`.
void RequireChainGrowsAbove(const DevNode& node, uint64_t height) {
  TxFactory factory(node.home());
  TxFactory::Built next = factory.Issue(IssueSpec{}, ValidUntilHeight(node));
  HttpReply r = SubmitAndWait(node, next.tx.raw);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.json().value("height", uint64_t{0}) > height);
}

void RequireAuditOk(const DevChain& chain) {
  CliResult audit =
      RunCli({"audit", "chain", "--home", chain.node.home()}, CliOptions{chain.tmp.path()});
  INFO("govledger audit chain: " << audit.Describe());
  CHECK(audit.exit_code == 0);
  CHECK(audit.out.rfind("OK", 0) == 0);  // "OK: N blocks ..."
}

}  // namespace

TEST_CASE(
    "every acknowledged issue survives a SIGKILL of the node mid-stream and the chain "
    "audits OK",
    "[integration]") {
  DevChain chain;
  DevNode& node = chain.node;
  constexpr int kSubmitters = 4;
  constexpr size_t kKillAfterAcks = 60;
  SubmissionStream stream(node, kSubmitters);

  bool enough = WaitFor([&] { return stream.ack_count() >= kKillAfterAcks; }, milliseconds(60'000));
  node.Kill9();
  stream.Join();

  INFO("acknowledged before the kill: " << stream.acks().size());
  INFO("other answers: " << Json(stream.other_answers()).dump());
  REQUIRE(stream.other_answers().empty());
  REQUIRE(enough);
  // The kill landed while every submitter was still going: each one's last request went
  // unanswered (cut off, or refused by the dead node).
  for (const std::string& why : stream.ended_by()) CHECK(why == "unreachable");

  node.Start();  // same home, after the crash
  RequireAcknowledgedPresent(node, stream.acks());
  RequireChainGrowsAbove(node, MaxHeight(stream.acks()));
  node.Stop();
  RequireAuditOk(chain);
}

TEST_CASE(
    "SIGTERM under a stream of submissions stops the node cleanly and keeps every "
    "acknowledged issue",
    "[integration]") {
  DevChain chain;
  DevNode& node = chain.node;
  constexpr int kSubmitters = 4;
  constexpr size_t kStopAfterAcks = 40;
  SubmissionStream stream(node, kSubmitters);

  bool enough = WaitFor([&] { return stream.ack_count() >= kStopAfterAcks; }, milliseconds(60'000));
  node.Stop();  // SIGTERM; requires exit status 0
  stream.Join();

  INFO("acknowledged before the stop: " << stream.acks().size());
  REQUIRE(enough);
  // A client still waiting when the node shuts down is told so (503 shutting_down: its tx may or
  // may not have been committed); any other answer is a bug.
  for (const std::string& answer : stream.other_answers()) {
    INFO(answer);
    CHECK(answer.rfind("503 ", 0) == 0);
    CHECK(answer.find("shutting_down") != std::string::npos);
  }
  for (const std::string& why : stream.ended_by()) CHECK(why != "abandoned");

  node.Start();
  RequireAcknowledgedPresent(node, stream.acks());
  RequireChainGrowsAbove(node, MaxHeight(stream.acks()));
  node.Stop();
  RequireAuditOk(chain);
}

TEST_CASE("a block altered on disk: audit chain reports TAMPERED at its height, the node "
          "refuses to start on it",
          "[integration]") {
  DevChain chain;
  DevNode& node = chain.node;
  Issued issued = IssueBirthCertificate(node, WriteDocument(chain.tmp, "birth.pdf"));
  node.Stop();
  RequireAuditOk(chain);  // clean before the tampering

  {
    // The store's block record, in its block store: key big-endian height + 'B', value a
    // pb::Block whose header is kept as its exact bytes. Flip a byte near the end of the header
    // (inside a hash), which keeps the block decodable but changes its hash.
    leveldb::DB* raw_db = nullptr;
    leveldb::Status st = leveldb::DB::Open(leveldb::Options(),
                                           ledger::BlockStoreDir(node.home() + "/data"), &raw_db);
    REQUIRE(st.ok());
    std::unique_ptr<leveldb::DB> db(raw_db);
    const std::string key = ledger::BlockRowKey('B', issued.height);
    std::string value;
    REQUIRE(db->Get(leveldb::ReadOptions(), key, &value).ok());
    Bytes stored(value.begin(), value.end());
    auto block = ledger::DecodeBlock(stored);
    REQUIRE(block.ok());
    const Bytes& header = block->header_bytes;
    auto at = std::search(stored.begin(), stored.end(), header.begin(), header.end());
    REQUIRE(at != stored.end());
    size_t offset = static_cast<size_t>(at - stored.begin()) + header.size() - 3;
    value[offset] = static_cast<char>(value[offset] ^ 0x01);
    REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
  }

  CliResult audit = RunCli({"audit", "chain", "--home", node.home()}, CliOptions{chain.tmp.path()});
  INFO("govledger audit chain: " << audit.Describe());
  CHECK(audit.exit_code == 1);
  CHECK(audit.out.find("TAMPERED at height " + std::to_string(issued.height)) != std::string::npos);

  // The node refuses to start on it: its startup check verifies the newest blocks' links.
  try {
    node.Start();
    FAIL("govledger-node started on a store whose tip block was altered");
  } catch (const HarnessError& e) {
    CHECK_THAT(e.what(), Catch::Contains("corrupt_store") &&
                             Catch::Contains("block " + std::to_string(issued.height) + ": "));
  }
  // With the tip check switched off ([storage] startup_tip_blocks = 0) it serves the altered
  // block: a remote audit replaying it stops at that height.
  {
    const std::string toml_path = node.home() + "/node.toml";
    std::string toml = ReadFileOrThrow(toml_path);
    const size_t at = toml.find("startup_tip_blocks = 16");
    REQUIRE(at != std::string::npos);
    toml.replace(at, std::string("startup_tip_blocks = 16").size(), "startup_tip_blocks = 0");
    WriteFileOrThrow(toml_path, toml);
  }
  node.Start();
  CliResult remote = node.Cli({"audit", "chain", "--key", node.KeyPath("dsj")});
  INFO("govledger audit chain --node: " << remote.Describe());
  CHECK(remote.exit_code == 1);
  CHECK(remote.json()["ok"] == false);
  CHECK(remote.json()["bad_height"].get<uint64_t>() == issued.height);
}

// ================================================================== bad input

TEST_CASE("a tx of garbage bytes is rejected with 400 malformed_tx and nothing is stored",
          "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);
  // 0x0f: field 1 with wire type 7, which protobuf does not have; the rest is noise.
  Bytes garbage{0x0f};
  Bytes noise = RandomBytes(200);
  garbage.insert(garbage.end(), noise.begin(), noise.end());

  HttpReply r = SubmitAndWait(chain.node, garbage);
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "malformed_tx");
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE(
    "GET /metrics after a commit and a rejection is well-formed Prometheus text, every family "
    "with its HELP and TYPE",
    "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  IssueBirthCertificate(chain.node, doc, {});
  CHECK(SubmitAndWait(chain.node, Bytes{0x0f, 0x01}).status == 400);
  HttpReply r = Get(chain.node.url(), "/metrics");
  REQUIRE(r.status == 200);
  INFO(r.body);
  CHECK(testing::PromTextProblem(r.body) == "");
  // The node's, the API limits', the store's and the consensus driver's families are all there.
  for (const char* family :
       {"govledger_txs_committed_total", "govledger_txs_rejected_total{reason=\"malformed_tx\"} 1",
        "govledger_api_rate_limited_total{kind=\"read\"}", "govledger_store_point_reads_total",
        "govledger_consensus_height"}) {
    CHECK(r.body.find(family) != std::string::npos);
  }
}

TEST_CASE("a truncated signed tx is rejected with 400 malformed_tx and nothing is stored",
          "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  uint64_t log_size = LogSize(chain.node);
  TxFactory::Built built = factory.Issue(IssueSpec{}, ValidUntilHeight(chain.node));
  Bytes truncated(built.tx.raw.begin(), built.tx.raw.begin() + built.tx.raw.size() / 2);

  HttpReply r = SubmitAndWait(chain.node, truncated);
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "malformed_tx");
  RequireNothingStored(chain.node, log_size, built.material_id);
}

TEST_CASE("a tx submission whose body is not JSON is rejected with 400 bad_request",
          "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);

  HttpReply r = Post(chain.node.url(), "/v1/tx?wait=1", "tx=this is not json {");
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "bad_request");
  RequireNothingStored(chain.node, log_size);
}

// The node reads {"tx":"<base64>"} without a JSON parser (node/api.cc CompactTxField); every
// other spelling of the same object must mean the same, and a near miss must not slip through.
TEST_CASE(
    "a tx submission is read alike in compact, spaced and escaped JSON, and bad text is "
    "refused with 400 bad_request",
    "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  auto committed = [&](const std::string& body) {
    HttpReply r = Post(chain.node.url(), "/v1/tx?wait=1", body);
    INFO(body.substr(0, 40) << " -> " << r.body);
    REQUIRE(r.status == 200);
    CHECK(Json::parse(r.body).value("status", "") == "committed");
  };
  auto b64 = [&] {
    return Base64Encode(factory.Issue(IssueSpec{}, ValidUntilHeight(chain.node)).tx.raw);
  };
  committed("{\"tx\":\"" + b64() + "\"}");
  committed("{ \"tx\" : \"" + b64() + "\" }\n");
  // The first character written as a \u escape: the same string to a JSON reader.
  std::string text = b64();
  char escaped[8];
  std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(text[0]));
  committed("{\"tx\":\"" + std::string(escaped) + text.substr(1) + "\"}");

  const uint64_t log_size = LogSize(chain.node);
  for (const std::string& bad : {"{\"tx\":\"" + b64() + "!\"}", "{\"tx\":\"" + b64() + "\\n\"}",
                                 "{\"tx\":\"" + b64() + "\"", std::string("{\"tx\":12}")}) {
    HttpReply r = Post(chain.node.url(), "/v1/tx?wait=1", bad);
    INFO(bad.substr(0, 20) << "..." << bad.substr(bad.size() - 6) << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK(ErrorCode(r) == "bad_request");
  }
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE("a tx submission body over 1 MiB is rejected with 413 body_too_large", "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);
  std::string body = "{\"tx\":\"" + std::string((1u << 20) + 1024, 'A') + "\"}";
  std::string head =
      "POST /v1/tx?wait=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";

  std::string response = RawExchange(chain.node.url(), head, body);
  INFO(response.substr(0, 500));
  CHECK(RawStatus(response) == 413);
  CHECK(ErrorCode(HttpReply{413, RawBody(response)}) == "body_too_large");
  CHECK(Get(chain.node.url(), "/healthz").status == 200);
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE("a tx whose signature has one byte flipped is rejected with 400 bad_signature",
          "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  uint64_t log_size = LogSize(chain.node);
  TxFactory::Built built = factory.Issue(IssueSpec{}, ValidUntilHeight(chain.node));
  Bytes signature = built.tx.signature;
  // The last byte lies inside the DER integer s: the encoding stays well-formed, the value wrong.
  signature.back() ^= 0x01;
  Bytes forged = ledger::EncodeSignedTx(built.tx.body_bytes, built.tx.signer, signature);

  HttpReply r = SubmitAndWait(chain.node, forged);
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "bad_signature");
  RequireNothingStored(chain.node, log_size, built.material_id);
}

TEST_CASE("a tx signed with a key of no department is rejected with 422 unknown_department",
          "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  uint64_t log_size = LogSize(chain.node);
  auto stranger = crypto::PrivateKey::Generate(factory.genesis().suite);
  REQUIRE(stranger.ok());
  // Claims to be the health bureau in the material id; the key says otherwise.
  TxFactory::Built built = factory.IssueWithKey(*stranger, factory.DepartmentCode("health"),
                                                IssueSpec{}, ValidUntilHeight(chain.node));

  HttpReply r = SubmitAndWait(chain.node, built.tx.raw);
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(ErrorCode(r) == "unknown_department");
  RequireNothingStored(chain.node, log_size, built.material_id);
}

TEST_CASE("the CLI issuing with a key of no department reports unknown_department and exits 1",
          "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);
  TxFactory factory(chain.node.home());
  auto stranger = crypto::PrivateKey::Generate(factory.genesis().suite);
  REQUIRE(stranger.ok());
  std::string key_path = chain.tmp.Sub("stranger.pem");
  REQUIRE(stranger->SavePemFile(key_path).ok());
  auto args = BirthCertificateArgs(chain.node, WriteDocument(chain.tmp, "birth.pdf"));
  args[3] = key_path;  // --key
  args.push_back("--allow-unregistered");

  CliResult r = chain.node.Cli(args);
  INFO(r.Describe());
  CHECK(r.exit_code == 1);
  CHECK(CliErrorCode(r) == "unknown_department");
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE("resubmitting the exact bytes of a committed tx is rejected with 409 replayed_tx",
          "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  TxFactory::Built built = factory.Issue(IssueSpec{}, ValidUntilHeight(chain.node));
  HttpReply first = SubmitAndWait(chain.node, built.tx.raw);
  INFO(first.body);
  REQUIRE(first.status == 200);
  uint64_t log_size = LogSize(chain.node);
  Json material = MaterialView(chain.node, built.material_id);

  HttpReply again = SubmitAndWait(chain.node, built.tx.raw);
  INFO(again.body);
  CHECK(again.status == 409);
  CHECK(ErrorCode(again) == "replayed_tx");
  RequireNothingStored(chain.node, log_size);
  CHECK(MaterialView(chain.node, built.material_id) == material);  // still one ISSUE event
}

TEST_CASE("market regulation issuing a birth certificate is rejected with 422 issuer_not_allowed",
          "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  uint64_t log_size = LogSize(chain.node);
  IssueSpec spec;
  spec.department = "samr";
  TxFactory::Built built = factory.Issue(spec, ValidUntilHeight(chain.node));

  HttpReply r = SubmitAndWait(chain.node, built.tx.raw);
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(ErrorCode(r) == "issuer_not_allowed");
  RequireNothingStored(chain.node, log_size, built.material_id);
}

TEST_CASE(
    "the CLI issuing a type its department may not issue reports issuer_not_allowed and "
    "exits 1",
    "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);
  auto args = BirthCertificateArgs(chain.node, WriteDocument(chain.tmp, "birth.pdf"));
  args[3] = chain.node.KeyPath("samr");  // --key

  CliResult r = chain.node.Cli(args);
  INFO(r.Describe());
  CHECK(r.exit_code == 1);
  CHECK(CliErrorCode(r) == "issuer_not_allowed");
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE("an issue without a required field is rejected with 422 missing_field", "[integration]") {
  DevChain chain;
  TxFactory factory(chain.node.home());
  uint64_t log_size = LogSize(chain.node);
  IssueSpec spec;
  spec.fields = {{"birth_date", "2024-01-01"},
                 {"birth_place", "南山区人民医院"},
                 {"child_name", "李小明"}};  // no mother_name
  TxFactory::Built built = factory.Issue(spec, ValidUntilHeight(chain.node));

  HttpReply r = SubmitAndWait(chain.node, built.tx.raw);
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(ErrorCode(r) == "missing_field");
  RequireNothingStored(chain.node, log_size, built.material_id);
}

TEST_CASE("the CLI issuing without a required field reports missing_field and exits 1",
          "[integration]") {
  DevChain chain;
  uint64_t log_size = LogSize(chain.node);
  auto args = BirthCertificateArgs(chain.node, WriteDocument(chain.tmp, "birth.pdf"));
  args.resize(args.size() - 2);  // drops --field mother_name=...

  CliResult r = chain.node.Cli(args);
  INFO(r.Describe());
  CHECK(r.exit_code == 1);
  CHECK(CliErrorCode(r) == "missing_field");
  RequireNothingStored(chain.node, log_size);
}

TEST_CASE("a malformed HTTP request line gets 400 and the node keeps serving", "[integration]") {
  DevChain chain;
  auto raw = node::HttpRaw(chain.node.url(), "THIS IS NOT HTTP\r\n\r\n");
  REQUIRE(raw.ok());
  INFO(*raw);
  CHECK(RawStatus(*raw) == 400);

  HttpReply health = Get(chain.node.url(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(chain.node.running());
}

TEST_CASE("an unknown endpoint answers 404 not_found", "[integration]") {
  DevChain chain;
  HttpReply r = Get(chain.node.url(), "/v1/no-such-endpoint");
  INFO(r.body);
  CHECK(r.status == 404);
  CHECK(ErrorCode(r) == "not_found");
}

// ================================================================== proven trace, remote audit

// `material <verb> --key health --id ID --reason R`, which must succeed.
void LifecycleViaCli(const DevNode& node, const std::string& verb, const std::string& id) {
  CliResult r = node.Cli({"material", verb, "--key", node.KeyPath("health"), "--id", id,
                          "--reason", "integration test " + verb});
  INFO("govledger material " << verb << ": " << r.Describe());
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("trace --id proves a material's four events complete against the trusted genesis",
          "[integration]") {
  DevChain chain;
  std::string doc = WriteDocument(chain.tmp, "birth.pdf");
  Issued issued = IssueBirthCertificate(chain.node, doc);
  LifecycleViaCli(chain.node, "suspend", issued.material_id);
  LifecycleViaCli(chain.node, "reinstate", issued.material_id);
  LifecycleViaCli(chain.node, "revoke", issued.material_id);

  std::string genesis = chain.node.home() + "/genesis.json";
  CliResult r = chain.node.Cli({"trace", "--id", issued.material_id, "--trust", genesis});
  INFO("govledger trace --trust: " << r.Describe());
  REQUIRE(r.exit_code == 0);
  Json j = r.json();
  REQUIRE(j["events"].size() == 4);
  CHECK(j["events"][0]["kind"] == "ISSUE");
  CHECK(j["events"][1]["kind"] == "SUSPEND");
  CHECK(j["events"][2]["kind"] == "REINSTATE");
  CHECK(j["events"][3]["kind"] == "REVOKE");
  CHECK(j["proof"]["verified"] == true);
  CHECK(j["proof"]["height"].get<uint64_t>() >= j["events"][3]["height"].get<uint64_t>());
  CHECK(j["proof"]["trusted_genesis"] == genesis);
  std::vector<std::string> ok_steps;
  for (const Json& c : j["proof"]["checks"]) {
    if (c["ok"] == true) ok_steps.push_back(c["step"].get<std::string>());
  }
  for (const char* step : {"certificate", "state", "events", "inclusion", "issuer"}) {
    INFO("step " << step);
    CHECK(std::find(ok_steps.begin(), ok_steps.end(), step) != ok_steps.end());
  }

  // Human output names the proof and where the trust came from (here: the node's genesis).
  CliResult human = chain.node.Cli({"trace", "--id", issued.material_id}, /*json=*/false);
  INFO(human.Describe());
  REQUIRE(human.exit_code == 0);
  CHECK(human.out.find("complete as of height") != std::string::npos);
  CHECK(human.out.find("events hash-linked \u2713") != std::string::npos);
  CHECK(human.out.find("the node's /v1/genesis") != std::string::npos);

  // A genesis of another chain proves nothing: exit 1, the failing step named.
  Json other = Json::parse(ReadFileOrThrow(genesis));
  other["chain_id"] = "another-chain";
  std::string other_path = chain.tmp.Sub("other-genesis.json");
  WriteFileOrThrow(other_path, other.dump());
  CliResult bad = chain.node.Cli({"trace", "--id", issued.material_id, "--trust", other_path});
  INFO(bad.Describe());
  CHECK(bad.exit_code == 1);
  CHECK(bad.json()["proof"]["verified"] == false);
}

TEST_CASE("trace --issuer lists every material of the department on one timeline, proven",
          "[integration]") {
  DevChain chain;
  Issued first = IssueBirthCertificate(chain.node, WriteDocument(chain.tmp, "a.pdf"));
  Issued second = IssueBirthCertificate(chain.node, WriteDocument(chain.tmp, "b.pdf"));
  LifecycleViaCli(chain.node, "revoke", first.material_id);

  CliResult r = chain.node.Cli({"trace", "--issuer", "health", "--key",
                                chain.node.KeyPath("health"), "--trust",
                                chain.node.home() + "/genesis.json"});
  INFO("govledger trace --issuer: " << r.Describe());
  REQUIRE(r.exit_code == 0);
  Json j = r.json();
  REQUIRE(j["materials"].size() == 2);
  for (const Json& m : j["materials"]) CHECK(m["proof"]["verified"] == true);
  const Json& events = j["events"];
  REQUIRE(events.size() == 3);
  CHECK(events[0]["material_id"] == first.material_id);
  CHECK(events[0]["kind"] == "ISSUE");
  CHECK(events[1]["material_id"] == second.material_id);
  CHECK(events[1]["kind"] == "ISSUE");
  CHECK(events[2]["material_id"] == first.material_id);
  CHECK(events[2]["kind"] == "REVOKE");
  for (size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i]["height"].get<uint64_t>() >= events[i - 1]["height"].get<uint64_t>());
  }

  // The same material found by its holder commitment.
  std::string holder = MaterialView(chain.node, second.material_id)["holder_commitment"];
  CliResult by_holder = chain.node.Cli(
      {"trace", "--holder-commitment", holder, "--key", chain.node.KeyPath("dsj")});
  INFO(by_holder.Describe());
  REQUIRE(by_holder.exit_code == 0);
  CHECK(by_holder.json()["materials"].size() >= 1);
}

TEST_CASE("audit chain --node replays a healthy running node and reports OK", "[integration]") {
  DevChain chain;
  Issued issued = IssueBirthCertificate(chain.node, WriteDocument(chain.tmp, "birth.pdf"));
  LifecycleViaCli(chain.node, "revoke", issued.material_id);

  std::string genesis = chain.node.home() + "/genesis.json";
  CliResult r =
      chain.node.Cli({"audit", "chain", "--trust", genesis, "--key", chain.node.KeyPath("dsj")});
  INFO("govledger audit chain --node: " << r.Describe());
  REQUIRE(r.exit_code == 0);
  Json j = r.json();
  CHECK(j["ok"] == true);
  CHECK(j["blocks"].get<uint64_t>() >= issued.height + 1);
  CHECK(j["transactions"].get<uint64_t>() == 2);
  CHECK(r.err.find("audited ") != std::string::npos);

  // The raw block endpoint it replays from.
  HttpReply raw = SignedGet(chain.node.url(), "/v1/block/" + std::to_string(issued.height) + "/raw",
                            chain.node.KeyPath("dsj"));
  INFO(raw.body);
  REQUIRE(raw.status == 200);
  CHECK(raw.json()["block"].is_string());
  CHECK(raw.json()["commit"].is_string());

  // A node whose genesis is not the trusted one is reported at height 0.
  Json other = Json::parse(ReadFileOrThrow(genesis));
  other["chain_id"] = "another-chain";
  std::string other_path = chain.tmp.Sub("other-genesis.json");
  WriteFileOrThrow(other_path, other.dump());
  CliResult bad = chain.node.Cli(
      {"audit", "chain", "--trust", other_path, "--key", chain.node.KeyPath("dsj")});
  INFO(bad.Describe());
  CHECK(bad.exit_code == 1);
  CHECK(bad.json()["reason"] == "genesis_mismatch");
}

// ================================================================== help

TEST_CASE("govledger --help exits 0 and shows an example", "[integration]") {
  CliResult r = RunCli({"--help"});
  INFO(r.Describe());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("xample") != std::string::npos);  // "Example" or "example"
}

TEST_CASE("govledger material issue --help exits 0 and shows an example", "[integration]") {
  CliResult r = RunCli({"material", "issue", "--help"});
  INFO(r.Describe());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("xample") != std::string::npos);
  CHECK(r.out.find("--type") != std::string::npos);
}

}  // namespace govledger::itest

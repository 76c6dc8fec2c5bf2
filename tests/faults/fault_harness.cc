#include "tests/faults/fault_harness.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crypto/hash.h"

namespace govledger::itest {

namespace {
const std::vector<std::string> kDepartments = {"mca", "edu", "water", "samr"};
}  // namespace

std::string FaultyNodeBinary() { return BinDir() + "/tests/faults/govledger-node-faulty"; }

NetworkOptions FaultNet::DefaultOptions() {
  NetworkOptions o;
  o.node_binary = FaultyNodeBinary();
  return o;
}

FaultNet::FaultNet(NetworkOptions options) : net(tmp, options) {}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v, &end, 10);
  if (*end != '\0' || x < 0) throw HarnessError(std::string(name) + " is not a number: " + v);
  return x;
}

void SetFaults(Network& net, size_t i, const Json& control) {
  const std::string path = net.node(i).home() + "/faults.json";
  const std::string tmp = path + ".tmp";
  WriteFileOrThrow(tmp, control.dump());
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw HarnessError("cannot rename " + tmp + " to " + path);
  }
}

void ClearFaults(Network& net, size_t i) { SetFaults(net, i, Json::object()); }

void ClearAllFaults(Network& net) {
  for (size_t i = 0; i < net.size(); ++i) ClearFaults(net, i);
}

void BlockPeers(Network& net, Json& control, const std::vector<size_t>& peers, bool send,
                bool receive) {
  for (size_t p : peers) {
    Json& entry = control["peers"][std::to_string(net.ValidatorIndex(p))];
    if (send) entry["send"]["block"] = true;
    if (receive) entry["receive"]["block"] = true;
  }
}

void Partition(Network& net, const std::vector<size_t>& a, const std::vector<size_t>& b) {
  for (size_t i : a) {
    Json c = Json::object();
    BlockPeers(net, c, b, true, true);
    SetFaults(net, i, c);
  }
  for (size_t i : b) {
    Json c = Json::object();
    BlockPeers(net, c, a, true, true);
    SetFaults(net, i, c);
  }
}

size_t LogCount(const DevNode& node, const std::string& text) {
  std::ifstream in(node.LogPath());
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) n += line.find(text) != std::string::npos;
  return n;
}

bool LogContains(const DevNode& node, const std::string& text) { return LogCount(node, text) > 0; }

// ------------------------------------------------------------------ Load

Load::Load(Network& net, std::vector<size_t> via, uint64_t seed)
    : net_(net), via_(std::move(via)), rng_(seed) {
  Refresh();
  thread_ = std::thread([this] { Run(); });
}

Load::~Load() { Stop(); }

void Load::Refresh() {
  std::vector<std::string> urls;
  for (size_t i : via_) urls.push_back(net_.node(i).running() ? net_.node(i).url() : "");
  std::lock_guard<std::mutex> lock(mu_);
  urls_ = std::move(urls);
}

void Load::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<Ack> Load::acks() {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_;
}

size_t Load::ack_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return acks_.size();
}

void Load::Run() {
  size_t turn = 0;
  while (!stop_) {
    const size_t k = turn++ % via_.size();
    std::string url;
    {
      std::lock_guard<std::mutex> lock(mu_);
      url = urls_[k];
    }
    bool ok = false;
    try {
      if (!url.empty()) {
        uint64_t height = Status(url).value("height", uint64_t{0});
        const std::string& dept = kDepartments[rng_() % kDepartments.size()];
        TxFactory::Built tx = net_.factory().Issue(Local4Issue(dept), height + 1000);
        HttpReply r = Post(url, "/v1/tx?wait=1&timeout_ms=5000", TxRequestBody(tx.tx.raw));
        Json j = r.json();
        if (r.status == 200 && j.is_object() && j.value("status", "") == "committed") {
          std::lock_guard<std::mutex> lock(mu_);
          acks_.push_back(Ack{crypto::DigestHex(tx.tx.hash), tx.material_id,
                              j.value("height", uint64_t{0}), j.value("index", uint64_t{0}),
                              via_[k]});
          ok = true;
        }
      }
    } catch (const std::exception&) {
      // A node that is down, stopped or being restarted: try the next one.
    }
    // Pacing for a client whose node is unreachable (not synchronisation: nothing waits on it).
    if (!ok) std::this_thread::sleep_for(milliseconds(50));
  }
}

// ------------------------------------------------------------------ checks

void RequireCommitsResume(Network& net, AckLedger& ledger, const std::vector<size_t>& via,
                          milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::string why;
  for (size_t turn = 0; std::chrono::steady_clock::now() < until; ++turn) {
    const size_t v = via[turn % via.size()];
    TxFactory::Built tx =
        net.factory().Issue(Local4Issue(kDepartments[turn % 4]), net.Height(v) + 1000);
    if (auto ack = SubmitAndWait(net, v, tx, &why, milliseconds(10'000))) {
      ledger.Add(*ack);
      return;
    }
  }
  FAIL("commits did not resume within " << deadline.count() << " ms; last answer: " << why
                                        << "\n"
                                        << net.Describe());
}

void EndChecks(Network& net, const AckLedger& ledger, const std::vector<size_t>& honest,
               bool evidence_free) {
  ClearAllFaults(net);
  net.RequireNoneDied(honest);
  for (size_t i : honest) {
    if (!net.node(i).running()) net.node(i).Start();
  }
  const uint64_t target = std::max(net.MaxHeight(honest), ledger.MaxHeight());
  if (!net.WaitHeight(honest, target, milliseconds(90'000))) {
    FAIL("not every honest node reached height " << target << "\n" << net.Describe());
  }
  AckLedger final_ack = ledger;
  RequireCommitsResume(net, final_ack, honest);
  if (!net.WaitHeight(honest, final_ack.MaxHeight(), milliseconds(60'000))) {
    FAIL("not every honest node reached height " << final_ack.MaxHeight() << "\n"
                                                 << net.Describe());
  }
  const uint64_t compared = CheckSameChain(net, honest);
  CHECK(compared >= target);
  for (size_t i : honest) final_ack.CheckAllPresent(net, i);
  if (evidence_free) {
    for (size_t i : honest) {
      Json c = ConsensusStatus(net.node(i).url());
      INFO("node" << i << " consensus status: " << c.dump());
      CHECK(c.value("evidence", uint64_t{0}) == 0);
    }
  }
  // Offline: every hash, root and certificate of each node's own data, from genesis.
  for (size_t i : honest) net.node(i).Stop();
  for (size_t i : honest) {
    // The audit reads the whole chain: a long soak's 200,000 blocks take minutes, not seconds.
    CliOptions audit_options{net.out_dir()};
    audit_options.timeout = std::max(milliseconds(60'000), milliseconds(compared * 5));
    CliResult audit = RunCli({"audit", "chain", "--home", net.node(i).home()}, audit_options);
    INFO("node" << i << ": govledger audit chain: " << audit.Describe());
    CHECK(audit.exit_code == 0);
    CHECK(audit.out.rfind("OK", 0) == 0);
  }
}

}  // namespace govledger::itest

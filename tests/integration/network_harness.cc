#include "tests/integration/network_harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "crypto/hash.h"
#include "node/http_client.h"
#include "util/time.h"

namespace govledger::itest {

namespace {

constexpr int64_t kDayMs = 86'400'000;

// [lo, hi] of /proc/sys/net/ipv4/ip_local_port_range (Linux defaults if unreadable).
std::pair<int, int> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768, hi = 60999;
  if (in >> lo >> hi && lo > 0 && hi >= lo) return {lo, hi};
  return {32768, 60999};
}

// True if a listener could be bound to 127.0.0.1:port right now.
bool CanBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

std::string Loopback(uint16_t port) { return Quoted("127.0.0.1:" + std::to_string(port)); }

}  // namespace

uint16_t FreeLoopbackPort(std::vector<uint16_t>& taken) {
  auto [eph_lo, eph_hi] = EphemeralRange();
  (void)eph_hi;
  // Below the ephemeral range and above the well-known ports; 10000 is where test ports usually
  // start. A machine with an unusual range falls back to anything from 10000 to 65535.
  int lo = 10'000, hi = eph_lo - 1;
  if (hi - lo < 1000) hi = 65'535;
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(lo, hi);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<uint16_t>(pick(rng));
    if (std::find(taken.begin(), taken.end(), port) != taken.end()) continue;
    if (!CanBind(port)) continue;
    taken.push_back(port);
    return port;
  }
  throw HarnessError("no free loopback port found in " + std::to_string(lo) + ".." +
                     std::to_string(hi));
}

// ------------------------------------------------------------------ Network

Network::Network(const TempDir& dir, NetworkOptions options)
    : out_dir_(dir.Sub("net")), log_level_(options.log_level), node_binary_(options.node_binary) {
  const std::string source = SourceDir() + "/network-configs/local-4/network.toml";
  std::string text = ReadFileOrThrow(source);
  std::vector<uint16_t>& taken = taken_ports_;
  std::vector<std::string> api, p2p;
  for (size_t i = 0; i < kSize; ++i) {
    api.push_back(Loopback(FreeLoopbackPort(taken)));
    p2p.push_back(Loopback(FreeLoopbackPort(taken)));
  }
  text = ReplaceValues(text, "api", api, source);
  text = ReplaceValues(text, "p2p", p2p, source);
  const std::string propose = std::to_string(options.timeout_propose_ms);
  const std::string vote = std::to_string(options.timeout_vote_ms);
  const std::string delta = std::to_string(options.timeout_delta_ms);
  text = ApplySettings(text,
                       {{"block_interval_ms", std::to_string(options.block_interval_ms)},
                        {"timeout_propose_ms", propose},
                        {"timeout_propose_delta_ms", delta},
                        {"timeout_prevote_ms", vote},
                        {"timeout_prevote_delta_ms", delta},
                        {"timeout_precommit_ms", vote},
                        {"timeout_precommit_delta_ms", delta},
                        {"rebroadcast_ms", std::to_string(options.rebroadcast_ms)}},
                       source);
  // The checks read every block of every node from one address (and the load generators submit
  // from it): the per-client rate limits, tested on their own (api_security_test), stay off here.
  text += "\n[api]\nread_rate_per_s = 0\nsubmit_rate_per_s = 0\n";
  const std::string toml = dir.Sub("network.toml");
  WriteFileOrThrow(toml, text);

  CliResult init =
      RunCli({"network", "init", "--config", toml, "--out", out_dir_}, CliOptions{dir.path()});
  if (init.exit_code != 0) throw HarnessError("govledger network init: " + init.Describe());

  factory_ = std::make_unique<TxFactory>(Home(0) + "/genesis.json", KeysDir());
  const auto& validators = factory_->genesis().validators;
  if (validators.size() != kSize) {
    throw HarnessError("the local-4 genesis has " + std::to_string(validators.size()) +
                       " validators, expected 4");
  }
  for (size_t i = 0; i < kSize; ++i) {
    std::string name = "node" + std::to_string(i);
    auto it = std::find_if(validators.begin(), validators.end(),
                           [&](const ledger::Validator& v) { return v.name == name; });
    if (it == validators.end()) throw HarnessError("no validator " + name + " in the genesis");
    validator_index_.push_back(static_cast<uint32_t>(it - validators.begin()));
    DevNodeOptions o;
    o.dev = false;
    o.log_level = options.log_level;
    o.binary = options.node_binary;
    nodes_.push_back(std::make_unique<DevNode>(Home(i), o));
  }
}

Network::~Network() = default;

size_t Network::AddJoiningNode(const std::string& name, const std::string& department) {
  const std::string home = out_dir_ + "/" + name;
  const std::string api = "127.0.0.1:" + std::to_string(FreeLoopbackPort(taken_ports_));
  const std::string p2p = "127.0.0.1:" + std::to_string(FreeLoopbackPort(taken_ports_));
  CliResult join = RunCli({"network", "join", "--genesis", Home(0) + "/genesis.json", "--name", name,
                           "--department", department, "--api", api, "--p2p", p2p, "--out", home},
                          CliOptions{out_dir_});
  if (join.exit_code != 0) throw HarnessError("govledger network join: " + join.Describe());
  DevNodeOptions o;
  o.dev = false;
  o.log_level = log_level_;
  o.binary = node_binary_;
  nodes_.push_back(std::make_unique<DevNode>(home, o));
  return nodes_.size() - 1;
}

size_t Network::AddTwin(size_t i) {
  namespace fs = std::filesystem;
  const std::string home = Home(i) + "-twin";
  fs::create_directories(home);
  for (const auto& entry : fs::directory_iterator(Home(i))) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name == "api.addr" || name == "faults.json") continue;
    fs::copy_file(entry.path(), home + "/" + name, fs::copy_options::overwrite_existing);
  }
  DevNodeOptions o = node(i).options();
  nodes_.push_back(std::make_unique<DevNode>(home, o));
  validator_index_.push_back(validator_index_.at(i));
  return nodes_.size() - 1;
}

std::string Network::Home(size_t i) const { return out_dir_ + "/node" + std::to_string(i); }
std::string Network::KeysDir() const { return out_dir_ + "/keys"; }

size_t Network::NodeOfValidator(uint32_t index) const {
  for (size_t i = 0; i < validator_index_.size(); ++i) {
    if (validator_index_[i] == index) return i;
  }
  throw HarnessError("no node is validator " + std::to_string(index));
}

void Network::RequireNoneDied(const std::vector<size_t>& nodes) {
  // A node that ended without the test ending it crashed: that is a finding, never something
  // to restart over (a soak would otherwise carry on past a segfault unnoticed).
  for (size_t i : nodes) {
    if (std::string end = node(i).UnexpectedEnd(); !end.empty()) {
      throw HarnessError("node" + std::to_string(i) + " " + end +
                         " without the test stopping it; its log:\n" + node(i).LogTail());
    }
  }
}

void Network::StartAll() {
  std::vector<size_t> all;
  for (size_t i = 0; i < nodes_.size(); ++i) all.push_back(i);
  RequireNoneDied(all);
  for (auto& n : nodes_) {
    if (!n->running()) n->Start();
  }
}

void Network::StartAllAndWaitReady() {
  StartAll();
  std::vector<size_t> all = Running();
  std::string last;
  bool ready = WaitFor(
      [&] {
        for (size_t i : all) {
          Json status = Status(node(i).url());
          Json c = ConsensusStatus(node(i).url());
          if (c.value("peers_connected", uint64_t{0}) + 1 < all.size() ||
              status.value("height", uint64_t{0}) < 1) {
            last = "node" + std::to_string(i) + ": " + status.dump();
            return false;
          }
        }
        return true;
      },
      milliseconds(60'000), milliseconds(100));
  if (!ready) {
    throw HarnessError("the network did not connect and commit a first block within 60 s; last: " +
                       last + "\n" + Describe());
  }
}

std::vector<size_t> Network::Running() {
  std::vector<size_t> r;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->running()) r.push_back(i);
  }
  return r;
}

uint64_t Network::Height(size_t i) { return Status(node(i).url()).value("height", uint64_t{0}); }

uint64_t Network::MaxHeight(const std::vector<size_t>& nodes) {
  uint64_t h = 0;
  for (size_t i : nodes) h = std::max(h, Height(i));
  return h;
}

uint64_t Network::MinHeight(const std::vector<size_t>& nodes) {
  uint64_t h = UINT64_MAX;
  for (size_t i : nodes) h = std::min(h, Height(i));
  return nodes.empty() ? 0 : h;
}

bool Network::WaitHeight(const std::vector<size_t>& nodes, uint64_t height, milliseconds timeout) {
  return WaitFor([&] { return MinHeight(nodes) >= height; }, timeout, milliseconds(100));
}

std::string Network::Describe(size_t log_bytes) {
  std::ostringstream out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    DevNode& n = *nodes_[i];
    out << "---- node" << i << " (" << n.home() << ")";
    if (n.running()) {
      auto r = node::HttpGet(n.url(), "/v1/status", 2'000);
      out << " running; status: " << (r.ok() ? r->body : r.status().ToString());
    } else if (std::string end = n.UnexpectedEnd(); !end.empty()) {
      out << " NOT RUNNING: it " << end << " without the test stopping it";
    } else {
      out << " not running";
    }
    out << "\n" << n.LogTail(log_bytes) << "\n";
  }
  return out.str();
}

// ------------------------------------------------------------------ status and submissions

Json ConsensusStatus(const std::string& url) {
  Json status = Status(url);
  if (!status.contains("consensus") || !status["consensus"].is_object()) {
    throw HarnessError(
        "GET /v1/status on " + url +
        " has no \"consensus\" object (a node without the consensus wiring?): " + status.dump());
  }
  return status["consensus"];
}

uint64_t MetricValue(const std::string& url, const std::string& name) {
  HttpReply r = Get(url, "/metrics");
  if (r.status != 200) {
    throw HarnessError("GET /metrics on " + url + " answered " + std::to_string(r.status));
  }
  const std::string prefix = name + " ";
  size_t at = 0;
  while (at < r.body.size()) {
    size_t end = r.body.find('\n', at);
    if (end == std::string::npos) end = r.body.size();
    const std::string_view line(r.body.data() + at, end - at);
    if (line.substr(0, prefix.size()) == prefix) {
      return std::stoull(std::string(line.substr(prefix.size())));
    }
    at = end + 1;
  }
  throw HarnessError("GET /metrics on " + url + " has no " + name + ":\n" + r.body);
}

IssueSpec Local4Issue(const std::string& department) {
  IssueSpec s;
  s.department = department;
  s.holder_id = "440305199001010012";
  const int64_t now = NowMs();
  if (department == "mca") {
    s.type_code = "MARRIAGE";
    s.fields = {
        {"holder_name", "张三"}, {"spouse_name", "李四"}, {"registration_date", "2024-05-20"}};
  } else if (department == "edu") {
    s.type_code = "ENROLL";
    s.fields = {{"student_name", "王小明"}, {"school", "南山实验学校"}, {"grade", "1"}};
    s.valid_until_ms = now + 180 * kDayMs;
  } else if (department == "water") {
    s.type_code = "WATERCONN";
    s.fields = {{"applicant", "深圳市南山区示例科技有限公司"},
                {"address", "深圳市南山区科技园"},
                {"pipe_diameter_mm", "100"}};
    s.valid_until_ms = now + 365 * kDayMs;
  } else if (department == "samr") {
    s.type_code = "BIZLIC";
    s.fields = {{"entity_name", "深圳市南山区示例科技有限公司"},
                {"legal_representative", "张伟"},
                {"business_scope", "软件开发"},
                {"address", "深圳市南山区科技园"}};
    s.valid_until_ms = now + 365 * kDayMs;
  } else {
    throw HarnessError("local-4 has no department " + department);
  }
  return s;
}

std::optional<Ack> SubmitAndWait(Network& net, size_t via, const TxFactory::Built& tx,
                                 std::string* why, milliseconds wait) {
  HttpReply r =
      Post(net.node(via).url(), "/v1/tx?wait=1&timeout_ms=" + std::to_string(wait.count()),
           TxRequestBody(tx.tx.raw));
  Json j = r.json();
  if (r.status == 200 && j.is_object() && j.value("status", "") == "committed") {
    return Ack{crypto::DigestHex(tx.tx.hash), tx.material_id, j.value("height", uint64_t{0}),
               j.value("index", uint64_t{0}), via};
  }
  if (why)
    *why = "node" + std::to_string(via) + " answered " + std::to_string(r.status) + " " + r.body;
  return std::nullopt;
}

void SubmitNoWait(Network& net, size_t via, const TxFactory::Built& tx) {
  HttpReply r = Post(net.node(via).url(), "/v1/tx", TxRequestBody(tx.tx.raw));
  if (r.status != 202) {
    throw HarnessError("node" + std::to_string(via) +
                       " did not accept a tx: " + std::to_string(r.status) + " " + r.body);
  }
}

TxState TxStatus(const std::string& url, const std::string& tx_hash) {
  auto r = node::HttpGet(url, "/v1/tx/" + tx_hash, 10'000);
  if (!r.ok() || r->status != 200) return {};
  Json j = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  return TxState{j.value("status", ""), j.value("height", uint64_t{0}),
                 j.value("index", uint64_t{0})};
}

uint64_t AckLedger::MaxHeight() const {
  uint64_t h = 0;
  for (const auto& a : acks_) h = std::max(h, a.height);
  return h;
}

void AckLedger::CheckAllPresent(Network& net, size_t i) const {
  const std::string& url = net.node(i).url();
  std::vector<std::string> lost;
  for (const Ack& a : acks_) {
    std::string what = "tx " + a.tx_hash + " (acknowledged by node" + std::to_string(a.via) +
                       " at height " + std::to_string(a.height) + " index " +
                       std::to_string(a.index) + ")";
    TxState t = TxStatus(url, a.tx_hash);
    if (t.status != "committed" || t.height != a.height || t.index != a.index) {
      lost.push_back(what + ": status '" + t.status + "' height " + std::to_string(t.height) +
                     " index " + std::to_string(t.index));
      continue;
    }
    HttpReply m = Get(url, "/v1/material/" + a.material_id);
    Json mj = m.json();
    if (m.status != 200 || !mj.is_object() || mj.value("issue_tx", "") != a.tx_hash ||
        mj.value("issued_height", uint64_t{0}) != a.height) {
      lost.push_back(what + ": material " + a.material_id + ": " + m.body);
    }
  }
  INFO("node" << i << ": " << lost.size() << " of " << acks_.size()
              << " acknowledged transactions lost or moved");
  for (const auto& l : lost) UNSCOPED_INFO(l);
  CHECK(lost.empty());
}

Ack IssueAndRequireAck(Network& net, AckLedger& ledger, size_t via, const std::string& department) {
  TxFactory::Built tx = net.factory().Issue(Local4Issue(department), net.Height(via) + 1000);
  std::string why;
  std::optional<Ack> ack = SubmitAndWait(net, via, tx, &why);
  if (!ack) FAIL("no commit acknowledgement: " << why << "\n" << net.Describe());
  ledger.Add(*ack);
  return *ack;
}

namespace {

// What CheckSameChain needs of one stored block.
struct BlockDigest {
  std::string hash;     // empty: the node did not return the block
  std::string problem;  // why the block or its certificate is not acceptable
};

// Blocks from..top of the node at `url`, fetched one by one (run on a thread per node: no Catch2
// assertions in here).
std::vector<BlockDigest> FetchChain(const std::string& url, uint64_t from, uint64_t top) {
  std::vector<BlockDigest> out(top + 1);
  for (uint64_t h = from; h <= top; ++h) {
    BlockDigest& d = out[h];
    auto r = node::HttpGet(url, "/v1/block/" + std::to_string(h), 30'000);
    if (!r.ok()) {
      d.problem = "GET failed: " + r.status().ToString();
      continue;
    }
    Json b = Json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (r->status != 200 || !b.is_object() || !b.contains("hash") || !b["hash"].is_string()) {
      d.problem = std::to_string(r->status) + " " + r->body.substr(0, 300);
      continue;
    }
    d.hash = b["hash"].get<std::string>();
    // The certificate stored beside the block: 2f+1 = 3 of the 4 validators for this hash.
    const Json* commit = b.contains("commit") ? &b["commit"] : nullptr;
    if (commit == nullptr || !commit->is_object() || commit->value("block_hash", "") != d.hash ||
        !commit->contains("signatures") || !(*commit)["signatures"].is_array() ||
        (*commit)["signatures"].size() < 3) {
      d.problem = "no commit certificate of 3 signatures for " + d.hash + ": " +
                  (commit ? commit->dump() : std::string("none"));
    }
  }
  return out;
}

}  // namespace

uint64_t CheckSameChain(Network& net, const std::vector<size_t>& nodes, uint64_t from) {
  if (nodes.empty()) return 0;
  const uint64_t top = net.MinHeight(nodes);
  from = std::max<uint64_t>(from, 1);
  // One thread per node: each node answers on its own io thread, so the fetches overlap.
  std::vector<std::vector<BlockDigest>> chains(nodes.size());
  {
    std::vector<std::thread> fetchers;
    for (size_t k = 0; k < nodes.size(); ++k) {
      fetchers.emplace_back(
          [&, k, url = net.node(nodes[k]).url()] { chains[k] = FetchChain(url, from, top); });
    }
    for (auto& f : fetchers) f.join();
  }
  std::vector<std::string> problems;
  for (uint64_t h = from; h <= top && problems.size() < 5; ++h) {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const BlockDigest& d = chains[k][h];
      const std::string where =
          "height " + std::to_string(h) + " on node" + std::to_string(nodes[k]);
      if (!d.problem.empty()) problems.push_back(where + ": " + d.problem);
      if (!d.hash.empty() && !chains[0][h].hash.empty() && d.hash != chains[0][h].hash) {
        problems.push_back("DIVERGENCE at " + where + ": hash " + d.hash + " but node" +
                           std::to_string(nodes[0]) + " has " + chains[0][h].hash);
      }
    }
  }
  INFO("compared " << nodes.size() << " nodes from height " << from << " up to " << top);
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
  return top;
}

void FinalChecks(Network& net, const AckLedger& ledger, milliseconds catch_up) {
  net.StartAll();
  std::vector<size_t> all;
  for (size_t i = 0; i < net.size(); ++i) all.push_back(i);
  const uint64_t target = std::max(net.MaxHeight(all), ledger.MaxHeight());
  if (!net.WaitHeight(all, target, catch_up)) {
    FAIL("not every node reached height " << target << " within " << catch_up.count() << " ms\n"
                                          << net.Describe());
  }
  uint64_t compared = CheckSameChain(net, all);
  CHECK(compared >= target);
  for (size_t i : all) ledger.CheckAllPresent(net, i);
  // Honest validators never sign two different messages for one step, crash and restart
  // included: nobody may have seen evidence of it.
  for (size_t i : all) {
    Json c = ConsensusStatus(net.node(i).url());
    INFO("node" << i << " consensus status: " << c.dump());
    CHECK(c.value("evidence", uint64_t{0}) == 0);
  }
}

}  // namespace govledger::itest

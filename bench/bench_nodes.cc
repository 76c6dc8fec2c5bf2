#include "bench/bench_nodes.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "node/http_client.h"

namespace govledger::bench {

namespace fs = std::filesystem;

namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

double RusageSeconds(const rusage& ru) {
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

pid_t SpawnWithFds(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: die with the benchmark, and never outlive it as an orphan.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// A loopback TCP port nothing listens on, below the ephemeral range (see
// tests/integration/network_harness.h for why).
uint16_t FreePort(std::vector<uint16_t>& taken) {
  int lo = 10'000, hi = 32'000;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int eph_lo = 0, eph_hi = 0;
  if (range >> eph_lo >> eph_hi && eph_lo - 1 - lo > 1000) hi = eph_lo - 1;
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(lo, hi);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<uint16_t>(pick(rng));
    if (std::find(taken.begin(), taken.end(), port) != taken.end()) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (!ok) continue;
    taken.push_back(port);
    return port;
  }
  return 0;
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("not_found", "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return out ? Status::Ok() : Status::Error("io", "cannot write " + path);
}

// Replaces, in order, the lines starting with `key =` by `key = value` for each value; the
// number of such lines must match.
Result<std::string> ReplaceValues(const std::string& text, const std::string& key,
                                  const std::vector<std::string>& values) {
  std::istringstream in(text);
  std::ostringstream out;
  std::string line;
  size_t used = 0;
  while (std::getline(in, line)) {
    if (line.rfind(key + " =", 0) == 0) {
      if (used >= values.size()) return Status::Error("bad_config", "too many '" + key + "' lines");
      line = key + " = " + values[used++];
    }
    out << line << "\n";
  }
  if (used != values.size()) {
    return Status::Error("bad_config", "expected " + std::to_string(values.size()) + " '" + key +
                                           " =' lines, found " + std::to_string(used));
  }
  return out.str();
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

Result<std::string> NetworkToml(const Paths& paths, const std::string& name, size_t validators,
                                const std::string& suite, bool rate_limits) {
  auto text = ReadText(paths.source_dir + "/network-configs/" + name + "/network.toml");
  if (!text.ok()) return text.status();
  std::vector<uint16_t> taken;
  std::vector<std::string> api, p2p;
  for (size_t i = 0; i < validators; ++i) {
    uint16_t a = FreePort(taken), p = FreePort(taken);
    if (a == 0 || p == 0) return Status::Error("no_port", "no free loopback port");
    api.push_back(Quoted("127.0.0.1:" + std::to_string(a)));
    p2p.push_back(Quoted("127.0.0.1:" + std::to_string(p)));
  }
  auto t = ReplaceValues(*text, "api", api);
  if (t.ok()) t = ReplaceValues(*t, "p2p", p2p);
  if (t.ok()) t = ReplaceValues(*t, "suite", {Quoted(suite)});
  // The benchmarks offer load from one address on purpose: no per-client rate limits, and room
  // for the load generator's connections beside the benchmark's own status polls.
  if (t.ok() && !rate_limits) {
    *t += "\n[api]\nread_rate_per_s = 0\nsubmit_rate_per_s = 0\nmax_connections_per_ip = 4096\n";
  }
  return t;
}

Status FreshDir(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return Status::Error("io", "cannot create " + dir + ": " + ec.message());
  return Status::Ok();
}

// ------------------------------------------------------------------ Child

Child::~Child() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Status Child::Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("io", "cannot open " + log_path);
  pid_ = SpawnWithFds(argv, fd, fd);
  close(fd);
  if (pid_ < 0) return Status::Error("spawn", "fork failed");
  exit_code_ = -1;
  return Status::Ok();
}

bool Child::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = DecodeWaitStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int Child::Terminate(int grace_ms) {
  if (!Running()) return exit_code_;
  kill(pid_, SIGTERM);
  return WaitExit(grace_ms);
}

int Child::WaitExit(int grace_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (Running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = DecodeWaitStatus(status);
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

int Child::Wait(double* cpu_s) {
  if (pid_ <= 0) return exit_code_;
  int status = 0;
  rusage ru{};
  wait4(pid_, &status, 0, &ru);
  if (cpu_s) *cpu_s = RusageSeconds(ru);
  exit_code_ = DecodeWaitStatus(status);
  pid_ = -1;
  return exit_code_;
}

int RunCommand(const std::vector<std::string>& argv, std::string* out, double* cpu_s,
               double* wall_s) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  const double t0 = NowSeconds();
  // stderr (progress lines) is dropped: the commands used here report on stdout (--json).
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_t pid = SpawnWithFds(argv, pipe_fds[1], devnull);
  close(pipe_fds[1]);
  if (devnull >= 0) close(devnull);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  if (wall_s) *wall_s = NowSeconds() - t0;
  if (cpu_s) *cpu_s = RusageSeconds(ru);
  if (out) *out = std::move(text);
  return DecodeWaitStatus(status);
}

// ------------------------------------------------------------------ nodes

Status NodeProc::Start(const Paths& paths, const std::vector<std::string>& extra_args) {
  std::error_code ec;
  fs::remove(home + "/api.addr", ec);
  std::vector<std::string> argv{paths.Node(), "--home", home, "--api", "127.0.0.1:0",
                                "--log-level", "warn"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  GOVLEDGER_RETURN_IF_ERROR(proc.Spawn(argv, log));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  url.clear();
  while (std::chrono::steady_clock::now() < deadline) {
    if (!proc.Running()) return Status::Error("node_exited", name + " exited; see " + log);
    if (url.empty()) {
      std::ifstream in(home + "/api.addr");
      std::string line;
      if (in && std::getline(in, line) && !line.empty() && !in.eof()) url = "http://" + line;
    }
    if (!url.empty()) {
      auto r = node::HttpGet(url, "/healthz", 2'000);
      if (r.ok() && r->status == 200) return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Error("node_timeout", name + " did not become healthy in 60 s; see " + log);
}

std::vector<std::string> Chain::Urls() const {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n->url);
  return out;
}

std::vector<pid_t> Chain::Pids() const {
  std::vector<pid_t> out;
  for (const auto& n : nodes) out.push_back(n->proc.pid());
  return out;
}

bool Chain::StopAll() {
  bool ok = true;
  // All at once (a network stopping one node at a time would spend the time in round changes),
  // and only once: a second SIGTERM may reach a node after its handler is gone.
  for (auto& n : nodes) {
    if (n->proc.Running()) kill(n->proc.pid(), SIGTERM);
  }
  for (auto& n : nodes) ok &= n->proc.WaitExit(30'000) == 0;
  return ok;
}

Result<json> GetJson(const std::string& url, const std::string& target) {
  auto r = node::HttpGet(url, target, 30'000);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status::Error("http_" + std::to_string(r->status), target + ": " + r->body);
  }
  json j = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("bad_json", target + " did not answer JSON");
  return j;
}

Result<std::unique_ptr<Chain>> StartDevChain(const Paths& paths, const std::string& suite,
                                             bool rate_limits) {
  const std::string dir = paths.work_dir + "/dev-" + suite;
  GOVLEDGER_RETURN_IF_ERROR(FreshDir(dir));
  auto toml = NetworkToml(paths, "dev", 1, suite, rate_limits);
  if (!toml.ok()) return toml.status();
  GOVLEDGER_RETURN_IF_ERROR(WriteText(dir + "/network.toml", *toml));
  auto chain = std::make_unique<Chain>();
  auto n = std::make_unique<NodeProc>();
  n->name = "dev";
  n->home = dir + "/home";
  n->log = dir + "/node.log";
  GOVLEDGER_RETURN_IF_ERROR(n->Start(paths, {"--dev", "--config", dir + "/network.toml"}));
  chain->genesis_file = n->home + "/genesis.json";
  chain->keys_dir = n->home + "/keys";
  chain->nodes.push_back(std::move(n));
  return chain;
}

Status WaitConnected(const Chain& chain, const std::string& logs_dir) {
  const uint64_t peers = chain.nodes.size() - 1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (true) {
    bool ready = true;
    for (const auto& n : chain.nodes) {
      auto st = GetJson(n->url, "/v1/status");
      if (!st.ok() || st->value("height", uint64_t{0}) < 1 || !st->contains("consensus") ||
          (*st)["consensus"].value("peers_connected", uint64_t{0}) < peers) {
        ready = false;
        break;
      }
    }
    if (ready) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Error("network_timeout", "the " + std::to_string(chain.nodes.size()) +
                                                  " nodes did not connect within 90 s; logs in " +
                                                  logs_dir);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<std::unique_ptr<Chain>> StartLocal4(const Paths& paths, const std::string& suite) {
  const std::string dir = paths.work_dir + "/local4-" + suite;
  GOVLEDGER_RETURN_IF_ERROR(FreshDir(dir));
  auto toml = NetworkToml(paths, "local-4", 4, suite);
  if (!toml.ok()) return toml.status();
  GOVLEDGER_RETURN_IF_ERROR(WriteText(dir + "/network.toml", *toml));
  std::string out;
  int rc = RunCommand({paths.Cli(), "network", "init", "--config", dir + "/network.toml", "--out",
                       dir + "/net"},
                      &out, nullptr, nullptr);
  if (rc != 0) return Status::Error("network_init", "govledger network init failed: " + out);
  auto chain = std::make_unique<Chain>();
  chain->genesis_file = dir + "/net/node0/genesis.json";
  chain->keys_dir = dir + "/net/keys";
  for (int i = 0; i < 4; ++i) {
    auto n = std::make_unique<NodeProc>();
    n->name = "node" + std::to_string(i);
    n->home = dir + "/net/" + n->name;
    n->log = dir + "/" + n->name + ".log";
    GOVLEDGER_RETURN_IF_ERROR(n->Start(paths, {}));
    chain->nodes.push_back(std::move(n));
  }
  GOVLEDGER_RETURN_IF_ERROR(WaitConnected(*chain, dir));
  return chain;
}

}  // namespace govledger::bench

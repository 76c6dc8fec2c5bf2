#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string_view>
#include <sstream>
#include <thread>

#include "contracts/material_id.h"
#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "node/http_client.h"
#include "node/request_auth.h"
#include "util/time.h"

namespace govledger::itest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

ExitStatus DecodeWaitStatus(int status) {
  ExitStatus e;
  if (WIFEXITED(status)) {
    e.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
    e.code = 128 + e.signal;
  }
  return e;
}

std::string Tail(const std::string& s, size_t max_bytes) {
  return s.size() <= max_bytes ? s : "..." + s.substr(s.size() - max_bytes);
}

// fork + exec with stdin from /dev/null and stdout/stderr on the given descriptors (-1: inherit).
// The child is killed by the kernel if the test process dies. Exec failures are reported back
// through a close-on-exec pipe, so a wrong path fails here rather than as a mysterious exit 127.
pid_t SpawnChild(const std::vector<std::string>& argv, int out_fd, int err_fd,
                 const std::string& cwd) {
  if (argv.empty()) throw HarnessError("Spawn: empty argv");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) throw HarnessError(Errno("open /dev/null"));
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(null_fd);
    throw HarnessError(Errno("pipe2"));
  }
  pid_t parent = ::getpid();
  // GOVLEDGER_IT_CORE=1: children may dump core (a node that crashes in a long soak leaves
  // `core` in its working directory; kernel.core_pattern permitting).
  const char* core_env = std::getenv("GOVLEDGER_IT_CORE");
  const bool allow_core = core_env != nullptr && std::string_view(core_env) == "1";
  pid_t pid = ::fork();
  if (pid < 0) {
    int saved = errno;
    ::close(null_fd);
    ::close(report[0]);
    ::close(report[1]);
    errno = saved;
    throw HarnessError(Errno("fork"));
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // Its own process group: a child stopped with SIGSTOP by a test is then never in an
    // orphaned group, which the kernel would send SIGHUP (and kill) when the shell that started
    // the test exits — a soak run from a detached shell lost a node that way.
    (void)::setpgid(0, 0);
    if (allow_core) {
      struct rlimit unlimited {RLIM_INFINITY, RLIM_INFINITY};
      (void)::setrlimit(RLIMIT_CORE, &unlimited);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::sigaction(SIGTERM, &dfl, nullptr);
    ::sigaction(SIGINT, &dfl, nullptr);
    ::dup2(null_fd, 0);
    if (out_fd >= 0) ::dup2(out_fd, 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    if (cwd.empty() || ::chdir(cwd.c_str()) == 0) ::execv(args[0], args.data());
    int err = errno;
    ssize_t ignored = ::write(report[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  ::close(null_fd);
  ::close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {
    int status;
    ::waitpid(pid, &status, 0);
    throw HarnessError("cannot execute " + argv[0] + (cwd.empty() ? "" : " in " + cwd) + ": " +
                       std::strerror(child_errno));
  }
  return pid;
}

int OpenLog(const std::string& path) {
  if (path.empty()) return -1;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw HarnessError(Errno("open " + path));
  return fd;
}

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

HostPort ParseHostPort(const std::string& url) {
  static const std::regex kUrl(R"(^http://([0-9.]+):([0-9]+)/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) throw HarnessError("not an http://IPv4:PORT url: " + url);
  return HostPort{m[1], static_cast<uint16_t>(std::stoi(m[2]))};
}

}  // namespace

// ------------------------------------------------------------------ paths

std::string BinDir() {
#ifdef GOVLEDGER_IT_BIN_DIR
  return EnvOr("GOVLEDGER_BIN_DIR", GOVLEDGER_IT_BIN_DIR);
#else
  return EnvOr("GOVLEDGER_BIN_DIR", ".");
#endif
}

std::string SourceDir() {
#ifdef GOVLEDGER_IT_SOURCE_DIR
  return EnvOr("GOVLEDGER_SOURCE_DIR", GOVLEDGER_IT_SOURCE_DIR);
#else
  return EnvOr("GOVLEDGER_SOURCE_DIR", ".");
#endif
}

std::string NodeBinary() { return BinDir() + "/cli/govledger-node"; }
std::string CliBinary() { return BinDir() + "/cli/govledger"; }

// ------------------------------------------------------------------ waiting

bool WaitFor(const std::function<bool()>& done, milliseconds timeout, milliseconds interval) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return done();
    std::this_thread::sleep_for(interval);
  }
}

// ------------------------------------------------------------------ files

TempDir::TempDir(std::string_view prefix) {
  std::string base = EnvOr("TMPDIR", "/tmp");
  std::string templ = base + "/" + std::string(prefix) + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw HarnessError(Errno("mkdtemp " + templ));
  path_ = fs::absolute(buf.data()).string();
}

TempDir::~TempDir() {
  if (EnvOr("GOVLEDGER_IT_KEEP", "") == "1") {
    std::cerr << "[harness] keeping " << path_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string ReadFileOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw HarnessError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileOrThrow(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw HarnessError("cannot write " + path);
}

// ------------------------------------------------------------------ processes

Process::~Process() { Reset(); }

Process::Process(Process&& other) noexcept : pid_(other.pid_), exit_(other.exit_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = other.pid_;
    exit_ = other.exit_;
    other.pid_ = -1;
  }
  return *this;
}

void Process::Reset() {
  if (pid_ > 0 && Running()) Kill();
  pid_ = -1;
}

Process Process::Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                       const std::string& stderr_path) {
  int out_fd = OpenLog(stdout_path);
  int err_fd = -1;
  try {
    err_fd = stderr_path == stdout_path ? out_fd : OpenLog(stderr_path);
    Process p = SpawnFds(argv, out_fd, err_fd);
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0 && err_fd != out_fd) ::close(err_fd);
    return p;
  } catch (...) {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0 && err_fd != out_fd) ::close(err_fd);
    throw;
  }
}

Process Process::SpawnFds(const std::vector<std::string>& argv, int out_fd, int err_fd,
                          const std::string& cwd) {
  Process p;
  p.pid_ = SpawnChild(argv, out_fd, err_fd, cwd);
  return p;
}

bool Process::Running() {
  if (pid_ <= 0 || exit_) return false;
  int status;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_ = DecodeWaitStatus(status);
    return false;
  }
  if (r < 0) {  // not our child any more (cannot happen unless someone else reaped it)
    exit_ = ExitStatus{};
    return false;
  }
  return true;
}

void Process::Signal(int sig) {
  if (Running()) ::kill(pid_, sig);
}

std::optional<ExitStatus> Process::Wait(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  WaitFor([this] { return !Running(); }, timeout, milliseconds(5));
  return exit_;
}

ExitStatus Process::Terminate(milliseconds grace) {
  Signal(SIGTERM);
  if (auto e = Wait(grace)) return *e;
  return Kill();
}

ExitStatus Process::Kill() {
  if (Running()) {
    ::kill(pid_, SIGKILL);
    int status;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    exit_ = r == pid_ ? DecodeWaitStatus(status) : ExitStatus{};
  }
  return exit_.value_or(ExitStatus{});
}

// ------------------------------------------------------------------ the CLI

Json CliResult::json() const {
  Json j = Json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw HarnessError("CLI output is not JSON: " + Describe());
  return j;
}

std::string CliResult::Describe() const {
  return "exit " + std::to_string(exit_code) + "; stdout: [" + Tail(out, 3000) + "]; stderr: [" +
         Tail(err, 3000) + "]";
}

CliResult RunCli(const std::vector<std::string>& args, const CliOptions& options) {
  const milliseconds timeout = options.timeout;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw HarnessError(Errno("pipe2"));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw HarnessError(Errno("pipe2"));
  }
  std::vector<std::string> argv{CliBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p;
  try {
    p = Process::SpawnFds(argv, out_pipe[1], err_pipe[1], options.cwd);
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  CliResult result;
  auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  std::optional<ExitStatus> status =
      timed_out ? std::nullopt : p.Wait(std::max(left, milliseconds(0)));
  if (!status) {
    p.Kill();
    std::ostringstream cmd;
    for (const auto& a : argv) cmd << a << ' ';
    throw HarnessError("CLI did not finish within " + std::to_string(timeout.count()) +
                       " ms: " + cmd.str() + "; stdout: [" + Tail(result.out, 2000) +
                       "]; stderr: [" + Tail(result.err, 2000) + "]");
  }
  result.exit_code = status->code;
  return result;
}

// ------------------------------------------------------------------ the node

DevNode::DevNode(std::string home, DevNodeOptions options)
    : home_(std::move(home)), options_(std::move(options)), log_path_(home_ + ".log") {}

DevNode::~DevNode() {
  const std::string unexpected = UnexpectedEnd();
  if (process_.Running()) process_.Kill();
  if (std::uncaught_exceptions() > 0) {
    std::cerr << "[harness] node log " << log_path_
              << (unexpected.empty() ? "" : " (the node " + unexpected + ")") << " (tail):\n"
              << LogTail() << "\n";
  }
}

bool DevNode::running() { return process_.Running(); }

std::string DevNode::UnexpectedEnd() {
  if (!should_run_ || process_.Running()) return {};
  const std::optional<ExitStatus>& e = process_.exit_status();
  if (!e) return {};
  if (e->signaled) {
    const char* name = sigabbrev_np(e->signal);
    return "died by signal " + std::to_string(e->signal) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "exited with code " + std::to_string(e->code);
}

std::string DevNode::KeyPath(std::string_view department) const {
  return home_ + "/keys/" + std::string(department) + ".pem";
}

std::string DevNode::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "(no log)";
  std::ostringstream ss;
  ss << in.rdbuf();
  return Tail(ss.str(), max_bytes);
}

void DevNode::Start() {
  if (process_.Running()) throw HarnessError("DevNode::Start: node is already running");
  // api.addr is rewritten on every start; a stale one would point at the previous run's port.
  std::error_code ec;
  fs::remove(home_ + "/api.addr", ec);
  std::vector<std::string> argv{options_.binary.empty() ? NodeBinary() : options_.binary, "--home",
                                home_, "--api", "127.0.0.1:0"};
  argv.insert(argv.end(), {"--log-level", options_.log_level});
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (options_.dev) argv.push_back("--dev");
  if (options_.dev && !options_.network_toml.empty()) {
    argv.push_back("--config");
    argv.push_back(options_.network_toml);
  }
  process_ = Process::Spawn(argv, log_path_, log_path_);
  url_.clear();

  auto deadline = Clock::now() + milliseconds(30'000);
  while (true) {
    if (!process_.Running()) {
      throw HarnessError("govledger-node exited with code " +
                         std::to_string(process_.exit_status()->code) + " during start; log:\n" +
                         LogTail());
    }
    if (url_.empty()) {
      std::ifstream in(home_ + "/api.addr");
      std::string line;
      // Written atomically with a trailing newline: a complete line is the whole address.
      if (in && std::getline(in, line) && !line.empty() && !in.eof()) url_ = "http://" + line;
    }
    if (!url_.empty()) {
      auto r = node::HttpGet(url_, "/healthz", 2'000);
      if (r.ok() && r->status == 200) {
        should_run_ = true;
        return;
      }
    }
    if (Clock::now() >= deadline) {
      process_.Kill();
      throw HarnessError("govledger-node did not become healthy within 30 s; log:\n" + LogTail());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

void DevNode::Stop() {
  if (!process_.Running()) throw HarnessError("DevNode::Stop: node is not running");
  should_run_ = false;
  process_.Signal(SIGTERM);
  auto status = process_.Wait(milliseconds(30'000));
  if (!status) {
    process_.Kill();
    throw HarnessError("govledger-node did not stop within 30 s of SIGTERM; log:\n" + LogTail());
  }
  if (status->code != 0) {
    throw HarnessError("govledger-node exited with code " + std::to_string(status->code) +
                       " after SIGTERM; log:\n" + LogTail());
  }
}

void DevNode::Kill9() {
  if (!process_.Running()) throw HarnessError("DevNode::Kill9: node is not running");
  should_run_ = false;
  ExitStatus e = process_.Kill();
  if (!e.signaled || e.signal != SIGKILL) {
    throw HarnessError("govledger-node ended with code " + std::to_string(e.code) +
                       " before SIGKILL reached it; log:\n" + LogTail());
  }
}

namespace {
DevNodeOptions FastDevChainOptions(const TempDir& tmp, const TomlSettings& network_settings) {
  DevNodeOptions o;
  o.network_toml = tmp.Sub("network.toml");
  WriteDevNetworkToml(o.network_toml, 200);
  if (!network_settings.empty()) {
    WriteFileOrThrow(o.network_toml, ApplySettings(ReadFileOrThrow(o.network_toml),
                                                   network_settings, o.network_toml));
  }
  return o;
}
}  // namespace

ConfiguredDevChain::ConfiguredDevChain(const Settings& node_settings,
                                       const Settings& network_settings)
    : node(tmp.Sub("node"), FastDevChainOptions(tmp, network_settings)) {
  node.Start();
  if (node_settings.empty()) return;
  // node.toml is written by the first start: set the keys, then serve with them.
  node.Stop();
  const std::string path = node.home() + "/node.toml";
  WriteFileOrThrow(path, ApplySettings(ReadFileOrThrow(path), node_settings, path));
  node.Start();
}

std::string ConfiguredDevChain::chain_id() {
  return Status(node.url())["chain_id"].get<std::string>();
}

CliResult DevNode::Cli(const std::vector<std::string>& args, bool json) const {
  std::vector<std::string> full{"--node", url_};
  if (json) full.push_back("--json");
  full.insert(full.end(), args.begin(), args.end());
  // Files the CLI writes by default (receipts) land beside the home, inside the test's directory.
  return RunCli(full, CliOptions{fs::path(home_).parent_path().string()});
}

void WriteDevNetworkToml(const std::string& path, int64_t block_interval_ms) {
  const std::string source = SourceDir() + "/network-configs/dev/network.toml";
  WriteFileOrThrow(path, ReplaceValues(ReadFileOrThrow(source), "block_interval_ms",
                                       {std::to_string(block_interval_ms)}, source));
}

std::string ReplaceValues(const std::string& text, const std::string& key,
                          const std::vector<std::string>& values, const std::string& what) {
  std::istringstream in(text);
  std::ostringstream out;
  std::string line;
  size_t used = 0;
  const std::string prefix = key + " =";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      if (used >= values.size()) break;
      line = key + " = " + values[used++];
    }
    out << line << "\n";
  }
  if (used != values.size() || !in.eof()) {
    throw HarnessError(what + ": expected " + std::to_string(values.size()) + " '" + key +
                       " =' lines");
  }
  return out.str();
}

std::string ApplySettings(std::string text, const TomlSettings& settings, const std::string& what) {
  for (const auto& [key, value] : settings) text = ReplaceValues(text, key, {value}, what);
  return text;
}

// ------------------------------------------------------------------ HTTP

Json HttpReply::json() const {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? Json() : j;
}

HttpReply Get(const std::string& url, const std::string& target) {
  auto r = node::HttpGet(url, target, 30'000);
  if (!r.ok()) throw HarnessError("GET " + target + ": " + r.status().ToString());
  return HttpReply{r->status, r->body};
}

HttpReply SignedGet(const std::string& url, const std::string& target,
                    const std::string& key_file) {
  const Json status = Status(url);
  const std::string suite_name = status.value("suite", "p256");
  const crypto::Suite suite = suite_name == "sm" ? crypto::Suite::kSm : crypto::Suite::kP256;
  auto key = crypto::PrivateKey::LoadPemFile(suite, key_file);
  if (!key.ok()) throw HarnessError(key_file + ": " + key.status().ToString());
  auto headers = node::SignRequest(*key, status.value("chain_id", ""), "GET", target, NowMs(), "");
  auto r = node::HttpGetWithHeaders(url, target, headers, 30'000);
  if (!r.ok()) throw HarnessError("GET " + target + ": " + r.status().ToString());
  return HttpReply{r->status, r->body};
}

HttpReply Post(const std::string& url, const std::string& target, const std::string& body,
               const std::string& content_type) {
  auto r = node::HttpPost(url, target, body, 30'000, content_type);
  if (!r.ok()) throw HarnessError("POST " + target + ": " + r.status().ToString());
  return HttpReply{r->status, r->body};
}

Json Status(const std::string& url) {
  HttpReply r = Get(url, "/v1/status");
  if (r.status != 200) {
    throw HarnessError("GET /v1/status: " + std::to_string(r.status) + " " + r.body);
  }
  return r.json();
}

std::string RawExchange(const std::string& url, const std::string& head, const std::string& body,
                        milliseconds timeout) {
  HostPort hp = ParseHostPort(url);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw HarnessError(Errno("socket"));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(hp.port);
  if (::inet_pton(AF_INET, hp.host.c_str(), &addr.sin_addr) != 1) {
    throw HarnessError("bad IPv4 address " + hp.host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw HarnessError(Errno("connect " + url));
  }
  auto deadline = Clock::now() + timeout;
  auto ms_left = [&] {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1000));
  };

  // Sends all of `data` unless the peer answers or hangs up first; false if it stopped early.
  auto send_all = [&](std::string_view data) {
    size_t sent = 0;
    while (sent < data.size()) {
      pollfd p{fd, POLLIN | POLLOUT, 0};
      if (::poll(&p, 1, ms_left()) < 0 && errno != EINTR) return false;
      if (Clock::now() >= deadline) return false;
      if (p.revents & (POLLIN | POLLERR | POLLHUP)) return false;  // an early answer
      if ((p.revents & POLLOUT) == 0) continue;
      size_t chunk = std::min<size_t>(data.size() - sent, 64 * 1024);
      ssize_t n = ::send(fd, data.data() + sent, chunk, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return false;  // EPIPE / ECONNRESET: the server has given up on us
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  };
  if (send_all(head)) send_all(body);

  // Read until the server closes, or until a complete response (by Content-Length) is in.
  std::string response;
  char buf[65536];
  while (Clock::now() < deadline) {
    size_t header_end = response.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      static const std::regex kLength(R"((^|\r\n)[Cc]ontent-[Ll]ength:\s*([0-9]+))");
      std::smatch m;
      std::string headers = response.substr(0, header_end);
      if (std::regex_search(headers, m, kLength) &&
          response.size() >= header_end + 4 + std::stoull(m[2])) {
        break;
      }
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, ms_left());
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      response.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      break;
    }
  }
  return response;
}

int RawStatus(const std::string& response) {
  static const std::regex kStatusLine(R"(^HTTP/1\.[01] ([0-9]{3}))");
  std::smatch m;
  if (!std::regex_search(response, m, kStatusLine)) return 0;
  return std::stoi(m[1]);
}

std::string RawBody(const std::string& response) {
  size_t header_end = response.find("\r\n\r\n");
  return header_end == std::string::npos ? "" : response.substr(header_end + 4);
}

// ------------------------------------------------------------------ transactions

TxFactory::TxFactory(const std::string& home) : TxFactory(home + "/genesis.json", home + "/keys") {}

TxFactory::TxFactory(const std::string& genesis_file, const std::string& keys_dir)
    : keys_dir_(keys_dir) {
  auto g = ledger::LoadGenesisFile(genesis_file);
  if (!g.ok()) throw HarnessError("genesis " + genesis_file + ": " + g.status().ToString());
  genesis_ = std::move(*g);
}

crypto::PrivateKey TxFactory::Key(const std::string& department) const {
  std::string path = keys_dir_ + "/" + department + ".pem";
  auto key = crypto::PrivateKey::LoadPemFile(genesis_.suite, path);
  if (!key.ok()) throw HarnessError("key " + path + ": " + key.status().ToString());
  return std::move(*key);
}

std::string TxFactory::DepartmentCode(const std::string& department) const {
  for (const auto& d : genesis_.departments) {
    if (d.id == department) return d.code;
  }
  throw HarnessError("no department '" + department + "' in the genesis");
}

TxFactory::Built TxFactory::Issue(const IssueSpec& spec, uint64_t valid_until_height) const {
  return IssueWithKey(Key(spec.department), DepartmentCode(spec.department), spec,
                      valid_until_height);
}

TxFactory::Built TxFactory::IssueWithKey(const crypto::PrivateKey& key,
                                         const std::string& issuer_code, const IssueSpec& spec,
                                         uint64_t valid_until_height) const {
  const crypto::Suite suite = genesis_.suite;
  auto id = contracts::MakeMaterialId(
      {spec.type_code, issuer_code, spec.serial.empty() ? RandomSerial() : spec.serial, "001"});
  if (!id.ok()) throw HarnessError("material id: " + id.status().ToString());

  ledger::IssueMaterial p;
  p.material_id = *id;
  p.type_code = spec.type_code;
  Bytes holder_salt = RandomBytes(16);
  p.holder_commitment =
      crypto::DigestBytes(ledger::HolderCommitment(suite, holder_salt, spec.holder_id));
  Bytes document = spec.document.empty() ? RandomBytes(256) : spec.document;
  p.doc_digest = crypto::DigestBytes(crypto::Hash(suite, document));
  // fields_root: RFC 9162 root over salted leaves sorted by name, as a department system commits.
  auto fields = spec.fields;
  std::sort(fields.begin(), fields.end());
  crypto::MemoryNodeStore nodes;
  crypto::MerkleLog tree(suite, &nodes, 0);
  for (const auto& [name, value] : fields) {
    tree.Append(ledger::FieldLeafBytes(RandomBytes(16), name, value));
    p.field_names.push_back(name);
  }
  auto root = tree.Root();
  if (!root.ok()) throw HarnessError("fields root: " + root.status().ToString());
  p.fields_root = crypto::DigestBytes(*root);
  p.valid_from_ms = spec.valid_from_ms != 0 ? spec.valid_from_ms : NowMs();
  p.valid_until_ms = spec.valid_until_ms;

  ledger::TxBody body;
  body.chain_id = genesis_.chain_id;
  body.nonce = crypto::RandomU64();
  body.valid_until_height = valid_until_height;
  body.created_ms = NowMs();
  body.payload = std::move(p);
  return Built{ledger::SignTx(key, body), *id};
}

TxFactory::Built TxFactory::Revoke(const std::string& department, const std::string& material_id,
                                   const std::string& reason, uint64_t valid_until_height) const {
  ledger::TxBody body;
  body.chain_id = genesis_.chain_id;
  body.nonce = crypto::RandomU64();
  body.valid_until_height = valid_until_height;
  body.created_ms = NowMs();
  body.payload = ledger::RevokeMaterial{material_id, reason};
  return Built{ledger::SignTx(Key(department), body), material_id};
}

std::string TxRequestBody(const Bytes& raw_signed_tx) {
  return Json{{"tx", Base64Encode(raw_signed_tx)}}.dump();
}

std::string RandomSerial() {
  std::string hex = HexEncode(crypto::RandomBytes(8));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return hex;
}

Bytes RandomBytes(size_t n) { return crypto::RandomBytes(n); }

}  // namespace govledger::itest

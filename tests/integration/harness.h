// Harness for the process-level integration tests: real `govledger-node` daemons on loopback
// (port 0, one temporary home each) driven through the real `govledger` CLI and through raw HTTP.
//
// Every helper waits with a bounded deadline (never a fixed sleep) and fails by throwing
// HarnessError, which Catch2 reports with its message. Child processes are always reaped: their
// owners kill and wait in destructors, and each child also gets SIGKILL from the kernel if the
// test process dies (PR_SET_PDEATHSIG), so a failing or crashing test never leaks a node.
//
// Thread-safety: Process, DevNode and TempDir are single-owner objects. RunCli, the HTTP helpers
// and TxFactory's const methods may be called from several threads at once. The kernel's
// parent-death signal follows the *thread* that forked: start long-lived children (nodes) from
// the test's own thread, not from a helper thread that ends before them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/types.h"
#include "util/bytes.h"

namespace govledger::itest {

using Json = nlohmann::json;
using std::chrono::milliseconds;

// A harness step that could not be carried out (a node that does not start, a CLI that hangs...).
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ------------------------------------------------------------------ paths

// $GOVLEDGER_BIN_DIR (the build directory) and $GOVLEDGER_SOURCE_DIR, set by ctest.
std::string BinDir();
std::string SourceDir();
std::string NodeBinary();  // BIN_DIR/cli/govledger-node
std::string CliBinary();   // BIN_DIR/cli/govledger

// ------------------------------------------------------------------ waiting

// Polls `done` every `interval` until it returns true or `timeout` has passed; returns the last
// result. The predicate is always evaluated at least once, and once more after the deadline.
bool WaitFor(const std::function<bool()>& done, milliseconds timeout,
             milliseconds interval = milliseconds(50));

// ------------------------------------------------------------------ files

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
// Set GOVLEDGER_IT_KEEP=1 to keep it for a post-mortem (its path is printed).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "govledger-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(std::string_view name) const;

 private:
  std::string path_;
};

std::string ReadFileOrThrow(const std::string& path);
void WriteFileOrThrow(const std::string& path, std::string_view data);

// ------------------------------------------------------------------ processes

// Exit status as a shell reports it: the exit code, or 128 + signal number.
struct ExitStatus {
  int code = -1;
  bool signaled = false;
  int signal = 0;
};

// A child process started with fork + exec. stdin is /dev/null; stdout and stderr go to the
// given files (appended) or, when a path is empty, are inherited. Owning: the destructor sends
// SIGKILL to a still-running child and reaps it.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  static Process Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                       const std::string& stderr_path);
  // Same with already open descriptors for stdout and stderr (-1: inherit); the caller keeps
  // ownership of them.
  // `cwd`: the child's working directory (empty: the test's).
  static Process SpawnFds(const std::vector<std::string>& argv, int out_fd, int err_fd,
                          const std::string& cwd = "");

  pid_t pid() const { return pid_; }
  // True while the child has not been reaped (reaps it, without blocking, if it has exited).
  bool Running();
  void Signal(int sig);
  // Waits until the child exits or `timeout` passes; nullopt on timeout (child left running).
  std::optional<ExitStatus> Wait(milliseconds timeout);
  // SIGTERM, then SIGKILL if it has not exited within `grace`. Returns how it ended.
  ExitStatus Terminate(milliseconds grace);
  // SIGKILL and reap.
  ExitStatus Kill();
  // The exit status once reaped.
  const std::optional<ExitStatus>& exit_status() const { return exit_; }

 private:
  void Reset();
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
};

// ------------------------------------------------------------------ the CLI

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON; throws HarnessError (quoting the output) if it is not JSON.
  Json json() const;
  // One line for failure messages: exit code, stdout and stderr.
  std::string Describe() const;
};

struct CliOptions {
  // Working directory of the CLI (where it writes files such as receipts by default); empty: the
  // test's own (ctest runs tests in the build tree, so pass a temporary directory for any
  // command that may write).
  std::string cwd;
  milliseconds timeout{60'000};  // the CLI is killed, and the call fails, after this long
};

// Runs BIN_DIR/cli/govledger with `args`.
CliResult RunCli(const std::vector<std::string>& args, const CliOptions& options = {});

// ------------------------------------------------------------------ the node

struct DevNodeOptions {
  // Network description for the first start (--config); empty: the built-in dev network.
  std::string network_toml;
  std::string log_level = "info";
  // false: run a validator home made by `govledger network init` (no --dev, no --config); the
  // API still listens on an OS-chosen port (--api 127.0.0.1:0), everything else comes from the
  // home's node.toml.
  bool dev = true;
  // The daemon to run (empty: NodeBinary()) and arguments added after the usual ones, e.g. the
  // test-only govledger-node-faulty of tests/faults/ and its flags.
  std::string binary;
  std::vector<std::string> extra_args;
};

// A `govledger-node --dev` daemon (or, with DevNodeOptions::dev false, a validator of a network
// made by `govledger network init`) on 127.0.0.1 with an OS-chosen API port. The home directory
// persists across Stop/Start/Kill9, as a real deployment's would; stdout and stderr of every run
// are appended to HOME/../<home name>.log.
class DevNode {
 public:
  explicit DevNode(std::string home, DevNodeOptions options = {});
  ~DevNode();
  DevNode(const DevNode&) = delete;
  DevNode& operator=(const DevNode&) = delete;

  // Starts the daemon and returns once /healthz answers (HarnessError after 30 s or if it exits).
  void Start();
  // SIGTERM and wait; HarnessError unless it exits 0 within 30 s.
  void Stop();
  // SIGKILL: the crash case.
  void Kill9();
  void Restart() {
    Stop();
    Start();
  }
  bool running();
  // Empty while the daemon runs or after the harness ended it (Stop, Kill9); otherwise how it
  // ended on its own ("died by signal 11 (SIGSEGV)", "exited with code 1"): a crash the test
  // did not cause, which every scenario must report rather than restart over.
  std::string UnexpectedEnd();
  // Sends `sig` to the running daemon (e.g. SIGSTOP / SIGCONT).
  void Signal(int sig) { process_.Signal(sig); }
  DevNodeOptions& options() { return options_; }

  const std::string& home() const { return home_; }
  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  std::string KeyPath(std::string_view department) const;
  std::string LogPath() const { return log_path_; }
  // The last `max_bytes` of the node's log, for failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;

  // Convenience for CLI calls against this node: govledger --node URL [--json] args..., run in
  // the directory that holds the home.
  CliResult Cli(const std::vector<std::string>& args, bool json = true) const;

 private:
  std::string home_;
  DevNodeOptions options_;
  std::string log_path_;
  std::string url_;
  Process process_;
  // Start() succeeded and neither Stop() nor Kill9() has ended it since: a process that is
  // gone while this holds ended on its own.
  bool should_run_ = false;
};

// The built-in dev network description with a different heartbeat interval, written to `path`.
void WriteDevNetworkToml(const std::string& path, int64_t block_interval_ms);

// TOML edits for the configs the tests write: ReplaceValues replaces the value of every line
// `key = ...` (at the start of a line) by `values` in turn and throws (naming `what`) unless
// exactly values.size() such lines exist; ApplySettings does so for keys that appear once.
using TomlSettings = std::vector<std::pair<std::string, std::string>>;
std::string ReplaceValues(const std::string& text, const std::string& key,
                          const std::vector<std::string>& values, const std::string& what);
std::string ApplySettings(std::string text, const TomlSettings& settings, const std::string& what);

// A dev chain (200 ms heartbeat) in its own temporary directory whose node.toml keys (any
// section's `key = value` lines, e.g. {"max_batch_txs", "3"}) and network.toml keys (e.g.
// {"max_block_txs", "10"}) are set before it serves.
struct ConfiguredDevChain {
  using Settings = TomlSettings;
  explicit ConfiguredDevChain(const Settings& node_settings = {},
                              const Settings& network_settings = {});
  std::string chain_id();

  TempDir tmp;
  DevNode node;
};

// ------------------------------------------------------------------ HTTP

struct HttpReply {
  int status = 0;
  std::string body;
  // body parsed as JSON; a null json if it is not JSON.
  Json json() const;
};

// Via node/http_client.h; throw HarnessError if the node cannot be reached.
HttpReply Get(const std::string& url, const std::string& target);
HttpReply Post(const std::string& url, const std::string& target, const std::string& body,
               const std::string& content_type = "application/json");
// GET signed with the private key in `key_file` (a department's or regulator's; node/request_auth.h),
// for the non-public endpoints. The chain id comes from the node's /v1/status.
HttpReply SignedGet(const std::string& url, const std::string& target, const std::string& key_file);
// GET /v1/status as JSON (throws unless 200).
Json Status(const std::string& url);

// Sends `head` (request line and headers, ending in an empty line) and then `body` in chunks,
// stopping early if the server answers first, as a careful client does when a server rejects a
// request before reading all of it. Returns the raw response (status line, headers, body).
std::string RawExchange(const std::string& url, const std::string& head, const std::string& body,
                        milliseconds timeout = milliseconds(10'000));
// The status code of a raw HTTP response ("HTTP/1.1 400 Bad Request..." → 400), 0 if none.
int RawStatus(const std::string& response);
// The body of a raw HTTP response (after the blank line).
std::string RawBody(const std::string& response);

// ------------------------------------------------------------------ transactions

// Issue parameters for a crafted transaction. Defaults make a valid BIRTHMED from "health".
struct IssueSpec {
  std::string department = "health";
  std::string type_code = "BIRTHMED";
  std::string serial;  // empty: a fresh random serial
  std::string holder_id = "440305202401010012";
  Bytes document;  // hashed into doc_digest; empty: random bytes
  std::vector<std::pair<std::string, std::string>> fields = {{"birth_date", "2024-01-01"},
                                                             {"birth_place", "南山区人民医院"},
                                                             {"child_name", "李小明"},
                                                             {"mother_name", "王芳"}};
  int64_t valid_from_ms = 0;   // 0: now
  int64_t valid_until_ms = 0;  // 0: no expiry
};

// Builds and signs transactions the way a department system does, from a dev node's home
// (genesis.json and keys/<department>.pem), to submit through the HTTP API directly.
class TxFactory {
 public:
  explicit TxFactory(const std::string& home);
  // A network made by `govledger network init`: any validator home's genesis.json and the
  // department keys in OUT/keys.
  TxFactory(const std::string& genesis_file, const std::string& keys_dir);

  const ledger::Genesis& genesis() const { return genesis_; }
  // The department's key from HOME/keys/<department>.pem.
  crypto::PrivateKey Key(const std::string& department) const;

  struct Built {
    ledger::Tx tx;            // tx.raw is the SignedTx to submit
    std::string material_id;  // for an issue
  };
  // `valid_until_height`: the tx's replay window, e.g. status height + 1000.
  Built Issue(const IssueSpec& spec, uint64_t valid_until_height) const;
  // Same, signed with an arbitrary key (which may belong to no department); the material id uses
  // `issuer_code`.
  Built IssueWithKey(const crypto::PrivateKey& key, const std::string& issuer_code,
                     const IssueSpec& spec, uint64_t valid_until_height) const;
  Built Revoke(const std::string& department, const std::string& material_id,
               const std::string& reason, uint64_t valid_until_height) const;

  // The 18-character code of a department in the genesis (HarnessError if unknown).
  std::string DepartmentCode(const std::string& department) const;

 private:
  std::string keys_dir_;
  ledger::Genesis genesis_;
};

// {"tx": "<base64>"} for POST /v1/tx.
std::string TxRequestBody(const Bytes& raw_signed_tx);
// A random serial for material ids: 16 characters [0-9A-F].
std::string RandomSerial();
Bytes RandomBytes(size_t n);

}  // namespace govledger::itest

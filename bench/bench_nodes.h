// Real govledger-node processes for the benchmarks: a one-validator dev chain, or the local-4
// network made by the real `govledger network init` from a copy of network-configs/local-4 (free
// loopback ports, the suite of the run). Every child is killed when its owner goes away, and by
// the kernel if the benchmark itself dies (PR_SET_PDEATHSIG).
//
// Thread-safety: single-owner objects, used from the benchmark's main thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "util/status.h"

namespace govledger::bench {

// Where the binaries and the sources are.
struct Paths {
  std::string bin_dir;     // the build directory (cli/govledger, cli/govledger-node)
  std::string source_dir;  // the repository (network-configs/)
  std::string work_dir;    // scratch space for homes and logs (created)
  std::string Node() const { return bin_dir + "/cli/govledger-node"; }
  std::string Cli() const { return bin_dir + "/cli/govledger"; }
};

// A child process (fork + exec), stdout and stderr appended to `log_path`.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  Status Spawn(const std::vector<std::string>& argv, const std::string& log_path);
  pid_t pid() const { return pid_; }
  bool Running();
  // SIGTERM, then SIGKILL after `grace_ms`; returns the exit code (128 + signal if signalled).
  int Terminate(int grace_ms = 30'000);
  // Waits for an exit already asked for; SIGKILL after `grace_ms`. Returns the exit code.
  int WaitExit(int grace_ms);
  // Waits for exit (no signal); returns the exit code, with the child's CPU time in `cpu_s`.
  int Wait(double* cpu_s = nullptr);

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Runs a command to completion; returns its exit code, stdout in `out` (stderr is discarded), CPU
// seconds of the child in `cpu_s` and wall seconds in `wall_s`.
int RunCommand(const std::vector<std::string>& argv, std::string* out, double* cpu_s,
               double* wall_s);

// A running validator.
struct NodeProc {
  std::string name;
  std::string home;
  std::string url;  // http://127.0.0.1:PORT
  std::string log;
  Child proc;
  // Starts govledger-node for `home` (extra arguments such as --dev) on an OS-chosen API port and
  // waits until /healthz answers.
  Status Start(const Paths& paths, const std::vector<std::string>& extra_args);
};

// A chain to benchmark: its nodes, the genesis file and where the department keys are.
struct Chain {
  std::vector<std::unique_ptr<NodeProc>> nodes;
  std::string genesis_file;
  std::string keys_dir;
  std::vector<std::string> Urls() const;
  std::vector<pid_t> Pids() const;
  // SIGTERM to every node; false unless all exit cleanly.
  bool StopAll();
};

// network-configs/<name>/network.toml with `validators` free loopback API and p2p ports and the
// suite of the run. The benchmarks offer load from one address, so the nodes' per-client rate
// limits are off unless `rate_limits`.
Result<std::string> NetworkToml(const Paths& paths, const std::string& name, size_t validators,
                                const std::string& suite, bool rate_limits = false);
// Empties (or creates) a directory.
Status FreshDir(const std::string& dir);

// A one-validator dev chain of `suite` in WORK/dev-<suite> (fresh), started.
// The benchmarks offer their load from one address, so the node's per-client rate limits are off
// unless `rate_limits` (the hostile-client benchmark keeps the defaults).
Result<std::unique_ptr<Chain>> StartDevChain(const Paths& paths, const std::string& suite,
                                             bool rate_limits = false);
// Waits (up to 90 s) until every node of `chain` has a block and sees all the others.
Status WaitConnected(const Chain& chain, const std::string& logs_dir);
// The local-4 network of `suite` in WORK/local4-<suite> (fresh), all four nodes started and
// connected, first block committed.
Result<std::unique_ptr<Chain>> StartLocal4(const Paths& paths, const std::string& suite);

// GET url+target as JSON (error status unless 200 and JSON).
Result<json> GetJson(const std::string& url, const std::string& target);

}  // namespace govledger::bench

// What every `govledger` command shares: exit statuses, the output channel (human text or one
// JSON object), the node's HTTP API as typed calls, and signing transactions as a department.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::cli {

// Exit statuses, the same for every command (doc/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitNo = 1;  // a definite "no": tx rejected, not VALID, TAMPERED, unknown id
inline constexpr int kExitUsage = 2;  // bad arguments or options
inline constexpr int kExitError = 3;  // node unreachable, I/O, locked or corrupt store, bad answer

// The exit status for a failure, by its reason code.
int ExitCodeFor(const Status& st);
// Reason code "usage": what main() and the commands report for arguments they cannot accept.
Status UsageError(std::string message);

// A command's output. Human mode writes text lines on stdout; --json mode writes nothing but the
// one JSON object given to Finish() or Fail(). Errors go to stderr in human mode.
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  bool is_json() const { return json_; }

  // A line of human-readable output (dropped in --json mode).
  void Say(const std::string& line) const;
  // Prints the failure and returns its exit status (ExitCodeFor unless given).
  int Fail(const Status& st) const;
  int Fail(const Status& st, int exit_code) const;
  // Prints j in --json mode; returns exit_code.
  int Finish(const nlohmann::json& j, int exit_code = kExitOk) const;

 private:
  bool json_;
};

// --node, else $GOVLEDGER_NODE, else http://127.0.0.1:7001.
std::string NodeUrl(const Context& ctx);

// Percent-encodes everything but RFC 3986 unreserved characters (for paths and query values).
std::string UrlEncode(std::string_view s);
// The first 16 hex characters of a hash, for tables.
std::string ShortHex(const std::string& hex);
// "2026-11-22T10:15:00+08:00", or `none` for 0.
std::string CstOr(int64_t ms, const std::string& none);

// The node's answer to POST /v1/tx.
struct SubmitOutcome {
  std::string tx_hash;
  bool committed = false;  // false: accepted into the mempool, not yet in a block
  uint64_t height = 0;
  uint64_t index = 0;
  uint64_t log_index = 0;
};

// The node's /v1/status, as the commands use it.
struct ChainInfo {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  uint64_t height = 0;
  int64_t tip_time_ms = 0;
  uint64_t max_tx_validity_heights = 0;
  nlohmann::json raw;
};

// The node's HTTP API. Transport failures are "unreachable"; an error answer becomes the node's
// own {"error":{"code","message"}} reason; a body that is not the expected JSON is "bad_response".
class NodeClient {
 public:
  explicit NodeClient(std::string url) : url_(std::move(url)) {}
  const std::string& url() const { return url_; }

  // Signs every GET from now on with `key` for chain `chain_id` (node/request_auth.h), so that
  // the endpoints that reveal usage logs answer (doc/api.md, "Authentication").
  void SignWith(std::shared_ptr<const crypto::PrivateKey> key, std::string chain_id);
  bool signs() const { return signer_ != nullptr; }

  Result<nlohmann::json> Get(const std::string& target) const;
  Result<ChainInfo> ChainStatus() const;
  Result<ledger::Genesis> FetchGenesis() const;
  // POST /v1/tx; with `wait`, until the tx is in a block (or the node's wait ends: pending).
  // A rejection is the node's reason code and message.
  Result<SubmitOutcome> Submit(const ledger::Tx& tx, bool wait) const;
  // The raw body of a 200 answer (e.g. a proof bundle, kept byte for byte).
  Result<std::string> GetBody(const std::string& target) const;

 private:
  std::string url_;
  std::shared_ptr<const crypto::PrivateKey> signer_;
  std::string chain_id_;
};

// A client for the node in ctx; with a key file (a read command's --key), its GETs are signed
// with that department's or regulator's key. "bad_private_key" and the like for a bad file.
Result<NodeClient> ReaderClient(const Context& ctx, const std::string& key_file);

// The help text of the read commands' --key option.
inline constexpr char kReadKeyHelp[] =
    "Sign the requests with this department's or regulator's private key (PEM): the node "
    "answers usage logs, grants, reports and listings only to registered keys (doc/api.md)";

// A department signing key and the department the genesis registers it to.
struct Signer {
  crypto::PrivateKey key;
  std::optional<ledger::Department> department;  // empty: not registered (--allow-unregistered)
};

// Loads KEY.pem for the chain's suite and finds its department. Without allow_unregistered an
// unknown key is "unregistered_key".
Result<Signer> LoadSigner(const std::string& key_file, const ChainInfo& chain,
                          const ledger::Genesis& genesis, bool allow_unregistered);

// A transaction body for the chain's next blocks: fresh random nonce, valid for
// min(100, max_tx_validity_heights) heights after the current tip, created now.
ledger::TxBody NewTxBody(const ChainInfo& chain, ledger::TxPayload payload);

// Department id and Chinese name, e.g. "health (区卫生健康局)"; the bare id if unknown.
std::string DepartmentLabel(const ledger::Genesis& genesis, const std::string& id);

}  // namespace govledger::cli

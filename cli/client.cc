#include "cli/client.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "cli/passphrase.h"
#include "crypto/hash.h"
#include "node/http_client.h"
#include "node/request_auth.h"
#include "util/bytes.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

constexpr char kDefaultNode[] = "http://127.0.0.1:7001";
// A submitter waits for its commit at most this long on the node, and a little longer on the
// socket, so that the node's "still pending" answer arrives before the client gives up.
constexpr int64_t kCommitWaitMs = 20'000;
constexpr int64_t kSubmitTimeoutMs = kCommitWaitMs + 15'000;
constexpr uint64_t kTxValidityHeights = 100;
constexpr size_t kMaxEchoedBody = 200;

// Reason codes that mean the arguments were wrong (exit 2) or the environment failed (exit 3).
// Everything else is the chain's or the node's definite answer (exit 1).
const std::set<std::string, std::less<>>& UsageCodes() {
  static const std::set<std::string, std::less<>> codes = {
      "usage",          "bad_time",        "bad_duration",   "bad_url",   "duplicate_field",
      "auth_required",
      "already_exists", "bad_private_key", "wrong_key_type", "not_found", "bad_network_config"};
  return codes;
}

const std::set<std::string, std::less<>>& ErrorCodes() {
  static const std::set<std::string, std::less<>> codes = {
      "unreachable",   "bad_response", "server_error",  "io_error",
      "too_large",     "store_locked", "corrupt_store", "genesis_mismatch",
      "bad_genesis",   "bad_config",   "shutting_down", "mempool_full",
      "not_committed", "no_store",     "keygen_failed", "store_write_failed",
      "busy",          "rate_limited", "too_many_connections", "stale_request",
      "bad_auth",      "bad_request_signature"};
  return codes;
}

std::string Excerpt(const std::string& body) {
  if (body.size() <= kMaxEchoedBody) return body;
  return body.substr(0, kMaxEchoedBody) + "...";
}

// The node's error answer as a Status: its own reason code, or "bad_response" when the body is
// not the API's error object. Unexpected server-side failures become "server_error".
Status ErrorFrom(const node::HttpResult& res) {
  json j = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("code") && j["error"]["code"].is_string()) {
    std::string code = j["error"]["code"].get<std::string>();
    std::string message = j["error"].value("message", std::string());
    if (res.status >= 500 && !ErrorCodes().count(code)) {
      return Status::Error("server_error", "node answered HTTP " + std::to_string(res.status) +
                                               ": " + code + ": " + message);
    }
    return Status::Error(std::move(code), std::move(message));
  }
  return Status::Error("bad_response", "node answered HTTP " + std::to_string(res.status) + ": " +
                                           Excerpt(res.body));
}

Result<json> ParseObject(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Error("bad_response",
                         "node answered with something that is not a JSON "
                         "object: " +
                             Excerpt(body));
  }
  return j;
}

}  // namespace

int ExitCodeFor(const Status& st) {
  if (st.ok()) return kExitOk;
  if (UsageCodes().count(st.code())) return kExitUsage;
  if (ErrorCodes().count(st.code())) return kExitError;
  return kExitNo;
}

Status UsageError(std::string message) { return Status::Error("usage", std::move(message)); }

void Output::Say(const std::string& line) const {
  if (!json_) std::cout << line << "\n";
}

int Output::Fail(const Status& st) const { return Fail(st, ExitCodeFor(st)); }

int Output::Fail(const Status& st, int exit_code) const {
  if (json_) {
    json j = {{"error", {{"code", st.code()}, {"message", st.message()}}}};
    std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
  } else {
    std::cout.flush();
    std::cerr << "govledger: " << st.code() << ": " << st.message() << std::endl;
  }
  return exit_code;
}

int Output::Finish(const json& j, int exit_code) const {
  if (json_) std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << std::endl;
  return exit_code;
}

std::string NodeUrl(const Context& ctx) {
  if (!ctx.node.empty()) return ctx.node;
  const char* env = std::getenv("GOVLEDGER_NODE");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultNode;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string ShortHex(const std::string& hex) { return hex.size() > 16 ? hex.substr(0, 16) : hex; }

std::string CstOr(int64_t ms, const std::string& none) {
  return ms == 0 ? none : FormatTimeCst(ms);
}

// ------------------------------------------------------------------ NodeClient

void NodeClient::SignWith(std::shared_ptr<const crypto::PrivateKey> key, std::string chain_id) {
  signer_ = std::move(key);
  chain_id_ = std::move(chain_id);
}

Result<NodeClient> ReaderClient(const Context& ctx, const std::string& key_file) {
  NodeClient client(NodeUrl(ctx));
  if (key_file.empty()) return client;
  auto chain = client.ChainStatus();
  if (!chain.ok()) return chain.status();
  auto key = crypto::PrivateKey::LoadPemFile(chain->suite, key_file);
  if (!key.ok()) {
    return Status::Error(key.status().code(), key_file + ": " + key.status().message() +
                                                  " (chain " + chain->chain_id + " uses the " +
                                                  crypto::SuiteName(chain->suite) + " suite)");
  }
  client.SignWith(std::make_shared<const crypto::PrivateKey>(std::move(*key)), chain->chain_id);
  return client;
}

Result<std::string> NodeClient::GetBody(const std::string& target) const {
  std::map<std::string, std::string> headers;
  if (signer_) headers = node::SignRequest(*signer_, chain_id_, "GET", target, NowMs(), "");
  auto res = node::HttpGetWithHeaders(url_, target, headers);
  if (!res.ok()) return res.status();
  if (res->status < 200 || res->status > 299) return ErrorFrom(*res);
  return std::move(res->body);
}

Result<json> NodeClient::Get(const std::string& target) const {
  auto body = GetBody(target);
  if (!body.ok()) return body.status();
  return ParseObject(*body);
}

Result<ChainInfo> NodeClient::ChainStatus() const {
  auto j = Get("/v1/status");
  if (!j.ok()) return j.status();
  ChainInfo c;
  c.chain_id = j->at("chain_id").get<std::string>();
  auto suite = crypto::ParseSuite(j->at("suite").get<std::string>());
  if (!suite.ok()) return Status::Error("bad_response", "/v1/status: " + suite.status().message());
  c.suite = *suite;
  c.height = j->at("height").get<uint64_t>();
  c.tip_time_ms = j->at("tip_time_ms").get<int64_t>();
  c.max_tx_validity_heights = j->value("max_tx_validity_heights", kTxValidityHeights);
  c.raw = std::move(*j);
  return c;
}

Result<ledger::Genesis> NodeClient::FetchGenesis() const {
  auto body = GetBody("/v1/genesis");
  if (!body.ok()) return body.status();
  auto g = ledger::ParseGenesisJson(*body);
  if (!g.ok()) return Status::Error("bad_response", "/v1/genesis: " + g.status().message());
  return g;
}

Result<SubmitOutcome> NodeClient::Submit(const ledger::Tx& tx, bool wait) const {
  json body = {{"tx", Base64Encode(tx.raw)}};
  std::string target =
      wait ? "/v1/tx?wait=true&timeout_ms=" + std::to_string(kCommitWaitMs) : "/v1/tx";
  auto res = node::HttpPost(url_, target, body.dump(), kSubmitTimeoutMs);
  if (!res.ok()) return res.status();
  if (res->status != 200 && res->status != 202) return ErrorFrom(*res);
  auto j = ParseObject(res->body);
  if (!j.ok()) return j.status();
  SubmitOutcome out;
  out.tx_hash = j->value("tx_hash", crypto::DigestHex(tx.hash));
  out.committed = j->value("status", std::string()) == "committed";
  if (out.committed) {
    out.height = j->at("height").get<uint64_t>();
    out.index = j->value("index", uint64_t{0});
    out.log_index = j->value("log_index", uint64_t{0});
  }
  return out;
}

// ------------------------------------------------------------------ signing

Result<Signer> LoadSigner(const std::string& key_file, const ChainInfo& chain,
                          const ledger::Genesis& genesis, bool allow_unregistered) {
  auto key = LoadClientKey(chain.suite, key_file);
  if (!key.ok()) {
    return Status::Error(key.status().code(), key.status().message() + " (chain " + chain.chain_id +
                                                  " uses the " + crypto::SuiteName(chain.suite) +
                                                  " suite)");
  }
  Signer s{std::move(*key), std::nullopt};
  for (const ledger::Department& d : genesis.departments) {
    if (d.key == s.key.public_key()) s.department = d;
  }
  if (!s.department && !allow_unregistered) {
    return Status::Error("unregistered_key",
                         "this key is not a registered department of chain " + chain.chain_id +
                             " (key " + key_file + ", fingerprint " +
                             crypto::Fingerprint(chain.suite, s.key.public_key()) +
                             "); use the key `network init` wrote to keys/<department>.pem");
  }
  return s;
}

ledger::TxBody NewTxBody(const ChainInfo& chain, ledger::TxPayload payload) {
  ledger::TxBody body;
  body.chain_id = chain.chain_id;
  body.nonce = crypto::RandomU64();
  body.valid_until_height =
      chain.height + std::min(kTxValidityHeights, chain.max_tx_validity_heights);
  body.created_ms = NowMs();
  body.payload = std::move(payload);
  return body;
}

std::string DepartmentLabel(const ledger::Genesis& genesis, const std::string& id) {
  for (const ledger::Department& d : genesis.departments) {
    if (d.id == id) return d.id + " (" + d.name + ")";
  }
  return id;
}

}  // namespace govledger::cli

#include "node/config.h"

#include <filesystem>
#include <limits>
#include <sstream>
#include <toml++/toml.h>

#include "util/file.h"

namespace govledger::node {

std::string NodeConfig::Path(const std::string& relative) const {
  std::filesystem::path p(relative);
  if (p.is_absolute()) return relative;
  return (std::filesystem::path(home) / p).string();
}

Status SplitHostPort(const std::string& addr, std::string& host, uint16_t& port) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size()) {
    return Status::Error("bad_address", "expected HOST:PORT, got '" + addr + "'");
  }
  host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long v = 0;
  for (size_t i = colon + 1; i < addr.size(); ++i) {
    if (addr[i] < '0' || addr[i] > '9') {
      return Status::Error("bad_address", "port is not a number in '" + addr + "'");
    }
    v = v * 10 + static_cast<unsigned long>(addr[i] - '0');
    if (v > 65535) return Status::Error("bad_address", "port out of range in '" + addr + "'");
  }
  port = static_cast<uint16_t>(v);
  return Status::Ok();
}

Result<NodeConfig> LoadNodeConfig(const std::string& home) {
  NodeConfig c;
  std::error_code ec;
  c.home = std::filesystem::absolute(home, ec).lexically_normal().string();
  std::string path = c.Path("node.toml");
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return Status::Error("bad_config", "cannot read " + path + " (" + text.status().message() +
                                           "); create a home with `govledger network init` or "
                                           "start with --dev");
  }
  toml::table t;
  try {
    t = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ":" << e.source().begin.line << ": " << e.description();
    return Status::Error("bad_config", msg.str());
  }
  auto str = [&](const char* key, std::string& out) {
    if (auto v = t[key].value<std::string>()) out = *v;
  };
  auto num = [&](const char* table, const char* key, auto& out) {
    using T = std::remove_reference_t<decltype(out)>;
    if (auto v = t[table][key].value<int64_t>()) {
      // A value beyond the field's type (e.g. verify_threads = 4294967297) is refused, not
      // silently truncated.
      if (*v < 0 || static_cast<uint64_t>(*v) > uint64_t{std::numeric_limits<T>::max()}) {
        return false;
      }
      out = static_cast<T>(*v);
    }
    return true;
  };
  str("name", c.name);
  str("genesis", c.genesis_file);
  str("validator_key", c.validator_key_file);
  str("tls_key", c.tls_key_file);
  str("data_dir", c.data_dir);
  str("wal_dir", c.wal_dir);
  str("api_listen", c.api_listen);
  str("p2p_listen", c.p2p_listen);
  if (auto v = t["joining"].value<bool>()) c.joining = *v;
  if (auto v = t["storage"]["startup_full_scan"].value<bool>()) c.startup_full_scan = *v;
  if (auto v = t["keys"]["passphrase_file"].value<std::string>()) c.key_passphrase_file = *v;
  if (auto v = t["keys"]["allow_readable_keys"].value<bool>()) c.allow_readable_keys = *v;
  if (auto v = t["keys"]["next_validator_key_file"].value<std::string>()) {
    c.next_validator_key_file = *v;
  }
  if (auto v = t["keys"]["next_tls_key_file"].value<std::string>()) c.next_tls_key_file = *v;
  bool ok = num("api", "max_body_bytes", c.max_body_bytes) &&
            num("api", "max_header_bytes", c.max_header_bytes) &&
            num("api", "max_connections", c.max_connections) &&
            num("api", "max_connections_per_ip", c.max_connections_per_ip) &&
            num("api", "request_timeout_ms", c.body_timeout_ms) &&  // the older name
            num("api", "header_timeout_ms", c.header_timeout_ms) &&
            num("api", "body_timeout_ms", c.body_timeout_ms) &&
            num("api", "write_timeout_ms", c.write_timeout_ms) &&
            num("api", "idle_timeout_ms", c.idle_timeout_ms) &&
            num("api", "read_rate_per_s", c.read_rate_per_s) &&
            num("api", "read_burst", c.read_burst) &&
            num("api", "submit_rate_per_s", c.submit_rate_per_s) &&
            num("api", "submit_burst", c.submit_burst) &&
            num("api", "auth_window_ms", c.auth_window_ms) &&
            num("api", "read_workers", c.read_workers) &&
            num("api", "read_queue", c.read_queue) &&
            num("api", "max_wait_ms", c.max_wait_ms) &&
            num("api", "max_batch_txs", c.max_batch_txs) &&
            num("mempool", "max_txs", c.mempool_max_txs) &&
            num("mempool", "max_bytes", c.mempool_max_bytes) &&
            num("mempool", "verify_threads", c.verify_threads) &&
            num("consensus", "timeout_propose_ms", c.timeouts.propose_ms) &&
            num("consensus", "timeout_propose_delta_ms", c.timeouts.propose_delta_ms) &&
            num("consensus", "timeout_prevote_ms", c.timeouts.prevote_ms) &&
            num("consensus", "timeout_prevote_delta_ms", c.timeouts.prevote_delta_ms) &&
            num("consensus", "timeout_precommit_ms", c.timeouts.precommit_ms) &&
            num("consensus", "timeout_precommit_delta_ms", c.timeouts.precommit_delta_ms) &&
            num("consensus", "rebroadcast_ms", c.rebroadcast_ms) &&
            num("consensus", "block_fill_ms", c.block_fill_ms) &&
            num("consensus", "block_fill_max_ms", c.block_fill_max_ms) &&
            num("storage", "startup_tip_blocks", c.startup_tip_blocks) &&
            num("storage", "startup_full_scan_max_bytes", c.startup_full_scan_max_bytes) &&
            num("storage", "min_free_bytes", c.min_free_bytes);
  if (!ok) return Status::Error("bad_config", path + ": limits must be non-negative and in range");
  std::string host;
  uint16_t port;
  if (Status st = SplitHostPort(c.api_listen, host, port); !st.ok()) {
    return Status::Error("bad_config", path + ": api_listen: " + st.message());
  }
  if (c.rebroadcast_ms < 10) return Status::Error("bad_config", path + ": consensus.rebroadcast_ms below 10");
  if (c.block_fill_ms > 1000) {
    return Status::Error("bad_config", path + ": consensus.block_fill_ms above 1000 (it delays "
                                              "every loaded height; a few ms is the point)");
  }
  if (c.block_fill_max_ms > 1000) {
    return Status::Error("bad_config", path + ": consensus.block_fill_max_ms above 1000 (it "
                                              "delays every height of a busy host)");
  }
  for (auto [name, v] : {std::pair<const char*, int64_t>{"header_timeout_ms", c.header_timeout_ms},
                        {"body_timeout_ms", c.body_timeout_ms},
                        {"write_timeout_ms", c.write_timeout_ms},
                        {"idle_timeout_ms", c.idle_timeout_ms},
                        {"auth_window_ms", c.auth_window_ms}}) {
    if (v < 100) return Status::Error("bad_config", path + ": api." + name + " below 100");
  }
  if (c.max_connections == 0 || c.max_connections_per_ip == 0 || c.read_workers == 0 ||
      c.read_queue == 0 || c.max_batch_txs == 0) {
    return Status::Error("bad_config", path + ": api.max_connections, max_connections_per_ip, "
                                              "read_workers, read_queue and max_batch_txs must "
                                              "be at least 1");
  }
  if ((c.read_rate_per_s > 0 && c.read_burst == 0) ||
      (c.submit_rate_per_s > 0 && c.submit_burst == 0)) {
    return Status::Error("bad_config", path + ": api.read_burst and submit_burst must be at "
                                              "least 1 when their rate is set");
  }
  if (c.max_body_bytes < 1024) return Status::Error("bad_config", path + ": api.max_body_bytes below 1024");
  return c;
}

namespace {

// A TOML basic string: a name or path holding '"', '\\' or a control character must load back as
// itself (a config written with a bare '"' inside quotes did not load at all).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7f) {
      static const char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

std::string NodeConfigToToml(const NodeConfig& c) {
  std::ostringstream o;
  o << "# govledger validator configuration. Paths are relative to this directory.\n"
    << "name = " << Quote(c.name) << "\n"
    << "genesis = " << Quote(c.genesis_file) << "\n"
    << "validator_key = " << Quote(c.validator_key_file) << "\n"
    << "tls_key = " << Quote(c.tls_key_file) << "\n"
    << "data_dir = " << Quote(c.data_dir) << "\n"
    << "wal_dir = " << Quote(c.wal_dir) << "\n"
    << "api_listen = " << Quote(c.api_listen) << "   # HTTP API; port 0 picks a free port\n"
    << "p2p_listen = " << Quote(c.p2p_listen) << "\n";
  if (c.joining) {
    o << "joining = true   # not in the genesis: becomes a validator when governance adds it\n";
  }
  o << "\n"
    << "[api]\n"
    << "max_body_bytes = " << c.max_body_bytes << "\n"
    << "max_header_bytes = " << c.max_header_bytes << "\n"
    << "max_connections = " << c.max_connections << "\n"
    << "max_connections_per_ip = " << c.max_connections_per_ip << "\n"
    << "# Deadlines against slow clients: the whole header, the body, writing an answer, and a\n"
    << "# kept-alive connection waiting for its next request.\n"
    << "header_timeout_ms = " << c.header_timeout_ms << "\n"
    << "body_timeout_ms = " << c.body_timeout_ms << "\n"
    << "write_timeout_ms = " << c.write_timeout_ms << "\n"
    << "idle_timeout_ms = " << c.idle_timeout_ms << "\n"
    << "# Token buckets per client address (0 = unlimited); over them the API answers 429.\n"
    << "read_rate_per_s = " << c.read_rate_per_s << "\n"
    << "read_burst = " << c.read_burst << "\n"
    << "submit_rate_per_s = " << c.submit_rate_per_s << "\n"
    << "submit_burst = " << c.submit_burst << "\n"
    << "auth_window_ms = " << c.auth_window_ms << "   # freshness of signed requests\n"
    << "read_workers = " << c.read_workers << "   # heavy reads run here, over snapshots\n"
    << "read_queue = " << c.read_queue << "\n"
    << "max_wait_ms = " << c.max_wait_ms << "\n"
    << "max_batch_txs = " << c.max_batch_txs << "   # per POST /v1/txs\n\n"
    << "[mempool]\n"
    << "max_txs = " << c.mempool_max_txs << "\n"
    << "max_bytes = " << c.mempool_max_bytes << "\n"
    << "verify_threads = " << c.verify_threads << "   # 0 = one per core\n\n"
    << "[consensus]\n"
    << "# Tendermint step timeouts: base + delta * round. Loopback networks use small values,\n"
    << "# validators spread across a city's data centres larger ones.\n"
    << "timeout_propose_ms = " << c.timeouts.propose_ms << "\n"
    << "timeout_propose_delta_ms = " << c.timeouts.propose_delta_ms << "\n"
    << "timeout_prevote_ms = " << c.timeouts.prevote_ms << "\n"
    << "timeout_prevote_delta_ms = " << c.timeouts.prevote_delta_ms << "\n"
    << "timeout_precommit_ms = " << c.timeouts.precommit_ms << "\n"
    << "timeout_precommit_delta_ms = " << c.timeouts.precommit_delta_ms << "\n"
    << "rebroadcast_ms = " << c.rebroadcast_ms << "   # resend latest votes (TCP is not gossip)\n"
    << "block_fill_ms = " << c.block_fill_ms
    << "   # under load, propose this long after the previous block at the earliest\n"
    << "block_fill_max_ms = " << c.block_fill_max_ms
    << "   # ... stretching to this while the host's CPU is over half busy\n"
    << "\n[storage]\n"
    << "# On start: read the whole store verifying checksums (false: only the newest blocks).\n"
    << "startup_full_scan = " << (c.startup_full_scan ? "true" : "false") << "\n"
    << "# ... but not when the data directory is larger than this (0: always).\n"
    << "startup_full_scan_max_bytes = " << c.startup_full_scan_max_bytes << "\n"
    << "startup_tip_blocks = " << c.startup_tip_blocks << "\n"
    << "min_free_bytes = " << c.min_free_bytes << "   # below this, stop committing until freed\n";
  if (!c.key_passphrase_file.empty() || c.allow_readable_keys ||
      !c.next_validator_key_file.empty() || !c.next_tls_key_file.empty()) {
    o << "\n[keys]\n";
    if (!c.key_passphrase_file.empty()) {
      o << "passphrase_file = " << Quote(c.key_passphrase_file) << "\n";
    }
    if (c.allow_readable_keys) o << "allow_readable_keys = true\n";
    if (!c.next_validator_key_file.empty()) {
      o << "next_validator_key_file = " << Quote(c.next_validator_key_file) << "\n";
    }
    if (!c.next_tls_key_file.empty()) {
      o << "next_tls_key_file = " << Quote(c.next_tls_key_file) << "\n";
    }
  }
  return o.str();
}

}  // namespace govledger::node

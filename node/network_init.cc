#include "node/network_init.h"

#include <filesystem>
#include <limits>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "crypto/sign.h"
#include "node/config.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::node {

namespace {

Status Bad(const std::string& source, const std::string& what) {
  return Status::Error("bad_network_config", source + ": " + what);
}

// Reads an array of strings; false if present but not all strings.
bool StringList(const toml::node_view<const toml::node>& v, std::vector<std::string>& out) {
  if (!v) return true;
  const toml::array* arr = v.as_array();
  if (!arr) return false;
  for (const auto& el : *arr) {
    auto s = el.value<std::string>();
    if (!s) return false;
    out.push_back(*s);
  }
  return true;
}

}  // namespace

Result<NetworkSpec> ParseNetworkToml(std::string_view text, const std::string& source) {
  toml::table t;
  try {
    t = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ": " << e.description();
    return Bad(source, msg.str());
  }
  const toml::table& root = t;
  NetworkSpec spec;
  auto net = root["network"];
  if (!net.as_table()) return Bad(source, "missing [network] table");
  auto chain_id = net["chain_id"].value<std::string>();
  if (!chain_id) return Bad(source, "[network] chain_id is required");
  spec.chain_id = *chain_id;
  auto suite = crypto::ParseSuite(net["suite"].value_or<std::string>("p256"));
  if (!suite.ok()) return Bad(source, "[network] suite: " + suite.status().message());
  spec.suite = *suite;

  auto int_param = [&](const char* key, auto& out) -> Status {
    auto node = net[key];
    if (!node) return Status::Ok();
    auto v = node.value<int64_t>();
    using T = std::remove_reference_t<decltype(out)>;
    if (!v || *v <= 0) return Bad(source, std::string("[network] ") + key + " must be a positive integer");
    // Refused rather than truncated (max_tx_bytes = 4294967297 is not 1).
    if (static_cast<uint64_t>(*v) > uint64_t{std::numeric_limits<T>::max()}) {
      return Bad(source, std::string("[network] ") + key + " is out of range");
    }
    out = static_cast<T>(*v);
    return Status::Ok();
  };
  GOVLEDGER_RETURN_IF_ERROR(int_param("block_interval_ms", spec.params.block_interval_ms));
  GOVLEDGER_RETURN_IF_ERROR(int_param("max_block_txs", spec.params.max_block_txs));
  GOVLEDGER_RETURN_IF_ERROR(int_param("max_tx_bytes", spec.params.max_tx_bytes));
  GOVLEDGER_RETURN_IF_ERROR(int_param("max_expiries_per_block", spec.params.max_expiries_per_block));
  GOVLEDGER_RETURN_IF_ERROR(int_param("max_clock_drift_ms", spec.params.max_clock_drift_ms));
  GOVLEDGER_RETURN_IF_ERROR(int_param("max_tx_validity_heights", spec.params.max_tx_validity_heights));

  if (auto cons = root["consensus"]; cons.as_table()) {
    auto timeout = [&](const char* key, int64_t& out) -> Status {
      auto node = cons[key];
      if (!node) return Status::Ok();
      auto v = node.value<int64_t>();
      if (!v || *v <= 0 || *v > 600'000) {
        return Bad(source, std::string("[consensus] ") + key + " must be 1..600000 ms");
      }
      out = *v;
      return Status::Ok();
    };
    GOVLEDGER_RETURN_IF_ERROR(timeout("timeout_propose_ms", spec.timeouts.propose_ms));
    GOVLEDGER_RETURN_IF_ERROR(timeout("timeout_propose_delta_ms", spec.timeouts.propose_delta_ms));
    GOVLEDGER_RETURN_IF_ERROR(timeout("timeout_prevote_ms", spec.timeouts.prevote_ms));
    GOVLEDGER_RETURN_IF_ERROR(timeout("timeout_prevote_delta_ms", spec.timeouts.prevote_delta_ms));
    GOVLEDGER_RETURN_IF_ERROR(timeout("timeout_precommit_ms", spec.timeouts.precommit_ms));
    GOVLEDGER_RETURN_IF_ERROR(
        timeout("timeout_precommit_delta_ms", spec.timeouts.precommit_delta_ms));
    GOVLEDGER_RETURN_IF_ERROR(timeout("rebroadcast_ms", spec.rebroadcast_ms));
  }

  if (auto api = root["api"]; api.as_table()) {
    auto limit = [&](const char* key, std::optional<uint64_t>& out) -> Status {
      auto node = api[key];
      if (!node) return Status::Ok();
      auto v = node.value<int64_t>();
      if (!v || *v < 0 || *v > 1'000'000) {
        return Bad(source, std::string("[api] ") + key + " must be 0..1000000");
      }
      out = static_cast<uint64_t>(*v);
      return Status::Ok();
    };
    GOVLEDGER_RETURN_IF_ERROR(limit("read_rate_per_s", spec.read_rate_per_s));
    GOVLEDGER_RETURN_IF_ERROR(limit("read_burst", spec.read_burst));
    GOVLEDGER_RETURN_IF_ERROR(limit("submit_rate_per_s", spec.submit_rate_per_s));
    GOVLEDGER_RETURN_IF_ERROR(limit("submit_burst", spec.submit_burst));
    GOVLEDGER_RETURN_IF_ERROR(limit("max_connections_per_ip", spec.max_connections_per_ip));
  }

  const toml::array* vals = root["validators"].as_array();
  if (!vals || vals->empty()) return Bad(source, "at least one [[validators]] entry is required");
  for (size_t i = 0; i < vals->size(); ++i) {
    const toml::table* v = (*vals)[i].as_table();
    std::string where = "validators[" + std::to_string(i) + "]";
    if (!v) return Bad(source, where + " is not a table");
    ValidatorSpec vs;
    vs.name = (*v)["name"].value_or<std::string>("");
    vs.department = (*v)["department"].value_or<std::string>("");
    vs.api = (*v)["api"].value_or<std::string>("");
    vs.p2p = (*v)["p2p"].value_or<std::string>("");
    if (vs.name.empty() || vs.department.empty() || vs.api.empty() || vs.p2p.empty()) {
      return Bad(source, where + ": name, department, api and p2p are required");
    }
    std::string host;
    uint16_t port;
    if (Status st = SplitHostPort(vs.api, host, port); !st.ok()) return Bad(source, where + ".api: " + st.message());
    if (Status st = SplitHostPort(vs.p2p, host, port); !st.ok()) return Bad(source, where + ".p2p: " + st.message());
    spec.validators.push_back(std::move(vs));
  }

  const toml::array* depts = root["departments"].as_array();
  if (!depts || depts->empty()) return Bad(source, "at least one [[departments]] entry is required");
  for (size_t i = 0; i < depts->size(); ++i) {
    const toml::table* d = (*depts)[i].as_table();
    std::string where = "departments[" + std::to_string(i) + "]";
    if (!d) return Bad(source, where + " is not a table");
    ledger::Department dep;
    dep.id = (*d)["id"].value_or<std::string>("");
    dep.name = (*d)["name"].value_or<std::string>("");
    dep.name_en = (*d)["name_en"].value_or<std::string>("");
    dep.code = (*d)["code"].value_or<std::string>("");
    if (dep.id.empty() || dep.name.empty() || dep.code.empty()) {
      return Bad(source, where + ": id, name and code are required");
    }
    if (!StringList((*d)["roles"], dep.roles)) return Bad(source, where + ".roles must be a list of strings");
    spec.departments.push_back(std::move(dep));
  }

  if (const toml::array* types = root["material_types"].as_array()) {
    for (size_t i = 0; i < types->size(); ++i) {
      const toml::table* ty = (*types)[i].as_table();
      std::string where = "material_types[" + std::to_string(i) + "]";
      if (!ty) return Bad(source, where + " is not a table");
      ledger::MaterialType mt;
      mt.code = (*ty)["code"].value_or<std::string>("");
      mt.name = (*ty)["name"].value_or<std::string>("");
      mt.name_en = (*ty)["name_en"].value_or<std::string>("");
      mt.category = (*ty)["category"].value_or<std::string>("");
      mt.parent_type = (*ty)["parent_type"].value_or<std::string>("");
      if (mt.code.empty() || mt.name.empty() || mt.category.empty()) {
        return Bad(source, where + ": code, name and category are required");
      }
      if (!StringList((*ty)["issuers"], mt.issuers)) return Bad(source, where + ".issuers must be a list of strings");
      if (!StringList((*ty)["required_fields"], mt.required_fields)) {
        return Bad(source, where + ".required_fields must be a list of strings");
      }
      // Use rules (issue 4): purposes it may be used for, whether a use needs the holder's
      // grant, and what it does when its parent changes.
      if (!StringList((*ty)["use_purposes"], mt.use_purposes)) {
        return Bad(source, where + ".use_purposes must be a list of strings");
      }
      if (auto g = (*ty)["requires_grant"]; g) {
        auto b = g.value<bool>();
        if (!b) return Bad(source, where + ".requires_grant must be true or false");
        mt.requires_grant = *b;
      }
      if (auto c = (*ty)["cascade"]; c) {
        auto name = c.value<std::string>();
        if (!name || !ledger::ParseCascadeRule(*name, mt.cascade)) {
          return Bad(source, where + ".cascade must be \"revoke\", \"suspend\" or \"none\"");
        }
      }
      auto days = (*ty)["max_validity_days"].value_or<int64_t>(0);
      if (days < 0 || days > 365LL * 200) return Bad(source, where + ".max_validity_days out of range");
      mt.max_validity_ms = days * 86'400'000LL;
      spec.material_types.push_back(std::move(mt));
    }
  }
  return spec;
}

Result<NetworkSpec> LoadNetworkToml(const std::string& path) {
  auto text = ReadFile(path, 4 << 20);
  if (!text.ok()) return Status::Error("bad_network_config", text.status().message());
  return ParseNetworkToml(*text, path);
}

namespace {

// A validator's two keys: consensus signing (the network's suite) and TLS, always P-256 (TLS 1.3
// stacks speak it everywhere; SM2 TLS is a separate protocol, GB/T 38636, that OpenSSL 3 lacks).
struct HomeKeys {
  crypto::PrivateKey validator;
  crypto::PrivateKey tls;
};

Result<HomeKeys> NewHomeKeys(crypto::Suite suite) {
  auto vk = crypto::PrivateKey::Generate(suite);
  if (!vk.ok()) return vk.status();
  auto tk = crypto::PrivateKey::Generate(crypto::Suite::kP256);
  if (!tk.ok()) return tk.status();
  return HomeKeys{std::move(*vk), std::move(*tk)};
}

// One validator home: genesis copy, both keys (0600) and node.toml.
Status WriteHome(const NodeConfig& c, const std::string& genesis_json, const HomeKeys& keys) {
  GOVLEDGER_RETURN_IF_ERROR(EnsureDir(c.home, /*private_dir=*/true));
  GOVLEDGER_RETURN_IF_ERROR(WriteFileAtomic(c.home + "/genesis.json", genesis_json, 0644));
  GOVLEDGER_RETURN_IF_ERROR(keys.validator.SavePemFile(c.home + "/validator.pem"));
  GOVLEDGER_RETURN_IF_ERROR(keys.tls.SavePemFile(c.home + "/tls.pem"));
  return WriteFileAtomic(c.home + "/node.toml", NodeConfigToToml(c), 0644);
}

}  // namespace

Result<ledger::Genesis> InitNetwork(const NetworkSpec& spec, const InitOptions& opts) {
  namespace fs = std::filesystem;
  if (spec.validators.size() != 1 && opts.flat) {
    return Status::Error("bad_network_config", "a flat (dev) home holds exactly one validator");
  }
  auto home_of = [&](const ValidatorSpec& v) {
    return opts.flat ? opts.out_dir : (fs::path(opts.out_dir) / v.name).string();
  };
  if (!opts.overwrite) {
    // Never silently replace a key or a home: department keys are what departments sign with.
    for (const auto& v : spec.validators) {
      if (PathExists(home_of(v) + "/genesis.json")) {
        return Status::Error("already_exists", "a home already exists at " + home_of(v) +
                                                   " (remove it, or pass --force to overwrite)");
      }
    }
    for (const auto& d : spec.departments) {
      std::string key = (fs::path(opts.out_dir) / "keys" / (d.id + ".pem")).string();
      if (PathExists(key)) {
        return Status::Error("already_exists", "a department key already exists at " + key +
                                                   " (remove it, or pass --force to overwrite)");
      }
    }
  }

  ledger::Genesis g;
  g.chain_id = spec.chain_id;
  g.suite = spec.suite;
  g.genesis_time_ms = opts.genesis_time_ms ? opts.genesis_time_ms : NowMs();
  g.params = spec.params;
  g.material_types = spec.material_types;

  std::string keys_dir = (fs::path(opts.out_dir) / "keys").string();
  GOVLEDGER_RETURN_IF_ERROR(EnsureDir(keys_dir, /*private_dir=*/true));
  for (ledger::Department d : spec.departments) {
    auto key = crypto::PrivateKey::Generate(spec.suite);
    if (!key.ok()) return key.status();
    GOVLEDGER_RETURN_IF_ERROR(key->SavePemFile(keys_dir + "/" + d.id + ".pem"));
    d.key = key->public_key();
    g.departments.push_back(std::move(d));
  }

  std::vector<HomeKeys> keys;
  for (const auto& v : spec.validators) {
    auto k = NewHomeKeys(spec.suite);
    if (!k.ok()) return k.status();
    ledger::Validator val;
    val.name = v.name;
    val.department = v.department;
    val.key = k->validator.public_key();
    val.tls_key = k->tls.public_key();
    val.p2p_address = v.p2p;
    val.api_address = v.api;
    g.validators.push_back(std::move(val));
    keys.push_back(std::move(*k));
  }

  // Round-trip through the parser: the genesis every node will load must pass its validation.
  std::string json = ledger::GenesisToJson(g, /*pretty=*/true);
  auto checked = ledger::ParseGenesisJson(json);
  if (!checked.ok()) return checked.status();

  for (size_t i = 0; i < spec.validators.size(); ++i) {
    const auto& v = spec.validators[i];
    NodeConfig c;
    c.home = home_of(v);
    c.name = v.name;
    c.api_listen = v.api;
    c.p2p_listen = v.p2p;
    c.timeouts = spec.timeouts;
    c.rebroadcast_ms = spec.rebroadcast_ms;
    if (spec.read_rate_per_s) c.read_rate_per_s = *spec.read_rate_per_s;
    if (spec.read_burst) c.read_burst = *spec.read_burst;
    if (spec.submit_rate_per_s) c.submit_rate_per_s = *spec.submit_rate_per_s;
    if (spec.submit_burst) c.submit_burst = *spec.submit_burst;
    if (spec.max_connections_per_ip) c.max_connections_per_ip = *spec.max_connections_per_ip;
    GOVLEDGER_RETURN_IF_ERROR(WriteHome(c, json + "\n", keys[i]));
  }
  return *checked;
}

Result<ledger::Validator> JoinNetwork(const JoinOptions& opts) {
  auto genesis = ledger::LoadGenesisFile(opts.genesis_path);
  if (!genesis.ok()) return genesis.status();
  if (opts.name.empty() || opts.department.empty()) {
    return Status::Error("bad_argument", "a joining validator needs a name and a department");
  }
  for (const auto& v : genesis->validators) {
    if (v.name == opts.name) {
      return Status::Error("already_exists", "the genesis already has a validator named '" +
                                                 opts.name + "'");
    }
  }
  std::string host;
  uint16_t port = 0;
  GOVLEDGER_RETURN_IF_ERROR(SplitHostPort(opts.api, host, port));
  GOVLEDGER_RETURN_IF_ERROR(SplitHostPort(opts.p2p, host, port));
  const std::string& home = opts.out_dir;
  if (!opts.overwrite && PathExists(home + "/genesis.json")) {
    return Status::Error("already_exists", "a home already exists at " + home +
                                               " (remove it, or pass --force to overwrite)");
  }
  auto keys = NewHomeKeys(genesis->suite);
  if (!keys.ok()) return keys.status();
  auto v_pub = crypto::PublicKeyToPem(keys->validator.public_key());
  if (!v_pub.ok()) return v_pub.status();
  auto t_pub = crypto::PublicKeyToPem(keys->tls.public_key());
  if (!t_pub.ok()) return t_pub.status();
  auto json = ReadFile(opts.genesis_path, 64 << 20);
  if (!json.ok()) return json.status();
  NodeConfig c;
  c.home = home;
  c.name = opts.name;
  c.api_listen = opts.api;
  c.p2p_listen = opts.p2p;
  c.joining = true;
  GOVLEDGER_RETURN_IF_ERROR(WriteHome(c, *json, *keys));
  GOVLEDGER_RETURN_IF_ERROR(WriteFileAtomic(home + "/validator.pub.pem", *v_pub, 0644));
  GOVLEDGER_RETURN_IF_ERROR(WriteFileAtomic(home + "/tls.pub.pem", *t_pub, 0644));

  ledger::Validator v;
  v.name = opts.name;
  v.department = opts.department;
  v.key = keys->validator.public_key();
  v.tls_key = keys->tls.public_key();
  v.p2p_address = opts.p2p;
  v.api_address = opts.api;
  return v;
}

}  // namespace govledger::node

#include "ledger/genesis.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "util/file.h"

namespace govledger::ledger {

namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
// A genesis is a small document; anything bigger is a mistake, not a network.
constexpr size_t kMaxGenesisFileBytes = 16u << 20;

const std::set<std::string, std::less<>> kRoles = {"provider", "consumer", "authorizer",
                                                   "regulator", "validator"};
const std::set<std::string, std::less<>> kCategories = {"qualification", "license", "report",
                                                        "filing", "certificate"};

Status Bad(const std::string& where, const std::string& what) {
  return Status::Error("bad_genesis", where + ": " + what);
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(std::string_view array, size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

bool IsUpperAlnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }

bool IsIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
         c == '_' || c == '-';
}

// [A-Za-z0-9._-]{1,64}: chain ids and department ids appear in keys, file names and URLs.
bool IsValidId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

// Purposes of use are short snake_case words, e.g. "household_registration".
bool IsPurpose(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsTypeCode(std::string_view s) {
  if (s.size() < 3 || s.size() > 24) return false;
  for (char c : s) {
    if (!IsUpperAlnum(c)) return false;
  }
  return true;
}

// Unified social credit code: 18 characters of [0-9A-Z]. The check character itself is not
// verified here; departments are registered by operators who copy it from the business register.
bool IsCreditCode(std::string_view s) {
  if (s.size() != 18) return false;
  for (char c : s) {
    if (!IsUpperAlnum(c)) return false;
  }
  return true;
}

// "host:port" with a numeric port in 1..65535; the host is left to the resolver.
bool IsHostPort(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  std::string_view port = s.substr(colon + 1);
  if (port.size() > 5) return false;
  uint32_t v = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

std::string CurveName(crypto::Suite suite) { return suite == crypto::Suite::kSm ? "SM2" : "P-256"; }

// Unknown keys are rejected rather than ignored: a misspelt parameter would otherwise silently
// take its default, and the genesis hash is taken over what was understood, not what was written.
Status CheckKeys(const json& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& item : obj.items()) {
    bool known = false;
    for (std::string_view k : allowed) {
      if (item.key() == k) known = true;
    }
    if (!known) return Bad(Join(path, item.key()), "unknown key");
  }
  return Status::Ok();
}

Result<const json*> GetArray(const json& obj, const std::string& path, std::string_view key,
                             bool required) {
  static const json kEmpty = json::array();
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Bad(Join(path, key), "missing");
    return &kEmpty;
  }
  if (!it->is_array()) return Bad(Join(path, key), "must be an array");
  return &*it;
}

Result<std::string> GetString(const json& obj, const std::string& path, std::string_view key,
                              bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Bad(Join(path, key), "missing");
    return std::string();
  }
  if (!it->is_string()) return Bad(Join(path, key), "must be a string");
  return it->get<std::string>();
}

Result<int64_t> GetInt(const json& obj, const std::string& path, std::string_view key,
                       std::optional<int64_t> default_value) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (!default_value) return Bad(Join(path, key), "missing");
    return *default_value;
  }
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(Join(path, key), "out of range");
    }
    return static_cast<int64_t>(v);
  }
  if (!it->is_number_integer()) return Bad(Join(path, key), "must be an integer");
  return it->get<int64_t>();
}

Result<std::vector<std::string>> GetStringArray(const json& obj, const std::string& path,
                                                std::string_view key, bool required) {
  auto arr = GetArray(obj, path, key, required);
  if (!arr.ok()) return arr.status();
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < (*arr)->size(); ++i) {
    const json& v = (**arr)[i];
    std::string where = Index(Join(path, key), i);
    if (!v.is_string()) return Bad(where, "must be a string");
    std::string s = v.get<std::string>();
    if (s.empty()) return Bad(where, "must not be empty");
    if (!seen.insert(s).second) return Bad(where, "duplicate \"" + s + "\"");
    out.push_back(std::move(s));
  }
  return out;
}

Result<crypto::PublicKey> ParseKey(crypto::Suite suite, const std::string& pem,
                                   const std::string& where) {
  auto key = crypto::PublicKeyFromPem(suite, pem);
  if (!key.ok()) {
    return Bad(where,
               "not a " + CurveName(suite) + " public key (" + key.status().ToString() + ")");
  }
  return std::move(key).value();
}

Result<crypto::PublicKey> GetKey(const json& obj, const std::string& path, std::string_view key,
                                 crypto::Suite suite) {
  auto pem = GetString(obj, path, key, true);
  if (!pem.ok()) return pem.status();
  return ParseKey(suite, *pem, Join(path, key));
}

Result<int64_t> GetPositive(const json& obj, const std::string& path, std::string_view key,
                            int64_t default_value, int64_t max_value) {
  auto v = GetInt(obj, path, key, default_value);
  if (!v.ok()) return v.status();
  if (*v <= 0) return Bad(Join(path, key), "must be positive");
  if (*v > max_value)
    return Bad(Join(path, key), "too large (at most " + std::to_string(max_value) + ")");
  return *v;
}

#define GENESIS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
#define GENESIS_CONCAT_INNER(a, b) a##b
#define GENESIS_CONCAT(a, b) GENESIS_CONCAT_INNER(a, b)
// Local helper: assigns the value of a Result or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  GENESIS_ASSIGN_OR_RETURN_IMPL(GENESIS_CONCAT(result_, __LINE__), lhs, expr)

Result<ChainParams> ParseParams(const json& root) {
  ChainParams p;
  auto it = root.find("params");
  if (it == root.end()) return p;  // every parameter has a default
  if (!it->is_object()) return Bad("params", "must be an object");
  const json& j = *it;
  const std::string path = "params";
  GOVLEDGER_RETURN_IF_ERROR(
      CheckKeys(j, path,
                {"block_interval_ms", "max_block_txs", "max_tx_bytes", "max_expiries_per_block",
                 "max_clock_drift_ms", "max_tx_validity_heights"}));
  constexpr int64_t kU32Max = std::numeric_limits<uint32_t>::max();
  constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
  ASSIGN_OR_RETURN(p.block_interval_ms,
                   GetPositive(j, path, "block_interval_ms", p.block_interval_ms, kI64Max));
  ASSIGN_OR_RETURN(int64_t max_block_txs,
                   GetPositive(j, path, "max_block_txs", p.max_block_txs, kU32Max));
  ASSIGN_OR_RETURN(int64_t max_tx_bytes,
                   GetPositive(j, path, "max_tx_bytes", p.max_tx_bytes, kU32Max));
  ASSIGN_OR_RETURN(int64_t max_expiries, GetPositive(j, path, "max_expiries_per_block",
                                                     p.max_expiries_per_block, kU32Max));
  ASSIGN_OR_RETURN(p.max_clock_drift_ms,
                   GetPositive(j, path, "max_clock_drift_ms", p.max_clock_drift_ms, kI64Max));
  ASSIGN_OR_RETURN(int64_t max_validity_heights,
                   GetPositive(j, path, "max_tx_validity_heights",
                               static_cast<int64_t>(p.max_tx_validity_heights), kI64Max));
  p.max_block_txs = static_cast<uint32_t>(max_block_txs);
  p.max_tx_bytes = static_cast<uint32_t>(max_tx_bytes);
  p.max_expiries_per_block = static_cast<uint32_t>(max_expiries);
  p.max_tx_validity_heights = static_cast<uint64_t>(max_validity_heights);
  return p;
}

Result<Department> ParseDepartment(const json& j, const std::string& path, crypto::Suite suite) {
  if (!j.is_object()) return Bad(path, "must be an object");
  GOVLEDGER_RETURN_IF_ERROR(CheckKeys(j, path, {"id", "name", "name_en", "code", "roles", "key"}));
  Department d;
  ASSIGN_OR_RETURN(d.id, GetString(j, path, "id", true));
  if (!IsValidId(d.id)) return Bad(Join(path, "id"), "must match [A-Za-z0-9._-]{1,64}");
  ASSIGN_OR_RETURN(d.name, GetString(j, path, "name", true));
  if (d.name.empty()) return Bad(Join(path, "name"), "must not be empty");
  ASSIGN_OR_RETURN(d.name_en, GetString(j, path, "name_en", false));
  ASSIGN_OR_RETURN(d.code, GetString(j, path, "code", true));
  if (!IsCreditCode(d.code)) {
    return Bad(Join(path, "code"), "must be an 18-character unified social credit code [0-9A-Z]");
  }
  ASSIGN_OR_RETURN(d.roles, GetStringArray(j, path, "roles", true));
  for (size_t i = 0; i < d.roles.size(); ++i) {
    if (!kRoles.count(d.roles[i])) {
      return Bad(Index(Join(path, "roles"), i),
                 "unknown role \"" + d.roles[i] +
                     "\" (expected provider, consumer, authorizer, regulator or validator)");
    }
  }
  ASSIGN_OR_RETURN(d.key, GetKey(j, path, "key", suite));
  return d;
}

Result<MaterialType> ParseMaterialType(const json& j, const std::string& path) {
  if (!j.is_object()) return Bad(path, "must be an object");
  GOVLEDGER_RETURN_IF_ERROR(CheckKeys(
      j, path,
      {"code", "name", "name_en", "category", "issuers", "required_fields", "max_validity_days",
       "parent_type", "use_purposes", "requires_grant", "cascade"}));
  MaterialType t;
  ASSIGN_OR_RETURN(t.code, GetString(j, path, "code", true));
  if (!IsTypeCode(t.code)) return Bad(Join(path, "code"), "must match [0-9A-Z]{3,24}");
  ASSIGN_OR_RETURN(t.name, GetString(j, path, "name", true));
  if (t.name.empty()) return Bad(Join(path, "name"), "must not be empty");
  ASSIGN_OR_RETURN(t.name_en, GetString(j, path, "name_en", false));
  ASSIGN_OR_RETURN(t.category, GetString(j, path, "category", true));
  if (!kCategories.count(t.category)) {
    return Bad(Join(path, "category"),
               "unknown category \"" + t.category +
                   "\" (expected qualification, license, report, filing or certificate)");
  }
  ASSIGN_OR_RETURN(t.issuers, GetStringArray(j, path, "issuers", true));
  ASSIGN_OR_RETURN(t.required_fields, GetStringArray(j, path, "required_fields", false));
  ASSIGN_OR_RETURN(int64_t days, GetInt(j, path, "max_validity_days", 0));
  // 0 means unlimited; the upper bound keeps days * kDayMs far from overflow (~27,000 years).
  if (days < 0 || days > 10'000'000) {
    return Bad(Join(path, "max_validity_days"), "must be between 0 (unlimited) and 10000000");
  }
  t.max_validity_ms = days * kDayMs;
  ASSIGN_OR_RETURN(t.parent_type, GetString(j, path, "parent_type", false));
  ASSIGN_OR_RETURN(t.use_purposes, GetStringArray(j, path, "use_purposes", false));
  for (size_t i = 0; i < t.use_purposes.size(); ++i) {
    if (!IsPurpose(t.use_purposes[i])) {
      return Bad(Index(Join(path, "use_purposes"), i), "must match [a-z0-9_]{1,64}");
    }
  }
  if (auto it = j.find("requires_grant"); it != j.end()) {
    if (!it->is_boolean()) return Bad(Join(path, "requires_grant"), "must be true or false");
    t.requires_grant = it->get<bool>();
  }
  ASSIGN_OR_RETURN(std::string cascade, GetString(j, path, "cascade", false));
  if (!cascade.empty() && !ParseCascadeRule(cascade, t.cascade)) {
    return Bad(Join(path, "cascade"),
               "unknown cascade rule \"" + cascade + "\" (expected revoke, suspend or none)");
  }
  return t;
}

Result<Validator> ParseValidator(const json& j, const std::string& path, crypto::Suite suite) {
  if (!j.is_object()) return Bad(path, "must be an object");
  GOVLEDGER_RETURN_IF_ERROR(
      CheckKeys(j, path, {"name", "department", "key", "tls_key", "p2p_address", "api_address"}));
  Validator v;
  ASSIGN_OR_RETURN(v.name, GetString(j, path, "name", true));
  if (!IsValidId(v.name)) return Bad(Join(path, "name"), "must match [A-Za-z0-9._-]{1,64}");
  ASSIGN_OR_RETURN(v.department, GetString(j, path, "department", true));
  ASSIGN_OR_RETURN(v.key, GetKey(j, path, "key", suite));
  // The TLS key is whatever the transport's TLS stack uses: the suite's curve, or P-256 for an sm
  // network whose TLS stack has no SM2 support.
  ASSIGN_OR_RETURN(std::string tls_pem, GetString(j, path, "tls_key", true));
  auto tls = crypto::PublicKeyFromPem(suite, tls_pem);
  if (!tls.ok() && suite != crypto::Suite::kP256)
    tls = crypto::PublicKeyFromPem(crypto::Suite::kP256, tls_pem);
  if (!tls.ok()) {
    return Bad(Join(path, "tls_key"),
               "not a " + CurveName(suite) + " public key (" + tls.status().ToString() + ")");
  }
  v.tls_key = std::move(tls).value();
  ASSIGN_OR_RETURN(v.p2p_address, GetString(j, path, "p2p_address", true));
  if (!IsHostPort(v.p2p_address)) return Bad(Join(path, "p2p_address"), "must be host:port");
  ASSIGN_OR_RETURN(v.api_address, GetString(j, path, "api_address", true));
  if (!IsHostPort(v.api_address)) return Bad(Join(path, "api_address"), "must be host:port");
  return v;
}

// Cross-entry rules: uniqueness and references between the three lists.
Status ValidateGenesis(const Genesis& g) {
  std::set<std::string, std::less<>> ids, names, codes;
  std::set<crypto::PublicKey> dept_keys;
  for (size_t i = 0; i < g.departments.size(); ++i) {
    const Department& d = g.departments[i];
    std::string path = Index("departments", i);
    if (!ids.insert(d.id).second) return Bad(Join(path, "id"), "duplicate id \"" + d.id + "\"");
    if (!names.insert(d.name).second) {
      return Bad(Join(path, "name"), "duplicate name \"" + d.name + "\"");
    }
    if (!codes.insert(d.code).second) {
      return Bad(Join(path, "code"), "duplicate code \"" + d.code + "\"");
    }
    // Contracts identify a department by its signing key: two departments cannot share one.
    if (!dept_keys.insert(d.key).second) return Bad(Join(path, "key"), "duplicate key");
  }
  auto find_dept = [&g](std::string_view id) -> const Department* {
    for (const Department& d : g.departments) {
      if (d.id == id) return &d;
    }
    return nullptr;
  };

  std::set<std::string, std::less<>> type_codes, type_names;
  for (size_t i = 0; i < g.material_types.size(); ++i) {
    const MaterialType& t = g.material_types[i];
    std::string path = Index("material_types", i);
    if (!type_codes.insert(t.code).second) {
      return Bad(Join(path, "code"), "duplicate code \"" + t.code + "\"");
    }
    if (!type_names.insert(t.name).second) {
      return Bad(Join(path, "name"), "duplicate name \"" + t.name + "\"");
    }
    for (size_t k = 0; k < t.issuers.size(); ++k) {
      const Department* d = find_dept(t.issuers[k]);
      std::string where = Index(Join(path, "issuers"), k);
      if (d == nullptr) return Bad(where, "unknown department \"" + t.issuers[k] + "\"");
      bool provider = false;
      for (const std::string& r : d->roles) provider = provider || r == "provider";
      if (!provider) {
        return Bad(where, "department \"" + t.issuers[k] + "\" does not have the provider role");
      }
    }
  }
  for (size_t i = 0; i < g.material_types.size(); ++i) {
    const MaterialType& t = g.material_types[i];
    if (!t.parent_type.empty() && !type_codes.count(t.parent_type)) {
      return Bad(Join(Index("material_types", i), "parent_type"),
                 "unknown material type \"" + t.parent_type + "\"");
    }
  }

  if (g.validators.empty()) return Bad("validators", "at least one validator is required");
  std::set<std::string, std::less<>> validator_names;
  std::set<crypto::PublicKey> keys, tls_keys;
  for (size_t i = 0; i < g.validators.size(); ++i) {
    const Validator& v = g.validators[i];
    std::string path = Index("validators", i);
    if (!validator_names.insert(v.name).second) {
      return Bad(Join(path, "name"), "duplicate name \"" + v.name + "\"");
    }
    if (find_dept(v.department) == nullptr) {
      return Bad(Join(path, "department"), "unknown department \"" + v.department + "\"");
    }
    if (!keys.insert(v.key).second) return Bad(Join(path, "key"), "duplicate validator key");
    if (!tls_keys.insert(v.tls_key).second) return Bad(Join(path, "tls_key"), "duplicate TLS key");
  }
  return Status::Ok();
}

Result<Genesis> ParseGenesisValue(const json& root) {
  if (!root.is_object()) return Bad("genesis", "must be a JSON object");
  GOVLEDGER_RETURN_IF_ERROR(CheckKeys(root, "",
                                      {"chain_id", "suite", "genesis_time_ms", "params",
                                       "validators", "departments", "material_types"}));
  Genesis g;
  ASSIGN_OR_RETURN(g.chain_id, GetString(root, "", "chain_id", true));
  if (!IsValidId(g.chain_id)) return Bad("chain_id", "must match [A-Za-z0-9._-]{1,64}");
  ASSIGN_OR_RETURN(std::string suite_name, GetString(root, "", "suite", true));
  auto suite = crypto::ParseSuite(suite_name);
  if (!suite.ok()) return Bad("suite", "must be \"p256\" or \"sm\"");
  g.suite = *suite;
  ASSIGN_OR_RETURN(g.genesis_time_ms, GetInt(root, "", "genesis_time_ms", std::nullopt));
  if (g.genesis_time_ms < 0) return Bad("genesis_time_ms", "must not be negative");
  ASSIGN_OR_RETURN(g.params, ParseParams(root));

  ASSIGN_OR_RETURN(const json* departments, GetArray(root, "", "departments", false));
  for (size_t i = 0; i < departments->size(); ++i) {
    ASSIGN_OR_RETURN(Department d,
                     ParseDepartment((*departments)[i], Index("departments", i), g.suite));
    g.departments.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(const json* types, GetArray(root, "", "material_types", false));
  for (size_t i = 0; i < types->size(); ++i) {
    ASSIGN_OR_RETURN(MaterialType t, ParseMaterialType((*types)[i], Index("material_types", i)));
    g.material_types.push_back(std::move(t));
  }
  ASSIGN_OR_RETURN(const json* validators, GetArray(root, "", "validators", true));
  for (size_t i = 0; i < validators->size(); ++i) {
    ASSIGN_OR_RETURN(Validator v,
                     ParseValidator((*validators)[i], Index("validators", i), g.suite));
    g.validators.push_back(std::move(v));
  }
  GOVLEDGER_RETURN_IF_ERROR(ValidateGenesis(g));
  return g;
}

#undef ASSIGN_OR_RETURN
#undef GENESIS_CONCAT
#undef GENESIS_CONCAT_INNER
#undef GENESIS_ASSIGN_OR_RETURN_IMPL

std::string KeyPem(const crypto::PublicKey& key) {
  // A Genesis that came from ParseGenesisJson always has valid keys; a hand-built one with a
  // malformed key serialises it as an empty string, which ParseGenesisJson then rejects.
  auto pem = crypto::PublicKeyToPem(key);
  return pem.ok() ? *pem : std::string();
}

json ToJsonValue(const Genesis& g) {
  json j = json::object();
  j["chain_id"] = g.chain_id;
  j["suite"] = crypto::SuiteName(g.suite);
  j["genesis_time_ms"] = g.genesis_time_ms;
  j["params"] = {
      {"block_interval_ms", g.params.block_interval_ms},
      {"max_block_txs", g.params.max_block_txs},
      {"max_tx_bytes", g.params.max_tx_bytes},
      {"max_expiries_per_block", g.params.max_expiries_per_block},
      {"max_clock_drift_ms", g.params.max_clock_drift_ms},
      {"max_tx_validity_heights", g.params.max_tx_validity_heights},
  };
  json validators = json::array();
  for (const Validator& v : g.validators) {
    validators.push_back({{"name", v.name},
                          {"department", v.department},
                          {"key", KeyPem(v.key)},
                          {"tls_key", KeyPem(v.tls_key)},
                          {"p2p_address", v.p2p_address},
                          {"api_address", v.api_address}});
  }
  j["validators"] = std::move(validators);
  json departments = json::array();
  for (const Department& d : g.departments) {
    departments.push_back({{"id", d.id},
                           {"name", d.name},
                           {"name_en", d.name_en},
                           {"code", d.code},
                           {"roles", d.roles},
                           {"key", KeyPem(d.key)}});
  }
  j["departments"] = std::move(departments);
  json types = json::array();
  for (const MaterialType& t : g.material_types) {
    json type = {{"code", t.code},
                 {"name", t.name},
                 {"name_en", t.name_en},
                 {"category", t.category},
                 {"issuers", t.issuers},
                 {"required_fields", t.required_fields},
                 // The file speaks whole days; ParseGenesisJson only ever produces those.
                 {"max_validity_days", t.max_validity_ms / kDayMs},
                 {"parent_type", t.parent_type}};
    // The use rules are written only when they differ from the defaults, so a genesis made
    // before they existed keeps its hash.
    if (!t.use_purposes.empty()) type["use_purposes"] = t.use_purposes;
    if (!t.requires_grant) type["requires_grant"] = false;
    if (t.cascade != CascadeRule::kRevoke) type["cascade"] = std::string(CascadeRuleName(t.cascade));
    types.push_back(std::move(type));
  }
  j["material_types"] = std::move(types);
  return j;
}

}  // namespace

std::string_view CascadeRuleName(CascadeRule r) {
  switch (r) {
    case CascadeRule::kRevoke:
      return "revoke";
    case CascadeRule::kSuspend:
      return "suspend";
    case CascadeRule::kNone:
      return "none";
  }
  return "revoke";
}

bool ParseCascadeRule(std::string_view name, CascadeRule& out) {
  for (CascadeRule r : {CascadeRule::kRevoke, CascadeRule::kSuspend, CascadeRule::kNone}) {
    if (CascadeRuleName(r) == name) {
      out = r;
      return true;
    }
  }
  return false;
}

Result<Genesis> ParseGenesisJson(std::string_view text) {
  // nlohmann reports malformed documents by throwing; nothing may escape this module.
  try {
    json root = json::parse(text.begin(), text.end());
    return ParseGenesisValue(root);
  } catch (const json::exception& e) {
    return Status::Error("bad_genesis", std::string("not valid JSON: ") + e.what());
  }
}

std::string GenesisToJson(const Genesis& g, bool pretty) {
  // error_handler_t::replace: a hand-built Genesis with invalid UTF-8 must not throw here.
  return ToJsonValue(g).dump(pretty ? 2 : -1, ' ', /*ensure_ascii=*/false,
                             json::error_handler_t::replace);
}

crypto::Digest GenesisHash(const Genesis& g) { return crypto::Hash(g.suite, GenesisToJson(g)); }

Result<Genesis> LoadGenesisFile(const std::string& path) {
  auto text = ReadFile(path, kMaxGenesisFileBytes);
  if (!text.ok()) return text.status();
  auto g = ParseGenesisJson(*text);
  if (!g.ok()) return Status::Error(g.status().code(), path + ": " + g.status().message());
  return g;
}

}  // namespace govledger::ledger

#include "ledger/genesis.h"

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "tests/unit/ledger/chain_fixture.h"
#include "util/file.h"

namespace govledger::ledger {
namespace {

using nlohmann::json;
using testing::MakeNetwork;

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = MakeNetwork(4);
  return net;
}

json BaseJson() { return json::parse(GenesisToJson(Net().genesis)); }

Status ParseMutated(const std::function<void(json&)>& mutate) {
  json j = BaseJson();
  mutate(j);
  return ParseGenesisJson(j.dump()).status();
}

TEST_CASE("a generated genesis round trips through its canonical JSON", "[ledger]") {
  const Genesis& g = Net().genesis;
  std::string canonical = GenesisToJson(g);
  auto parsed = ParseGenesisJson(canonical);
  REQUIRE(parsed.ok());
  CHECK(GenesisToJson(*parsed) == canonical);
  CHECK(GenesisHash(*parsed) == GenesisHash(g));
  CHECK(GenesisHash(g) == crypto::Hash(g.suite, canonical));
  CHECK(parsed->validators.size() == 4);
  CHECK(parsed->validators[2].key == g.validators[2].key);
  CHECK(parsed->validators[2].tls_key == g.validators[2].tls_key);
  CHECK(parsed->departments[1].roles == g.departments[1].roles);
  CHECK(parsed->material_types[0].max_validity_ms == 365LL * 24 * 3600 * 1000);
  CHECK(parsed->material_types[1].parent_type == "LIC001");
  CHECK(parsed->params.max_block_txs == g.params.max_block_txs);
  // Canonical means compact: no whitespace outside strings.
  CHECK(canonical.find(": ") == std::string::npos);
  CHECK(canonical.find(", ") == std::string::npos);
}

TEST_CASE("the genesis hash does not change when the file is reformatted", "[ledger]") {
  const Genesis& g = Net().genesis;
  std::string pretty = GenesisToJson(g, /*pretty=*/true);
  CHECK(pretty != GenesisToJson(g));
  auto from_pretty = ParseGenesisJson(pretty);
  REQUIRE(from_pretty.ok());
  CHECK(GenesisHash(*from_pretty) == GenesisHash(g));

  // Keys written in reverse order, with extra whitespace.
  json sorted = BaseJson();
  nlohmann::ordered_json reversed = nlohmann::ordered_json::object();
  std::vector<std::string> keys;
  for (auto& item : sorted.items()) keys.push_back(item.key());
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    reversed[*it] = nlohmann::ordered_json::parse(sorted[*it].dump());
  }
  std::string text = "\n\n  " + reversed.dump(7) + "\n";
  CHECK(text.find("\"validators\"") < text.find("\"chain_id\""));
  auto from_reversed = ParseGenesisJson(text);
  REQUIRE(from_reversed.ok());
  CHECK(GenesisHash(*from_reversed) == GenesisHash(g));
}

TEST_CASE("unicode department and type names round trip unescaped", "[ledger]") {
  std::string canonical = GenesisToJson(Net().genesis);
  CHECK(canonical.find("区民政局") != std::string::npos);
  CHECK(canonical.find("\\u") == std::string::npos);
  auto parsed = ParseGenesisJson(canonical);
  REQUIRE(parsed.ok());
  CHECK(parsed->departments[0].name == "区民政局");
  CHECK(parsed->material_types[0].name == "营业执照");
  // Escaped input means the same document.
  json j = BaseJson();
  std::string escaped = j.dump(-1, ' ', /*ensure_ascii=*/true);
  CHECK(escaped.find("\\u") != std::string::npos);
  auto from_escaped = ParseGenesisJson(escaped);
  REQUIRE(from_escaped.ok());
  CHECK(GenesisHash(*from_escaped) == GenesisHash(Net().genesis));
}

TEST_CASE("omitted optional genesis fields take their defaults", "[ledger]") {
  json j = BaseJson();
  j.erase("params");
  j["departments"][0].erase("name_en");
  j["material_types"][0].erase("required_fields");
  j["material_types"][0].erase("max_validity_days");
  j["material_types"][0].erase("parent_type");
  auto g = ParseGenesisJson(j.dump());
  REQUIRE(g.ok());
  CHECK(g->params.block_interval_ms == ChainParams{}.block_interval_ms);
  CHECK(g->params.max_tx_validity_heights == ChainParams{}.max_tx_validity_heights);
  CHECK(g->departments[0].name_en.empty());
  CHECK(g->material_types[0].required_fields.empty());
  CHECK(g->material_types[0].max_validity_ms == 0);
}

TEST_CASE("genesis validation names the offending entry for each rule", "[ledger]") {
  const std::string sm_pem =
      crypto::PublicKeyToPem(crypto::PrivateKey::Generate(crypto::Suite::kSm)->public_key())
          .value();
  struct Case {
    const char* what;
    std::function<void(json&)> mutate;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"empty chain id", [](json& j) { j["chain_id"] = ""; }, "chain_id"},
      {"chain id charset", [](json& j) { j["chain_id"] = "bad chain!"; }, "chain_id"},
      {"long chain id", [](json& j) { j["chain_id"] = std::string(65, 'a'); }, "chain_id"},
      {"missing chain id", [](json& j) { j.erase("chain_id"); }, "chain_id: missing"},
      {"unknown suite", [](json& j) { j["suite"] = "rsa"; }, "suite"},
      {"time not integer", [](json& j) { j["genesis_time_ms"] = "now"; },
       "genesis_time_ms: must be an integer"},
      {"unknown top-level key", [](json& j) { j["extra"] = 1; }, "extra: unknown key"},
      {"misspelt param", [](json& j) { j["params"]["max_block_tx"] = 5; },
       "params.max_block_tx: unknown key"},
      {"zero param", [](json& j) { j["params"]["max_block_txs"] = 0; },
       "params.max_block_txs: must be positive"},
      {"negative param", [](json& j) { j["params"]["block_interval_ms"] = -5; },
       "params.block_interval_ms: must be positive"},
      {"param over u32", [](json& j) { j["params"]["max_tx_bytes"] = 1LL << 33; },
       "params.max_tx_bytes: too large"},
      {"duplicate department id", [](json& j) { j["departments"][1]["id"] = "civil"; },
       "departments[1].id: duplicate"},
      {"duplicate department name",
       [](json& j) { j["departments"][1]["name"] = j["departments"][0]["name"]; },
       "departments[1].name: duplicate"},
      {"duplicate department code",
       [](json& j) { j["departments"][1]["code"] = j["departments"][0]["code"]; },
       "departments[1].code: duplicate"},
      {"short credit code", [](json& j) { j["departments"][0]["code"] = "123"; },
       "departments[0].code"},
      {"lower-case credit code",
       [](json& j) { j["departments"][0]["code"] = "11440305mb2c12345x"; }, "departments[0].code"},
      {"unknown role",
       [](json& j) {
         j["departments"][2]["roles"] = {"consumer", "admin"};
       },
       "departments[2].roles[1]: unknown role"},
      {"duplicate role",
       [](json& j) {
         j["departments"][2]["roles"] = {"consumer", "consumer"};
       },
       "departments[2].roles[1]: duplicate"},
      {"garbage key", [](json& j) { j["departments"][2]["key"] = "garbage"; },
       "departments[2].key: not a P-256 public key"},
      {"key of the other curve", [&sm_pem](json& j) { j["departments"][2]["key"] = sm_pem; },
       "departments[2].key: not a P-256 public key"},
      {"duplicate department key",
       [](json& j) { j["departments"][2]["key"] = j["departments"][0]["key"]; },
       "departments[2].key: duplicate"},
      {"bad category", [](json& j) { j["material_types"][0]["category"] = "permit"; },
       "material_types[0].category"},
      {"bad type code", [](json& j) { j["material_types"][0]["code"] = "lic"; },
       "material_types[0].code"},
      {"duplicate type code", [](json& j) { j["material_types"][1]["code"] = "LIC001"; },
       "material_types[1].code: duplicate"},
      {"duplicate type name",
       [](json& j) { j["material_types"][1]["name"] = j["material_types"][0]["name"]; },
       "material_types[1].name: duplicate"},
      {"unknown issuer", [](json& j) { j["material_types"][0]["issuers"] = {"nobody"}; },
       "material_types[0].issuers[0]: unknown department"},
      {"issuer without provider role",
       [](json& j) {
         j["material_types"][0]["issuers"] = {"civil", "edu"};
       },
       "material_types[0].issuers[1]: department \"edu\" does not have the provider role"},
      {"duplicate issuer",
       [](json& j) {
         j["material_types"][0]["issuers"] = {"civil", "civil"};
       },
       "material_types[0].issuers[1]: duplicate"},
      {"unknown parent type", [](json& j) { j["material_types"][1]["parent_type"] = "NOPE01"; },
       "material_types[1].parent_type"},
      {"negative validity", [](json& j) { j["material_types"][0]["max_validity_days"] = -1; },
       "material_types[0].max_validity_days"},
      {"fractional validity", [](json& j) { j["material_types"][0]["max_validity_days"] = 1.5; },
       "material_types[0].max_validity_days: must be an integer"},
      {"no validators", [](json& j) { j["validators"] = json::array(); },
       "validators: at least one validator"},
      {"validators not an array", [](json& j) { j["validators"] = "node0"; },
       "validators: must be an array"},
      {"duplicate validator key",
       [](json& j) { j["validators"][1]["key"] = j["validators"][0]["key"]; },
       "validators[1].key: duplicate"},
      {"duplicate validator name",
       [](json& j) { j["validators"][1]["name"] = j["validators"][0]["name"]; },
       "validators[1].name: duplicate"},
      {"unknown validator department", [](json& j) { j["validators"][0]["department"] = "nobody"; },
       "validators[0].department: unknown department"},
      {"bad tls key", [](json& j) { j["validators"][3]["tls_key"] = "x"; },
       "validators[3].tls_key"},
      {"bad p2p address", [](json& j) { j["validators"][0]["p2p_address"] = "nohost"; },
       "validators[0].p2p_address"},
      {"bad api port", [](json& j) { j["validators"][0]["api_address"] = "h:99999"; },
       "validators[0].api_address"},
      {"department not an object", [](json& j) { j["departments"][1] = 5; },
       "departments[1]: must be an object"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Status s = ParseMutated(c.mutate);
    CHECK(s.code() == "bad_genesis");
    CHECK_THAT(s.message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("malformed genesis documents are rejected without throwing", "[ledger]") {
  for (std::string_view text : {"", "{", "[]", "null", "{\"chain_id\": \"x\",}", "\"text\"",
                                "{\"chain_id\": \"\xff\xfe\"}"}) {
    auto g = ParseGenesisJson(text);
    INFO(text);
    CHECK(g.status().code() == "bad_genesis");
  }
  CHECK_THAT(ParseGenesisJson("{").status().message(), Catch::Contains("not valid JSON"));
  // Deep nesting must not exhaust the stack.
  std::string deep = "{\"params\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  CHECK(ParseGenesisJson(deep).status().code() == "bad_genesis");
}

TEST_CASE("an sm genesis requires SM2 keys", "[ledger]") {
  testing::TestNetwork sm = MakeNetwork(1, crypto::Suite::kSm);
  auto parsed = ParseGenesisJson(GenesisToJson(sm.genesis));
  REQUIRE(parsed.ok());
  CHECK(parsed->suite == crypto::Suite::kSm);
  CHECK(GenesisHash(*parsed) == crypto::Hash(crypto::Suite::kSm, GenesisToJson(sm.genesis)));

  json j = json::parse(GenesisToJson(sm.genesis));
  j["validators"][0]["key"] = BaseJson()["validators"][0]["key"];
  Status s = ParseGenesisJson(j.dump()).status();
  CHECK_THAT(s.message(), Catch::Contains("validators[0].key: not a SM2 public key"));
}

TEST_CASE("LoadGenesisFile reads a file and prefixes errors with its path", "[ledger]") {
  testing::TempDir dir;
  const std::string path = dir.Sub("genesis.json");
  REQUIRE(WriteFileAtomic(path, GenesisToJson(Net().genesis, true)).ok());
  auto g = LoadGenesisFile(path);
  REQUIRE(g.ok());
  CHECK(GenesisHash(*g) == GenesisHash(Net().genesis));

  REQUIRE(WriteFileAtomic(path, "{}").ok());
  auto bad = LoadGenesisFile(path);
  CHECK(bad.status().code() == "bad_genesis");
  CHECK_THAT(bad.status().message(), Catch::StartsWith(path));
  CHECK_FALSE(LoadGenesisFile(dir.Sub("missing.json")).ok());
}

}  // namespace
}  // namespace govledger::ledger

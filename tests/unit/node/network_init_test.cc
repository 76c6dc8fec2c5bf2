#include "node/network_init.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "node/config.h"
#include "util/file.h"

using namespace govledger;

namespace {
std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("govledger-unit-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}
unsigned Mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}
}  // namespace

TEST_CASE("the built-in dev network parses and names its departments and types", "[node]") {
  auto spec = node::ParseNetworkToml(node::EmbeddedDevNetworkToml(), "dev");
  REQUIRE(spec.ok());
  REQUIRE(spec->chain_id == "govledger-dev");
  REQUIRE(spec->validators.size() == 1);
  REQUIRE(spec->departments.size() >= 4);
  REQUIRE(spec->material_types.size() >= 4);
}

TEST_CASE("shipped network configs parse", "[node]") {
  const char* src = GOVLEDGER_SOURCE_DIR;
  for (const char* name : {"dev", "local-4"}) {
    auto spec = node::LoadNetworkToml(std::string(src) + "/network-configs/" + name + "/network.toml");
    INFO(name);
    REQUIRE(spec.ok());
  }
}

TEST_CASE("network toml errors name the problem", "[node]") {
  auto missing = node::ParseNetworkToml("[network]\nsuite = \"p256\"\n", "x.toml");
  REQUIRE_FALSE(missing.ok());
  REQUIRE(missing.status().message().find("chain_id") != std::string::npos);

  auto syntax = node::ParseNetworkToml("[network\nchain_id=1", "x.toml");
  REQUIRE_FALSE(syntax.ok());
  REQUIRE(syntax.status().code() == "bad_network_config");

  auto bad_suite = node::ParseNetworkToml("[network]\nchain_id=\"a\"\nsuite=\"rsa\"\n", "x.toml");
  REQUIRE_FALSE(bad_suite.ok());
  REQUIRE(bad_suite.status().message().find("suite") != std::string::npos);
}

TEST_CASE("network init writes every home with private keys at mode 0600", "[node]") {
  const char* src = GOVLEDGER_SOURCE_DIR;
  auto spec = node::LoadNetworkToml(std::string(src) + "/network-configs/local-4/network.toml");
  REQUIRE(spec.ok());
  node::InitOptions opts;
  opts.out_dir = TempDir("init");
  auto genesis = node::InitNetwork(*spec, opts);
  REQUIRE(genesis.ok());
  REQUIRE(genesis->validators.size() == 4);
  for (const auto& v : genesis->validators) {
    std::string home = opts.out_dir + "/" + v.name;
    REQUIRE(Mode(home + "/validator.pem") == 0600);
    REQUIRE(Mode(home + "/tls.pem") == 0600);
    auto config = node::LoadNodeConfig(home);
    REQUIRE(config.ok());
    REQUIRE(config->api_listen == v.api_address);
    auto loaded = ledger::LoadGenesisFile(home + "/genesis.json");
    REQUIRE(loaded.ok());
    REQUIRE(ledger::GenesisHash(*loaded) == ledger::GenesisHash(*genesis));
  }
  for (const auto& d : genesis->departments) {
    REQUIRE(Mode(opts.out_dir + "/keys/" + d.id + ".pem") == 0600);
  }
  // A second init refuses to overwrite the homes.
  auto again = node::InitNetwork(*spec, opts);
  REQUIRE(again.status().code() == "already_exists");
  std::filesystem::remove_all(opts.out_dir);
}

TEST_CASE("node config rejects a malformed listen address", "[node]") {
  std::string home = TempDir("config");
  REQUIRE(EnsureDir(home).ok());
  REQUIRE(WriteFileAtomic(home + "/node.toml", "api_listen = \"localhost\"\n").ok());
  auto c = node::LoadNodeConfig(home);
  REQUIRE(c.status().code() == "bad_config");
  std::filesystem::remove_all(home);
}

// Found while writing the node_config fuzz target (tests/fuzz), which now checks it: an integer
// beyond the field's type was truncated, so verify_threads = 4294967297 loaded as 1.
TEST_CASE("node config refuses a limit beyond its field's range instead of truncating it",
          "[node]") {
  std::string home = TempDir("config-range");
  REQUIRE(EnsureDir(home).ok());
  REQUIRE(WriteFileAtomic(home + "/node.toml", "[mempool]\nverify_threads = 4294967297\n").ok());
  REQUIRE(node::LoadNodeConfig(home).status().code() == "bad_config");
  REQUIRE(WriteFileAtomic(home + "/node.toml", "[mempool]\nverify_threads = 3\n").ok());
  auto c = node::LoadNodeConfig(home);
  REQUIRE(c.ok());
  REQUIRE(c->verify_threads == 3);
  std::filesystem::remove_all(home);
}

// Found while writing the network_config fuzz target (tests/fuzz), which now checks it:
// max_tx_bytes = 4294967297 became a genesis with max_tx_bytes = 1, refusing every transaction.
TEST_CASE("network toml refuses a chain parameter beyond its field's range", "[node]") {
  const std::string base = "[network]\nchain_id = \"x\"\n";
  auto spec = node::ParseNetworkToml(base + "max_tx_bytes = 4294967297\n", "t.toml");
  REQUIRE(spec.status().code() == "bad_network_config");
  REQUIRE(spec.status().message().find("max_tx_bytes") != std::string::npos);
  auto txs = node::ParseNetworkToml(base + "max_block_txs = 4294967296\n", "t.toml");
  REQUIRE(txs.status().code() == "bad_network_config");
  REQUIRE(txs.status().message().find("max_block_txs") != std::string::npos);
}

// Found while writing the node_config fuzz target (tests/fuzz, round-trip check):
// NodeConfigToToml wrote strings between quotes unescaped, so a name or address holding '"' or
// '\' (network join takes them from the command line) produced a node.toml that did not load.
TEST_CASE("node config with quotes and backslashes in its strings round-trips", "[node]") {
  std::string home = TempDir("config-quote");
  REQUIRE(EnsureDir(home).ok());
  node::NodeConfig c;
  c.name = "dept \"A\" \\ node\t1";
  c.data_dir = "data\\x";
  REQUIRE(WriteFileAtomic(home + "/node.toml", node::NodeConfigToToml(c)).ok());
  auto loaded = node::LoadNodeConfig(home);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->name == c.name);
  REQUIRE(loaded->data_dir == c.data_dir);
  std::filesystem::remove_all(home);
}

// Network descriptions (network-configs/*/network.toml) and the homes made from them: keys,
// genesis and node configs, for `govledger network init` and for `govledger-node --dev`.
//
// Layout written by InitNetwork:
//   OUT/keys/<department>.pem        department signing keys (0600), for the department systems
//   OUT/<validator>/node.toml        the validator's config
//   OUT/<validator>/genesis.json     the same genesis in every home
//   OUT/<validator>/validator.pem    consensus signing key (0600)
//   OUT/<validator>/tls.pem          TLS key pinned in the genesis (0600)
// With `flat` (the one-validator dev chain) the single validator's files sit in OUT itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/core.h"
#include "ledger/genesis.h"
#include "util/status.h"

namespace govledger::node {

struct ValidatorSpec {
  std::string name;
  std::string department;
  std::string api;  // host:port
  std::string p2p;  // host:port
};

struct NetworkSpec {
  std::string chain_id;
  crypto::Suite suite = crypto::Suite::kP256;
  ledger::ChainParams params;
  std::vector<ValidatorSpec> validators;
  std::vector<ledger::Department> departments;  // keys empty until InitNetwork
  std::vector<ledger::MaterialType> material_types;
  // [consensus] section: copied into every node.toml (local settings, may be tuned per node).
  consensus::Timeouts timeouts;
  int64_t rebroadcast_ms = 500;
  // [api] section: the per-client rate limits copied into every node.toml (0 = no limit; absent:
  // node/config.h's defaults).
  std::optional<uint64_t> read_rate_per_s, read_burst, submit_rate_per_s, submit_burst;
  std::optional<uint64_t> max_connections_per_ip;
};

// Parses network.toml; errors name the file, the entry and the problem.
Result<NetworkSpec> ParseNetworkToml(std::string_view text, const std::string& source_name);
Result<NetworkSpec> LoadNetworkToml(const std::string& path);

// The dev network description compiled into the binaries (network-configs/dev/network.toml).
std::string_view EmbeddedDevNetworkToml();

struct InitOptions {
  std::string out_dir;
  bool flat = false;           // single home in out_dir (dev chain)
  int64_t genesis_time_ms = 0;  // 0 = now
  bool overwrite = false;      // refuse to touch an existing home unless set
};

// Generates every key, builds and validates the genesis, writes every home. Returns the genesis.
Result<ledger::Genesis> InitNetwork(const NetworkSpec& spec, const InitOptions& opts);

struct JoinOptions {
  std::string genesis_path;  // the network's genesis.json
  std::string out_dir;       // the new home
  std::string name;          // validator name (unique in the network)
  std::string department;    // department operating it
  std::string api;           // host:port
  std::string p2p;           // host:port, reachable by the other validators
  bool overwrite = false;
};

// Writes a home for a node that joins an existing network through governance: genesis copy,
// fresh validator and TLS keys (0600) with their public halves (validator.pub.pem,
// tls.pub.pem) to hand to the department that proposes the addition, and a node.toml with
// `joining = true`. Returns the validator entry the proposal must carry.
Result<ledger::Validator> JoinNetwork(const JoinOptions& opts);

}  // namespace govledger::node

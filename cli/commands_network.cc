// Setting a network up and looking at it: `govledger keygen`, `govledger network init|join`,
// `govledger status`.
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/passphrase.h"
#include "crypto/sign.h"
#include "node/keys.h"
#include "node/network_init.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

// ------------------------------------------------------------------ keygen

struct KeygenOptions {
  std::string suite = "p256";
  std::string out;
  std::string public_out;
  bool force = false;
  std::string passphrase_file;
  bool encrypt = false;
};

int RunKeygen(const Context& ctx, const KeygenOptions& o) {
  Output out(ctx.json);
  auto suite = crypto::ParseSuite(o.suite);
  if (!suite.ok()) return out.Fail(UsageError("--suite must be p256 or sm"));
  if (PathExists(o.out) && !o.force) {
    return out.Fail(Status::Error("already_exists", o.out + " already exists; pass --force to "
                                                            "replace it (the old key is lost)"));
  }
  if (!o.public_out.empty() && PathExists(o.public_out) && !o.force) {
    return out.Fail(Status::Error("already_exists", o.public_out + " already exists; pass "
                                                                   "--force to replace it"));
  }
  std::optional<std::string> passphrase;
  if (!o.passphrase_file.empty()) {
    auto p = node::ReadPassphraseFile(o.passphrase_file, /*allow_readable=*/false);
    if (!p.ok()) return out.Fail(p.status());
    passphrase = std::move(*p);
  } else if (o.encrypt) {
    auto p = PromptPassphrase("Passphrase for " + o.out + ": ", /*confirm=*/true);
    if (!p.ok()) return out.Fail(p.status());
    passphrase = std::move(*p);
  }
  auto key = crypto::PrivateKey::Generate(*suite);
  if (!key.ok()) return out.Fail(key.status());
  if (Status st = key->SavePemFile(o.out, passphrase); !st.ok()) return out.Fail(st);
  auto pem = crypto::PublicKeyToPem(key->public_key());
  if (!pem.ok()) return out.Fail(pem.status());
  std::string fingerprint = crypto::Fingerprint(*suite, key->public_key());
  if (!o.public_out.empty()) {
    if (Status st = WriteFileAtomic(o.public_out, *pem, 0644); !st.ok()) return out.Fail(st);
  }

  out.Say("Wrote a " + o.suite + " private key to " + o.out +
          (passphrase ? " (encrypted PKCS#8 PEM, mode 0600: keep it and its passphrase secret)."
                      : " (PKCS#8 PEM, mode 0600: keep it secret)."));
  out.Say("Fingerprint: " + fingerprint);
  out.Say("Public key (the department's \"key\" in the network's genesis):");
  if (!out.is_json()) std::cout << *pem;
  return out.Finish({{"suite", o.suite},
                     {"private_key_file", o.out},
                     {"public_key_pem", *pem},
                     {"fingerprint", fingerprint},
                     {"public_key_file", o.public_out.empty() ? json(nullptr) : json(o.public_out)},
                     {"encrypted", passphrase.has_value()}});
}

void AddKeygen(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* cmd = AddCommand(
      app, ctx, "keygen", "Create a signing key (PKCS#8 PEM, mode 0600) and print its public key",
      "  govledger keygen --suite sm --out keys/health.pem\n"
      "  govledger keygen --out node0/validator.pem --passphrase-file /etc/govledger/node0.pass\n"
      "  govledger keygen --out keys/health.pem --encrypt        (asks for the passphrase)\n"
      "  govledger keygen --out node3/next-tls.pem --public-out next-tls.pub.pem   (p256: TLS)");
  cmd->add_option("--suite", o->suite, "Crypto suite of the network: p256 or sm (SM2)")
      ->check(CLI::IsMember({"p256", "sm"}))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Private key file to write")->required();
  cmd->add_option("--public-out", o->public_out,
                  "Also write the public key (PEM) to this file, e.g. for a governance proposal");
  cmd->add_flag("--force", o->force, "Replace an existing file");
  cmd->add_option("--passphrase-file", o->passphrase_file,
                  "Encrypt the key (PKCS#8, PBKDF2-SHA256 + AES-256) with the passphrase on the "
                  "first line of this file (mode 0600); a node reads it from node.toml [keys] "
                  "passphrase_file or GOVLEDGER_KEY_PASSPHRASE");
  cmd->add_flag("--encrypt", o->encrypt,
                "Encrypt the key with a passphrase asked on the terminal (twice)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunKeygen(ctx, *o); }; });
}

// ------------------------------------------------------------------ network init

void AddNetworkJoin(CLI::App& group, Context& ctx);

struct NetworkInitOptions {
  std::string config;
  std::string out;
  bool force = false;
  bool flat = false;
};

int RunNetworkInit(const Context& ctx, const NetworkInitOptions& o) {
  Output out(ctx.json);
  auto spec = node::LoadNetworkToml(o.config);
  if (!spec.ok()) return out.Fail(spec.status());
  if (o.flat && spec->validators.size() != 1) {
    return out.Fail(UsageError("--flat needs a network with exactly one validator; " + o.config +
                               " has " + std::to_string(spec->validators.size())));
  }
  node::InitOptions opts;
  opts.out_dir = o.out;
  opts.flat = o.flat;
  opts.overwrite = o.force;
  auto genesis = node::InitNetwork(*spec, opts);
  if (!genesis.ok()) return out.Fail(genesis.status());

  namespace fs = std::filesystem;
  out.Say("Created network '" + genesis->chain_id + "' (suite " +
          crypto::SuiteName(genesis->suite) + ", " + std::to_string(genesis->validators.size()) +
          " validators, " + std::to_string(genesis->departments.size()) + " departments) in " +
          o.out);
  out.Say("Genesis hash: " + crypto::DigestHex(ledger::GenesisHash(*genesis)));
  out.Say("\nNode homes (node.toml, genesis.json, validator.pem, tls.pem):");
  json homes = json::array();
  for (const ledger::Validator& v : genesis->validators) {
    std::string home = o.flat ? o.out : (fs::path(o.out) / v.name).string();
    out.Say("  " + v.name + " (department " + v.department + "): " + home + "   api " +
            v.api_address + ", p2p " + v.p2p_address);
    homes.push_back({{"name", v.name},
                     {"department", v.department},
                     {"home", home},
                     {"api", v.api_address},
                     {"p2p", v.p2p_address}});
  }
  out.Say("\nDepartment keys (0600; give each only to its department's systems):");
  json keys = json::object();
  for (const ledger::Department& d : genesis->departments) {
    std::string path = (fs::path(o.out) / "keys" / (d.id + ".pem")).string();
    out.Say("  " + d.id + " (" + d.name + "): " + path);
    keys[d.id] = path;
  }
  out.Say("\nNext steps:");
  std::string start = "  start each node with: ";
  for (const json& h : homes) {
    out.Say(start + "govledger-node --home " + h["home"].get<std::string>());
    start.assign(start.size(), ' ');
  }
  out.Say("  then check it: govledger status --node http://" +
          genesis->validators.front().api_address);
  return out.Finish({{"chain_id", genesis->chain_id},
                     {"suite", crypto::SuiteName(genesis->suite)},
                     {"genesis_hash", crypto::DigestHex(ledger::GenesisHash(*genesis))},
                     {"homes", homes},
                     {"department_keys", keys}});
}

void AddNetworkInit(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(
      app, ctx, "network", "Create the home directories of a network",
      "  govledger network init --config network-configs/local-4/network.toml --out net");
  group->require_subcommand(1);
  auto o = std::make_shared<NetworkInitOptions>();
  CLI::App* cmd = AddCommand(
      *group, ctx, "init",
      "Generate every key, the genesis and one home per validator from a network.toml; "
      "department keys go to OUT/keys/<department>.pem",
      "  govledger network init --config network-configs/local-4/network.toml --out net\n"
      "  govledger-node --home net/node0");
  cmd->add_option("--config", o->config, "Network description (network.toml)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "Directory to create the homes in")->required();
  cmd->add_flag("--force", o->force, "Overwrite existing homes (their chain data is NOT removed)");
  cmd->add_flag("--flat", o->flat,
                "One-validator networks only: write the single home into OUT itself");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunNetworkInit(ctx, *o); }; });
  AddNetworkJoin(*group, ctx);
}

// ------------------------------------------------------------------ network join

struct NetworkJoinOptions {
  node::JoinOptions join;
  bool force = false;
};

int RunNetworkJoin(const Context& ctx, NetworkJoinOptions o) {
  Output out(ctx.json);
  o.join.overwrite = o.force;
  auto v = node::JoinNetwork(o.join);
  if (!v.ok()) return out.Fail(v.status());
  const std::string& home = o.join.out_dir;
  out.Say("Created the home of joining validator '" + v->name + "' (department " + v->department +
          ") in " + home);
  out.Say("  validator key " + home + "/validator.pem, TLS key " + home +
          "/tls.pem (0600, stay here)");
  out.Say("  public halves " + home + "/validator.pub.pem and " + home + "/tls.pub.pem");
  out.Say("\nNext steps:");
  out.Say("  1. A department proposes the addition (the public key files are all it needs):");
  out.Say("     govledger governance propose --key keys/<department>.pem --add-validator " +
          v->name + " --department " + v->department + " \\\n       --validator-key " + home +
          "/validator.pub.pem --tls-key " + home + "/tls.pub.pem --p2p " + v->p2p_address +
          " --api " + v->api_address + " --reason \"...\"");
  out.Say("  2. Two thirds of the departments approve it: govledger governance approve --id ...");
  out.Say("  3. Start the node (it catches up, and votes from the effective height on):");
  out.Say("     govledger-node --home " + home);
  return out.Finish({{"name", v->name},
                     {"department", v->department},
                     {"home", home},
                     {"validator_public_key_file", home + "/validator.pub.pem"},
                     {"tls_public_key_file", home + "/tls.pub.pem"},
                     {"p2p", v->p2p_address},
                     {"api", v->api_address}});
}

void AddNetworkJoin(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<NetworkJoinOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "join",
      "Create the home of a new validator for an existing network; it becomes a validator "
      "when a governance proposal adding it is approved (effective two heights later)",
      "  govledger network join --genesis net/node0/genesis.json --name node4 \\\n"
      "      --department water --p2p 10.1.4.20:7104 --api 10.1.4.20:7004 --out node4");
  cmd->add_option("--genesis", o->join.genesis_path, "The network's genesis.json")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--name", o->join.name, "Validator name, unique in the network")->required();
  cmd->add_option("--department", o->join.department, "Department operating it")->required();
  cmd->add_option("--p2p", o->join.p2p, "host:port the other validators dial")->required();
  cmd->add_option("--api", o->join.api, "host:port of its HTTP API")->required();
  cmd->add_option("--out", o->join.out_dir, "Home directory to create")->required();
  cmd->add_flag("--force", o->force, "Overwrite an existing home (its chain data is NOT removed)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunNetworkJoin(ctx, *o); }; });
}

// ------------------------------------------------------------------ status

int RunStatus(const Context& ctx) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return out.Fail(chain.status());
  const json& s = chain->raw;
  out.Say("chain      " + chain->chain_id + " (suite " + crypto::SuiteName(chain->suite) + ", " +
          std::to_string(s.value("validators", 0)) + " validator(s))");
  out.Say("node       " + s.value("node", std::string("?")) + " at " + client.url() + " (version " +
          s.value("version", std::string("?")) + ")");
  out.Say("height     " + std::to_string(chain->height));
  out.Say("tip hash   " + s.value("tip_hash", std::string()));
  out.Say("tip time   " + FormatTimeCst(chain->tip_time_ms));
  out.Say("txs        " + std::to_string(s.value("log_size", uint64_t{0})) + " committed, " +
          std::to_string(s.value("mempool_txs", uint64_t{0})) + " in the mempool");
  out.Say("genesis    " + s.value("genesis_hash", std::string()));
  return out.Finish(s);
}

void AddStatus(CLI::App& app, Context& ctx) {
  CLI::App* cmd = AddCommand(app, ctx, "status",
                             "Show the chain a node serves: id, suite, height, tip, mempool",
                             "  govledger status --node http://127.0.0.1:7001");
  cmd->callback([&ctx] { ctx.action = [&ctx] { return RunStatus(ctx); }; });
}

}  // namespace

void AddNetworkCommands(CLI::App& app, Context& ctx) {
  AddKeygen(app, ctx);
  AddNetworkInit(app, ctx);
  AddStatus(app, ctx);
}

}  // namespace govledger::cli

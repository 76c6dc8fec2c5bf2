// govledger-node: the validator daemon.
//   govledger-node --home DIR               run the validator whose home `network init` made
//   govledger-node --dev --home DIR         one-validator dev chain; creates keys and genesis on
//                                           first start from network-configs/dev (compiled in)
#include <CLI/CLI.hpp>
#include <iostream>

#include "node/config.h"
#include "node/log.h"
#include "node/network_init.h"
#include "node/node.h"
#include "util/file.h"

using namespace govledger;

namespace {

int Fail(const Status& st) {
  std::cerr << "govledger-node: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "govledger-node: a govledger validator.\n\n"
      "Examples:\n"
      "  govledger-node --dev --home ~/.govledger/dev    try it: one validator, sample departments\n"
      "  govledger-node --home net/node0                 run a home made by `govledger network init`\n",
      "govledger-node"};
  std::string home;
  bool dev = false;
  std::string dev_config;
  std::string api_listen;
  std::string log_level = "info";
  app.add_option("--home", home, "Node home directory (node.toml, genesis.json, keys, data/)")
      ->required();
  app.add_flag("--dev", dev,
               "Run a one-validator development chain; on first start create its keys, genesis and "
               "sample departments in --home (department keys in HOME/keys/<department>.pem)");
  app.add_option("--config", dev_config,
                 "With --dev: network description to create the chain from (default: the "
                 "built-in network-configs/dev/network.toml)");
  app.add_option("--api", api_listen, "Override the API listen address HOST:PORT (port 0 = any "
                                      "free port; the bound address is written to HOME/api.addr)");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  node::SetLogLevel(log_level == "debug"  ? node::LogLevel::kDebug
                    : log_level == "warn" ? node::LogLevel::kWarn
                    : log_level == "error" ? node::LogLevel::kError
                                           : node::LogLevel::kInfo);

  if (!dev && !dev_config.empty()) return Fail(Status::Error("usage", "--config needs --dev"));
  if (dev && !PathExists(home + "/genesis.json")) {
    auto spec = dev_config.empty()
                    ? node::ParseNetworkToml(node::EmbeddedDevNetworkToml(), "built-in dev network")
                    : node::LoadNetworkToml(dev_config);
    if (!spec.ok()) return Fail(spec.status());
    node::InitOptions opts;
    opts.out_dir = home;
    opts.flat = true;
    auto genesis = node::InitNetwork(*spec, opts);
    if (!genesis.ok()) return Fail(genesis.status());
    std::cerr << "govledger-node: created dev chain '" << genesis->chain_id << "' in " << home
              << "\n  department keys: " << home << "/keys/<department>.pem\n";
  }

  auto config = node::LoadNodeConfig(home);
  if (!config.ok()) return Fail(config.status());
  if (!api_listen.empty()) config->api_listen = api_listen;
  auto n = node::Node::Open(*config);
  if (!n.ok()) return Fail(n.status());
  if (Status st = (*n)->Start(); !st.ok()) return Fail(st);
  (*n)->Run();
  std::cerr << "govledger-node: stopped cleanly\n";
  return 0;
}

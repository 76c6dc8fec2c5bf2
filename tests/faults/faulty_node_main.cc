// govledger-node-faulty: the validator daemon with the fault layer of tests/faults/ installed,
// for fault-injection and Byzantine tests only (never installed, never built into
// `govledger-node`). Same node, same flags as govledger-node (validator homes only), plus:
//   --faults FILE   the control file the test rewrites at run time (default HOME/faults.json;
//                   format in tests/faults/fault_filter.h); absent = no faults
//   --twin          share the p2p listen port with another process holding the same keys
// Its wall clock is NowMs() + the control file's clock_skew_ms (a link-time seam: this file
// defines govledger::NowMs, so util/now.cc is not linked in).
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/log.h"
#include "node/node.h"
#include "tests/faults/fault_filter.h"
#include "util/time.h"

namespace govledger {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() +
         faults::FaultFilter::clock_skew_ms();
}

}  // namespace govledger

using namespace govledger;

namespace {

int Fail(const Status& st) {
  std::cerr << "govledger-node-faulty: " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"govledger-node-faulty: a govledger validator with test-only fault injection and "
               "Byzantine behaviours, steered through a control file. For tests only.",
               "govledger-node-faulty"};
  std::string home, api_listen, faults_file, log_level = "info";
  bool twin = false;
  app.add_option("--home", home, "Validator home made by `govledger network init`")->required();
  app.add_option("--api", api_listen, "Override the API listen address HOST:PORT");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--faults", faults_file, "Control file (default HOME/faults.json)");
  app.add_flag("--twin", twin, "Share the p2p port with a twin holding the same keys (SO_REUSEPORT)");
  CLI11_PARSE(app, argc, argv);
  node::SetLogLevel(log_level == "debug"  ? node::LogLevel::kDebug
                    : log_level == "warn" ? node::LogLevel::kWarn
                    : log_level == "error" ? node::LogLevel::kError
                                           : node::LogLevel::kInfo);

  auto config = node::LoadNodeConfig(home);
  if (!config.ok()) return Fail(config.status());
  if (!api_listen.empty()) config->api_listen = api_listen;
  if (faults_file.empty()) faults_file = config->Path("faults.json");

  auto genesis = ledger::LoadGenesisFile(config->Path(config->genesis_file));
  if (!genesis.ok()) return Fail(genesis.status());
  auto key = crypto::PrivateKey::LoadPemFile(genesis->suite, config->Path(config->validator_key_file));
  if (!key.ok()) return Fail(key.status());
  uint32_t self = UINT32_MAX;
  for (uint32_t i = 0; i < genesis->validators.size(); ++i) {
    if (genesis->validators[i].key == key->public_key()) self = i;
  }
  std::unique_ptr<faults::Byzantine> byzantine;
  if (self != UINT32_MAX) {
    byzantine = std::make_unique<faults::Byzantine>(*genesis, std::move(*key), self);
  }
  auto filter = std::make_shared<faults::FaultFilter>(faults_file, std::move(byzantine), twin);
  filter->Poll(/*force=*/true);  // the clock skew holds from the first block on
  config->frame_filter = filter;
  GOVLEDGER_LOG(kWarn, "FAULTS: test-only node with fault injection (control file "
                           << faults_file << (twin ? ", twin" : "") << ")");

  auto n = node::Node::Open(*config);
  if (!n.ok()) return Fail(n.status());
  if (Status st = (*n)->Start(); !st.ok()) return Fail(st);
  (*n)->Run();
  std::cerr << "govledger-node-faulty: stopped cleanly\n";
  return 0;
}

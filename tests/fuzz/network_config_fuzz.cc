// network.toml (node::ParseNetworkToml), the input of `govledger network init`. Property: every
// chain parameter the file gives is the value parsed (never silently truncated to a narrower
// field). No key is generated per input: InitNetwork itself (keys, files) is left to the unit
// tests.
#include <toml++/toml.h>

#include <functional>
#include <string_view>

#include "node/network_init.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

struct Param {
  const char* key;
  std::function<uint64_t(const ledger::ChainParams&)> get;
};

const std::vector<Param>& Params() {
  using P = ledger::ChainParams;
  static const std::vector<Param> params = {
      {"block_interval_ms", [](const P& p) { return uint64_t(p.block_interval_ms); }},
      {"max_block_txs", [](const P& p) { return uint64_t{p.max_block_txs}; }},
      {"max_tx_bytes", [](const P& p) { return uint64_t{p.max_tx_bytes}; }},
      {"max_expiries_per_block", [](const P& p) { return uint64_t{p.max_expiries_per_block}; }},
      {"max_clock_drift_ms", [](const P& p) { return uint64_t(p.max_clock_drift_ms); }},
      {"max_tx_validity_heights", [](const P& p) { return uint64_t{p.max_tx_validity_heights}; }},
  };
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = node::ParseNetworkToml(text, "fuzz.toml");
  if (!spec.ok()) return 0;
  toml::table t;
  try {
    t = toml::parse(text);
  } catch (const toml::parse_error&) {
    FUZZ_CHECK(false && "ParseNetworkToml accepted a file toml++ rejects");
  }
  for (const auto& p : Params()) {
    if (auto v = t["network"][p.key].value<int64_t>()) {
      FUZZ_CHECK(*v > 0);
      FUZZ_CHECK(p.get(spec->params) == static_cast<uint64_t>(*v));
    }
  }
  return 0;
}

// HOME/node.toml (node::LoadNodeConfig), written to a scratch home. Properties: every integer the
// file gives for a known key is the value loaded (never silently truncated to a narrower field),
// and an accepted config written back with NodeConfigToToml loads again to the same text.
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "node/config.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

struct NumField {
  const char* table;
  const char* key;
  std::function<uint64_t(const node::NodeConfig&)> get;
};

const std::vector<NumField>& NumFields() {
  using C = node::NodeConfig;
  static const std::vector<NumField> fields = {
      {"api", "max_body_bytes", [](const C& c) { return uint64_t{c.max_body_bytes}; }},
      {"api", "max_header_bytes", [](const C& c) { return uint64_t{c.max_header_bytes}; }},
      {"api", "max_connections", [](const C& c) { return uint64_t{c.max_connections}; }},
      {"api", "body_timeout_ms", [](const C& c) { return uint64_t(c.body_timeout_ms); }},
      {"api", "max_wait_ms", [](const C& c) { return uint64_t(c.max_wait_ms); }},
      {"mempool", "max_txs", [](const C& c) { return uint64_t{c.mempool_max_txs}; }},
      {"mempool", "max_bytes", [](const C& c) { return uint64_t{c.mempool_max_bytes}; }},
      {"mempool", "verify_threads", [](const C& c) { return uint64_t{c.verify_threads}; }},
      {"consensus", "timeout_propose_ms",
       [](const C& c) { return uint64_t(c.timeouts.propose_ms); }},
      {"consensus", "timeout_propose_delta_ms",
       [](const C& c) { return uint64_t(c.timeouts.propose_delta_ms); }},
      {"consensus", "timeout_prevote_ms",
       [](const C& c) { return uint64_t(c.timeouts.prevote_ms); }},
      {"consensus", "timeout_prevote_delta_ms",
       [](const C& c) { return uint64_t(c.timeouts.prevote_delta_ms); }},
      {"consensus", "timeout_precommit_ms",
       [](const C& c) { return uint64_t(c.timeouts.precommit_ms); }},
      {"consensus", "timeout_precommit_delta_ms",
       [](const C& c) { return uint64_t(c.timeouts.precommit_delta_ms); }},
      {"consensus", "rebroadcast_ms", [](const C& c) { return uint64_t(c.rebroadcast_ms); }},
      {"consensus", "block_fill_ms", [](const C& c) { return uint64_t(c.block_fill_ms); }},
      {"consensus", "block_fill_max_ms", [](const C& c) { return uint64_t(c.block_fill_max_ms); }},
  };
  return fields;
}

void WriteToml(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string home = fuzz::ScratchDir() + "/home";
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  WriteToml(home + "/node.toml", data, size);
  auto c = node::LoadNodeConfig(home);
  if (!c.ok()) return 0;
  (void)c->Path(c->data_dir);

  toml::table t;
  try {
    t = toml::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const toml::parse_error&) {
    FUZZ_CHECK(false && "LoadNodeConfig accepted a file toml++ rejects");
  }
  for (const auto& f : NumFields()) {
    if (auto v = t[f.table][f.key].value<int64_t>()) {
      FUZZ_CHECK(*v >= 0);
      FUZZ_CHECK(f.get(*c) == static_cast<uint64_t>(*v));
    }
  }

  const std::string text = node::NodeConfigToToml(*c);
  WriteToml(home + "/node.toml", reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto again = node::LoadNodeConfig(home);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(node::NodeConfigToToml(*again) == text);
  return 0;
}

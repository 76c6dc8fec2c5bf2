// genesis.json (ledger::ParseGenesisJson): every node and every offline verifier parses it, and
// `govledger verify --trust` takes it from the user. Property: an accepted genesis written back
// as canonical JSON parses again to the same canonical JSON (and so the same genesis hash).
#include <string_view>

#include "ledger/genesis.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto g = ledger::ParseGenesisJson(text);
  if (!g.ok()) return 0;
  const std::string canonical = ledger::GenesisToJson(*g);
  auto again = ledger::ParseGenesisJson(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ledger::GenesisToJson(*again) == canonical);
  auto pretty = ledger::ParseGenesisJson(ledger::GenesisToJson(*g, /*pretty=*/true));
  FUZZ_CHECK(pretty.ok());
  FUZZ_CHECK(ledger::GenesisHash(*pretty) == ledger::GenesisHash(*g));
  return 0;
}

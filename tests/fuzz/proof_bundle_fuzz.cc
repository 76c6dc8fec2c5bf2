// Proof bundles (.govproof JSON, doc/proof-bundle.md) as `govledger verify --bundle` and the web
// page take them from anyone: ledger::ProofBundleFromJson, then ledger::VerifyProofBundle against
// the genesis of a dev chain (tests/fuzz/dev_chain.h) whose real bundles are the seeds.
// Properties: verification reports every step and a verdict whatever the input; a bundle that
// parses is written back by ProofBundleToJson to text that parses to the same text. The same
// input goes through the contract evidence bundle reader and verifier (ledger/proof_contract.h)
// with the same properties.
#include "ledger/genesis.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"
#include "tests/fuzz/dev_chain.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

const ledger::Genesis& Trusted() {
  static const ledger::Genesis genesis = [] {
    fuzz::DevChain chain = fuzz::MakeDevChain(fuzz::ScratchDir() + "/dev");
    auto g = ledger::LoadGenesisFile(chain.home + "/genesis.json");
    FUZZ_CHECK(g.ok());
    return *g;
  }();
  return genesis;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ledger::Genesis& trusted = Trusted();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ledger::VerifyOptions opts;
  opts.now_ms = 1'700'000'100'000;
  ledger::ProofVerification v = ledger::VerifyProofBundleJson(trusted, text, opts);
  FUZZ_CHECK(!v.checks.empty());
  (void)ledger::VerdictName(v.verdict);

  ledger::ContractVerification cv =
      ledger::VerifyContractBundleJson(trusted, text, crypto::Hash(trusted.suite, text));
  FUZZ_CHECK(!cv.checks.empty());
  (void)ledger::ContractVerdictName(cv.verdict);
  if (auto contract = ledger::ContractBundleFromJson(text); contract.ok()) {
    const std::string once = ledger::ContractBundleToJson(*contract);
    auto again = ledger::ContractBundleFromJson(once);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(ledger::ContractBundleToJson(*again) == once);
  }

  auto bundle = ledger::ProofBundleFromJson(text);
  if (!bundle.ok()) return 0;
  const std::string once = ledger::ProofBundleToJson(*bundle);
  auto again = ledger::ProofBundleFromJson(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ledger::ProofBundleToJson(*again) == once);
  return 0;
}

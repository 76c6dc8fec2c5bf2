// Blocks, headers and commit certificates as proposals and block sync deliver them:
// ledger::DecodeBlock / DecodeHeader / DecodeCommit, then what a syncing node does next with a
// decoded block (decode every transaction) and certificate (ledger::VerifyCommit against a fixed
// four-validator set). Properties: header_bytes are kept verbatim, and re-encoding a decoded
// block or certificate gives bytes that decode to the same values.
#include <vector>

#include "ledger/codec.h"
#include "ledger/commit.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

const std::vector<ledger::Validator>& Validators() {
  static const std::vector<ledger::Validator> set = [] {
    std::vector<ledger::Validator> v;
    for (int i = 0; i < 4; ++i) {
      auto key = crypto::PrivateKey::Generate(crypto::Suite::kP256);
      FUZZ_CHECK(key.ok());
      ledger::Validator val;
      val.name = "node" + std::to_string(i);
      val.key = key->public_key();
      v.push_back(val);
    }
    return v;
  }();
  return set;
}

void CheckCommit(const ledger::Commit& c) {
  (void)ledger::VerifyCommit(crypto::Suite::kP256, "fuzz-chain", Validators(), c, c.height,
                             c.block_hash);
  auto again = ledger::DecodeCommit(ledger::EncodeCommit(c));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ledger::EncodeCommit(*again) == ledger::EncodeCommit(c));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Bytes raw(data + 1, data + size);
  switch (data[0] % 3) {
    case 0: {
      auto b = ledger::DecodeBlock(raw);
      if (!b.ok()) return 0;
      for (const Bytes& t : b->txs) (void)ledger::DecodeTx(crypto::Suite::kP256, t, 64 * 1024);
      if (b->last_commit) CheckCommit(*b->last_commit);
      auto again = ledger::DecodeBlock(ledger::EncodeBlock(*b));
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(again->header_bytes == b->header_bytes);
      FUZZ_CHECK(again->txs == b->txs);
      FUZZ_CHECK(again->last_commit.has_value() == b->last_commit.has_value());
      break;
    }
    case 1: {
      auto h = ledger::DecodeHeader(raw);
      if (!h.ok()) return 0;
      auto again = ledger::DecodeHeader(ledger::EncodeHeader(*h));
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(ledger::EncodeHeader(*again) == ledger::EncodeHeader(*h));
      break;
    }
    default: {
      auto c = ledger::DecodeCommit(raw);
      if (c.ok()) CheckCommit(*c);
      break;
    }
  }
  return 0;
}

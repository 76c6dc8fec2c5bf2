// Transactions as clients (POST /v1/tx), peers (tx gossip) and blocks deliver them:
// ledger::DecodeTx under both suites, then the signature check the verifier pool runs on the
// decoded signer key. Properties: a decoded body re-encodes to bytes that decode to the same
// encoding (EncodeTxBody is a fixed point after one decode); DecodeTxHash (the chain audit's)
// accepts and refuses exactly what DecodeTx does and gives the same hash.
#include "crypto/sign.h"
#include "ledger/codec.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the suite; the rest is the SignedTx.
  const crypto::Suite suite = (data[0] & 1) ? crypto::Suite::kSm : crypto::Suite::kP256;
  const Bytes raw(data + 1, data + size);
  auto tx = ledger::DecodeTx(suite, raw, 64 * 1024);
  // The audit's DecodeTxHash accepts exactly what DecodeTx accepts (no size limit) and gives the
  // same hash.
  auto hash = ledger::DecodeTxHash(suite, raw);
  if (raw.size() <= 64 * 1024) {
    FUZZ_CHECK(hash.ok() == tx.ok());
    if (!tx.ok()) FUZZ_CHECK(hash.status().code() == tx.status().code());
  }
  if (!tx.ok()) return 0;
  FUZZ_CHECK(*hash == tx->hash);
  FUZZ_CHECK(tx->raw == raw);
  FUZZ_CHECK(tx->hash == crypto::Hash(suite, tx->body_bytes));
  (void)ledger::TxKindName(tx->body.payload);
  (void)crypto::Verify(suite, tx->signer, tx->body_bytes, tx->signature);

  const Bytes body = ledger::EncodeTxBody(tx->body);
  const Bytes again = ledger::EncodeSignedTx(body, tx->signer, tx->signature);
  auto re = ledger::DecodeTx(suite, again, again.size());
  FUZZ_CHECK(re.ok());
  FUZZ_CHECK(ledger::EncodeTxBody(re->body) == body);
  return 0;
}

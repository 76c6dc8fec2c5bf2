// Conversion between the wire/storage protobuf encoding and the domain model of ledger/types.h.
// Decoders run on untrusted bytes: they never crash, enforce size limits and return a reason.
#pragma once

#include <string>

#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

// Decodes a SignedTx and its body; checks structure only (no signature, no rules). tx.hash is
// H(body) under `suite`. Reason codes: "malformed_tx", "tx_too_large", "missing_payload".
Result<Tx> DecodeTx(crypto::Suite suite, const Bytes& raw, size_t max_size);
Bytes EncodeTxBody(const TxBody& body);
Bytes EncodeSignedTx(const Bytes& body_bytes, const crypto::PublicKey& signer,
                     const Bytes& signature);
// Signs a body with `key` and returns the full decoded Tx.
Tx SignTx(const crypto::PrivateKey& key, const TxBody& body);

Bytes EncodeHeader(const BlockHeader& h);
Result<BlockHeader> DecodeHeader(const Bytes& raw);
Bytes EncodeBlock(const Block& b);  // uses b.header_bytes, not b.header
Result<Block> DecodeBlock(const Bytes& raw);
Bytes EncodeCommit(const Commit& c);
Result<Commit> DecodeCommit(const Bytes& raw);

Bytes EncodeMaterial(const Material& m);
Result<Material> DecodeMaterial(const Bytes& raw);
Bytes EncodeEvent(const Event& e);
Result<Event> DecodeEvent(const Bytes& raw);
Bytes EncodeEvents(const std::vector<Event>& events);
Result<std::vector<Event>> DecodeEvents(const Bytes& raw);
Bytes EncodeTxLocation(const TxLocation& l);
Result<TxLocation> DecodeTxLocation(const Bytes& raw);

}  // namespace govledger::ledger

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
// Checks `raw` exactly as DecodeTx does (no size limit) and returns only tx.hash, without copying
// the transaction's parts out: for readers that check transactions they do not keep.
Result<Digest> DecodeTxHash(crypto::Suite suite, const Bytes& raw);
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
Result<Material> DecodeMaterial(const uint8_t* data, size_t size);
Bytes EncodeEvent(const Event& e);
Result<Event> DecodeEvent(const Bytes& raw);
Bytes EncodeEvents(const std::vector<Event>& events);
Result<std::vector<Event>> DecodeEvents(const Bytes& raw);
Bytes EncodeTxLocation(const TxLocation& l);
Result<TxLocation> DecodeTxLocation(const Bytes& raw);
Result<TxLocation> DecodeTxLocation(const uint8_t* data, size_t size);

// State records (codec_records.cc). Decoders answer "malformed_record".
Bytes EncodeGrant(const Grant& g);
Result<Grant> DecodeGrant(const Bytes& raw);
Bytes EncodeContract(const EContract& c);
Result<EContract> DecodeContract(const Bytes& raw);
Bytes EncodeProposal(const Proposal& p);
Result<Proposal> DecodeProposal(const Bytes& raw);
Bytes EncodeValidatorChange(const ValidatorChange& v);
Result<ValidatorChange> DecodeValidatorChange(const Bytes& raw);
Bytes EncodeDepartment(const Department& d);
Result<Department> DecodeDepartment(const Bytes& raw);
Bytes EncodeMaterialType(const MaterialType& t);
Result<MaterialType> DecodeMaterialType(const Bytes& raw);
// Counters: 8 bytes big-endian.
Bytes EncodeU64(uint64_t v);
Result<uint64_t> DecodeU64(const Bytes& raw);

}  // namespace govledger::ledger

// Byte layouts that are hashed or signed and that other implementations (the web verifier, audit
// tools) must reproduce exactly. They are fixed, length-prefixed binary layouts rather than
// re-serialized protobuf. Documented in doc/design.md.
#pragma once

#include <string_view>
#include <vector>

#include "crypto/hash.h"
#include "ledger/genesis.h"
#include "ledger/types.h"

namespace govledger::ledger {

// "govledger/precommit/v1" || lp(chain_id) || u64 height || u32 round || lp(block_hash),
// where lp = 4-byte big-endian length prefix and integers are big-endian.
Bytes PrecommitSignBytes(std::string_view chain_id, uint64_t height, uint32_t round,
                         const Bytes& block_hash);

// "govledger/event/v1" || lp(material_id) || u32 seq || u8 kind || u64 height || u64 time_ms ||
// lp(actor) || lp(tx_hash) || lp(reason) || lp(prev_event), for events without details; events
// with any of counterparty, purpose, ref, detail set use "govledger/event/v2" and the same fields
// followed by lp(counterparty) || lp(purpose) || lp(ref) || lp(detail). Event::records is not
// part of the layout (it is state, not the event). kind = the protobuf EventKind number.
Bytes EventBytes(const Event& e);
Digest EventHash(crypto::Suite suite, const Event& e);
// H(event hash 0 || event hash 1 || ...): the header's events_hash. H("") for no events.
Digest EventsHash(crypto::Suite suite, const std::vector<Event>& events);

// H("govledger/validators/v1" || u32 n || for each validator: lp(key) || lp(tls_key)).
Digest ValidatorsHash(crypto::Suite suite, const std::vector<Validator>& validators);

// Leaf committed in the header's log for field disclosure: "govledger/field/v1" || lp(salt) ||
// lp(name) || lp(value); fields_root is the RFC 9162 root over the leaves sorted by name.
Bytes FieldLeafBytes(const Bytes& salt, std::string_view name, std::string_view value);
// H(salt || holder id) with a 4-byte length prefix on the salt.
Digest HolderCommitment(crypto::Suite suite, const Bytes& salt, std::string_view holder_id);

// ---- the state map behind the header's state_root (crypto/smt.h, doc/design.md "State root")

// A material's latest state: "govledger/material/v1" || lp(material_id) || lp(type_code) ||
// lp(issuer) || lp(holder_commitment) || lp(doc_digest) || lp(fields_root) || u32 field count ||
// lp(field name)... || u64 valid_from_ms || u64 valid_until_ms || u8 status || u32 version ||
// lp(parent_id) || u64 issued_height || lp(issue_tx) || u64 updated_height || u32 event_count ||
// lp(last_event) || lp(holder_key) || lp(prev_version) || lp(next_version) || u64 use_count ||
// lp(suspended_by). status = the protobuf MaterialStatus number (ACTIVE 1, REVOKED 2, EXPIRED 3,
// ISSUED 4, SUSPENDED 5, SUPERSEDED 6, DESTROYED 7); times as two's complement u64.
Bytes MaterialStateBytes(const Material& m);

// The state map's key of a state entry: H("govledger/state-key/v1" || u8 table || key), where
// table is 'S' for a material (key = its id) and the ledger::Table byte for a record table entry.
inline constexpr char kMaterialStateTable = 'S';
Digest StateKey(crypto::Suite suite, char table, std::string_view key);
inline Digest MaterialStateKey(crypto::Suite suite, std::string_view material_id) {
  return StateKey(suite, kMaterialStateTable, material_id);
}
// The values: H(MaterialStateBytes(m)) for a material; H("govledger/record/v1" || stored bytes)
// for a record-table entry (its exact stored encoding).
Digest MaterialStateValue(crypto::Suite suite, const Material& m);
Digest RecordStateValue(crypto::Suite suite, const uint8_t* record, size_t size);
inline Digest RecordStateValue(crypto::Suite suite, const Bytes& record) {
  return RecordStateValue(suite, record.data(), record.size());
}

}  // namespace govledger::ledger

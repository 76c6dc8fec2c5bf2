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

}  // namespace govledger::ledger

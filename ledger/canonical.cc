#include "ledger/canonical.h"

#include <cstring>

namespace govledger::ledger {

namespace {

constexpr std::string_view kPrecommitTag = "govledger/precommit/v1";
constexpr std::string_view kEventTag = "govledger/event/v1";
constexpr std::string_view kEventTagV2 = "govledger/event/v2";
constexpr std::string_view kValidatorsTag = "govledger/validators/v1";
constexpr std::string_view kFieldTag = "govledger/field/v1";
constexpr std::string_view kMaterialTag = "govledger/material/v1";
constexpr std::string_view kStateKeyTag = "govledger/state-key/v1";
constexpr std::string_view kRecordTag = "govledger/record/v1";

// The domain tags are written raw (no length prefix): they are constants, and each one starts a
// layout, so they cannot be confused with a length-prefixed field.
void AppendRaw(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

// Wire values of EventKind in the signed layout; they equal the protobuf enum numbers, which
// follow the enum's declaration order from 1.
uint8_t EventKindByte(EventKind k) {
  static_assert(static_cast<int>(EventKind::kEnact) == 20, "EventKind numbering changed");
  return static_cast<uint8_t>(static_cast<int>(k) + 1);
}

// Wire values of MaterialStatus: the protobuf enum numbers, the declaration order from 1.
uint8_t MaterialStatusByte(MaterialStatus s) {
  static_assert(static_cast<int>(MaterialStatus::kDestroyed) == 6,
                "MaterialStatus numbering changed");
  return static_cast<uint8_t>(static_cast<int>(s) + 1);
}

bool HasDetails(const Event& e) {
  return !e.counterparty.empty() || !e.purpose.empty() || !e.ref.empty() || !e.detail.empty();
}

}  // namespace

Bytes PrecommitSignBytes(std::string_view chain_id, uint64_t height, uint32_t round,
                         const Bytes& block_hash) {
  Bytes out;
  out.reserve(kPrecommitTag.size() + 4 + chain_id.size() + 8 + 4 + 4 + block_hash.size());
  AppendRaw(out, kPrecommitTag);
  AppendLengthPrefixed(out, chain_id);
  AppendU64BE(out, height);
  AppendU32BE(out, round);
  AppendLengthPrefixed(out, block_hash);
  return out;
}

Bytes EventBytes(const Event& e) {
  Bytes out;
  out.reserve(kEventTag.size() + 64 + e.material_id.size() + e.actor.size() + e.tx_hash.size() +
              e.reason.size() + e.prev_event.size());
  const bool v2 = HasDetails(e);
  AppendRaw(out, v2 ? kEventTagV2 : kEventTag);
  AppendLengthPrefixed(out, e.material_id);
  AppendU32BE(out, e.seq);
  out.push_back(EventKindByte(e.kind));
  AppendU64BE(out, e.height);
  AppendU64BE(out, static_cast<uint64_t>(e.time_ms));  // two's complement for negative times
  AppendLengthPrefixed(out, e.actor);
  AppendLengthPrefixed(out, e.tx_hash);
  AppendLengthPrefixed(out, e.reason);
  AppendLengthPrefixed(out, e.prev_event);
  if (v2) {
    AppendLengthPrefixed(out, e.counterparty);
    AppendLengthPrefixed(out, e.purpose);
    AppendLengthPrefixed(out, e.ref);
    AppendLengthPrefixed(out, e.detail);
  }
  return out;
}

Digest EventHash(crypto::Suite suite, const Event& e) { return crypto::Hash(suite, EventBytes(e)); }

Digest EventsHash(crypto::Suite suite, const std::vector<Event>& events) {
  Bytes concat;
  concat.reserve(events.size() * crypto::kDigestSize);
  for (const Event& e : events) {
    Digest h = EventHash(suite, e);
    concat.insert(concat.end(), h.begin(), h.end());
  }
  return crypto::Hash(suite, concat);
}

Digest ValidatorsHash(crypto::Suite suite, const std::vector<Validator>& validators) {
  Bytes out;
  AppendRaw(out, kValidatorsTag);
  AppendU32BE(out, static_cast<uint32_t>(validators.size()));
  for (const Validator& v : validators) {
    AppendLengthPrefixed(out, v.key);
    AppendLengthPrefixed(out, v.tls_key);
  }
  return crypto::Hash(suite, out);
}

Bytes FieldLeafBytes(const Bytes& salt, std::string_view name, std::string_view value) {
  Bytes out;
  out.reserve(kFieldTag.size() + 12 + salt.size() + name.size() + value.size());
  AppendRaw(out, kFieldTag);
  AppendLengthPrefixed(out, salt);
  AppendLengthPrefixed(out, name);
  AppendLengthPrefixed(out, value);
  return out;
}

Digest HolderCommitment(crypto::Suite suite, const Bytes& salt, std::string_view holder_id) {
  Bytes out;
  out.reserve(4 + salt.size() + holder_id.size());
  AppendLengthPrefixed(out, salt);
  AppendRaw(out, holder_id);
  return crypto::Hash(suite, out);
}

Bytes MaterialStateBytes(const Material& m) {
  Bytes out;
  out.reserve(256 + m.material_id.size() + m.type_code.size() + m.issuer.size() +
              m.parent_id.size() + m.prev_version.size() + m.next_version.size());
  AppendRaw(out, kMaterialTag);
  AppendLengthPrefixed(out, m.material_id);
  AppendLengthPrefixed(out, m.type_code);
  AppendLengthPrefixed(out, m.issuer);
  AppendLengthPrefixed(out, m.holder_commitment);
  AppendLengthPrefixed(out, m.doc_digest);
  AppendLengthPrefixed(out, m.fields_root);
  AppendU32BE(out, static_cast<uint32_t>(m.field_names.size()));
  for (const std::string& f : m.field_names) AppendLengthPrefixed(out, f);
  AppendU64BE(out, static_cast<uint64_t>(m.valid_from_ms));
  AppendU64BE(out, static_cast<uint64_t>(m.valid_until_ms));
  out.push_back(MaterialStatusByte(m.status));
  AppendU32BE(out, m.version);
  AppendLengthPrefixed(out, m.parent_id);
  AppendU64BE(out, m.issued_height);
  AppendLengthPrefixed(out, m.issue_tx);
  AppendU64BE(out, m.updated_height);
  AppendU32BE(out, m.event_count);
  AppendLengthPrefixed(out, m.last_event);
  AppendLengthPrefixed(out, m.holder_key);
  AppendLengthPrefixed(out, m.prev_version);
  AppendLengthPrefixed(out, m.next_version);
  AppendU64BE(out, m.use_count);
  AppendLengthPrefixed(out, m.suspended_by);
  return out;
}

Digest StateKey(crypto::Suite suite, char table, std::string_view key) {
  // The tag and the table byte, then the key, hashed without copying the key.
  uint8_t prefix[kStateKeyTag.size() + 1];
  std::memcpy(prefix, kStateKeyTag.data(), kStateKeyTag.size());
  prefix[kStateKeyTag.size()] = static_cast<uint8_t>(table);
  return crypto::HashPrefixed(suite, prefix, sizeof prefix,
                              reinterpret_cast<const uint8_t*>(key.data()), key.size());
}

Digest MaterialStateValue(crypto::Suite suite, const Material& m) {
  return crypto::Hash(suite, MaterialStateBytes(m));
}

Digest RecordStateValue(crypto::Suite suite, const uint8_t* record, size_t size) {
  return crypto::HashPrefixed(suite, reinterpret_cast<const uint8_t*>(kRecordTag.data()),
                              kRecordTag.size(), record, size);
}

}  // namespace govledger::ledger

#include "ledger/canonical.h"

namespace govledger::ledger {

namespace {

constexpr std::string_view kPrecommitTag = "govledger/precommit/v1";
constexpr std::string_view kEventTag = "govledger/event/v1";
constexpr std::string_view kValidatorsTag = "govledger/validators/v1";
constexpr std::string_view kFieldTag = "govledger/field/v1";

// The domain tags are written raw (no length prefix): they are constants, and each one starts a
// layout, so they cannot be confused with a length-prefixed field.
void AppendRaw(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

// Wire values of EventKind in the signed layout; they equal the protobuf enum numbers.
uint8_t EventKindByte(EventKind k) {
  switch (k) {
    case EventKind::kIssue:
      return 1;
    case EventKind::kRevoke:
      return 2;
    case EventKind::kExpire:
      return 3;
  }
  GOVLEDGER_CHECK(false && "unknown EventKind");
  return 0;
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
  AppendRaw(out, kEventTag);
  AppendLengthPrefixed(out, e.material_id);
  AppendU32BE(out, e.seq);
  out.push_back(EventKindByte(e.kind));
  AppendU64BE(out, e.height);
  AppendU64BE(out, static_cast<uint64_t>(e.time_ms));  // two's complement for negative times
  AppendLengthPrefixed(out, e.actor);
  AppendLengthPrefixed(out, e.tx_hash);
  AppendLengthPrefixed(out, e.reason);
  AppendLengthPrefixed(out, e.prev_event);
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

}  // namespace govledger::ledger

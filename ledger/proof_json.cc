// JSON form of proof bundles (ledger/proof.h, doc/proof-bundle.md).
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger/codec.h"
#include "ledger/proof.h"

namespace govledger::ledger {

namespace {

using json = nlohmann::json;

// Thrown inside this file only; ProofBundleFromJson turns it into "bad_bundle".
struct BadBundle {
  std::string what;
};

[[noreturn]] void Bad(const std::string& what) { throw BadBundle{what}; }

// ------------------------------------------------------------------ writing

std::string Hex(const Bytes& b) { return HexEncode(b); }
std::string Hex(const Digest& d) { return crypto::DigestHex(d); }

json Digests(const std::vector<Digest>& ds) {
  json out = json::array();
  for (const Digest& d : ds) out.push_back(Hex(d));
  return out;
}

json MaterialJson(const Material& m) {
  return json{{"material_id", m.material_id},
              {"type_code", m.type_code},
              {"issuer", m.issuer},
              {"holder_commitment", Hex(m.holder_commitment)},
              {"doc_digest", Hex(m.doc_digest)},
              {"fields_root", Hex(m.fields_root)},
              {"field_names", m.field_names},
              {"valid_from_ms", m.valid_from_ms},
              {"valid_until_ms", m.valid_until_ms},
              {"status", MaterialStatusName(m.status)},
              {"version", m.version},
              {"parent_id", m.parent_id},
              {"issued_height", m.issued_height},
              {"issue_tx", Hex(m.issue_tx)},
              {"updated_height", m.updated_height},
              {"event_count", m.event_count},
              {"last_event", Hex(m.last_event)},
              {"holder_key", Hex(m.holder_key)},
              {"prev_version", m.prev_version},
              {"next_version", m.next_version},
              {"use_count", m.use_count},
              {"suspended_by", m.suspended_by}};
}

json EventJson(const Event& e) {
  return json{{"material_id", e.material_id},
              {"seq", e.seq},
              {"kind", EventKindName(e.kind)},
              {"height", e.height},
              {"time_ms", e.time_ms},
              {"actor", e.actor},
              {"tx_hash", Hex(e.tx_hash)},
              {"reason", e.reason},
              {"prev_event", Hex(e.prev_event)},
              {"counterparty", e.counterparty},
              {"purpose", e.purpose},
              {"ref", e.ref},
              {"detail", Hex(e.detail)}};
}

json CommitJson(const Commit& c) {
  json sigs = json::array();
  for (const CommitSig& s : c.sigs) {
    sigs.push_back(json{{"validator", Hex(s.validator)}, {"signature", Hex(s.signature)}});
  }
  return json{{"height", c.height},
              {"round", c.round},
              {"block_hash", Hex(c.block_hash)},
              {"sigs", std::move(sigs)}};
}

// ------------------------------------------------------------------ reading (strict)

// The object's members must be exactly `keys`.
const json& Obj(const json& j, const std::string& what, std::initializer_list<const char*> keys) {
  if (!j.is_object()) Bad(what + " is not an object");
  for (const char* k : keys) {
    if (!j.contains(k)) Bad(what + " has no \"" + k + "\"");
  }
  if (j.size() != keys.size()) Bad(what + " has members this format does not define");
  return j;
}

std::string Str(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_string()) Bad(std::string("\"") + key + "\" is not a string");
  return v.get<std::string>();
}

uint64_t U64(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_number_unsigned()) Bad(std::string("\"") + key + "\" is not a non-negative integer");
  return v.get<uint64_t>();
}

uint32_t U32(const json& j, const char* key) {
  const uint64_t v = U64(j, key);
  if (v > UINT32_MAX) Bad(std::string("\"") + key + "\" is out of range");
  return static_cast<uint32_t>(v);
}

int64_t I64(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_number_integer()) Bad(std::string("\"") + key + "\" is not an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    Bad(std::string("\"") + key + "\" is out of range");
  }
  return v.get<int64_t>();
}

// Lower-case hex only, so that a text has one meaning and one spelling.
Bytes HexBytes(const std::string& text, const std::string& what) {
  auto b = HexDecode(text);
  if (!b.ok() || HexEncode(*b) != text) Bad(what + " is not lower-case hex");
  return std::move(*b);
}
Bytes HexOf(const json& j, const char* key) { return HexBytes(Str(j, key), key); }

Digest DigestOf(const std::string& text, const std::string& what) {
  auto d = crypto::DigestFromBytes(HexBytes(text, what));
  if (!d.ok()) Bad(what + " is not a 32-byte digest");
  return *d;
}

Bytes Base64Of(const json& j, const char* key) {
  const std::string text = Str(j, key);
  auto b = Base64Decode(text);
  // Base64 leaves spare bits in the last character: require the one canonical spelling.
  if (!b.ok() || Base64Encode(*b) != text) Bad(std::string("\"") + key + "\" is not base64");
  return std::move(*b);
}

std::vector<Digest> DigestsOf(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_array()) Bad(std::string("\"") + key + "\" is not an array");
  std::vector<Digest> out;
  for (const json& d : v) {
    if (!d.is_string()) Bad(std::string("\"") + key + "\" holds a non-string");
    out.push_back(DigestOf(d.get<std::string>(), key));
  }
  return out;
}

const json& ArrayOf(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_array()) Bad(std::string("\"") + key + "\" is not an array");
  return v;
}

MaterialStatus StatusOf(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(MaterialStatus::kDestroyed); ++i) {
    if (MaterialStatusName(static_cast<MaterialStatus>(i)) == name) {
      return static_cast<MaterialStatus>(i);
    }
  }
  Bad("unknown material status \"" + name + "\"");
}

EventKind KindOf(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(EventKind::kEnact); ++i) {
    if (EventKindName(static_cast<EventKind>(i)) == name) return static_cast<EventKind>(i);
  }
  Bad("unknown event kind \"" + name + "\"");
}

Material MaterialOf(const json& j) {
  Obj(j, "material",
      {"material_id", "type_code",   "issuer",        "holder_commitment", "doc_digest",
       "fields_root", "field_names", "valid_from_ms", "valid_until_ms",    "status",
       "version",     "parent_id",   "issued_height", "issue_tx",          "updated_height",
       "event_count", "last_event",  "holder_key",    "prev_version",      "next_version",
       "use_count",   "suspended_by"});
  Material m;
  m.material_id = Str(j, "material_id");
  m.type_code = Str(j, "type_code");
  m.issuer = Str(j, "issuer");
  m.holder_commitment = HexOf(j, "holder_commitment");
  m.doc_digest = HexOf(j, "doc_digest");
  m.fields_root = HexOf(j, "fields_root");
  for (const json& f : ArrayOf(j, "field_names")) {
    if (!f.is_string()) Bad("\"field_names\" holds a non-string");
    m.field_names.push_back(f.get<std::string>());
  }
  m.valid_from_ms = I64(j, "valid_from_ms");
  m.valid_until_ms = I64(j, "valid_until_ms");
  m.status = StatusOf(Str(j, "status"));
  m.version = U32(j, "version");
  m.parent_id = Str(j, "parent_id");
  m.issued_height = U64(j, "issued_height");
  m.issue_tx = HexOf(j, "issue_tx");
  m.updated_height = U64(j, "updated_height");
  m.event_count = U32(j, "event_count");
  m.last_event = HexOf(j, "last_event");
  m.holder_key = HexOf(j, "holder_key");
  m.prev_version = Str(j, "prev_version");
  m.next_version = Str(j, "next_version");
  m.use_count = U64(j, "use_count");
  m.suspended_by = Str(j, "suspended_by");
  return m;
}

Event EventOf(const json& j) {
  Obj(j, "event",
      {"material_id", "seq", "kind", "height", "time_ms", "actor", "tx_hash", "reason",
       "prev_event", "counterparty", "purpose", "ref", "detail"});
  Event e;
  e.material_id = Str(j, "material_id");
  e.seq = U32(j, "seq");
  e.kind = KindOf(Str(j, "kind"));
  e.height = U64(j, "height");
  e.time_ms = I64(j, "time_ms");
  e.actor = Str(j, "actor");
  e.tx_hash = HexOf(j, "tx_hash");
  e.reason = Str(j, "reason");
  e.prev_event = HexOf(j, "prev_event");
  e.counterparty = Str(j, "counterparty");
  e.purpose = Str(j, "purpose");
  e.ref = Str(j, "ref");
  e.detail = HexOf(j, "detail");
  return e;
}

Commit CommitOf(const json& j) {
  Obj(j, "commit", {"height", "round", "block_hash", "sigs"});
  Commit c;
  c.height = U64(j, "height");
  c.round = U32(j, "round");
  c.block_hash = HexOf(j, "block_hash");
  for (const json& s : ArrayOf(j, "sigs")) {
    Obj(s, "signature", {"validator", "signature"});
    c.sigs.push_back(CommitSig{HexOf(s, "validator"), HexOf(s, "signature")});
  }
  return c;
}

ProofBundle BundleOf(const json& j) {
  Obj(j, "bundle",
      {"format", "chain_id", "suite", "genesis_hash", "height", "material", "events", "txs",
       "header", "commit", "state_proof", "disclosed", "validator_sets"});
  if (Str(j, "format") != kProofFormat) Bad("not a " + std::string(kProofFormat) + " bundle");
  ProofBundle b;
  b.chain_id = Str(j, "chain_id");
  auto suite = crypto::ParseSuite(Str(j, "suite"));
  if (!suite.ok()) Bad(suite.status().message());
  b.suite = *suite;
  b.genesis_hash = DigestOf(Str(j, "genesis_hash"), "genesis_hash");
  b.material = MaterialOf(j.at("material"));
  for (const json& e : ArrayOf(j, "events")) b.events.push_back(EventOf(e));
  for (const json& t : ArrayOf(j, "txs")) {
    Obj(t, "tx", {"tx", "log_index", "inclusion"});
    b.txs.push_back(BundleTx{Base64Of(t, "tx"), U64(t, "log_index"), DigestsOf(t, "inclusion")});
  }
  b.header.header_bytes = Base64Of(j, "header");
  b.header.commit = CommitOf(j.at("commit"));
  auto header = DecodeHeader(b.header.header_bytes);
  if (!header.ok() || header->height != U64(j, "height")) {
    Bad("\"height\" is not the height of \"header\"");
  }
  auto proof = crypto::DecodeSmtProof(HexOf(j, "state_proof"));
  if (!proof.ok()) Bad("state_proof: " + proof.status().message());
  b.state_proof = std::move(*proof);
  for (const json& f : ArrayOf(j, "disclosed")) {
    Obj(f, "disclosed field", {"name", "value", "salt", "index", "inclusion"});
    b.disclosed.push_back(DisclosedField{Str(f, "name"), Str(f, "value"), HexOf(f, "salt"),
                                         U64(f, "index"), DigestsOf(f, "inclusion")});
  }
  for (const json& s : ArrayOf(j, "validator_sets")) {
    Obj(s, "validator set", {"effective_height", "validators", "header", "commit"});
    BundleValidatorSet vs;
    vs.effective_height = U64(s, "effective_height");
    for (const json& v : ArrayOf(s, "validators")) {
      Obj(v, "validator", {"key", "tls_key"});
      Validator val;
      val.key = HexOf(v, "key");
      val.tls_key = HexOf(v, "tls_key");
      vs.validators.push_back(std::move(val));
    }
    vs.before.header_bytes = Base64Of(s, "header");
    vs.before.commit = CommitOf(s.at("commit"));
    b.validator_sets.push_back(std::move(vs));
  }
  return b;
}

}  // namespace

std::string ProofBundleToJson(const ProofBundle& b) {
  json events = json::array();
  for (const Event& e : b.events) events.push_back(EventJson(e));
  json txs = json::array();
  for (const BundleTx& t : b.txs) {
    txs.push_back(json{{"tx", Base64Encode(t.raw)},
                       {"log_index", t.log_index},
                       {"inclusion", Digests(t.inclusion)}});
  }
  json disclosed = json::array();
  for (const DisclosedField& f : b.disclosed) {
    disclosed.push_back(json{{"name", f.name},
                             {"value", f.value},
                             {"salt", Hex(f.salt)},
                             {"index", f.index},
                             {"inclusion", Digests(f.inclusion)}});
  }
  json sets = json::array();
  for (const BundleValidatorSet& s : b.validator_sets) {
    json validators = json::array();
    for (const Validator& v : s.validators) {
      validators.push_back(json{{"key", Hex(v.key)}, {"tls_key", Hex(v.tls_key)}});
    }
    sets.push_back(json{{"effective_height", s.effective_height},
                        {"validators", std::move(validators)},
                        {"header", Base64Encode(s.before.header_bytes)},
                        {"commit", CommitJson(s.before.commit)}});
  }
  auto header = DecodeHeader(b.header.header_bytes);
  json out{{"format", kProofFormat},
           {"chain_id", b.chain_id},
           {"suite", crypto::SuiteName(b.suite)},
           {"genesis_hash", Hex(b.genesis_hash)},
           {"height", header.ok() ? header->height : 0},
           {"material", MaterialJson(b.material)},
           {"events", std::move(events)},
           {"txs", std::move(txs)},
           {"header", Base64Encode(b.header.header_bytes)},
           {"commit", CommitJson(b.header.commit)},
           {"state_proof", Hex(crypto::EncodeSmtProof(b.state_proof))},
           {"disclosed", std::move(disclosed)},
           {"validator_sets", std::move(sets)}};
  return out.dump(1) + "\n";
}

Result<ProofBundle> ProofBundleFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("bad_bundle", "the bundle is not JSON");
  try {
    return BundleOf(j);
  } catch (const BadBundle& e) {
    return Status::Error("bad_bundle", e.what);
  } catch (const json::exception& e) {
    return Status::Error("bad_bundle", e.what());
  }
}

}  // namespace govledger::ledger

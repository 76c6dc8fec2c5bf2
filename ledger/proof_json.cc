// JSON form of proof bundles (ledger/proof.h, doc/proof-bundle.md).
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger/codec.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"

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

json RegistryJson(const BundleRegistry& r) {
  json proposals = json::array();
  for (const BundleRecord& p : r.proposals) {
    proposals.push_back(json{{"record", Base64Encode(p.record)},
                             {"state_proof", Hex(crypto::EncodeSmtProof(p.proof))}});
  }
  return json{{"proposal_count", r.proposal_count},
              {"count_proof", Hex(crypto::EncodeSmtProof(r.count_proof))},
              {"proposals", std::move(proposals)}};
}

json ValidatorSetsJson(const std::vector<BundleValidatorSet>& sets) {
  json out = json::array();
  for (const BundleValidatorSet& s : sets) {
    json validators = json::array();
    for (const Validator& v : s.validators) {
      validators.push_back(json{{"key", Hex(v.key)}, {"tls_key", Hex(v.tls_key)}});
    }
    out.push_back(json{{"effective_height", s.effective_height},
                       {"validators", std::move(validators)},
                       {"header", Base64Encode(s.before.header_bytes)},
                       {"commit", CommitJson(s.before.commit)}});
  }
  return out;
}

json TxsJson(const std::vector<BundleTx>& txs) {
  json out = json::array();
  for (const BundleTx& t : txs) {
    out.push_back(json{{"tx", Base64Encode(t.raw)},
                       {"log_index", t.log_index},
                       {"inclusion", Digests(t.inclusion)}});
  }
  return out;
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

crypto::SmtProof SmtProofOf(const json& j, const char* key) {
  auto proof = crypto::DecodeSmtProof(HexOf(j, key));
  if (!proof.ok()) Bad(std::string(key) + ": " + proof.status().message());
  return std::move(*proof);
}

BundleRegistry RegistryOf(const json& j) {
  Obj(j, "registry", {"proposal_count", "count_proof", "proposals"});
  BundleRegistry r;
  r.proposal_count = U64(j, "proposal_count");
  r.count_proof = SmtProofOf(j, "count_proof");
  for (const json& p : ArrayOf(j, "proposals")) {
    Obj(p, "proposal", {"record", "state_proof"});
    r.proposals.push_back(BundleRecord{Base64Of(p, "record"), SmtProofOf(p, "state_proof")});
  }
  return r;
}

std::vector<BundleValidatorSet> ValidatorSetsOf(const json& j) {
  std::vector<BundleValidatorSet> out;
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
    out.push_back(std::move(vs));
  }
  return out;
}

std::vector<BundleTx> TxsOf(const json& j) {
  std::vector<BundleTx> out;
  for (const json& t : ArrayOf(j, "txs")) {
    Obj(t, "tx", {"tx", "log_index", "inclusion"});
    out.push_back(BundleTx{Base64Of(t, "tx"), U64(t, "log_index"), DigestsOf(t, "inclusion")});
  }
  return out;
}

// The header (exact bytes) and its certificate; `height` must be the header's.
CertifiedHeader CertifiedOf(const json& j) {
  CertifiedHeader c;
  c.header_bytes = Base64Of(j, "header");
  c.commit = CommitOf(j.at("commit"));
  auto header = DecodeHeader(c.header_bytes);
  if (!header.ok() || header->height != U64(j, "height")) {
    Bad("\"height\" is not the height of \"header\"");
  }
  return c;
}

crypto::Suite SuiteOf(const json& j) {
  auto suite = crypto::ParseSuite(Str(j, "suite"));
  if (!suite.ok()) Bad(suite.status().message());
  return *suite;
}

ProofBundle BundleOf(const json& j) {
  if (j.is_object() && j.contains("format") && j["format"] == "govledger-proof/1") {
    Bad("a govledger-proof/1 bundle (made before registry proofs): export it again");
  }
  Obj(j, "bundle",
      {"format", "chain_id", "suite", "genesis_hash", "height", "material", "events", "txs",
       "header", "commit", "state_proof", "disclosed", "validator_sets", "registry"});
  if (Str(j, "format") != kProofFormat) Bad("not a " + std::string(kProofFormat) + " bundle");
  ProofBundle b;
  b.chain_id = Str(j, "chain_id");
  b.suite = SuiteOf(j);
  b.genesis_hash = DigestOf(Str(j, "genesis_hash"), "genesis_hash");
  b.material = MaterialOf(j.at("material"));
  for (const json& e : ArrayOf(j, "events")) b.events.push_back(EventOf(e));
  b.txs = TxsOf(j);
  b.header = CertifiedOf(j);
  b.state_proof = SmtProofOf(j, "state_proof");
  for (const json& f : ArrayOf(j, "disclosed")) {
    Obj(f, "disclosed field", {"name", "value", "salt", "index", "inclusion"});
    b.disclosed.push_back(DisclosedField{Str(f, "name"), Str(f, "value"), HexOf(f, "salt"),
                                         U64(f, "index"), DigestsOf(f, "inclusion")});
  }
  b.validator_sets = ValidatorSetsOf(j);
  b.registry = RegistryOf(j.at("registry"));
  return b;
}

ContractBundle ContractBundleOf(const json& j) {
  Obj(j, "contract bundle",
      {"format", "chain_id", "suite", "genesis_hash", "height", "versions", "txs", "header",
       "commit", "validator_sets", "registry"});
  if (Str(j, "format") != kContractProofFormat) {
    Bad("not a " + std::string(kContractProofFormat) + " bundle");
  }
  ContractBundle b;
  b.chain_id = Str(j, "chain_id");
  b.suite = SuiteOf(j);
  b.genesis_hash = DigestOf(Str(j, "genesis_hash"), "genesis_hash");
  for (const json& v : ArrayOf(j, "versions")) {
    Obj(v, "version", {"record", "state_proof", "events"});
    ContractVersionProof version;
    version.record = Base64Of(v, "record");
    version.state_proof = SmtProofOf(v, "state_proof");
    for (const json& e : ArrayOf(v, "events")) version.events.push_back(EventOf(e));
    b.versions.push_back(std::move(version));
  }
  b.txs = TxsOf(j);
  b.header = CertifiedOf(j);
  b.validator_sets = ValidatorSetsOf(j);
  b.registry = RegistryOf(j.at("registry"));
  return b;
}

template <typename T, typename F>
Result<T> ParseStrict(std::string_view text, F&& of) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error("bad_bundle", "the bundle is not JSON");
  try {
    return of(j);
  } catch (const BadBundle& e) {
    return Status::Error("bad_bundle", e.what);
  } catch (const json::exception& e) {
    return Status::Error("bad_bundle", e.what());
  }
}

}  // namespace

std::string ProofBundleToJson(const ProofBundle& b) {
  json events = json::array();
  for (const Event& e : b.events) events.push_back(EventJson(e));
  json disclosed = json::array();
  for (const DisclosedField& f : b.disclosed) {
    disclosed.push_back(json{{"name", f.name},
                             {"value", f.value},
                             {"salt", Hex(f.salt)},
                             {"index", f.index},
                             {"inclusion", Digests(f.inclusion)}});
  }
  auto header = DecodeHeader(b.header.header_bytes);
  json out{{"format", kProofFormat},
           {"chain_id", b.chain_id},
           {"suite", crypto::SuiteName(b.suite)},
           {"genesis_hash", Hex(b.genesis_hash)},
           {"height", header.ok() ? header->height : 0},
           {"material", MaterialJson(b.material)},
           {"events", std::move(events)},
           {"txs", TxsJson(b.txs)},
           {"header", Base64Encode(b.header.header_bytes)},
           {"commit", CommitJson(b.header.commit)},
           {"state_proof", Hex(crypto::EncodeSmtProof(b.state_proof))},
           {"disclosed", std::move(disclosed)},
           {"validator_sets", ValidatorSetsJson(b.validator_sets)},
           {"registry", RegistryJson(b.registry)}};
  return out.dump(1) + "\n";
}

Result<ProofBundle> ProofBundleFromJson(std::string_view text) {
  return ParseStrict<ProofBundle>(text, BundleOf);
}

std::string ContractBundleToJson(const ContractBundle& b) {
  json versions = json::array();
  for (const ContractVersionProof& v : b.versions) {
    json events = json::array();
    for (const Event& e : v.events) events.push_back(EventJson(e));
    versions.push_back(json{{"record", Base64Encode(v.record)},
                            {"state_proof", Hex(crypto::EncodeSmtProof(v.state_proof))},
                            {"events", std::move(events)}});
  }
  auto header = DecodeHeader(b.header.header_bytes);
  json out{{"format", kContractProofFormat},
           {"chain_id", b.chain_id},
           {"suite", crypto::SuiteName(b.suite)},
           {"genesis_hash", Hex(b.genesis_hash)},
           {"height", header.ok() ? header->height : 0},
           {"versions", std::move(versions)},
           {"txs", TxsJson(b.txs)},
           {"header", Base64Encode(b.header.header_bytes)},
           {"commit", CommitJson(b.header.commit)},
           {"validator_sets", ValidatorSetsJson(b.validator_sets)},
           {"registry", RegistryJson(b.registry)}};
  return out.dump(1) + "\n";
}

Result<ContractBundle> ContractBundleFromJson(std::string_view text) {
  return ParseStrict<ContractBundle>(text, ContractBundleOf);
}

}  // namespace govledger::ledger

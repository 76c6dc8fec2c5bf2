#include "node/views.h"

#include "ledger/canonical.h"
#include "util/time.h"

namespace govledger::node {

using nlohmann::json;

namespace {
json TimeJson(int64_t ms) { return ms ? json(FormatTimeCst(ms)) : json(nullptr); }
}  // namespace

json MaterialJson(const ledger::Material& m, const contracts::Registry& registry) {
  json j;
  j["material_id"] = m.material_id;
  j["type_code"] = m.type_code;
  if (const auto* t = registry.Type(m.type_code)) {
    j["type_name"] = t->name;
    j["type_name_en"] = t->name_en;
    j["category"] = t->category;
  }
  j["issuer"] = m.issuer;
  if (const auto* d = registry.DepartmentById(m.issuer)) {
    j["issuer_name"] = d->name;
    j["issuer_name_en"] = d->name_en;
    j["issuer_code"] = d->code;
  }
  j["holder_commitment"] = HexEncode(m.holder_commitment);
  j["doc_digest"] = HexEncode(m.doc_digest);
  j["fields_root"] = HexEncode(m.fields_root);
  j["field_names"] = m.field_names;
  j["valid_from_ms"] = m.valid_from_ms;
  j["valid_from"] = TimeJson(m.valid_from_ms);
  j["valid_until_ms"] = m.valid_until_ms;
  j["valid_until"] = TimeJson(m.valid_until_ms);
  j["status"] = ledger::MaterialStatusName(m.status);
  j["version"] = m.version;
  j["parent_id"] = m.parent_id;
  j["issued_height"] = m.issued_height;
  j["issue_tx"] = HexEncode(m.issue_tx);
  j["updated_height"] = m.updated_height;
  j["event_count"] = m.event_count;
  j["last_event"] = HexEncode(m.last_event);
  return j;
}

json EventJson(const ledger::Event& e, crypto::Suite suite) {
  json j;
  j["material_id"] = e.material_id;
  j["seq"] = e.seq;
  j["kind"] = ledger::EventKindName(e.kind);
  j["height"] = e.height;
  j["time_ms"] = e.time_ms;
  j["time"] = TimeJson(e.time_ms);
  j["actor"] = e.actor;
  j["tx_hash"] = HexEncode(e.tx_hash);
  j["reason"] = e.reason;
  j["prev_event"] = HexEncode(e.prev_event);
  j["event_hash"] = crypto::DigestHex(ledger::EventHash(suite, e));
  return j;
}

json HeaderJson(const ledger::BlockHeader& h, const crypto::Digest& hash, crypto::Suite suite) {
  json j;
  j["chain_id"] = h.chain_id;
  j["height"] = h.height;
  j["hash"] = crypto::DigestHex(hash);
  j["time_ms"] = h.time_ms;
  j["time"] = TimeJson(h.time_ms);
  j["proposer"] = crypto::Fingerprint(suite, h.proposer);
  j["prev_hash"] = HexEncode(h.prev_hash);
  j["last_commit_hash"] = HexEncode(h.last_commit_hash);
  j["log_size"] = h.log_size;
  j["log_root"] = HexEncode(h.log_root);
  j["state_root"] = HexEncode(h.state_root);
  j["validators_hash"] = HexEncode(h.validators_hash);
  j["next_validators_hash"] = HexEncode(h.next_validators_hash);
  j["tx_count"] = h.tx_count;
  j["events_hash"] = HexEncode(h.events_hash);
  return j;
}

json CommitJson(const ledger::Commit& c, crypto::Suite suite) {
  json j;
  j["height"] = c.height;
  j["round"] = c.round;
  j["block_hash"] = HexEncode(c.block_hash);
  json sigs = json::array();
  for (const auto& s : c.sigs) {
    sigs.push_back({{"validator", crypto::Fingerprint(suite, s.validator)},
                    {"signature", HexEncode(s.signature)}});
  }
  j["signatures"] = sigs;
  return j;
}

json TxBodyJson(const ledger::Tx& tx, const contracts::Registry& registry) {
  json j;
  j["tx_hash"] = crypto::DigestHex(tx.hash);
  j["kind"] = ledger::TxKindName(tx.body.payload);
  j["chain_id"] = tx.body.chain_id;
  j["nonce"] = tx.body.nonce;
  j["valid_until_height"] = tx.body.valid_until_height;
  j["created_ms"] = tx.body.created_ms;
  const auto* dept = registry.DepartmentByKey(tx.signer);
  j["signer"] = dept ? json(dept->id) : json(nullptr);
  j["signer_key"] = crypto::Fingerprint(registry.suite(), tx.signer);
  if (const auto* issue = std::get_if<ledger::IssueMaterial>(&tx.body.payload)) {
    j["material_id"] = issue->material_id;
    j["type_code"] = issue->type_code;
    j["doc_digest"] = HexEncode(issue->doc_digest);
    j["valid_until_ms"] = issue->valid_until_ms;
  } else if (const auto* revoke = std::get_if<ledger::RevokeMaterial>(&tx.body.payload)) {
    j["material_id"] = revoke->material_id;
    j["reason"] = revoke->reason;
  }
  return j;
}

}  // namespace govledger::node

#include "node/views.h"

#include <map>

#include "contracts/governance.h"
#include "ledger/canonical.h"
#include "util/time.h"

namespace govledger::node {

using nlohmann::json;

namespace {
json TimeJson(int64_t ms) { return ms ? json(FormatTimeCst(ms)) : json(nullptr); }
}  // namespace

json MaterialJson(const ledger::Material& m, const contracts::Registry& registry,
                  const ledger::StateReader* state, uint64_t height) {
  json j;
  j["material_id"] = m.material_id;
  j["type_code"] = m.type_code;
  std::optional<ledger::MaterialType> type;
  std::optional<ledger::Department> issuer;
  if (state != nullptr) {
    contracts::RegistryView view(registry, *state, height);
    type = view.Type(m.type_code);
    issuer = view.DepartmentById(m.issuer);
  } else {
    if (const auto* t = registry.Type(m.type_code)) type = *t;
    if (const auto* d = registry.DepartmentById(m.issuer)) issuer = *d;
  }
  if (type) {
    j["type_name"] = type->name;
    j["type_name_en"] = type->name_en;
    j["category"] = type->category;
  }
  j["issuer"] = m.issuer;
  if (issuer) {
    j["issuer_name"] = issuer->name;
    j["issuer_name_en"] = issuer->name_en;
    j["issuer_code"] = issuer->code;
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
  j["holder_key"] = m.holder_key.empty() ? json(nullptr)
                                         : json(crypto::Fingerprint(registry.suite(), m.holder_key));
  j["prev_version"] = m.prev_version;
  j["next_version"] = m.next_version;
  j["use_count"] = m.use_count;
  j["suspended_by"] = m.suspended_by;
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
  j["subject"] = e.material_id;
  j["counterparty"] = e.counterparty;
  j["purpose"] = e.purpose;
  j["ref"] = e.ref;
  j["detail"] = HexEncode(e.detail);
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
  } else {
    struct Fields {
      json& j;
      crypto::Suite suite;
      void operator()(const ledger::IssueMaterial&) const {}
      void operator()(const ledger::RevokeMaterial&) const {}
      void operator()(const ledger::PublishMaterial& p) const { j["material_id"] = p.material_id; }
      void operator()(const ledger::AmendMaterial& p) const {
        j["material_id"] = p.material_id;
        j["prev_id"] = p.prev_id;
        j["doc_digest"] = HexEncode(p.doc_digest);
        j["reason"] = p.reason;
      }
      void operator()(const ledger::TransferMaterial& p) const {
        j["material_id"] = p.material_id;
        j["new_holder_commitment"] = HexEncode(p.new_holder_commitment);
        j["reason"] = p.reason;
      }
      void operator()(const ledger::SuspendMaterial& p) const { Id(p.material_id, p.reason); }
      void operator()(const ledger::ReinstateMaterial& p) const { Id(p.material_id, p.reason); }
      void operator()(const ledger::DestroyMaterial& p) const { Id(p.material_id, p.reason); }
      void operator()(const ledger::AuthorizeUse& p) const {
        j["material_id"] = p.material_id;
        j["consumer"] = p.consumer;
        j["purpose"] = p.purpose;
        j["valid_until_ms"] = p.valid_until_ms;
        j["max_uses"] = p.max_uses;
      }
      void operator()(const ledger::WithdrawGrant& p) const {
        j["grant_id"] = p.grant_id;
        j["reason"] = p.reason;
      }
      void operator()(const ledger::UseMaterial& p) const {
        j["material_id"] = p.material_id;
        j["purpose"] = p.purpose;
        j["grant_id"] = p.grant_id;
      }
      void operator()(const ledger::CreateContract& p) const {
        j["doc_digest"] = HexEncode(p.doc_digest);
        j["parties"] = p.parties.size();
        j["sign_deadline_ms"] = p.sign_deadline_ms;
        j["prev_contract"] = p.prev_contract;
      }
      void operator()(const ledger::SignContract& p) const { j["contract_id"] = p.contract_id; }
      void operator()(const ledger::ProposeChange& p) const {
        j["change"] = contracts::ChangeSummary(p.change);
        j["reason"] = p.reason;
      }
      void operator()(const ledger::ApproveProposal& p) const { j["proposal_id"] = p.proposal_id; }
      void Id(const std::string& id, const std::string& reason) const {
        j["material_id"] = id;
        j["reason"] = reason;
      }
    };
    std::visit(Fields{j, registry.suite()}, tx.body.payload);
  }
  return j;
}

json GrantJson(const ledger::Grant& g, int64_t now_ms, crypto::Suite suite) {
  json j;
  j["grant_id"] = g.grant_id;
  j["material_id"] = g.material_id;
  j["consumer"] = g.consumer;
  j["purpose"] = g.purpose;
  j["valid_until_ms"] = g.valid_until_ms;
  j["valid_until"] = TimeJson(g.valid_until_ms);
  j["max_uses"] = g.max_uses;
  j["uses"] = g.uses;
  j["withdrawn"] = g.withdrawn;
  std::string status = "ACTIVE";
  if (g.withdrawn) {
    status = "WITHDRAWN";
  } else if (g.valid_until_ms <= now_ms) {
    status = "EXPIRED";
  } else if (g.max_uses > 0 && g.uses >= g.max_uses) {
    status = "EXHAUSTED";
  }
  j["status"] = status;
  j["grantor"] = g.grantor_department.empty() ? "holder:" + crypto::Fingerprint(suite, g.grantor_key)
                                              : g.grantor_department;
  j["consent_digest"] = HexEncode(g.consent_digest);
  j["granted_height"] = g.granted_height;
  j["granted"] = TimeJson(g.granted_ms);
  j["updated_height"] = g.updated_height;
  j["withdraw_reason"] = g.withdraw_reason;
  return j;
}

json ContractJson(const ledger::EContract& c, crypto::Suite suite) {
  json j;
  j["contract_id"] = c.contract_id;
  j["version"] = c.version;
  j["prev_contract"] = c.prev_contract;
  j["next_contract"] = c.next_contract;
  j["title"] = c.title;
  j["doc_digest"] = HexEncode(c.doc_digest);
  j["status"] = ledger::ContractStatusName(c.status);
  j["creator"] = c.creator;
  j["created_height"] = c.created_height;
  j["created"] = TimeJson(c.created_ms);
  j["sign_deadline_ms"] = c.sign_deadline_ms;
  j["sign_deadline"] = TimeJson(c.sign_deadline_ms);
  json parties = json::array();
  for (const auto& key : c.parties) {
    json p = {{"fingerprint", crypto::Fingerprint(suite, key)}, {"signed", false}};
    for (const auto& s : c.signatures) {
      if (s.party_key != key) continue;
      p["signed"] = true;
      p["tx_hash"] = HexEncode(s.tx_hash);
      p["height"] = s.height;
      p["time"] = TimeJson(s.time_ms);
    }
    parties.push_back(p);
  }
  j["parties"] = parties;
  j["signatures"] = c.signatures.size();
  j["updated_height"] = c.updated_height;
  j["event_count"] = c.event_count;
  j["last_event"] = HexEncode(c.last_event);
  return j;
}

json ProposalJson(const ledger::Proposal& p, uint64_t height, crypto::Suite suite) {
  json j;
  j["proposal_id"] = p.proposal_id;
  j["summary"] = contracts::ChangeSummary(p.change);
  j["proposer"] = p.proposer;
  j["approvals"] = p.approvals;
  j["reason"] = p.reason;
  j["created_height"] = p.created_height;
  j["deadline_height"] = p.deadline_height;
  std::string status = p.status == ledger::ProposalStatus::kEnacted ? "ENACTED" : "PENDING";
  if (p.status == ledger::ProposalStatus::kPending && height > p.deadline_height) {
    status = "EXPIRED";
  }
  j["status"] = status;
  j["enacted_height"] = p.enacted_height;
  j["effective_height"] = p.effective_height;
  j["departments_at_approval"] = p.departments_at_approval;
  j["approvals_needed"] = contracts::ApprovalThreshold(p.departments_at_approval);
  json change;
  switch (p.change.kind) {
    case ledger::ChangeKind::kAddValidator:
      change = {{"kind", "add_validator"}, {"validator", ValidatorJson(p.change.validator, suite)}};
      break;
    case ledger::ChangeKind::kRemoveValidator:
      change = {{"kind", "remove_validator"}, {"name", p.change.validator_name}};
      break;
    case ledger::ChangeKind::kRotateValidator:
      change = {{"kind", "rotate_validator"},
                {"validator", ValidatorJson(p.change.validator, suite)}};
      break;
    case ledger::ChangeKind::kSetDepartment:
      change = {{"kind", "set_department"},
                {"department", DepartmentJson(p.change.department, suite)}};
      break;
    case ledger::ChangeKind::kSetMaterialType:
      change = {{"kind", "set_material_type"},
                {"material_type", MaterialTypeJson(p.change.material_type)},
                {"effective_height", p.change.effective_height}};
      break;
  }
  j["change"] = change;
  j["event_count"] = p.event_count;
  return j;
}

json DepartmentJson(const ledger::Department& d, crypto::Suite suite) {
  auto pem = crypto::PublicKeyToPem(d.key);
  return {{"id", d.id},
          {"name", d.name},
          {"name_en", d.name_en},
          {"code", d.code},
          {"roles", d.roles},
          {"key_fingerprint", crypto::Fingerprint(suite, d.key)},
          {"key", pem.ok() ? *pem : std::string()}};
}

json MaterialTypeJson(const ledger::MaterialType& t) {
  return {{"code", t.code},
          {"name", t.name},
          {"name_en", t.name_en},
          {"category", t.category},
          {"issuers", t.issuers},
          {"required_fields", t.required_fields},
          {"max_validity_days", t.max_validity_ms / 86'400'000},
          {"parent_type", t.parent_type},
          {"use_purposes", t.use_purposes},
          {"requires_grant", t.requires_grant},
          {"cascade", std::string(ledger::CascadeRuleName(t.cascade))}};
}

json ValidatorJson(const ledger::Validator& v, crypto::Suite suite) {
  return {{"name", v.name},
          {"department", v.department},
          {"key_fingerprint", crypto::Fingerprint(suite, v.key)},
          {"p2p_address", v.p2p_address},
          {"api_address", v.api_address}};
}

json ReportJson(const ledger::UsageReport& r, const contracts::Registry& registry,
                const ledger::StateReader& state, uint64_t height) {
  contracts::RegistryView view(registry, state, height);
  json rows = json::array();
  std::map<std::string, uint64_t> totals;  // per kind
  for (const ledger::ReportRow& row : r.rows) {
    json j = {{"kind", row.kind},
              {"department", row.department},
              {"type", row.type},
              {"purpose", row.purpose},
              {"count", row.count}};
    if (auto d = view.DepartmentById(row.department)) j["department_name"] = d->name;
    if (auto t = view.Type(row.type)) j["type_name"] = t->name;
    rows.push_back(std::move(j));
    totals[row.kind] += row.count;
  }
  return {{"from", FormatTimeCst(r.from_ms)},
          {"to", FormatTimeCst(r.to_ms)},
          {"from_ms", r.from_ms},
          {"to_ms", r.to_ms},
          {"first_height", r.first_height},
          {"last_height", r.last_height},
          {"blocks", r.blocks},
          {"events", r.events},
          {"other_events", r.other_events},
          {"truncated", r.truncated},
          {"next_from_ms", r.next_from_ms},
          {"totals", totals},
          {"rows", rows}};
}

}  // namespace govledger::node

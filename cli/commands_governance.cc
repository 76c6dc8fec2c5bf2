// Governance: `govledger governance propose` (a department proposes a registry change: add,
// remove or rotate the keys of a validator, add a department or change its roles, add or change a material type's
// rules), `governance approve` (two thirds of the departments enact it), `governance list`, and
// `governance validators` (the validator set in force and the changes recorded for later heights).
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "ledger/codec.h"
#include "util/file.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

constexpr int64_t kDayMs = 86'400'000;

struct ProposeOptions {
  std::string key;
  std::string reason;
  uint64_t deadline_height = 0;
  // one of:
  std::string add_department;
  std::string set_roles;
  std::string add_validator;
  std::string remove_validator;
  std::string rotate_validator;
  std::string material_type_file;
  // their details:
  std::string name, name_en, code, roles, department_key;
  std::string department, validator_key, tls_key, p2p, api;
  uint64_t effective_height = 0;
  bool no_wait = false;
};

Result<std::vector<std::string>> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return UsageError(std::string(key) + " must be a list of strings");
  for (const json& v : j[key]) {
    if (!v.is_string()) return UsageError(std::string(key) + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A material type in the genesis's JSON shape (network.toml's keys, max_validity_days in days).
Result<ledger::MaterialType> LoadMaterialType(const std::string& path) {
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return UsageError(path + " is not a JSON object");
  ledger::MaterialType t;
  t.code = j.value("code", std::string());
  t.name = j.value("name", std::string());
  t.name_en = j.value("name_en", std::string());
  t.category = j.value("category", std::string());
  t.parent_type = j.value("parent_type", std::string());
  t.max_validity_ms = j.value("max_validity_days", int64_t{0}) * kDayMs;
  t.requires_grant = j.value("requires_grant", true);
  std::string cascade = j.value("cascade", std::string("revoke"));
  if (!ledger::ParseCascadeRule(cascade, t.cascade)) {
    return UsageError("cascade must be revoke, suspend or none");
  }
  auto issuers = Strings(j, "issuers");
  if (!issuers.ok()) return issuers.status();
  t.issuers = *issuers;
  auto fields = Strings(j, "required_fields");
  if (!fields.ok()) return fields.status();
  t.required_fields = *fields;
  auto purposes = Strings(j, "use_purposes");
  if (!purposes.ok()) return purposes.status();
  t.use_purposes = *purposes;
  return t;
}

Result<ledger::GovernanceChange> BuildChange(const Submitter& s, const ProposeOptions& o) {
  int chosen = !o.add_department.empty() + !o.set_roles.empty() + !o.add_validator.empty() +
               !o.remove_validator.empty() + !o.rotate_validator.empty() +
               !o.material_type_file.empty();
  if (chosen != 1) {
    return UsageError(
        "give exactly one of --add-department, --set-roles, --add-validator, "
        "--remove-validator, --rotate-validator, --material-type");
  }
  ledger::GovernanceChange c;
  if (!o.add_department.empty()) {
    c.kind = ledger::ChangeKind::kSetDepartment;
    if (o.name.empty() || o.code.empty() || o.department_key.empty()) {
      return UsageError("--add-department needs --name, --code, --department-key and --roles");
    }
    auto key = LoadPublicKeyFile(s.chain.suite, o.department_key);
    if (!key.ok()) return key.status();
    c.department =
        ledger::Department{o.add_department, o.name, o.name_en, o.code, SplitList(o.roles), *key};
  } else if (!o.set_roles.empty()) {
    c.kind = ledger::ChangeKind::kSetDepartment;
    auto registry = s.client.Get("/v1/registry");
    if (!registry.ok()) return registry.status();
    bool found = false;
    for (const json& d : registry->at("departments")) {
      if (d.at("id").get<std::string>() != o.set_roles) continue;
      auto key = crypto::PublicKeyFromPem(s.chain.suite, d.at("key").get<std::string>());
      if (!key.ok())
        return Status::Error("bad_response", "department key: " + key.status().message());
      c.department = ledger::Department{o.set_roles,
                                        d.at("name").get<std::string>(),
                                        d.value("name_en", std::string()),
                                        d.at("code").get<std::string>(),
                                        SplitList(o.roles),
                                        *key};
      if (!o.name.empty()) c.department.name = o.name;
      if (!o.name_en.empty()) c.department.name_en = o.name_en;
      found = true;
    }
    if (!found) return Status::Error("unknown_department", "no department " + o.set_roles);
  } else if (!o.add_validator.empty()) {
    c.kind = ledger::ChangeKind::kAddValidator;
    if (o.department.empty() || o.validator_key.empty() || o.tls_key.empty() || o.p2p.empty() ||
        o.api.empty()) {
      return UsageError(
          "--add-validator needs --department, --validator-key, --tls-key, --p2p and --api");
    }
    auto key = LoadPublicKeyFile(s.chain.suite, o.validator_key);
    if (!key.ok()) return key.status();
    auto tls = LoadPublicKeyFile(crypto::Suite::kP256, o.tls_key);
    if (!tls.ok()) tls = LoadPublicKeyFile(s.chain.suite, o.tls_key);
    if (!tls.ok()) return tls.status();
    c.validator = ledger::Validator{o.add_validator, o.department, *key, *tls, o.p2p, o.api};
  } else if (!o.rotate_validator.empty()) {
    c.kind = ledger::ChangeKind::kRotateValidator;
    if (o.validator_key.empty() || o.tls_key.empty()) {
      return UsageError(
          "--rotate-validator needs --validator-key and --tls-key (the new public keys; give the "
          "current TLS key's file to keep it)");
    }
    // Department and addresses as the validator has them in the set in force,
    // unless --p2p / --api move it.
    auto set = s.client.Get("/v1/validators");
    if (!set.ok()) return set.status();
    const json* current = nullptr;
    for (const json& v : set->at("validators")) {
      if (v.value("name", std::string()) == o.rotate_validator) current = &v;
    }
    if (current == nullptr) {
      return Status::Error("unknown_validator", "no validator " + o.rotate_validator +
                                                    " in the set in force");
    }
    auto key = LoadPublicKeyFile(s.chain.suite, o.validator_key);
    if (!key.ok()) return key.status();
    auto tls = LoadPublicKeyFile(crypto::Suite::kP256, o.tls_key);
    if (!tls.ok()) return tls.status();
    c.validator = ledger::Validator{
        o.rotate_validator, current->value("department", std::string()), *key, *tls,
        o.p2p.empty() ? current->value("p2p_address", std::string()) : o.p2p,
        o.api.empty() ? current->value("api_address", std::string()) : o.api};
  } else if (!o.remove_validator.empty()) {
    c.kind = ledger::ChangeKind::kRemoveValidator;
    c.validator_name = o.remove_validator;
  } else {
    c.kind = ledger::ChangeKind::kSetMaterialType;
    auto t = LoadMaterialType(o.material_type_file);
    if (!t.ok()) return t.status();
    c.material_type = *t;
    c.effective_height = o.effective_height;
  }
  return c;
}

int RunPropose(const Context& ctx, const ProposeOptions& o) {
  Output out(ctx.json);
  auto s = PrepareSubmit(ctx, o.key, /*need_department=*/true);
  if (!s.ok()) return out.Fail(s.status());
  auto change = BuildChange(*s, o);
  if (!change.ok()) return out.Fail(change.status());
  ledger::Tx tx = ledger::SignTx(
      s->key, NewTxBody(s->chain, ledger::ProposeChange{*change, o.deadline_height, o.reason}));
  auto sent = s->client.Submit(tx, !o.no_wait);
  if (!sent.ok()) return out.Fail(sent.status());
  json j = {{"tx_hash", sent->tx_hash},
            {"status", sent->committed ? "committed" : "pending"},
            {"height", sent->committed ? json(sent->height) : json(nullptr)},
            {"proposer", *s->department},
            {"proposal_id", nullptr}};
  if (sent->committed) {
    // The proposal id is the chain's counter: read it from the PROPOSE event of this tx.
    if (auto block = s->client.Get("/v1/block/" + std::to_string(sent->height)); block.ok()) {
      for (const json& e : block->value("events", json::array())) {
        if (e.value("kind", std::string()) == "PROPOSE" &&
            e.value("tx_hash", std::string()) == sent->tx_hash) {
          j["proposal_id"] = e.at("material_id");
        }
      }
    }
  }
  if (j["proposal_id"].is_string())
    out.Say(Line("proposal id", j["proposal_id"].get<std::string>()));
  out.Say(Line("proposed by", *s->department));
  out.Say(Line("tx hash", sent->tx_hash));
  if (sent->committed) out.Say(Line("block height", std::to_string(sent->height)));
  if (!sent->committed && !o.no_wait) {
    return out.Fail(Status::Error("not_committed", "tx " + sent->tx_hash +
                                                       " was accepted but not committed within "
                                                       "the wait; it may still commit"));
  }
  return out.Finish(j);
}

int RunApprove(const Context& ctx, const std::string& key, const std::string& id, bool no_wait) {
  Output out(ctx.json);
  auto s = PrepareSubmit(ctx, key, /*need_department=*/true);
  if (!s.ok()) return out.Fail(s.status());
  int rc = SubmitAndReport(out, *s, ledger::ApproveProposal{id}, no_wait,
                           {Line("approved", id + " by " + *s->department)},
                           {{"proposal_id", id}, {"approver", *s->department}});
  if (rc != kExitOk || ctx.json) return rc;
  if (auto p = s->client.Get("/v1/proposal/" + UrlEncode(id)); p.ok()) {
    out.Say(Line("status", p->at("status").get<std::string>() + " (" +
                               std::to_string(p->at("approvals").size()) + " of " +
                               std::to_string(p->at("approvals_needed").get<uint64_t>()) +
                               " approvals needed)"));
  }
  return rc;
}

void SayProposal(const Output& out, const json& p) {
  out.Say(p.at("proposal_id").get<std::string>() + "  " + p.at("status").get<std::string>() + "  " +
          p.at("summary").get<std::string>());
  std::string approvals;
  for (const json& a : p.at("approvals")) {
    approvals += (approvals.empty() ? "" : ", ") + a.get<std::string>();
  }
  out.Say("    proposed by " + p.at("proposer").get<std::string>() + " at height " +
          std::to_string(p.at("created_height").get<uint64_t>()) + ": " +
          p.at("reason").get<std::string>());
  out.Say("    approvals " + std::to_string(p.at("approvals").size()) + "/" +
          std::to_string(p.at("approvals_needed").get<uint64_t>()) + ": " + approvals);
  if (p.at("status").get<std::string>() == "ENACTED") {
    out.Say("    enacted at height " + std::to_string(p.at("enacted_height").get<uint64_t>()) +
            ", effective from height " + std::to_string(p.at("effective_height").get<uint64_t>()));
  } else {
    out.Say("    open until height " + std::to_string(p.at("deadline_height").get<uint64_t>()));
  }
}

int RunList(const Context& ctx, const std::string& id) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  if (!id.empty()) {
    auto p = client.Get("/v1/proposal/" + UrlEncode(id));
    if (!p.ok()) return out.Fail(p.status());
    SayProposal(out, *p);
    return out.Finish(*p);
  }
  auto page = client.Get("/v1/proposals");
  if (!page.ok()) return out.Fail(page.status());
  for (const json& p : page->at("proposals")) SayProposal(out, p);
  out.Say(std::to_string(page->at("proposals").size()) + " proposal(s) as of height " +
          std::to_string(page->at("as_of_height").get<uint64_t>()));
  return out.Finish(*page);
}

int RunValidators(const Context& ctx, uint64_t height) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto page = client.Get("/v1/validators" + (height ? "?height=" + std::to_string(height) : ""));
  if (!page.ok()) return out.Fail(page.status());
  out.Say("validators in force at height " + std::to_string(page->at("height").get<uint64_t>()) +
          " (hash " + ShortHex(page->at("validators_hash").get<std::string>()) + "):");
  for (const json& v : page->at("validators")) {
    out.Say("  " + v.at("name").get<std::string>() + "  " + v.at("department").get<std::string>() +
            "  " + v.at("key_fingerprint").get<std::string>() + "  " +
            v.at("p2p_address").get<std::string>());
  }
  for (const json& c : page->at("pending_changes")) {
    out.Say("pending: " + c.at("change").get<std::string>() + " " +
            c.at("validator").at("name").get<std::string>() + " from height " +
            std::to_string(c.at("effective_height").get<uint64_t>()) + " (" +
            c.at("proposal_id").get<std::string>() + ")");
  }
  return out.Finish(*page);
}

}  // namespace

void AddGovernanceCommands(CLI::App& app, Context& ctx) {
  CLI::App* group =
      AddCommand(app, ctx, "governance",
                 "Registry governance: proposals enacted by two thirds of the departments",
                 "  govledger governance propose --key keys/mca.pem --reason \"新增教育局\" \\\n"
                 "      --add-department edu --name 区教育局 --code 11440305007542010D \\\n"
                 "      --roles provider,consumer --department-key edu.pub\n"
                 "  govledger governance approve --key keys/water.pem --id P1\n"
                 "  govledger governance list");
  group->require_subcommand(1);

  auto o = std::make_shared<ProposeOptions>();
  CLI::App* propose = AddCommand(
      *group, ctx, "propose",
      "Propose one registry change; the proposer's approval is counted, and the change is "
      "enacted when two thirds of the departments have approved",
      "  govledger governance propose --key keys/mca.pem --reason \"教育局加入\" \\\n"
      "      --add-department edu --name 区教育局 --name-en \"District Education Bureau\" \\\n"
      "      --code 11440305007542010D --roles provider,consumer --department-key edu.pub\n"
      "  govledger governance propose --key keys/mca.pem --reason \"人社局开通共享\" \\\n"
      "      --set-roles hrss --roles provider,consumer\n"
      "  govledger governance propose --key keys/mca.pem --reason \"水务局节点\" \\\n"
      "      --add-validator node7 --department water --validator-key v.pub --tls-key t.pub \\\n"
      "      --p2p 10.0.0.7:7101 --api 10.0.0.7:7001\n"
      "  govledger governance propose --key keys/water.pem --reason \"年度密钥轮换\" \\\n"
      "      --rotate-validator node3 --validator-key next-validator.pub.pem \\\n"
      "      --tls-key next-tls.pub.pem\n"
      "  govledger governance propose --key keys/mca.pem --reason \"新版食品经营许可\" \\\n"
      "      --material-type foodbiz.json --effective-height 5000");
  propose->add_option("--key", o->key, "The proposing department's private key (PEM)")->required();
  propose->add_option("--reason", o->reason, "Why (public)")->required();
  propose->add_option("--deadline-height", o->deadline_height,
                      "Approvals accepted up to this height (default: about a week of blocks)");
  propose->add_option("--add-department", o->add_department, "Add a department with this id");
  propose->add_option("--set-roles", o->set_roles, "Change this department's roles (and names)");
  propose->add_option("--add-validator", o->add_validator, "Add a validator with this name");
  propose->add_option("--remove-validator", o->remove_validator, "Remove this validator");
  propose->add_option("--rotate-validator", o->rotate_validator,
                      "Give this validator new keys (--validator-key, --tls-key; optionally new "
                      "--p2p / --api addresses); its node switches to them at the effective "
                      "height once its node.toml names them in [keys] next_validator_key_file "
                      "and next_tls_key_file (doc/operator.md)");
  propose->add_option("--material-type", o->material_type_file,
                      "Add or change a material type: a JSON file with the genesis keys (code, "
                      "name, name_en, category, issuers, required_fields, max_validity_days, "
                      "parent_type, use_purposes, requires_grant, cascade)");
  propose->add_option("--name", o->name, "Department name (Chinese)");
  propose->add_option("--name-en", o->name_en, "Department name (English)");
  propose->add_option("--code", o->code, "Department's unified social credit code");
  propose->add_option("--roles", o->roles,
                      "Roles, comma-separated: provider, consumer, authorizer, regulator, "
                      "validator");
  propose->add_option("--department-key", o->department_key, "New department's public key (PEM)");
  propose->add_option("--department", o->department, "Department running the new validator");
  propose->add_option("--validator-key", o->validator_key, "New validator's consensus key (PEM)");
  propose->add_option("--tls-key", o->tls_key, "New validator's TLS key (PEM)");
  propose->add_option("--p2p", o->p2p, "New validator's p2p address host:port");
  propose->add_option("--api", o->api, "New validator's API address host:port");
  propose->add_option("--effective-height", o->effective_height,
                      "Material type rules apply from this height (default: once enacted)");
  propose->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx");
  propose->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunPropose(ctx, *o); }; });

  struct ApproveOptions {
    std::string key, id;
    bool no_wait = false;
  };
  auto a = std::make_shared<ApproveOptions>();
  CLI::App* approve = AddCommand(*group, ctx, "approve", "Approve a proposal as a department",
                                 "  govledger governance approve --key keys/water.pem --id P1");
  approve->add_option("--key", a->key, "The approving department's private key (PEM)")->required();
  approve->add_option("--id", a->id, "Proposal id, e.g. P1")->required();
  approve->add_flag("--no-wait", a->no_wait, "Return once the node accepts the tx");
  approve->callback(
      [&ctx, a] { ctx.action = [&ctx, a] { return RunApprove(ctx, a->key, a->id, a->no_wait); }; });

  auto list_id = std::make_shared<std::string>();
  CLI::App* list = AddCommand(*group, ctx, "list", "List proposals and their approvals",
                              "  govledger governance list\n  govledger governance list --id P1");
  list->add_option("--id", *list_id, "Only this proposal, with its events");
  list->callback(
      [&ctx, list_id] { ctx.action = [&ctx, list_id] { return RunList(ctx, *list_id); }; });

  auto height = std::make_shared<uint64_t>(0);
  CLI::App* validators = AddCommand(
      *group, ctx, "validators",
      "The validator set in force at a height, and changes recorded for later heights",
      "  govledger governance validators\n  govledger governance validators --height 120");
  validators->add_option("--height", *height, "At this height (default: the next block)");
  validators->callback(
      [&ctx, height] { ctx.action = [&ctx, height] { return RunValidators(ctx, *height); }; });
}

}  // namespace govledger::cli

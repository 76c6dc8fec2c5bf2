// A department's material commands and the read-only views: `govledger material issue`,
// `material revoke`, `material amend`, `material transfer`, `material show`, `material list`.
// The other lifecycle steps and controlled use are in commands_lifecycle.cc.
//
// Issuing keeps personal data off the chain (ARCHITECTURE.md section 3): the holder's id and the
// field values go only into a local receipt (mode 0600) beside the salts that open the on-chain
// holder commitment and fields root. The receipt is written before the transaction is sent, so a
// committed material never exists without the salts that disclose it.
#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "contracts/material_id.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

constexpr size_t kSaltBytes = 16;
constexpr uint64_t kSerialModulus = 1'000'000'000'000ULL;  // 12 decimal digits
constexpr char kFirstVersion[] = "001";
constexpr int64_t kDayMs = 86'400'000;

// ------------------------------------------------------------------ issue: local inputs

struct Field {
  std::string name;
  std::string value;
  Bytes salt;
};

// --field name=value ..., each with a fresh salt, sorted by name (the order of the leaves).
Result<std::vector<Field>> ParseFields(const std::vector<std::string>& args) {
  std::vector<Field> fields;
  for (const std::string& arg : args) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return UsageError("--field needs NAME=VALUE, got '" + arg + "'");
    }
    fields.push_back(Field{arg.substr(0, eq), arg.substr(eq + 1), crypto::RandomBytes(kSaltBytes)});
  }
  std::sort(fields.begin(), fields.end(),
            [](const Field& a, const Field& b) { return a.name < b.name; });
  for (size_t i = 1; i < fields.size(); ++i) {
    if (fields[i].name == fields[i - 1].name) {
      return Status::Error("duplicate_field", "field '" + fields[i].name + "' is given twice");
    }
  }
  return fields;
}

// RFC 9162 root over FieldLeafBytes of the (sorted) fields; the empty root for none.
crypto::Digest FieldsRoot(crypto::Suite suite, const std::vector<Field>& fields) {
  if (fields.empty()) return crypto::MerkleEmptyRoot(suite);
  crypto::MemoryNodeStore nodes;
  crypto::MerkleLog log(suite, &nodes, 0);
  for (const Field& f : fields) log.Append(ledger::FieldLeafBytes(f.salt, f.name, f.value));
  auto root = log.Root();
  GOVLEDGER_CHECK(root.ok());
  return *root;
}

// --valid-from: a bare date means the start of that day (China Standard Time); ParseTimeSpec
// reads a bare date as the end of the day, which is what --valid-until wants.
Result<int64_t> ParseValidFrom(const std::string& spec, int64_t now_ms) {
  if (spec.empty()) return now_ms;
  auto t = ParseTimeSpec(spec, now_ms);
  if (!t.ok()) return Status::Error(t.status().code(), "--valid-from: " + t.status().message());
  return spec.size() == 10 ? *t - kDayMs : *t;
}

Result<int64_t> ParseValidUntil(const std::string& spec, int64_t now_ms) {
  if (spec.empty()) return int64_t{0};
  auto t = ParseTimeSpec(spec, now_ms);
  if (!t.ok()) return Status::Error(t.status().code(), "--valid-until: " + t.status().message());
  return *t;
}

std::string RandomSerial() {
  std::ostringstream s;
  s << std::setw(12) << std::setfill('0') << crypto::RandomU64() % kSerialModulus;
  return s.str();
}

// The issuer code that goes into the material id. An unregistered key (--allow-unregistered)
// borrows the code of a department allowed to issue the type, so that the node, not the id
// syntax, is what turns the transaction down.
std::string IssuerCode(const Signer& signer, const ledger::Genesis& genesis,
                       const std::string& type) {
  if (signer.department) return signer.department->code;
  for (const ledger::MaterialType& t : genesis.material_types) {
    if (t.code != type || t.issuers.empty()) continue;
    for (const ledger::Department& d : genesis.departments) {
      if (d.id == t.issuers.front()) return d.code;
    }
  }
  return std::string(18, '0');
}

// The genesis with its departments and material types replaced by the registry the node has in
// force for the next block (GET /v1/registry): a department or type added by governance signs
// and issues like one of the genesis.
Result<ledger::Genesis> WithRegistry(const NodeClient& client, ledger::Genesis genesis) {
  auto registry = client.Get("/v1/registry");
  if (!registry.ok()) return registry.status();
  try {
    std::vector<ledger::Department> departments;
    for (const json& d : registry->at("departments")) {
      auto key = crypto::PublicKeyFromPem(genesis.suite, d.at("key").get<std::string>());
      if (!key.ok()) return Status::Error("bad_answer", "registry key: " + key.status().message());
      departments.push_back({d.at("id").get<std::string>(), d.at("name").get<std::string>(),
                             d.value("name_en", std::string()), d.at("code").get<std::string>(),
                             d.at("roles").get<std::vector<std::string>>(), *key});
    }
    std::vector<ledger::MaterialType> types;
    for (const json& t : registry->at("material_types")) {
      ledger::MaterialType type;
      type.code = t.at("code").get<std::string>();
      type.issuers = t.at("issuers").get<std::vector<std::string>>();
      types.push_back(std::move(type));
    }
    genesis.departments = std::move(departments);
    genesis.material_types = std::move(types);
  } catch (const json::exception& e) {
    return Status::Error("bad_answer", std::string("the node's /v1/registry: ") + e.what());
  }
  return genesis;
}

// ------------------------------------------------------------------ submitting

// Prints a submitted transaction's outcome lines (human mode) and returns its JSON.
json OutcomeJson(const Output& out, const SubmitOutcome& o) {
  out.Say("tx hash       " + o.tx_hash);
  if (o.committed) {
    out.Say("block height  " + std::to_string(o.height));
  } else {
    out.Say("status        pending (accepted by the node, not yet in a block)");
  }
  json j = {{"tx_hash", o.tx_hash}, {"status", o.committed ? "committed" : "pending"}};
  j["height"] = o.committed ? json(o.height) : json(nullptr);
  return j;
}

// With --wait, an answer of "pending" means the node's wait ran out before the commit.
Status NotCommitted(const SubmitOutcome& o, const std::string& extra) {
  return Status::Error("not_committed",
                       "tx " + o.tx_hash +
                           " was accepted but not committed within the wait; "
                           "it may still commit (check: govledger material show --id ...)" +
                           extra);
}

// ------------------------------------------------------------------ issue

struct IssueOptions {
  std::string key;
  std::string type;
  std::string holder;
  std::string file;
  std::vector<std::string> fields;
  std::string valid_from;
  std::string valid_until;
  std::string serial;
  std::string parent;
  std::string receipt;
  std::string holder_key;
  bool staged = false;
  bool no_wait = false;
  bool allow_unregistered = false;
};

// Key order as a person reads it: what the material is, then the secrets, then where it landed.
nlohmann::ordered_json ReceiptJson(const ChainInfo& chain, const Signer& signer,
                                   const IssueOptions& o, const ledger::IssueMaterial& issue,
                                   const Bytes& holder_salt, const std::vector<Field>& fields,
                                   const std::string& tx_hash) {
  nlohmann::ordered_json fs = nlohmann::ordered_json::array();
  for (const Field& f : fields) {
    fs.push_back({{"name", f.name}, {"value", f.value}, {"salt", HexEncode(f.salt)}});
  }
  return {{"material_id", issue.material_id},
          {"chain_id", chain.chain_id},
          {"suite", crypto::SuiteName(chain.suite)},
          {"type", issue.type_code},
          {"issuer", signer.department ? signer.department->id : std::string()},
          {"doc_digest", HexEncode(issue.doc_digest)},
          {"holder_id", o.holder},
          {"holder_salt", HexEncode(holder_salt)},
          {"holder_commitment", HexEncode(issue.holder_commitment)},
          {"fields", fs},
          {"fields_root", HexEncode(issue.fields_root)},
          {"valid_from_ms", issue.valid_from_ms},
          {"valid_until_ms", issue.valid_until_ms},
          {"parent_id", issue.parent_id},
          {"tx_hash", tx_hash},
          {"height", nullptr},
          {"status", "pending"}};
}

Status WriteReceipt(const std::string& path, const nlohmann::ordered_json& receipt) {
  return WriteFileAtomic(path, receipt.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                         0600);
}

int RunIssue(const Context& ctx, const IssueOptions& o) {
  Output out(ctx.json);
  auto fields = ParseFields(o.fields);
  if (!fields.ok()) return out.Fail(fields.status());
  int64_t now = NowMs();
  auto valid_from = ParseValidFrom(o.valid_from, now);
  if (!valid_from.ok()) return out.Fail(valid_from.status());
  auto valid_until = ParseValidUntil(o.valid_until, now);
  if (!valid_until.ok()) return out.Fail(valid_until.status());

  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return out.Fail(chain.status());
  auto fetched = client.FetchGenesis();
  if (!fetched.ok()) return out.Fail(fetched.status());
  auto genesis = WithRegistry(client, std::move(*fetched));
  if (!genesis.ok()) return out.Fail(genesis.status());
  auto signer = LoadSigner(o.key, *chain, *genesis, o.allow_unregistered);
  if (!signer.ok()) return out.Fail(signer.status());
  auto digest = crypto::HashFile(chain->suite, o.file);
  if (!digest.ok()) return out.Fail(digest.status());

  auto id =
      contracts::MakeMaterialId({o.type, IssuerCode(*signer, *genesis, o.type),
                                 o.serial.empty() ? RandomSerial() : o.serial, kFirstVersion});
  if (!id.ok()) return out.Fail(Status::Error("usage", id.status().message()));

  Bytes holder_salt = crypto::RandomBytes(kSaltBytes);
  ledger::IssueMaterial issue;
  issue.material_id = *id;
  issue.type_code = o.type;
  issue.holder_commitment =
      crypto::DigestBytes(ledger::HolderCommitment(chain->suite, holder_salt, o.holder));
  issue.doc_digest = crypto::DigestBytes(*digest);
  issue.fields_root = crypto::DigestBytes(FieldsRoot(chain->suite, *fields));
  for (const Field& f : *fields) issue.field_names.push_back(f.name);
  issue.valid_from_ms = *valid_from;
  issue.valid_until_ms = *valid_until;
  issue.parent_id = o.parent;
  issue.staged = o.staged;
  if (!o.holder_key.empty()) {
    auto hk = LoadPublicKeyFile(chain->suite, o.holder_key);
    if (!hk.ok()) return out.Fail(Status::Error("usage", "--holder-key: " + hk.status().message()));
    issue.holder_key = *hk;
  }
  ledger::Tx tx = ledger::SignTx(signer->key, NewTxBody(*chain, issue));

  std::string receipt_path = o.receipt.empty() ? *id + ".receipt.json" : o.receipt;
  if (PathExists(receipt_path)) {
    return out.Fail(Status::Error("already_exists", "receipt " + receipt_path +
                                                        " already exists and may hold another "
                                                        "material's salts; choose another path"));
  }
  nlohmann::ordered_json receipt =
      ReceiptJson(*chain, *signer, o, issue, holder_salt, *fields, crypto::DigestHex(tx.hash));
  if (Status st = WriteReceipt(receipt_path, receipt); !st.ok()) return out.Fail(st);

  auto sent = client.Submit(tx, !o.no_wait);
  if (!sent.ok()) {
    if (ExitCodeFor(sent.status()) == kExitNo) {
      std::remove(receipt_path.c_str());  // turned down: no material, nothing to keep
      return out.Fail(sent.status());
    }
    std::string kept = " (the tx may still commit; receipt kept at " + receipt_path + ")";
    return out.Fail(Status::Error(sent.status().code(), sent.status().message() + kept));
  }
  receipt["status"] = sent->committed ? "committed" : "pending";
  if (sent->committed) receipt["height"] = sent->height;
  if (Status st = WriteReceipt(receipt_path, receipt); !st.ok()) return out.Fail(st);

  out.Say("material id   " + *id);
  json j = OutcomeJson(out, *sent);
  out.Say("receipt       " + receipt_path +
          "  (holder id, field values and salts: keep it private)");
  if (!sent->committed && !o.no_wait) return out.Fail(NotCommitted(*sent, "; receipt kept"));
  j["material_id"] = *id;
  j["receipt"] = receipt_path;
  j["issuer"] = signer->department ? json(signer->department->id) : json(nullptr);
  j["type"] = o.type;
  j["doc_digest"] = HexEncode(issue.doc_digest);
  return out.Finish(j);
}

void AddIssue(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<IssueOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "issue",
      "Issue a material: sign its digest, holder commitment and fields root as a department and "
      "wait for the commit; the holder id, field values and salts go to a local receipt only",
      "  govledger material issue --key keys/health.pem --type BIRTHMED \\\n"
      "      --holder 110101202601010012 --file birth.pdf \\\n"
      "      --field child_name=张小明 --field birth_date=2026-01-01 \\\n"
      "      --field birth_place=深圳市南山区 --field mother_name=李华\n"
      "  govledger material issue --key keys/samr.pem --type BIZLIC \\\n"
      "      --holder 91440300MA5G0XXXXX --file license.pdf --valid-until 2046-06-30 \\\n"
      "      --field entity_name=深圳某某科技有限公司 --field legal_representative=王五 \\\n"
      "      --field business_scope=软件开发 --field address=南山区科技园");
  cmd->add_option("--key", o->key, "The department's private key (PEM)")->required();
  cmd->add_option("--type", o->type, "Material type code, e.g. BIRTHMED, BIZLIC")->required();
  cmd->add_option("--holder", o->holder,
                  "Holder's id (citizen ID number or company credit code); only its salted "
                  "commitment goes on chain")
      ->required();
  cmd->add_option("--file", o->file, "The document (PDF/OFD) whose digest is recorded")->required();
  cmd->add_option("--field", o->fields,
                  "A field NAME=VALUE (repeatable); only salted leaves "
                  "under fields_root go on chain")
      ->allow_extra_args(false);
  cmd->add_option("--valid-from", o->valid_from,
                  "Start of validity: 2027-01-01 (start of day, CST), RFC 3339, or +2s "
                  "(default: now)");
  cmd->add_option("--valid-until", o->valid_until,
                  "End of validity: 2027-12-31 (through that day, CST), RFC 3339, or +30d "
                  "(default: no expiry)");
  cmd->add_option("--serial", o->serial,
                  "Serial in the material id, [0-9A-Z]{1,32} "
                  "(default: 12 random digits)");
  cmd->add_option("--parent", o->parent,
                  "Parent material id (e.g. the business license of a "
                  "permit)");
  cmd->add_option("--receipt", o->receipt,
                  "Receipt file to write (default: "
                  "<material id>.receipt.json here; mode 0600)");
  cmd->add_option("--holder-key", o->holder_key,
                  "The holder's own public key (PEM), registered so that the holder can sign "
                  "grants (material authorize) with it");
  cmd->add_flag("--staged", o->staged,
                "Issue as ISSUED (not yet valid) until `material publish` (review before "
                "publication)");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->add_flag("--allow-unregistered", o->allow_unregistered,
                "Submit even if the key is no registered department (the node will refuse it)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunIssue(ctx, *o); }; });
}

// ------------------------------------------------------------------ revoke

struct RevokeOptions {
  std::string key;
  std::string id;
  std::string reason;
  bool no_wait = false;
  bool allow_unregistered = false;
};

int RunRevoke(const Context& ctx, const RevokeOptions& o) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return out.Fail(chain.status());
  auto fetched = client.FetchGenesis();
  if (!fetched.ok()) return out.Fail(fetched.status());
  auto genesis = WithRegistry(client, std::move(*fetched));
  if (!genesis.ok()) return out.Fail(genesis.status());
  auto signer = LoadSigner(o.key, *chain, *genesis, o.allow_unregistered);
  if (!signer.ok()) return out.Fail(signer.status());
  ledger::Tx tx =
      ledger::SignTx(signer->key, NewTxBody(*chain, ledger::RevokeMaterial{o.id, o.reason}));
  auto sent = client.Submit(tx, !o.no_wait);
  if (!sent.ok()) return out.Fail(sent.status());
  out.Say(std::string(sent->committed ? "revoked       " : "revoking      ") + o.id);
  json j = OutcomeJson(out, *sent);
  if (!sent->committed && !o.no_wait) return out.Fail(NotCommitted(*sent, ""));
  j["material_id"] = o.id;
  j["reason"] = o.reason;
  return out.Finish(j);
}

void AddRevoke(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<RevokeOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "revoke", "Revoke a material the department issued (a reason is required)",
      "  govledger material revoke --key keys/health.pem \\\n"
      "      --id 1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C \\\n"
      "      --reason \"issued with a wrong birth date\"");
  cmd->add_option("--key", o->key, "The issuing department's private key (PEM)")->required();
  cmd->add_option("--id", o->id, "Material id")->required();
  cmd->add_option("--reason", o->reason, "Why it is revoked (recorded on chain, public)")
      ->required();
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->add_flag("--allow-unregistered", o->allow_unregistered,
                "Submit even if the key is no registered department (the node will refuse it)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunRevoke(ctx, *o); }; });
}

// ------------------------------------------------------------------ amend

struct AmendOptions {
  std::string key;
  std::string id;  // the version being amended
  std::string file;
  std::vector<std::string> fields;
  std::string valid_from;
  std::string valid_until;
  std::string parent;
  std::string reason;
  std::string receipt;
  std::string prev_receipt;
  bool no_wait = false;
};

int RunAmend(const Context& ctx, const AmendOptions& o) {
  Output out(ctx.json);
  auto fields = ParseFields(o.fields);
  if (!fields.ok()) return out.Fail(fields.status());
  auto s = PrepareSubmit(ctx, o.key, /*need_department=*/true);
  if (!s.ok()) return out.Fail(s.status());
  auto prev = s->client.Get("/v1/material/" + UrlEncode(o.id));
  if (!prev.ok()) return out.Fail(prev.status());
  auto parts = contracts::ParseMaterialId(o.id);
  if (!parts.ok()) return out.Fail(Status::Error("usage", parts.status().message()));
  char version[8];
  std::snprintf(version, sizeof version, "%03u",
                static_cast<unsigned>(prev->at("version").get<uint64_t>() + 1));
  parts->version = version;
  auto id = contracts::MakeMaterialId(*parts);
  if (!id.ok()) return out.Fail(Status::Error("usage", id.status().message()));
  int64_t now = NowMs();
  // Validity and parent carry over unless given.
  int64_t valid_from = prev->at("valid_from_ms").get<int64_t>();
  int64_t valid_until = prev->at("valid_until_ms").get<int64_t>();
  if (!o.valid_from.empty()) {
    auto v = ParseValidFrom(o.valid_from, now);
    if (!v.ok()) return out.Fail(v.status());
    valid_from = *v;
  }
  if (!o.valid_until.empty()) {
    auto v = ParseValidUntil(o.valid_until, now);
    if (!v.ok()) return out.Fail(v.status());
    valid_until = *v;
  }
  auto digest = crypto::HashFile(s->chain.suite, o.file);
  if (!digest.ok()) return out.Fail(digest.status());

  ledger::AmendMaterial a;
  a.prev_id = o.id;
  a.material_id = *id;
  a.doc_digest = crypto::DigestBytes(*digest);
  a.fields_root = crypto::DigestBytes(FieldsRoot(s->chain.suite, *fields));
  for (const Field& f : *fields) a.field_names.push_back(f.name);
  a.valid_from_ms = valid_from;
  a.valid_until_ms = valid_until;
  a.parent_id = o.parent.empty() ? prev->value("parent_id", std::string()) : o.parent;
  a.reason = o.reason;

  // The new version's receipt: its field salts, and the holder's salt if the previous receipt
  // is given (the holder commitment carries over).
  nlohmann::ordered_json fs = nlohmann::ordered_json::array();
  for (const Field& f : *fields) {
    fs.push_back({{"name", f.name}, {"value", f.value}, {"salt", HexEncode(f.salt)}});
  }
  nlohmann::ordered_json receipt = {{"material_id", *id},
                                    {"amends", o.id},
                                    {"chain_id", s->chain.chain_id},
                                    {"suite", crypto::SuiteName(s->chain.suite)},
                                    {"type", parts->type_code},
                                    {"issuer", s->department ? *s->department : std::string()},
                                    {"doc_digest", HexEncode(a.doc_digest)}};
  if (!o.prev_receipt.empty()) {
    auto text = ReadFile(o.prev_receipt, 1 << 20);
    if (!text.ok()) return out.Fail(text.status());
    json old = json::parse(*text, nullptr, false);
    if (old.is_discarded() || !old.is_object()) {
      return out.Fail(UsageError("--prev-receipt: " + o.prev_receipt + " is not a receipt"));
    }
    receipt["holder_id"] = old.value("holder_id", std::string());
    receipt["holder_salt"] = old.value("holder_salt", std::string());
  }
  receipt["holder_commitment"] = prev->value("holder_commitment", std::string());
  receipt["fields"] = fs;
  receipt["fields_root"] = HexEncode(a.fields_root);
  receipt["valid_from_ms"] = a.valid_from_ms;
  receipt["valid_until_ms"] = a.valid_until_ms;
  receipt["parent_id"] = a.parent_id;
  std::string receipt_path = o.receipt.empty() ? *id + ".receipt.json" : o.receipt;
  if (PathExists(receipt_path)) {
    return out.Fail(Status::Error("already_exists", "receipt " + receipt_path + " already exists"));
  }
  if (Status st = WriteReceipt(receipt_path, receipt); !st.ok()) return out.Fail(st);
  int rc = SubmitAndReport(out, *s, a, o.no_wait,
                           {Line("material id", *id), Line("amends", o.id + " (now SUPERSEDED)"),
                            Line("receipt", receipt_path)},
                           {{"material_id", *id}, {"amends", o.id}, {"receipt", receipt_path},
                            {"doc_digest", HexEncode(a.doc_digest)}});
  if (rc == kExitNo) std::remove(receipt_path.c_str());
  return rc;
}

void AddAmend(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<AmendOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "amend",
      "Amend a material: issue version N+1 (new document, fields, validity) linked to version N, "
      "which becomes SUPERSEDED; the holder carries over",
      "  govledger material amend --key keys/health.pem \
"
      "      --id 1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C \
"
      "      --file birth-corrected.pdf --field child_name=李小明 --field birth_date=2024-01-02 \
"
      "      --field birth_place=南山区人民医院 --field mother_name=王芳 --reason \"更正出生日期\"");
  cmd->add_option("--key", o->key, "The issuing department's private key (PEM)")->required();
  cmd->add_option("--id", o->id, "The (newest) version being amended")->required();
  cmd->add_option("--file", o->file, "The amended document")->required();
  cmd->add_option("--field", o->fields, "A field NAME=VALUE of the new version (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--valid-from", o->valid_from, "Start of validity (default: unchanged)");
  cmd->add_option("--valid-until", o->valid_until, "End of validity (default: unchanged)");
  cmd->add_option("--parent", o->parent, "New parent material (default: unchanged)");
  cmd->add_option("--reason", o->reason, "Why it is amended (public)")->required();
  cmd->add_option("--receipt", o->receipt, "Receipt for the new version (mode 0600)");
  cmd->add_option("--prev-receipt", o->prev_receipt,
                  "The previous version's receipt, to carry the holder's salt over");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunAmend(ctx, *o); }; });
}

// ------------------------------------------------------------------ transfer

struct TransferOptions {
  std::string key;
  std::string id;
  std::string new_holder;
  std::string holder_key;
  std::string reason;
  std::string receipt;
  bool no_wait = false;
};

int RunTransfer(const Context& ctx, const TransferOptions& o) {
  Output out(ctx.json);
  auto s = PrepareSubmit(ctx, o.key, /*need_department=*/true);
  if (!s.ok()) return out.Fail(s.status());
  ledger::TransferMaterial t;
  t.material_id = o.id;
  Bytes salt = crypto::RandomBytes(kSaltBytes);
  t.new_holder_commitment =
      crypto::DigestBytes(ledger::HolderCommitment(s->chain.suite, salt, o.new_holder));
  if (!o.holder_key.empty()) {
    auto hk = LoadPublicKeyFile(s->chain.suite, o.holder_key);
    if (!hk.ok()) return out.Fail(Status::Error("usage", "--holder-key: " + hk.status().message()));
    t.new_holder_key = *hk;
  }
  t.reason = o.reason;
  std::string receipt_path = o.receipt.empty() ? o.id + ".transfer.receipt.json" : o.receipt;
  if (PathExists(receipt_path)) {
    return out.Fail(Status::Error("already_exists", "receipt " + receipt_path + " already exists"));
  }
  nlohmann::ordered_json receipt = {{"material_id", o.id},
                                    {"chain_id", s->chain.chain_id},
                                    {"holder_id", o.new_holder},
                                    {"holder_salt", HexEncode(salt)},
                                    {"holder_commitment", HexEncode(t.new_holder_commitment)}};
  if (Status st = WriteReceipt(receipt_path, receipt); !st.ok()) return out.Fail(st);
  int rc = SubmitAndReport(out, *s, t, o.no_wait,
                           {Line("transferred", o.id), Line("receipt", receipt_path)},
                           {{"material_id", o.id},
                            {"holder_commitment", HexEncode(t.new_holder_commitment)},
                            {"receipt", receipt_path}});
  if (rc == kExitNo) std::remove(receipt_path.c_str());
  return rc;
}

void AddTransfer(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<TransferOptions>();
  CLI::App* cmd = AddCommand(
      group, ctx, "transfer",
      "Transfer a material to a new holder (by its issuer); the previous holder's grants stop "
      "matching",
      "  govledger material transfer --key keys/samr.pem --id 1.2.156.3005.2.BIZLIC... \
"
      "      --new-holder 91440300MA5GXXXX2Y --reason \"企业合并\"");
  cmd->add_option("--key", o->key, "The issuing department's private key (PEM)")->required();
  cmd->add_option("--id", o->id, "Material id")->required();
  cmd->add_option("--new-holder", o->new_holder,
                  "The new holder's id (only its salted commitment goes on chain)")
      ->required();
  cmd->add_option("--holder-key", o->holder_key, "The new holder's own public key (PEM)");
  cmd->add_option("--reason", o->reason, "Why (optional, public)");
  cmd->add_option("--receipt", o->receipt,
                  "Receipt with the new holder's salt (default: <id>.transfer.receipt.json)");
  cmd->add_flag("--no-wait", o->no_wait, "Return once the node accepts the tx, before the commit");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunTransfer(ctx, *o); }; });
}

// ------------------------------------------------------------------ show

std::string TypeLabel(const json& m) {
  std::string s = m.at("type_code").get<std::string>();
  if (m.contains("type_name")) {
    s += "  " + m.value("type_name", std::string()) + " (" +
         m.value("type_name_en", std::string()) + "), " + m.value("category", std::string());
  }
  return s;
}

std::string IssuerLabel(const json& m) {
  std::string s = m.at("issuer").get<std::string>();
  if (m.contains("issuer_name")) {
    s += "  " + m.value("issuer_name", std::string()) + " (" +
         m.value("issuer_name_en", std::string()) + "), code " +
         m.value("issuer_code", std::string());
  }
  return s;
}

std::string ValidityLabel(const json& m) {
  return CstOr(m.at("valid_from_ms").get<int64_t>(), "-") + "  to  " +
         CstOr(m.at("valid_until_ms").get<int64_t>(), "no expiry");
}

int RunShow(const Context& ctx, const std::string& id) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto m = client.Get("/v1/material/" + UrlEncode(id));
  if (!m.ok()) return out.Fail(m.status());
  std::string names;
  for (const auto& n : m->at("field_names"))
    names += (names.empty() ? "" : ", ") + n.get<std::string>();
  std::string parent = m->value("parent_id", std::string());
  out.Say("material   " + m->at("material_id").get<std::string>());
  out.Say("type       " + TypeLabel(*m));
  out.Say("issuer     " + IssuerLabel(*m));
  out.Say("status     " + m->at("status").get<std::string>());
  out.Say("valid      " + ValidityLabel(*m));
  out.Say("digest     " + m->at("doc_digest").get<std::string>());
  out.Say("fields     " + (names.empty() ? std::string("none") : names));
  out.Say("version    " + std::to_string(m->at("version").get<uint64_t>()) +
          (parent.empty() ? "" : "   parent " + parent));
  if (!m->value("prev_version", std::string()).empty()) {
    out.Say("amends     " + m->at("prev_version").get<std::string>());
  }
  if (!m->value("next_version", std::string()).empty()) {
    out.Say("amended by " + m->at("next_version").get<std::string>());
  }
  if (!m->value("suspended_by", std::string()).empty()) {
    out.Say("held by    parent " + m->at("suspended_by").get<std::string>() + " (cascade)");
  }
  if (m->contains("holder_key") && m->at("holder_key").is_string()) {
    out.Say("holder key " + m->at("holder_key").get<std::string>() + " (may sign grants)");
  }
  out.Say("uses       " + std::to_string(m->value("use_count", uint64_t{0})));
  out.Say("issued     height " + std::to_string(m->at("issued_height").get<uint64_t>()) + ", tx " +
          m->value("issue_tx", std::string()));
  out.Say("events     " + std::to_string(m->value("event_count", uint64_t{0})) +
          " (govledger trace --id ... lists them)");
  out.Say("as of      height " + std::to_string(m->at("as_of_height").get<uint64_t>()) + ", " +
          m->value("as_of_time", std::string()));
  return out.Finish(*m);
}

void AddShow(CLI::App& group, Context& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd =
      AddCommand(group, ctx, "show", "Show a material's current state on chain (no personal data)",
                 "  govledger material show --id "
                 "1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C");
  cmd->add_option("--id", *id, "Material id")->required();
  cmd->callback([&ctx, id] { ctx.action = [&ctx, id] { return RunShow(ctx, *id); }; });
}

// ------------------------------------------------------------------ list

struct ListOptions {
  std::string issuer;
  std::string type;
  std::string digest;
  std::string holder_commitment;
  std::string expiring_within;
  std::string after;
  std::string key;  // signs listings other than by digest
  size_t limit = 100;
};

Result<std::string> ListTarget(const ListOptions& o) {
  std::vector<std::pair<const char*, const std::string*>> filters = {
      {"issuer", &o.issuer},
      {"type", &o.type},
      {"digest", &o.digest},
      {"holder", &o.holder_commitment},
      {"expiring_within", &o.expiring_within}};
  std::string target;
  for (const auto& [key, value] : filters) {
    if (value->empty()) continue;
    if (!target.empty())
      return UsageError(
          "give only one of --issuer, --type, --digest, "
          "--holder-commitment, --expiring-within");
    target = "/v1/materials?" + std::string(key) + "=" + UrlEncode(*value);
  }
  if (target.empty()) {
    return UsageError(
        "give one of --issuer, --type, --digest, --holder-commitment, "
        "--expiring-within");
  }
  target += "&limit=" + std::to_string(o.limit);
  if (!o.after.empty()) target += "&after=" + UrlEncode(o.after);
  return target;
}

int RunList(const Context& ctx, const ListOptions& o) {
  Output out(ctx.json);
  auto target = ListTarget(o);
  if (!target.ok()) return out.Fail(target.status());
  auto reader = ReaderClient(ctx, o.key);
  if (!reader.ok()) return out.Fail(reader.status());
  auto page = reader->Get(*target);
  if (!page.ok()) return out.Fail(page.status());
  const json& list = page->at("materials");
  for (const json& m : list) {
    out.Say(m.at("material_id").get<std::string>() + "  " + m.at("status").get<std::string>() +
            "  " + m.at("issuer").get<std::string>() + "  until " +
            CstOr(m.at("valid_until_ms").get<int64_t>(), "no expiry"));
  }
  out.Say(std::to_string(list.size()) + " material(s) as of height " +
          std::to_string(page->at("as_of_height").get<uint64_t>()));
  if (page->contains("next_after")) {
    out.Say("more: add --after " + page->at("next_after").get<std::string>());
  }
  return out.Finish(*page);
}

void AddList(CLI::App& group, Context& ctx) {
  auto o = std::make_shared<ListOptions>();
  CLI::App* cmd = AddCommand(group, ctx, "list",
                             "List materials by one filter: issuer, type, digest, holder or expiry",
                             "  govledger material list --key keys/health.pem --issuer health "
                             "--limit 20\n"
                             "  govledger material list --key keys/samr.pem --expiring-within 30d\n"
                             "  govledger material list --digest HEX   (public: no --key)");
  cmd->add_option("--issuer", o->issuer, "Issuing department id, e.g. health");
  cmd->add_option("--type", o->type, "Material type code, e.g. BIZLIC");
  cmd->add_option("--digest", o->digest, "Document digest (64 hex)");
  cmd->add_option("--holder-commitment", o->holder_commitment,
                  "Holder commitment (64 hex, from an issue receipt)");
  cmd->add_option("--expiring-within", o->expiring_within,
                  "Materials (ACTIVE, SUSPENDED or ISSUED) expiring within this duration of the tip, "
                  "e.g. 30d (反向办: renewal reminders)");
  cmd->add_option("--limit", o->limit, "At most this many (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--after", o->after, "Continue after this material id (next page)");
  cmd->add_option("--key", o->key,
                  std::string(kReadKeyHelp) + ". Needed for every filter but --digest");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunList(ctx, *o); }; });
}

}  // namespace

void AddMaterialCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(
      app, ctx, "material",
      "Electronic materials (电子证照) through their lifecycle: issue, publish, amend, transfer, "
      "suspend, reinstate, revoke, destroy; authorize, use and withdraw grants; show, list, "
      "grants, stats",
      "  govledger material issue --key keys/health.pem --type BIRTHMED ... --file birth.pdf\n"
      "  govledger material show --id "
      "1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C\n"
      "  govledger material list --issuer health");
  group->require_subcommand(1);
  AddIssue(*group, ctx);
  AddRevoke(*group, ctx);
  AddAmend(*group, ctx);
  AddTransfer(*group, ctx);
  AddShow(*group, ctx);
  AddList(*group, ctx);
  AddLifecycleCommands(*group, ctx);
}

}  // namespace govledger::cli

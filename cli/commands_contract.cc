// E-contracts (电子合同存证): `govledger contract create` (a department records the document
// digest, the parties' public keys and a signing deadline), `contract sign` (each party with its
// own key), `contract show`, `contract verify FILE` (signers, version history, status, from a
// node), `contract export` (the evidence bundle, ledger/proof_contract.h) and `contract verify
// FILE --bundle B --trust GENESIS` (the same, offline, trusting only the genesis).
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/submit.h"
#include "crypto/hash.h"
#include "ledger/codec.h"
#include "ledger/genesis.h"
#include "ledger/proof_contract.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

// ------------------------------------------------------------------ create

struct CreateOptions {
  std::string key;
  std::string file;
  std::vector<std::string> parties;
  std::string deadline;
  std::string amends;
  std::string title;
  bool no_wait = false;
};

int RunCreate(const Context& ctx, const CreateOptions& o) {
  Output out(ctx.json);
  auto deadline = ParseUntil("--deadline", o.deadline, NowMs());
  if (!deadline.ok()) return out.Fail(deadline.status());
  auto s = PrepareSubmit(ctx, o.key, /*need_department=*/true);
  if (!s.ok()) return out.Fail(s.status());
  auto digest = crypto::HashFile(s->chain.suite, o.file);
  if (!digest.ok()) return out.Fail(digest.status());
  ledger::CreateContract c;
  c.doc_digest = crypto::DigestBytes(*digest);
  json fingerprints = json::array();
  for (const std::string& path : o.parties) {
    auto key = LoadPublicKeyFile(s->chain.suite, path);
    if (!key.ok())
      return out.Fail(Status::Error("usage", "--party " + path + ": " + key.status().message()));
    fingerprints.push_back(crypto::Fingerprint(s->chain.suite, *key));
    c.parties.push_back(*key);
  }
  c.sign_deadline_ms = *deadline;
  c.prev_contract = o.amends;
  c.title = o.title;
  ledger::Tx tx = ledger::SignTx(s->key, NewTxBody(s->chain, c));
  const std::string id = crypto::DigestHex(tx.hash);
  return SubmitSignedAndReport(
      out, *s, tx, o.no_wait,
      {Line("contract id", id), Line("document", HexEncode(c.doc_digest) + " (" + o.file + ")"),
       Line("parties", std::to_string(c.parties.size()) + ", each signs with `contract sign`"),
       Line("deadline", CstOr(c.sign_deadline_ms, "-"))},
      {{"contract_id", id},
       {"doc_digest", HexEncode(c.doc_digest)},
       {"parties", fingerprints},
       {"sign_deadline_ms", c.sign_deadline_ms},
       {"amends", o.amends}});
}

// ------------------------------------------------------------------ sign

int RunSign(const Context& ctx, const std::string& key, const std::string& id,
            const std::string& file, bool no_wait) {
  Output out(ctx.json);
  auto s = PrepareSubmit(ctx, key, /*need_department=*/false);
  if (!s.ok()) return out.Fail(s.status());
  auto digest = crypto::HashFile(s->chain.suite, file);
  if (!digest.ok()) return out.Fail(digest.status());
  return SubmitAndReport(
      out, *s, ledger::SignContract{id, crypto::DigestBytes(*digest)}, no_wait,
      {Line("signed", id), Line("by", crypto::Fingerprint(s->chain.suite, s->key.public_key()))},
      {{"contract_id", id}, {"party", crypto::Fingerprint(s->chain.suite, s->key.public_key())}});
}

// ------------------------------------------------------------------ show and verify

void SayContract(const Output& out, const json& c) {
  out.Say(Line("contract", c.at("contract_id").get<std::string>() + "  version " +
                               std::to_string(c.at("version").get<uint64_t>()) +
                               (c.value("title", std::string()).empty()
                                    ? std::string()
                                    : "  " + c.at("title").get<std::string>())));
  out.Say(Line("status", c.at("status").get<std::string>()));
  out.Say(Line("document", c.at("doc_digest").get<std::string>()));
  out.Say(Line("recorded by", c.at("creator").get<std::string>() + " at height " +
                                  std::to_string(c.at("created_height").get<uint64_t>())));
  out.Say(Line("deadline", c.value("sign_deadline", std::string("-"))));
  for (const json& p : c.at("parties")) {
    std::string line = p.at("fingerprint").get<std::string>();
    if (p.at("signed").get<bool>()) {
      line += "  signed at height " + std::to_string(p.at("height").get<uint64_t>()) + ", " +
              p.value("time", std::string()) + ", tx " +
              ShortHex(p.at("tx_hash").get<std::string>());
    } else {
      line += "  not signed";
    }
    out.Say(Line("party", line));
  }
  if (c.contains("versions")) {
    for (const json& v : c.at("versions")) {
      out.Say(Line("version " + std::to_string(v.at("version").get<uint64_t>()),
                   v.at("contract_id").get<std::string>() + "  " +
                       v.at("status").get<std::string>() + "  " +
                       std::to_string(v.at("signatures").get<uint64_t>()) + "/" +
                       std::to_string(v.at("parties").get<uint64_t>()) + " signed"));
    }
  }
}

int RunShow(const Context& ctx, const std::string& id) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto c = client.Get("/v1/contract/" + UrlEncode(id));
  if (!c.ok()) return out.Fail(c.status());
  SayContract(out, *c);
  return out.Finish(*c);
}

int RunVerify(const Context& ctx, const std::string& file) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return out.Fail(chain.status(), kExitError);
  auto digest = crypto::HashFile(chain->suite, file);
  if (!digest.ok()) return out.Fail(digest.status());
  const std::string hex = crypto::DigestHex(*digest);
  auto found = client.Get("/v1/contracts?digest=" + hex);
  if (!found.ok()) return out.Fail(found.status(), kExitError);
  out.Say(Line("document", hex + " (" + file + ")"));
  const json* newest = nullptr;
  for (const json& c : found->at("contracts")) {
    if (!newest ||
        c.at("created_height").get<uint64_t>() >= newest->at("created_height").get<uint64_t>()) {
      newest = &c;
    }
  }
  if (newest == nullptr) {
    out.Say("UNKNOWN: no e-contract on chain " + chain->chain_id + " has this document");
    return out.Finish({{"verdict", "UNKNOWN"}, {"doc_digest", hex}, {"contract", nullptr}},
                      kExitNo);
  }
  auto c = client.Get("/v1/contract/" + UrlEncode(newest->at("contract_id").get<std::string>()));
  if (!c.ok()) return out.Fail(c.status(), kExitError);
  SayContract(out, *c);
  const std::string status = c->at("status").get<std::string>();
  std::string verdict = status;
  std::string detail;
  if (status == "COMPLETE") {
    verdict = "SIGNED";
    detail = "signed by all " + std::to_string(c->at("parties").size()) + " parties";
    if (!c->value("next_contract", std::string()).empty()) {
      detail += "; an amendment (" + ShortHex(c->at("next_contract").get<std::string>()) +
                ") awaits signatures";
    }
  } else if (status == "SUPERSEDED") {
    detail = "replaced by version " +
             std::to_string(c->at("versions").back().at("version").get<uint64_t>());
  } else if (status == "PENDING") {
    detail = std::to_string(c->at("signatures").get<uint64_t>()) + " of " +
             std::to_string(c->at("parties").size()) + " parties have signed";
  }
  out.Say(verdict + (detail.empty() ? "" : ": " + detail) + " (as of height " +
          std::to_string(c->at("as_of_height").get<uint64_t>()) + ")");
  return out.Finish(
      {{"verdict", verdict}, {"detail", detail}, {"doc_digest", hex}, {"contract", *c}},
      verdict == "SIGNED" ? kExitOk : kExitNo);
}

// ------------------------------------------------------------------ export and offline verify

constexpr size_t kMaxContractBundleBytes = 64u << 20;

struct ExportOptions {
  std::string id;
  std::string out;
};

int RunExport(const Context& ctx, const ExportOptions& o) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto text = client.GetBody("/v1/proof/contract/" + UrlEncode(o.id));
  if (!text.ok()) return out.Fail(text.status());
  auto bundle = ledger::ContractBundleFromJson(*text);
  if (!bundle.ok()) {
    return out.Fail(Status::Error("bad_answer", "the node's contract bundle does not parse: " +
                                                    bundle.status().message()));
  }
  const std::string path = o.out.empty() ? o.id + ".govproof" : o.out;
  const std::string json_text = ledger::ContractBundleToJson(*bundle);
  if (Status st = WriteFileAtomic(path, json_text, 0644); !st.ok()) return out.Fail(st);
  auto header = ledger::DecodeHeader(bundle->header.header_bytes);
  const uint64_t height = header.ok() ? header->height : 0;
  const int64_t time_ms = header.ok() ? header->time_ms : 0;
  out.Say("wrote " + path + " (" + std::to_string(json_text.size()) + " bytes)");
  json versions = json::array();
  for (const auto& v : bundle->versions) {
    auto k = ledger::DecodeContract(v.record);
    if (!k.ok()) continue;
    out.Say(Line("version " + std::to_string(k->version),
                 k->contract_id + "  " + ledger::ContractStatusName(k->status) + "  " +
                     std::to_string(k->signatures.size()) + "/" +
                     std::to_string(k->parties.size()) + " signed"));
    versions.push_back({{"version", k->version},
                        {"contract_id", k->contract_id},
                        {"status", ledger::ContractStatusName(k->status)},
                        {"signatures", k->signatures.size()},
                        {"parties", k->parties.size()}});
  }
  out.Say(Line("as of", "height " + std::to_string(height) + ", " + CstOr(time_ms, "-")));
  out.Say(Line("carries", std::to_string(bundle->txs.size()) + " transactions, " +
                              std::to_string(bundle->validator_sets.size()) +
                              " validator-set changes, " +
                              std::to_string(bundle->registry.proposal_count) +
                              " governance proposals"));
  out.Say("check it offline: govledger contract verify FILE --bundle " + path +
          " --trust genesis.json");
  return out.Finish({{"file", path},
                     {"contract_id", o.id},
                     {"height", height},
                     {"time", CstOr(time_ms, "")},
                     {"versions", versions},
                     {"bytes", json_text.size()}});
}

struct VerifyOptions {
  std::string file;
  std::string bundle;
  std::string trust;
};

int RunVerifyBundle(const Context& ctx, const VerifyOptions& o) {
  Output out(ctx.json);
  // Exit 1 is reserved for verdicts: every failure to reach one is a usage error or exit 3.
  auto fail = [&out](const Status& st) {
    return out.Fail(st, ExitCodeFor(st) == kExitUsage ? kExitUsage : kExitError);
  };
  if (o.trust.empty() || o.bundle.empty()) {
    return fail(UsageError("offline verification needs both --bundle B and --trust GENESIS.json"));
  }
  auto trusted = ledger::LoadGenesisFile(o.trust);
  if (!trusted.ok()) return fail(trusted.status());
  auto text = ReadFile(o.bundle, kMaxContractBundleBytes);
  if (!text.ok()) return fail(text.status());
  auto digest = crypto::HashFile(trusted->suite, o.file);
  if (!digest.ok()) return fail(digest.status());
  ledger::ContractVerification v = ledger::VerifyContractBundleJson(*trusted, *text, *digest);
  out.Say("document    " +
          std::string(trusted->suite == crypto::Suite::kSm ? "SM3 " : "SHA-256 ") +
          crypto::DigestHex(*digest) + " (" + o.file + ")");
  for (const auto& c : v.checks) SayProofCheck(out, c.step, c.ok, c.detail);
  json signers = json::array();
  for (const auto& s : v.signers) {
    out.Say("signer      " + s.who + ", key " + s.fingerprint + ", signed at height " +
            std::to_string(s.height) + ", " + CstOr(s.time_ms, "-") + ", tx " +
            ShortHex(HexEncode(s.tx_hash)));
    signers.push_back({{"who", s.who},
                       {"party_key", HexEncode(s.party_key)},
                       {"fingerprint", s.fingerprint},
                       {"height", s.height},
                       {"time", CstOr(s.time_ms, "")},
                       {"tx_hash", HexEncode(s.tx_hash)}});
  }
  const std::string verdict = ledger::ContractVerdictName(v.verdict);
  std::string failed;
  for (const auto& c : v.checks) {
    if (!c.ok && failed.empty()) failed = c.step;
  }
  if (v.verdict == ledger::ContractVerdict::kInvalidProof ||
      v.verdict == ledger::ContractVerdict::kTampered) {
    out.Say(verdict + ": step " + failed + " failed; the file is not proven");
  } else {
    out.Say(verdict + ": version " + std::to_string(v.version) + " of " +
            std::to_string(v.version_count) + " (" + v.contract_id + "), " +
            std::to_string(v.signers.size()) + " of " + std::to_string(v.parties) +
            " parties signed, as of " + CstOr(v.as_of_ms, "-") + " (height " +
            std::to_string(v.height) + ")");
  }
  json result = {{"verdict", verdict},
                 {"file", o.file},
                 {"bundle", o.bundle},
                 {"doc_digest", crypto::DigestHex(*digest)},
                 {"chain_id", trusted->chain_id},
                 {"checks", ProofChecksJson(v.checks)},
                 {"contract_id", v.contract_id},
                 {"version", v.version},
                 {"versions", v.version_count},
                 {"status", v.status},
                 {"signers", signers},
                 {"height", v.height},
                 {"as_of", CstOr(v.as_of_ms, "")}};
  if (!failed.empty()) result["failed_step"] = failed;
  return out.Finish(result, v.verdict == ledger::ContractVerdict::kSigned ? kExitOk : kExitNo);
}

}  // namespace

void AddContractCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(
      app, ctx, "contract",
      "E-contracts (电子合同存证): record, sign with each party's own key, show and verify",
      "  govledger contract create --key keys/dsj.pem --file lease.pdf --party landlord.pub \\\n"
      "      --party tenant.pub --deadline +7d --title 房屋租赁合同\n"
      "  govledger contract sign --key tenant.pem --id <contract id> --file lease.pdf\n"
      "  govledger contract verify lease.pdf\n"
      "  govledger contract export --id <contract id> --out lease.govproof\n"
      "  govledger contract verify lease.pdf --bundle lease.govproof --trust genesis.json");
  group->require_subcommand(1);

  auto c = std::make_shared<CreateOptions>();
  CLI::App* create = AddCommand(
      *group, ctx, "create",
      "Record a contract: its document digest, the parties' public keys and a signing deadline "
      "(a department records it; the parties sign)",
      "  govledger contract create --key keys/dsj.pem --file lease.pdf \\\n"
      "      --party landlord.pub --party tenant.pub --deadline +7d --title 房屋租赁合同\n"
      "  govledger contract create --key keys/dsj.pem --file lease-v2.pdf --party landlord.pub \\\n"
      "      --party tenant.pub --deadline +7d --amends <contract id of version 1>");
  create->add_option("--key", c->key, "The recording department's private key (PEM)")->required();
  create->add_option("--file", c->file, "The contract document (PDF/OFD)")->required();
  create->add_option("--party", c->parties, "A party's public key (PEM; repeatable)")
      ->required()
      ->allow_extra_args(false);
  create->add_option("--deadline", c->deadline, "Signing deadline: 2026-12-31, RFC 3339, +7d")
      ->required();
  create->add_option("--amends", c->amends, "The contract id this version amends");
  create->add_option("--title", c->title, "A short public title (no personal data)");
  create->add_flag("--no-wait", c->no_wait, "Return once the node accepts the tx");
  create->callback([&ctx, c] { ctx.action = [&ctx, c] { return RunCreate(ctx, *c); }; });

  struct SignOptions {
    std::string key, id, file;
    bool no_wait = false;
  };
  auto so = std::make_shared<SignOptions>();
  CLI::App* sign =
      AddCommand(*group, ctx, "sign",
                 "Sign a contract as a party, with the party's own key, over the "
                 "document's digest",
                 "  govledger contract sign --key tenant.pem --id 3f2a... --file lease.pdf");
  sign->add_option("--key", so->key, "The party's private key (PEM)")->required();
  sign->add_option("--id", so->id, "Contract id")->required();
  sign->add_option("--file", so->file, "The document being signed (must match the contract's)")
      ->required();
  sign->add_flag("--no-wait", so->no_wait, "Return once the node accepts the tx");
  sign->callback([&ctx, so] {
    ctx.action = [&ctx, so] { return RunSign(ctx, so->key, so->id, so->file, so->no_wait); };
  });

  auto show_id = std::make_shared<std::string>();
  CLI::App* show =
      AddCommand(*group, ctx, "show", "Show a contract: parties and signatures, versions, status",
                 "  govledger contract show --id 3f2a...");
  show->add_option("--id", *show_id, "Contract id")->required();
  show->callback(
      [&ctx, show_id] { ctx.action = [&ctx, show_id] { return RunShow(ctx, *show_id); }; });

  auto vo = std::make_shared<VerifyOptions>();
  CLI::App* verify = AddCommand(
      *group, ctx, "verify",
      "Check a contract file: who signed it, its version history and its status. From the node "
      "by default; with --bundle and --trust, offline, as evidence a court can check: every "
      "step of the contract bundle (from `contract export`) is checked against the trusted "
      "genesis alone and printed. Exit 0 only when every party signed this version and it is "
      "not superseded (1: any other verdict; 2: usage; 3: node unreachable or other error)",
      "  govledger contract verify lease.pdf\n"
      "  govledger contract verify lease.pdf --bundle lease.govproof --trust genesis.json");
  verify->add_option("FILE", vo->file, "The contract document")->required();
  verify->add_option("--bundle", vo->bundle, "Contract bundle (.govproof) to verify offline");
  verify->add_option("--trust", vo->trust, "The network's genesis.json: the only thing trusted");
  verify->callback([&ctx, vo] {
    ctx.action = [&ctx, vo] {
      if (!vo->bundle.empty() || !vo->trust.empty()) return RunVerifyBundle(ctx, *vo);
      return RunVerify(ctx, vo->file);
    };
  });

  auto eo = std::make_shared<ExportOptions>();
  CLI::App* ex = AddCommand(
      *group, ctx, "export",
      "Fetch a contract's evidence bundle (.govproof) from the node: every version's record and "
      "events with state proofs, the creating and signing transactions with inclusion proofs, "
      "the certified header, validator-set changes and governance registry. Any version's id "
      "gives the whole version history",
      "  govledger contract export --id 3f2a... --out lease.govproof");
  ex->add_option("--id", eo->id, "Contract id (any version)")->required();
  ex->add_option("--out", eo->out, "Bundle file to write (default: ID.govproof)");
  ex->callback([&ctx, eo] { ctx.action = [&ctx, eo] { return RunExport(ctx, *eo); }; });
}

}  // namespace govledger::cli

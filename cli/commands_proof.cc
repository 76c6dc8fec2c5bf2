// Proof bundles on the client side (doc/proof-bundle.md): `govledger proof export` fetches a
// material's bundle from a node and adds the fields the holder chooses to disclose (from its
// receipt, never sent to the node); `govledger verify FILE --bundle B --trust GENESIS` checks a
// document offline, trusting only the genesis, and with --node also refreshes the status and
// proves the old bundle's log is a prefix of the current one; `govledger proof qr` draws what a
// window officer scans.
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/qr.h"
#include "crypto/hash.h"
#include "crypto/merkle.h"
#include "ledger/codec.h"
#include "ledger/genesis.h"
#include "ledger/proof.h"
#include "util/bytes.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

constexpr size_t kMaxBundleBytes = 64u << 20;
constexpr size_t kMaxReceiptBytes = 1u << 20;

Result<std::string> FetchBundleText(const Context& ctx, const std::string& id) {
  NodeClient client(NodeUrl(ctx));
  return client.GetBody("/v1/proof/" + UrlEncode(id));
}

// The field openings (name, value, salt) of a receipt written by `material issue`/`amend`.
Result<std::vector<ledger::FieldOpening>> ReceiptFields(const std::string& path,
                                                        const std::string& material_id) {
  auto text = ReadFile(path, kMaxReceiptBytes);
  if (!text.ok()) return text.status();
  json r = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!r.is_object() || !r.contains("fields") || !r["fields"].is_array()) {
    return Status::Error("bad_receipt", path + " is not a material receipt (no \"fields\")");
  }
  if (r.value("material_id", std::string()) != material_id) {
    return Status::Error("bad_receipt", path + " is the receipt of " +
                                            r.value("material_id", std::string("?")) + ", not " +
                                            material_id);
  }
  std::vector<ledger::FieldOpening> out;
  for (const json& f : r["fields"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("value") ||
        !f["value"].is_string() || !f.contains("salt") || !f["salt"].is_string()) {
      return Status::Error("bad_receipt", path + ": a field without name, value and hex salt");
    }
    auto salt = HexDecode(f["salt"].get<std::string>());
    if (!salt.ok()) return Status::Error("bad_receipt", path + ": " + salt.status().message());
    out.push_back({f["name"].get<std::string>(), f["value"].get<std::string>(), std::move(*salt)});
  }
  return out;
}

std::vector<std::string> SplitNames(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

// ------------------------------------------------------------------ proof export

struct ExportOptions {
  std::string id;
  std::string out;
  std::string receipt;
  std::string disclose;
};

int RunExport(const Context& ctx, const ExportOptions& o) {
  Output out(ctx.json);
  auto text = FetchBundleText(ctx, o.id);
  if (!text.ok()) return out.Fail(text.status());
  auto bundle = ledger::ProofBundleFromJson(*text);
  if (!bundle.ok()) {
    return out.Fail(Status::Error("bad_answer", "the node's bundle does not parse: " +
                                                    bundle.status().message()));
  }
  std::vector<std::string> disclose = SplitNames(o.disclose);
  if (!disclose.empty()) {
    if (o.receipt.empty()) {
      return out.Fail(UsageError("--disclose needs --receipt (the salts are only in the receipt)"));
    }
    auto fields = ReceiptFields(o.receipt, o.id);
    if (!fields.ok()) return out.Fail(fields.status());
    ledger::ProofRequest request{o.id, *fields, disclose};
    auto disclosed = ledger::DiscloseFields(bundle->suite, bundle->material, request);
    if (!disclosed.ok()) return out.Fail(disclosed.status());
    bundle->disclosed = std::move(*disclosed);
  }
  const std::string path = o.out.empty() ? o.id + ".govproof" : o.out;
  std::string json_text = ledger::ProofBundleToJson(*bundle);
  if (Status st = WriteFileAtomic(path, json_text, 0644); !st.ok()) return out.Fail(st);
  auto header = ledger::DecodeHeader(bundle->header.header_bytes);
  const uint64_t height = header.ok() ? header->height : 0;
  const int64_t time_ms = header.ok() ? header->time_ms : 0;
  out.Say("wrote " + path + " (" + std::to_string(json_text.size()) + " bytes)");
  out.Say("material  " + o.id + "  " + ledger::MaterialStatusName(bundle->material.status));
  out.Say("as of     height " + std::to_string(height) + ", " + CstOr(time_ms, "-"));
  out.Say("events    " + std::to_string(bundle->events.size()) + ", transactions " +
          std::to_string(bundle->txs.size()) + ", validator-set changes " +
          std::to_string(bundle->validator_sets.size()));
  json names = json::array();
  for (const auto& f : bundle->disclosed) names.push_back(f.name);
  out.Say("disclosed " + (names.empty() ? std::string("none") : names.dump()));
  out.Say("check it offline: govledger verify FILE --bundle " + path + " --trust genesis.json");
  return out.Finish({{"file", path},
                     {"material_id", o.id},
                     {"height", height},
                     {"time", CstOr(time_ms, "")},
                     {"status", ledger::MaterialStatusName(bundle->material.status)},
                     {"disclosed", names},
                     {"bytes", json_text.size()}});
}

// ------------------------------------------------------------------ proof qr

struct QrOptions {
  std::string id;
  std::string out;
  std::string page;
};

int RunQr(const Context& ctx, const QrOptions& o) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto m = client.Get("/v1/material/" + UrlEncode(o.id));
  if (!m.ok()) return out.Fail(m.status());
  auto chain = client.ChainStatus();
  if (!chain.ok()) return out.Fail(chain.status());
  // What the officer's scan needs: where to look (the node's verification page), which chain,
  // which material, and the document digest to compare the presented file with.
  const std::string page = o.page.empty() ? client.url() + "/" : o.page;
  const std::string text = page + "#chain=" + UrlEncode(chain->chain_id) +
                           "&id=" + UrlEncode(o.id) +
                           "&digest=" + m->value("doc_digest", std::string());
  auto code = EncodeQr(text);
  if (!code.ok()) return out.Fail(code.status());
  if (!o.out.empty()) {
    if (Status st = WriteQrPng(*code, o.out); !st.ok()) return out.Fail(st);
  }
  if (!ctx.json) {
    std::cout << RenderQrTerminal(*code, IsTerminal());
    std::cout << text << "\n";
    if (!o.out.empty()) std::cout << "wrote " << o.out << "\n";
  }
  return out.Finish({{"text", text},
                     {"modules", code->width},
                     {"png", o.out.empty() ? json(nullptr) : json(o.out)}});
}

}  // namespace

// ------------------------------------------------------------------ verify --bundle

void SayProofCheck(const Output& out, const std::string& step, bool ok,
                   const std::string& detail) {
  std::string label = step;
  label.resize(std::max<size_t>(label.size(), 12), ' ');
  out.Say(label + (ok ? " ok    " : " FAIL  ") + detail);
}

json ProofChecksJson(const std::vector<ledger::ProofCheck>& checks) {
  json out = json::array();
  for (const auto& c : checks) {
    out.push_back({{"step", c.step}, {"ok", c.ok}, {"detail", c.detail}});
  }
  return out;
}

namespace {

json ChecksJson(const ledger::ProofVerification& v) { return ProofChecksJson(v.checks); }

// With --node: a fresh bundle, verified like the first, and an RFC 9162 consistency proof that
// the old bundle's log is a prefix of the new one (the node did not rewrite history).
Result<json> Refresh(const Context& ctx, const Output& out, const ledger::Genesis& trusted,
                     const ledger::ProofBundle& old_bundle, const crypto::Digest& digest, ledger::ProofVerification& fresh) {
  auto text = FetchBundleText(ctx, old_bundle.material.material_id);
  if (!text.ok()) return text.status();
  ledger::VerifyOptions vo;
  vo.document_digest = digest;
  vo.now_ms = NowMs();
  fresh = ledger::VerifyProofBundleJson(trusted, *text, vo);
  auto parsed = ledger::ProofBundleFromJson(*text);
  auto old_header = ledger::DecodeHeader(old_bundle.header.header_bytes);
  if (!parsed.ok() || !old_header.ok()) {
    return Status::Error("bad_answer", "the node's fresh bundle does not parse");
  }
  auto new_header = ledger::DecodeHeader(parsed->header.header_bytes);
  if (!new_header.ok()) return Status::Error("bad_answer", "the fresh bundle's header");
  json r = {{"url", NodeUrl(ctx)},
            {"verdict", ledger::VerdictName(fresh.verdict)},
            {"height", fresh.height},
            {"checks", ChecksJson(fresh)}};
  bool consistent = false;
  std::string detail;
  const uint64_t n1 = old_header->log_size, n2 = new_header->log_size;
  if (fresh.verdict == ledger::Verdict::kInvalidProof) {
    detail = "the fresh bundle does not verify";
  } else if (n2 < n1) {
    detail = "the node's log (" + std::to_string(n2) + ") is shorter than the bundle's (" +
             std::to_string(n1) + ")";
  } else if (n1 == n2) {
    consistent = old_header->log_root == new_header->log_root;
    detail = consistent ? "same log" : "same log size, different root";
  } else {
    NodeClient client(NodeUrl(ctx));
    auto proof = client.Get("/v1/consistency?first=" + std::to_string(n1) +
                            "&second=" + std::to_string(n2));
    if (!proof.ok()) return proof.status();
    std::vector<crypto::Digest> path;
    for (const json& h : proof->value("proof", json::array())) {
      auto d = crypto::DigestFromHex(h.is_string() ? h.get<std::string>() : std::string());
      if (!d.ok()) return Status::Error("bad_answer", "consistency proof: " + d.status().message());
      path.push_back(*d);
    }
    auto r1 = crypto::DigestFromBytes(old_header->log_root);
    auto r2 = crypto::DigestFromBytes(new_header->log_root);
    consistent = r1.ok() && r2.ok() &&
                 crypto::VerifyConsistency(trusted.suite, n1, n2, *r1, *r2, path);
    detail = "log " + std::to_string(n1) + " -> " + std::to_string(n2) +
             (consistent ? ": the bundle's history is a prefix of the node's"
                         : ": INCONSISTENT with the bundle");
  }
  SayProofCheck(out, "consistency", consistent, detail);
  r["consistent"] = consistent;
  r["consistency"] = detail;
  if (!consistent) fresh.verdict = ledger::Verdict::kInvalidProof;
  return r;
}

}  // namespace

int RunVerifyBundle(const Context& ctx, const VerifyBundleOptions& o) {
  Output out(ctx.json);
  auto fail = [&out](const Status& st) {
    return out.Fail(st, ExitCodeFor(st) == kExitUsage ? kExitUsage : kExitError);
  };
  if (o.trust.empty()) {
    return fail(UsageError("--bundle needs --trust GENESIS.json: the only thing trusted offline"));
  }
  auto trusted = ledger::LoadGenesisFile(o.trust);
  if (!trusted.ok()) return fail(trusted.status());
  auto text = ReadFile(o.bundle, kMaxBundleBytes);
  if (!text.ok()) return fail(text.status());
  auto digest = crypto::HashFile(trusted->suite, o.file);
  if (!digest.ok()) return fail(digest.status());

  ledger::VerifyOptions vo;
  vo.document_digest = *digest;
  vo.now_ms = NowMs();
  ledger::ProofVerification v = ledger::VerifyProofBundleJson(*trusted, *text, vo);
  out.Say("document    " + std::string(trusted->suite == crypto::Suite::kSm ? "SM3 " : "SHA-256 ") +
          crypto::DigestHex(*digest) + " (" + o.file + ")");
  for (const auto& c : v.checks) SayProofCheck(out, c.step, c.ok, c.detail);
  json disclosed = json::object();
  if (auto parsed = ledger::ProofBundleFromJson(*text); parsed.ok()) {
    const bool fields_ok = std::any_of(v.checks.begin(), v.checks.end(), [](const auto& c) {
      return c.step == "fields" && c.ok;
    });
    for (const auto& f : parsed->disclosed) {
      if (fields_ok) out.Say("disclosed    " + f.name + " = " + f.value);
      disclosed[f.name] = f.value;
    }
  }

  json result = {{"file", o.file},
                 {"bundle", o.bundle},
                 {"doc_digest", crypto::DigestHex(*digest)},
                 {"chain_id", trusted->chain_id},
                 {"checks", ChecksJson(v)},
                 {"height", v.height},
                 {"as_of", CstOr(v.as_of_ms, "")},
                 {"status", v.status},
                 {"disclosed", disclosed}};
  ledger::Verdict verdict = v.verdict;
  if (!ctx.node.empty() || o.online) {
    auto bundle = ledger::ProofBundleFromJson(*text);
    if (bundle.ok() && v.verdict != ledger::Verdict::kInvalidProof) {
      out.Say("refreshing from " + NodeUrl(ctx) + " ...");
      ledger::ProofVerification fresh;
      auto refreshed = Refresh(ctx, out, *trusted, *bundle, *digest, fresh);
      if (!refreshed.ok()) return fail(refreshed.status());
      result["online"] = *refreshed;
      verdict = fresh.verdict;
      result["height"] = fresh.height;
      result["as_of"] = CstOr(fresh.as_of_ms, "");
      result["status"] = fresh.status;
      out.Say(ledger::VerdictName(verdict) + " at height " + std::to_string(fresh.height) + ", " +
              CstOr(fresh.as_of_ms, "-") + " (refreshed online; the bundle said " +
              ledger::VerdictName(v.verdict) + " as of height " + std::to_string(v.height) + ")");
    } else {
      out.Say("not refreshing online: the bundle itself does not verify");
    }
  } else if (v.verdict == ledger::Verdict::kValid) {
    out.Say("VALID as of " + CstOr(v.as_of_ms, "-") + " (height " + std::to_string(v.height) +
            "); a later revocation is not in the bundle: add --node URL to refresh");
  } else {
    out.Say(ledger::VerdictName(v.verdict) + " as of " + CstOr(v.as_of_ms, "-") + " (height " +
            std::to_string(v.height) + ")");
  }
  result["verdict"] = ledger::VerdictName(verdict);
  return out.Finish(result, verdict == ledger::Verdict::kValid ? kExitOk : kExitNo);
}

void AddProofCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(
      app, ctx, "proof", "Proof bundles for offline verification, and QR codes",
      "  govledger proof export --id ID --out birth.govproof\n"
      "  govledger proof qr --id ID --out birth-qr.png");
  group->require_subcommand(1);

  auto e = std::make_shared<ExportOptions>();
  CLI::App* ex = AddCommand(
      *group, ctx, "export",
      "Fetch a material's proof bundle (.govproof) from the node: record, events, inclusion "
      "proofs, certified header, state proof, validator changes. --disclose adds chosen fields "
      "with their salts from the holder's receipt (computed here; the receipt never leaves this "
      "machine)",
      "  govledger proof export --id ID --out birth.govproof\n"
      "  govledger proof export --id ID --receipt ID.receipt.json --disclose child_name,birth_date");
  ex->add_option("--id", e->id, "Material id")->required();
  ex->add_option("--out", e->out, "Bundle file to write (default: ID.govproof)");
  ex->add_option("--receipt", e->receipt, "The holder's receipt (from material issue/amend)");
  ex->add_option("--disclose", e->disclose, "Fields to disclose, comma-separated");
  ex->callback([&ctx, e] { ctx.action = [&ctx, e] { return RunExport(ctx, *e); }; });

  auto q = std::make_shared<QrOptions>();
  CLI::App* qr = AddCommand(
      *group, ctx, "qr",
      "Draw a QR code for a material (terminal, and PNG with --out): the node's verification "
      "page with the chain, the material id and the document digest",
      "  govledger proof qr --id ID\n"
      "  govledger proof qr --id ID --out birth-qr.png --page https://verify.nanshan.gov.cn/");
  qr->add_option("--id", q->id, "Material id")->required();
  qr->add_option("--out", q->out, "Also write a PNG image here");
  qr->add_option("--page", q->page, "Verification page URL (default: the node's own page)");
  qr->callback([&ctx, q] { ctx.action = [&ctx, q] { return RunQr(ctx, *q); }; });
}

}  // namespace govledger::cli

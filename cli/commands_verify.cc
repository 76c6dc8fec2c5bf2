// Checking rather than writing: `govledger verify FILE` (is this document an authentic, valid
// material?), `govledger trace` (a material's whole history, proven complete by its proof
// bundle; or every material of an issuer or holder commitment) and `govledger audit chain` (is
// the ledger itself intact? offline, from a node's data directory; or, with --node, by replaying
// a running node's chain: commands_audit_node.cc).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/client.h"
#include "cli/commands_audit_node.h"
#include "cli/commands.h"
#include "ledger/audit.h"
#include "ledger/proof.h"
#include "ledger/store.h"
#include "ledger/store_check.h"
#include "node/config.h"
#include "util/bytes.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

constexpr size_t kMaxDigestMatches = 1000;

// ------------------------------------------------------------------ verify

// The checks of one verification, printed as they are made and collected for --json.
class CheckLog {
 public:
  explicit CheckLog(const Output& out) : out_(out) {}
  void Add(const std::string& name, bool ok, const std::string& detail) {
    std::string label = name;
    label.resize(std::max<size_t>(label.size(), 17), ' ');
    out_.Say(label + " " + detail);
    checks_.push_back({{"check", name}, {"ok", ok}, {"detail", detail}});
  }
  const json& checks() const { return checks_; }

 private:
  const Output& out_;
  json checks_ = json::array();
};

// The newest-issued material (highest issue height; the later one listed on a tie).
const json* Newest(const json& list) {
  const json* best = nullptr;
  for (const json& m : list) {
    if (best == nullptr ||
        m.at("issued_height").get<uint64_t>() >= best->at("issued_height").get<uint64_t>()) {
      best = &m;
    }
  }
  return best;
}

// VALID, REVOKED, EXPIRED or NOT_YET_VALID for a material as of the chain's tip time.
std::string Verdict(const json& m, int64_t tip_ms) {
  std::string status = m.at("status").get<std::string>();
  int64_t from = m.at("valid_from_ms").get<int64_t>();
  int64_t until = m.at("valid_until_ms").get<int64_t>();
  if (status == "REVOKED") return "REVOKED";
  if (status == "EXPIRED" || (status == "ACTIVE" && until != 0 && until <= tip_ms)) {
    return "EXPIRED";
  }
  if (status == "ACTIVE" && from > tip_ms) return "NOT_YET_VALID";
  if (status == "ACTIVE") return "VALID";
  return status;  // a status this client does not know is never VALID
}

// "revoked at height 9 by health (区卫生健康局): reason", from the material's history.
std::string RevocationDetail(const NodeClient& client, const std::string& id) {
  auto history = client.Get("/v1/material/" + UrlEncode(id) + "/history");
  if (!history.ok()) return "";
  for (const json& e : history->at("events")) {
    if (e.at("kind").get<std::string>() != "REVOKE") continue;
    return " (revoked at height " + std::to_string(e.at("height").get<uint64_t>()) + " by " +
           e.at("actor").get<std::string>() + ": " + e.at("reason").get<std::string>() + ")";
  }
  return "";
}

int RunVerify(const Context& ctx, const std::string& file) {
  Output out(ctx.json);
  // Exit 1 is reserved for verdicts: every failure to reach one is a usage error or exit 3.
  auto fail = [&out](const Status& st) {
    return out.Fail(st, ExitCodeFor(st) == kExitUsage ? kExitUsage : kExitError);
  };
  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return fail(chain.status());
  auto digest = crypto::HashFile(chain->suite, file);
  if (!digest.ok()) return fail(digest.status());
  std::string hex = crypto::DigestHex(*digest);
  auto found =
      client.Get("/v1/materials?digest=" + hex + "&limit=" + std::to_string(kMaxDigestMatches));
  if (!found.ok()) return fail(found.status());

  CheckLog log(out);
  log.Add("document digest", true,
          (chain->suite == crypto::Suite::kSm ? "SM3 " : "SHA-256 ") + hex + " (" + file + ")");
  const json& list = found->at("materials");
  const json* m = Newest(list);
  std::string verdict;
  if (m == nullptr) {
    log.Add("found on chain", false,
            "no material on chain " + chain->chain_id +
                " has this digest: not issued, or the file was changed");
    verdict = "UNKNOWN";
  } else {
    std::string id = m->at("material_id").get<std::string>();
    std::string issuer = m->at("issuer").get<std::string>();
    if (m->contains("issuer_name")) issuer += " (" + m->at("issuer_name").get<std::string>() + ")";
    log.Add("found on chain", true,
            "material " + id + " (" + m->at("type_code").get<std::string>() + " " +
                m->value("type_name", std::string()) + ") issued by " + issuer + " at height " +
                std::to_string(m->at("issued_height").get<uint64_t>()) +
                (list.size() > 1 ? "; " + std::to_string(list.size()) +
                                       " materials carry this digest, using the newest"
                                 : ""));
    verdict = Verdict(*m, chain->tip_time_ms);
    std::string status = m->at("status").get<std::string>();
    log.Add("status", status == "ACTIVE",
            status + (status == "REVOKED" ? RevocationDetail(client, id) : ""));
    int64_t from = m->at("valid_from_ms").get<int64_t>();
    int64_t until = m->at("valid_until_ms").get<int64_t>();
    bool within = from <= chain->tip_time_ms && (until == 0 || until > chain->tip_time_ms);
    log.Add(
        "validity window", within,
        CstOr(from, "-") + " to " + CstOr(until, "no expiry") +
            (within ? ": within" : (from > chain->tip_time_ms ? ": not yet started" : ": ended")));
  }
  std::string as_of = FormatTimeCst(chain->tip_time_ms);
  out.Say(verdict + " as of " + as_of + " (height " + std::to_string(chain->height) + ")");
  return out.Finish({{"verdict", verdict},
                     {"file", file},
                     {"doc_digest", hex},
                     {"material", m ? *m : json(nullptr)},
                     {"checks", log.checks()},
                     {"chain_id", chain->chain_id},
                     {"as_of_height", chain->height},
                     {"as_of_time", as_of}},
                    verdict == "VALID" ? kExitOk : kExitNo);
}

void AddVerify(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<VerifyBundleOptions>();
  CLI::App* cmd = AddCommand(
      app, ctx, "verify",
      "Check a document against the ledger: is it on chain, by whom, and valid now? With "
      "--bundle and --trust, offline: every step of the proof bundle is checked against the "
      "trusted genesis alone (add --node to refresh the status). Exit status 0 means VALID and "
      "nothing else (1: any other verdict; 2: usage; 3: node unreachable or other error)",
      "  govledger verify birth.pdf --node http://127.0.0.1:7001\n"
      "  govledger verify birth.pdf --bundle birth.govproof --trust genesis.json\n"
      "  govledger verify birth.pdf --bundle birth.govproof --trust genesis.json --node URL");
  cmd->add_option("FILE", o->file, "The document (PDF/OFD) to check")->required();
  cmd->add_option("--bundle", o->bundle, "Proof bundle (.govproof) to verify offline");
  cmd->add_option("--trust", o->trust, "The network's genesis.json: the only thing trusted");
  cmd->add_flag("--online", o->online,
                "With --bundle: also refresh from the node (as when --node is given)");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      if (!o->bundle.empty() || !o->trust.empty()) return RunVerifyBundle(ctx, *o);
      return RunVerify(ctx, o->file);
    };
  });
}

// ------------------------------------------------------------------ trace

struct TraceOptions {
  std::string id;
  std::string holder_commitment;
  std::string issuer;
  std::string trust;  // genesis.json to verify proof bundles against; empty: the node's
  std::string key;    // signs the listing by holder or issuer (a non-public endpoint)
};

constexpr size_t kTraceMaxMaterials = 10000;

// The genesis proof bundles are checked against, and where it came from.
struct TraceTrust {
  ledger::Genesis genesis;
  std::string source;  // "GENESIS.json" or "the node's /v1/genesis"
};

std::string CheckMark(const std::vector<ledger::ProofCheck>& checks, const std::string& step) {
  for (const auto& c : checks) {
    if (c.step == step) return c.ok ? "\u2713" : "\u2717";
  }
  return "?";
}

// Whether the node's history event `e` is the proven event `p`.
bool SameEvent(const json& e, const ledger::Event& p) {
  return e.value("material_id", std::string()) == p.material_id &&
         e.value("seq", uint64_t{0}) == p.seq &&
         e.value("kind", std::string()) == ledger::EventKindName(p.kind) &&
         e.value("height", uint64_t{0}) == p.height && e.value("time_ms", int64_t{0}) == p.time_ms &&
         e.value("actor", std::string()) == p.actor &&
         e.value("tx_hash", std::string()) == HexEncode(p.tx_hash) &&
         e.value("reason", std::string()) == p.reason &&
         e.value("prev_event", std::string()) == HexEncode(p.prev_event);
}

// The completeness proof of one material: its bundle from /v1/proof, verified against the
// trusted genesis, and the node's history checked to be exactly the proven events. On success
// `history` holds the history the bundle proves (refetched once if a block raced the two
// requests). Result: the "proof" member of the JSON output; `ok` tells whether it held.
json ProveHistory(const NodeClient& client, const TraceTrust& trust, const std::string& id,
                  json& history, bool& ok, std::string& line) {
  ok = false;
  json proof = {{"verified", false}, {"height", 0}, {"checks", json::array()},
                {"trusted_genesis", trust.source}};
  auto text = client.GetBody("/v1/proof/" + UrlEncode(id));
  if (!text.ok()) {
    line = "proof: could not fetch the bundle: " + text.status().code() + ": " +
           text.status().message();
    proof["error"] = text.status().code();
    return proof;
  }
  auto bundle = ledger::ProofBundleFromJson(*text);
  ledger::ProofVerification v;
  if (bundle.ok()) {
    v = ledger::VerifyProofBundle(trust.genesis, *bundle, ledger::VerifyOptions{});
  } else {
    v.checks.push_back({"bundle", false, bundle.status().message()});
  }
  for (const auto& c : v.checks) {
    proof["checks"].push_back({{"step", c.step}, {"ok", c.ok}, {"detail", c.detail}});
  }
  proof["height"] = v.height;
  if (v.verdict == ledger::Verdict::kInvalidProof) {
    const ledger::ProofCheck* bad = nullptr;
    for (const auto& c : v.checks) {
      if (!c.ok) {
        bad = &c;
        break;
      }
    }
    line = "NOT PROVEN: step " + (bad ? bad->step + " failed: " + bad->detail : "bundle");
    return proof;
  }
  auto matches = [&](const json& h) {
    const json& events = h.at("events");
    if (events.size() != bundle->events.size()) return false;
    for (size_t i = 0; i < events.size(); ++i) {
      if (!SameEvent(events[i], bundle->events[i])) return false;
    }
    return true;
  };
  if (!matches(history)) {
    // A block may have landed between the two requests: ask once more, then give up.
    auto again = client.Get("/v1/material/" + UrlEncode(id) + "/history");
    if (again.ok() && matches(*again)) {
      history = std::move(*again);
    } else {
      line = "NOT PROVEN: the node's history (" + std::to_string(history.at("events").size()) +
             " events) differs from the " + std::to_string(bundle->events.size()) +
             " proven events of height " + std::to_string(v.height);
      proof["error"] = "history_mismatch";
      return proof;
    }
  }
  ok = true;
  proof["verified"] = true;
  line = "complete as of height " + std::to_string(v.height) + " (proof: certificate " +
         CheckMark(v.checks, "certificate") + ", state " + CheckMark(v.checks, "state") +
         ", events hash-linked " + CheckMark(v.checks, "events") + ")";
  return proof;
}

// One table row of an event; `with_id` adds the material id (traces of several materials).
std::string EventRow(json& e, const ledger::Genesis& genesis, bool with_id) {
  std::string actor = e.at("actor").get<std::string>();
  std::string label = actor.empty() ? "(chain)" : DepartmentLabel(genesis, actor);
  if (!actor.empty()) e["actor_label"] = label;
  std::string seq = std::to_string(e.at("seq").get<uint64_t>());
  std::string kind = e.at("kind").get<std::string>();
  std::string height = std::to_string(e.at("height").get<uint64_t>());
  std::string tx = ShortHex(e.value("tx_hash", std::string()));
  std::string reason = e.value("reason", std::string());
  seq.resize(std::max<size_t>(seq.size(), 4), ' ');
  kind.resize(std::max<size_t>(kind.size(), 11), ' ');  // "REINSTATE", "AUTHORIZE", ...
  height.resize(std::max<size_t>(height.size(), 7), ' ');
  tx.resize(16, ' ');
  // Grants and uses name the consumer, purpose and grant; versions and cascades the linked id.
  std::string purpose = e.value("purpose", std::string());
  std::string ref = e.value("ref", std::string());
  std::string link;
  if (!purpose.empty()) {
    link = " [" + e.value("counterparty", std::string()) + " for " + purpose +
           (ref.empty() ? "" : ", grant " + ShortHex(ref)) + "]";
  } else if (!ref.empty()) {
    link = " [" + ref + "]";
  }
  std::string id = with_id ? e.value("material_id", std::string()) + "  " : "";
  return id + seq + " " + kind + " " + height + " " + CstOr(e.at("time_ms").get<int64_t>(), "-") +
         "  " + tx + "  " + label + (reason.empty() ? "" : ": " + reason) + link;
}

Result<TraceTrust> LoadTraceTrust(const TraceOptions& o, const ledger::Genesis& node_genesis) {
  if (o.trust.empty()) return TraceTrust{node_genesis, "the node's /v1/genesis"};
  auto g = ledger::LoadGenesisFile(o.trust);
  if (!g.ok()) return g.status();
  return TraceTrust{std::move(*g), o.trust};
}

// Every material id the --holder-commitment or --issuer list endpoint pages through.
Result<std::vector<std::string>> ListIds(const NodeClient& client, const std::string& query) {
  std::vector<std::string> ids;
  std::string after;
  while (true) {
    auto page = client.Get("/v1/materials?" + query + "&limit=1000" +
                           (after.empty() ? "" : "&after=" + UrlEncode(after)));
    if (!page.ok()) return page.status();
    for (const json& m : page->at("materials")) {
      ids.push_back(m.at("material_id").get<std::string>());
    }
    if (ids.size() > kTraceMaxMaterials) {
      return Status::Error("too_many", "more than " + std::to_string(kTraceMaxMaterials) +
                                           " materials match; narrow the query");
    }
    if (!page->contains("next_after") || !page->at("next_after").is_string()) break;
    after = page->at("next_after").get<std::string>();
  }
  return ids;
}

int RunTraceMany(const Context& ctx, const TraceOptions& o) {
  Output out(ctx.json);
  auto reader = ReaderClient(ctx, o.key);
  if (!reader.ok()) return out.Fail(reader.status());
  const NodeClient& client = *reader;
  auto genesis = client.FetchGenesis();
  if (!genesis.ok()) return out.Fail(genesis.status());
  std::optional<TraceTrust> trust;
  if (!o.trust.empty()) {
    auto t = LoadTraceTrust(o, *genesis);
    if (!t.ok()) return out.Fail(t.status());
    trust = std::move(*t);
  }
  std::string query = !o.issuer.empty() ? "issuer=" + UrlEncode(o.issuer)
                                        : "holder=" + UrlEncode(o.holder_commitment);
  auto ids = ListIds(client, query);
  if (!ids.ok()) return out.Fail(ids.status());
  out.Say(std::to_string(ids->size()) + " material(s) " +
          (!o.issuer.empty() ? "issued by " + DepartmentLabel(*genesis, o.issuer)
                             : "of holder commitment " + ShortHex(o.holder_commitment)) +
          (trust ? "; proofs checked against " + trust->source : ""));
  json materials = json::array();
  json all_events = json::array();
  bool all_proven = true;
  uint64_t as_of = 0;
  for (const std::string& id : *ids) {
    auto history = client.Get("/v1/material/" + UrlEncode(id) + "/history");
    if (!history.ok()) return out.Fail(history.status());
    json entry = {{"material", history->at("material")}};
    if (trust) {
      bool ok = false;
      std::string line;
      entry["proof"] = ProveHistory(client, *trust, id, *history, ok, line);
      entry["material"] = history->at("material");
      all_proven = all_proven && ok;
      out.Say(id + ": " + line);
    }
    as_of = std::max(as_of, history->at("as_of_height").get<uint64_t>());
    for (const json& e : history->at("events")) all_events.push_back(e);
    materials.push_back(std::move(entry));
  }
  // One timeline: by height, then the material order, then seq (stable on the list order).
  std::stable_sort(all_events.begin(), all_events.end(), [](const json& a, const json& b) {
    return a.at("height").get<uint64_t>() < b.at("height").get<uint64_t>();
  });
  out.Say("material  seq  kind        height  time (CST)                 tx                actor, "
          "reason");
  for (json& e : all_events) out.Say(EventRow(e, *genesis, true));
  out.Say(std::to_string(all_events.size()) + " event(s) of " + std::to_string(ids->size()) +
          " material(s), as of height " + std::to_string(as_of));
  json result = {{"materials", materials}, {"events", all_events}, {"as_of_height", as_of}};
  if (trust) result["trusted_genesis"] = trust->source;
  return out.Finish(result, all_proven || o.trust.empty() ? kExitOk : kExitNo);
}

int RunTrace(const Context& ctx, const TraceOptions& o) {
  Output out(ctx.json);
  int given = !o.id.empty() + !o.holder_commitment.empty() + !o.issuer.empty();
  if (given != 1) {
    return out.Fail(UsageError("give exactly one of --id, --holder-commitment or --issuer"));
  }
  if (o.id.empty()) return RunTraceMany(ctx, o);
  NodeClient client(NodeUrl(ctx));
  auto history = client.Get("/v1/material/" + UrlEncode(o.id) + "/history");
  if (!history.ok()) return out.Fail(history.status());
  auto genesis = client.FetchGenesis();
  if (!genesis.ok()) return out.Fail(genesis.status());
  auto trust = LoadTraceTrust(o, *genesis);
  if (!trust.ok()) return out.Fail(trust.status());
  bool proven = false;
  std::string proof_line;
  json proof = ProveHistory(client, *trust, o.id, *history, proven, proof_line);
  json& m = history->at("material");
  out.Say("material " + m.at("material_id").get<std::string>() + "  " +
          m.at("type_code").get<std::string>() + " " + m.value("type_name", std::string()) +
          "  now " + m.at("status").get<std::string>());
  out.Say("seq  kind        height  time (CST)                 tx                actor, reason");
  for (json& e : history->at("events")) out.Say(EventRow(e, *genesis, false));
  out.Say(std::to_string(history->at("events").size()) + " event(s), as of height " +
          std::to_string(history->at("as_of_height").get<uint64_t>()));
  out.Say(proof_line);
  out.Say("trusted genesis: " + trust->source +
          (o.trust.empty() ? " (pass --trust GENESIS.json to trust your own copy)" : ""));
  (*history)["proof"] = proof;
  // With --trust the caller asked for the proof: unproven is a failure. Without it the list is
  // the answer and the proof line a bonus (checked against the node's own genesis, which proves
  // nothing the node could not fake). Materials of departments added by governance are proven
  // too: the bundle carries the registry's history (doc/proof-bundle.md).
  return out.Finish(*history, proven || o.trust.empty() ? kExitOk : kExitNo);
}

void AddTrace(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TraceOptions>();
  CLI::App* cmd = AddCommand(
      app, ctx, "trace",
      "List every event of a material in order: what happened, when, by whom, in which tx; "
      "with --id the list is proven complete by the material's proof bundle (checked against "
      "--trust GENESIS.json, else the node's genesis). --holder-commitment or --issuer trace "
      "every matching material on one timeline (proven with --trust)",
      "  govledger trace --id 1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C\n"
      "  govledger trace --id ID --trust genesis.json\n"
      "  govledger trace --issuer samr --trust genesis.json");
  cmd->add_option("--id", o->id, "Material id");
  cmd->add_option("--holder-commitment", o->holder_commitment,
                  "Every material of this holder commitment (64 hex; the material's "
                  "holder_commitment)");
  cmd->add_option("--issuer", o->issuer, "Every material issued by this department");
  cmd->add_option("--trust", o->trust,
                  "The network's genesis.json to check proofs against (default: the node's)");
  cmd->add_option("--key", o->key,
                  std::string(kReadKeyHelp) + ". Needed with --holder-commitment and --issuer");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunTrace(ctx, *o); }; });
}

// ------------------------------------------------------------------ audit chain

struct AuditChainOptions {
  std::string home;
  std::string data_dir;
  std::string genesis;
  std::string trust;  // with --node: the genesis.json the node's must match
  std::string key;    // with --node: signs the raw block reads
  bool no_signatures = false;
  unsigned threads = 0;
};

// "audited N/M blocks" on stderr: one \r-updated line on a terminal, one line per tenth of the
// chain otherwise (logs stay short).
class AuditProgress {
 public:
  explicit AuditProgress(uint64_t total) : tty_(isatty(STDERR_FILENO) == 1), total_(total) {}
  uint64_t every() const { return std::max<uint64_t>(1, total_ / (tty_ ? 200 : 10)); }
  void operator()(uint64_t n, uint64_t total) {
    if (printed_ && n == last_) return;
    printed_ = true;
    last_ = n;
    std::cerr << (tty_ ? "\r" : "") << "audited " << n << "/" << total << " blocks"
              << (tty_ && n < total ? "" : "\n") << std::flush;
  }
  // Ends a \r-updated line the audit left open by stopping early.
  void Close() const {
    if (tty_ && printed_ && last_ < total_) std::cerr << "\n";
  }

 private:
  bool tty_;
  uint64_t total_;
  uint64_t last_ = 0;
  bool printed_ = false;
};

// Where the chain data and its genesis are: from --home's node.toml, or given directly.
Status ResolveAuditPaths(AuditChainOptions& o) {
  if (!o.home.empty()) {
    if (!o.data_dir.empty() || !o.genesis.empty()) {
      return UsageError("give either --home, or --data-dir with --genesis, not both");
    }
    auto config = node::LoadNodeConfig(o.home);
    if (!config.ok()) return config.status();
    o.data_dir = config->Path(config->data_dir);
    o.genesis = config->Path(config->genesis_file);
    return Status::Ok();
  }
  if (o.data_dir.empty() || o.genesis.empty()) {
    return UsageError("give --home NODE_HOME, or --data-dir DIR with --genesis GENESIS.json");
  }
  return Status::Ok();
}

int Tampered(const Output& out, const ledger::AuditReport& r) {
  out.Say("TAMPERED at height " + std::to_string(r.bad_height) + ": " + r.reason_code + ": " +
          r.detail);
  return out.Finish({{"ok", false},
                     {"bad_height", r.bad_height},
                     {"reason", r.reason_code},
                     {"detail", r.detail},
                     {"checked_height", r.checked_height},
                     {"transactions", r.txs_checked}},
                    kExitNo);
}

int AuditOk(const Output& out, const std::string& chain_id, const ledger::AuditReport& r,
            bool no_signatures, const std::string& suffix) {
  out.Say("OK: " + std::to_string(r.checked_height) + " blocks, " + std::to_string(r.txs_checked) +
          " transactions, chain intact" +
          (no_signatures ? " (transaction signatures not checked)" : "") + suffix);
  return out.Finish({{"ok", true},
                     {"chain_id", chain_id},
                     {"blocks", r.checked_height},
                     {"transactions", r.txs_checked},
                     {"tx_signatures_checked", !no_signatures}});
}

// --node without --home/--data-dir: replay the running node's chain into a temporary store.
int RunAuditNode(const Context& ctx, const AuditChainOptions& o) {
  Output out(ctx.json);
  std::optional<AuditProgress> progress;
  auto on_block = [&progress](uint64_t n, uint64_t total) {
    if (!progress) progress.emplace(total);
    if (n % progress->every() == 0 || n == total) (*progress)(n, total);
  };
  auto result = AuditNodeChain(NodeUrl(ctx), o.trust, !o.no_signatures, on_block, o.key);
  if (progress) progress->Close();
  if (!result.ok()) return out.Fail(result.status());
  if (!result->report.ok) return Tampered(out, result->report);
  // Re-execution verifies every transaction signature whatever --no-signatures says (it only
  // skips them in the second, offline pass over the replayed store).
  return AuditOk(out, result->chain_id, result->report, /*no_signatures=*/false,
                 " (replayed from " + NodeUrl(ctx) + ")");
}

int RunAuditChain(const Context& ctx, AuditChainOptions o) {
  Output out(ctx.json);
  if (!ctx.node.empty() && o.home.empty() && o.data_dir.empty()) {
    if (!o.genesis.empty()) return out.Fail(UsageError("with --node, pass --trust, not --genesis"));
    return RunAuditNode(ctx, o);
  }
  if (!o.trust.empty()) return out.Fail(UsageError("--trust goes with --node"));
  if (Status st = ResolveAuditPaths(o); !st.ok()) return out.Fail(st);
  auto genesis = ledger::LoadGenesisFile(o.genesis);
  if (!genesis.ok()) return out.Fail(genesis.status());
  // Store::Open would create an empty store; an audit must never write.
  if (!PathExists(o.data_dir)) {
    return out.Fail(
        Status::Error("no_store", "no chain data at " + o.data_dir + " (has the node ever run?)"));
  }
  auto store = ledger::Store::Open(o.data_dir, *genesis);
  if (!store.ok()) {
    const Status& st = store.status();
    if (st.code() == "genesis_mismatch") {
      ledger::AuditReport r;
      r.ok = false;
      r.reason_code = st.code();
      r.detail = st.message();
      return Tampered(out, r);
    }
    if (st.code() == "store_locked") {
      return out.Fail(Status::Error(st.code(), st.message() + "; stop the node first, or audit "
                                                              "a copy of the data directory"));
    }
    if (st.code() == "corrupt_store") {
      // LevelDB cannot even open it: no height to name, but possibly the damaged file.
      Status named = ledger::DiagnoseStoreDir(o.data_dir);
      if (!named.ok()) {
        return out.Fail(Status::Error(st.code(), st.message() + "; " + named.message()));
      }
    }
    return out.Fail(st);
  }
  AuditProgress progress((*store)->height());
  ledger::AuditOptions opts;
  opts.verify_tx_signatures = !o.no_signatures;
  opts.threads = o.threads;
  opts.progress_every = progress.every();
  opts.progress = [&progress](uint64_t n, uint64_t total) { progress(n, total); };
  ledger::AuditReport r = ledger::AuditChain(**store, *genesis, opts);
  progress.Close();
  if (!r.ok) return Tampered(out, r);
  return AuditOk(out, genesis->chain_id, r, o.no_signatures, "");
}

void AddAudit(CLI::App& app, Context& ctx) {
  CLI::App* group = AddCommand(app, ctx, "audit", "Audit the ledger itself",
                               "  govledger audit chain --home net/node0");
  group->require_subcommand(1);
  auto o = std::make_shared<AuditChainOptions>();
  CLI::App* cmd = AddCommand(
      *group, ctx, "chain",
      "Offline: recompute every block hash link, Merkle log root, events hash, commit "
      "certificate and tx signature from genesis; report the first bad height. Needs the node "
      "stopped (or a copy of its data directory). With --node alone: replay the running node's "
      "chain into a temporary store, re-executing every block, and audit that",
      "  govledger audit chain --home net/node0\n"
      "  govledger audit chain --data-dir copy/data --genesis net/node0/genesis.json\n"
      "  govledger audit chain --node http://127.0.0.1:7001 --trust genesis.json --key "
      "regulator.pem");
  cmd->add_option("--home", o->home, "Node home (reads node.toml for the data dir and genesis)");
  cmd->add_option("--data-dir", o->data_dir, "Chain data directory (with --genesis)");
  cmd->add_option("--genesis", o->genesis, "The network's genesis.json (with --data-dir)");
  cmd->add_option("--trust", o->trust,
                  "With --node: the genesis.json the node's genesis must match");
  cmd->add_option("--key", o->key,
                  std::string(kReadKeyHelp) +
                      ". Needed with --node (the raw blocks are signed-only)");
  cmd->add_flag("--no-signatures", o->no_signatures,
                "Skip transaction signature checks (faster; certificates are still checked)");
  cmd->add_option("--threads", o->threads,
                  "Threads that decode blocks and verify signatures (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunAuditChain(ctx, *o); }; });
  AddAuditReport(*group, ctx);
}

}  // namespace

void AddVerifyCommands(CLI::App& app, Context& ctx) {
  AddVerify(app, ctx);
  AddTrace(app, ctx);
  AddAudit(app, ctx);
}

}  // namespace govledger::cli

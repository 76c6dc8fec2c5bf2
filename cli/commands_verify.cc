// Checking rather than writing: `govledger verify FILE` (is this document an authentic, valid
// material?), `govledger trace --id` (its whole history) and `govledger audit chain` (is the
// ledger itself intact? offline, from a node's data directory).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "ledger/audit.h"
#include "ledger/store.h"
#include "node/config.h"
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

int RunTrace(const Context& ctx, const std::string& id) {
  Output out(ctx.json);
  NodeClient client(NodeUrl(ctx));
  auto history = client.Get("/v1/material/" + UrlEncode(id) + "/history");
  if (!history.ok()) return out.Fail(history.status());
  auto genesis = client.FetchGenesis();
  if (!genesis.ok()) return out.Fail(genesis.status());
  json& m = history->at("material");
  out.Say("material " + m.at("material_id").get<std::string>() + "  " +
          m.at("type_code").get<std::string>() + " " + m.value("type_name", std::string()) +
          "  now " + m.at("status").get<std::string>());
  out.Say("seq  kind        height  time (CST)                 tx                actor, reason");
  for (json& e : history->at("events")) {
    std::string actor = e.at("actor").get<std::string>();
    std::string label = actor.empty() ? "(chain)" : DepartmentLabel(*genesis, actor);
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
    out.Say(seq + " " + kind + " " + height + " " + CstOr(e.at("time_ms").get<int64_t>(), "-") +
            "  " + tx + "  " + label + (reason.empty() ? "" : ": " + reason) + link);
  }
  out.Say(std::to_string(history->at("events").size()) + " event(s), as of height " +
          std::to_string(history->at("as_of_height").get<uint64_t>()));
  return out.Finish(*history);
}

void AddTrace(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = AddCommand(
      app, ctx, "trace",
      "List every event of a material in order: what happened, when, by whom, in which tx",
      "  govledger trace --id 1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C");
  cmd->add_option("--id", *id, "Material id")->required();
  cmd->callback([&ctx, id] { ctx.action = [&ctx, id] { return RunTrace(ctx, *id); }; });
}

// ------------------------------------------------------------------ audit chain

struct AuditChainOptions {
  std::string home;
  std::string data_dir;
  std::string genesis;
  bool no_signatures = false;
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

int RunAuditChain(const Context& ctx, AuditChainOptions o) {
  Output out(ctx.json);
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
    return out.Fail(st);
  }
  AuditProgress progress((*store)->height());
  ledger::AuditOptions opts;
  opts.verify_tx_signatures = !o.no_signatures;
  opts.progress_every = progress.every();
  opts.progress = [&progress](uint64_t n, uint64_t total) { progress(n, total); };
  ledger::AuditReport r = ledger::AuditChain(**store, *genesis, opts);
  progress.Close();
  if (!r.ok) return Tampered(out, r);
  out.Say("OK: " + std::to_string(r.checked_height) + " blocks, " + std::to_string(r.txs_checked) +
          " transactions, chain intact" +
          (o.no_signatures ? " (transaction signatures not checked)" : ""));
  return out.Finish({{"ok", true},
                     {"chain_id", genesis->chain_id},
                     {"blocks", r.checked_height},
                     {"transactions", r.txs_checked},
                     {"tx_signatures_checked", !o.no_signatures}});
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
      "stopped (or a copy of its data directory)",
      "  govledger audit chain --home net/node0\n"
      "  govledger audit chain --data-dir copy/data --genesis net/node0/genesis.json");
  cmd->add_option("--home", o->home, "Node home (reads node.toml for the data dir and genesis)");
  cmd->add_option("--data-dir", o->data_dir, "Chain data directory (with --genesis)");
  cmd->add_option("--genesis", o->genesis, "The network's genesis.json (with --data-dir)");
  cmd->add_flag("--no-signatures", o->no_signatures,
                "Skip transaction signature checks (faster; certificates are still checked)");
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

#include "node/api.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "contracts/governance.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/proof.h"
#include "ledger/records.h"
#include "node/api_reads.h"
#include "node/log.h"
#include "node/node.h"
#include "node/rate_limit.h"
#include "node/request_auth.h"
#include "node/views.h"
#include "node/web.h"
#include "util/bytes.h"
#include "util/time.h"

namespace govledger::node {

using nlohmann::json;

namespace {

constexpr int64_t kDefaultWaitMs = 30'000;

HttpResponse Json(int status, const json& body) { return ApiJson(status, body); }
HttpResponse Error(int status, const std::string& code, const std::string& message) {
  return ApiError(status, code, message);
}

bool QueryFlag(const HttpRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it != req.query.end() && (it->second.empty() || it->second == "true" || it->second == "1");
}

// The base64 text of a body that is exactly {"tx":"<base64>"} — what the CLI and the load
// generator send — found without building a JSON document (the parser was 4 % of a loaded
// validator's io thread); nullopt for any other body, which goes through the parser. Base64 text
// holds no quote and no backslash, so the JSON string is exactly these characters.
std::optional<std::string_view> CompactTxField(std::string_view body) {
  constexpr std::string_view kHead = "{\"tx\":\"";
  constexpr std::string_view kTail = "\"}";
  if (body.size() < kHead.size() + kTail.size() || !body.starts_with(kHead) ||
      !body.ends_with(kTail)) {
    return std::nullopt;
  }
  const std::string_view text =
      body.substr(kHead.size(), body.size() - kHead.size() - kTail.size());
  for (char c : text) {
    const bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    if (!base64) return std::nullopt;
  }
  return text;
}

class Api {
 public:
  explicit Api(Node& node)
      : node_(node),
        reads_(node.config().read_rate_per_s, node.config().read_burst),
        submits_(node.config().submit_rate_per_s, node.config().submit_burst) {}

  void Handle(HttpRequest req, Responder respond) {
    auto counted = [this, respond](HttpResponse r) {
      ++node_.metrics().http_responses[r.status];
      respond(std::move(r));
    };
    const std::string& p = req.path;
    const bool batch = p == "/v1/txs";
    const bool submission = batch || p == "/v1/tx";
    if (HttpResponse limited; RateLimited(req, submission, limited)) return counted(limited);
    if (submission) {
      if (req.method != "POST") return counted(MethodNotAllowed("POST"));
      return batch ? SubmitBatch(req, counted) : SubmitTx(req, counted);
    }
    if (req.method != "GET" && req.method != "HEAD") return counted(MethodNotAllowed("GET"));
    const ReadRoute route = ClassifyRead(req);
    if (route == ReadRoute::kIoThread) return counted(Get(req));
    OnWorker(std::move(req), route == ReadRoute::kWorkerSigned, counted);
  }

 private:
  // `cost` tokens (one per request; a batch pays for its other transactions once parsed) from
  // the client's bucket for its kind of request, or a 429 in `out`.
  bool RateLimited(const HttpRequest& req, bool submission, HttpResponse& out, uint64_t cost = 1) {
    RateLimiter& limiter = submission ? submits_ : reads_;
    const RateDecision d = limiter.Take(req.remote_ip, NowMs(), cost);
    if (d.allowed) return false;
    const int64_t seconds = (d.retry_after_ms + 999) / 1000;
    out = Error(429, "rate_limited",
                std::string("too many ") + (submission ? "submissions" : "requests") + " from " +
                    req.remote_ip + "; retry after " + std::to_string(seconds) +
                    " s (limits: doc/operator.md, [api] " +
                    (submission ? "submit_rate_per_s" : "read_rate_per_s") + ")");
    out.headers["Retry-After"] = std::to_string(seconds);
    return true;
  }

  // A heavy or non-public read: taken on a worker over a snapshot of the store, its signature
  // checked there against the registry of that snapshot, the answer posted back here.
  void OnWorker(HttpRequest req, bool needs_signature, const Responder& respond) {
    auto snapshot = node_.store().Snapshot();
    if (!snapshot.ok()) {
      return respond(Error(500, snapshot.status().code(), snapshot.status().message()));
    }
    const ledger::Genesis* genesis = &node_.genesis();
    const contracts::Registry* registry = &node_.registry();
    const int64_t window_ms = node_.config().auth_window_ms;
    auto request = std::make_shared<HttpRequest>(std::move(req));
    const bool queued = node_.read_pool().Run(
        // `respond` as a non-const copy: a by-copy capture of the const reference would be a
        // const member, which std::move below would silently copy instead of moving.
        [snap = std::move(*snapshot), genesis, registry, window_ms, needs_signature, request,
         respond = Responder(respond), this]() mutable -> std::function<void()> {
          std::string reader;
          HttpResponse r = ServeSigned(*snap, *genesis, *registry, window_ms, needs_signature,
                                       *request, reader);
          snap.reset();  // released on the worker: nothing of the snapshot reaches the io thread
          // The continuation takes the responder along: the last reference to the client's
          // session must drop on the io thread, never here.
          return [this, r = std::move(r), reader = std::move(reader), request = std::move(request),
                  respond = std::move(respond)]() mutable {
            Answered(*request, reader, r);
            respond(std::move(r));
          };
        });
    if (!queued) {
      HttpResponse busy = Error(503, "busy", "the node's read workers are busy; retry shortly");
      busy.headers["Retry-After"] = "1";
      respond(std::move(busy));
    }
  }

  // On a worker: authenticate (when signed, or when the endpoint needs it), then read.
  static HttpResponse ServeSigned(const ledger::Store& snap, const ledger::Genesis& genesis,
                                  const contracts::Registry& registry, int64_t window_ms,
                                  bool needs_signature, const HttpRequest& req,
                                  std::string& reader) {
    ReadContext c{snap, genesis, registry, false};
    if (needs_signature || !req.auth_headers.empty()) {
      AuthCheck check = CheckRequestSignature(genesis.suite, genesis.chain_id, req.method,
                                              req.target, req.body, req.auth_headers, NowMs(),
                                              window_ms);
      if (!check.status.ok()) {
        return Error(check.http_status, check.status.code(), check.status.message());
      }
      contracts::RegistryView view(registry, snap, snap.height() + 1);
      auto dept = view.DepartmentByKey(check.key);
      if (!dept) {
        return Error(403, "unregistered_key",
                     "key " + crypto::Fingerprint(genesis.suite, check.key) +
                         " signed the request but is not a department or regulator key of the "
                         "registry in force (GET /v1/registry)");
      }
      reader = dept->id;
      c.authenticated = true;
    }
    return ServeWorkerRead(c, req);
  }

  // On the io thread, after a worker read: a pending tx is known only to the mempool, and who
  // read non-public data is logged.
  void Answered(const HttpRequest& req, const std::string& reader, HttpResponse& r) {
    static const std::string kTx = "/v1/tx/";
    if (r.status == 404 && req.path.rfind(kTx, 0) == 0) {
      auto hash = crypto::DigestFromHex(req.path.substr(kTx.size()));
      if (hash.ok() && node_.mempool().Contains(*hash)) {
        r = Json(200, {{"tx_hash", req.path.substr(kTx.size())}, {"status", "pending"}});
      }
    }
    if (!reader.empty()) {
      GOVLEDGER_LOG(kInfo, "api: " << reader << " read " << req.path << " (" << r.status << ")");
    }
  }

  static HttpResponse MethodNotAllowed(const char* allowed) {
    HttpResponse r = Error(405, "method_not_allowed", std::string("use ") + allowed);
    r.headers["Allow"] = allowed;
    return r;
  }

  HttpResponse Get(const HttpRequest& req) {
    const std::string& p = req.path;
    if (p == "/healthz") {
      HttpResponse r;
      r.content_type = "text/plain";
      r.body = "ok\n";
      // A node that cannot commit (disk full) is not healthy, though it still serves reads.
      if (std::string problem = node_.StorageProblem(); !problem.empty()) {
        r.status = 503;
        r.body = problem + "\n";
      }
      return r;
    }
    if (p == "/metrics") {
      HttpResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = node_.metrics().Render(node_.store().height(), node_.mempool().size(),
                                      node_.mempool().bytes(), node_.api_connections()) +
               LimitMetrics() + ConsensusMetrics();
      return r;
    }
    if (p == "/v1/status") return Status();
    if (p == "/v1/genesis") {
      HttpResponse r;
      r.body = ledger::GenesisToJson(node_.genesis(), /*pretty=*/true);
      return r;
    }
    if (auto r = RuleRoute(req)) return std::move(*r);
    static const std::string kMaterial = "/v1/material/";
    if (p.rfind(kMaterial, 0) == 0) {
      std::string rest = p.substr(kMaterial.size());
      static const std::string kHistory = "/history";
      if (rest.size() > kHistory.size() &&
          rest.compare(rest.size() - kHistory.size(), kHistory.size(), kHistory) == 0) {
        return GetHistory(rest.substr(0, rest.size() - kHistory.size()));
      }
      return GetMaterial(rest);
    }
    if (auto page = WebRoute(req)) return std::move(*page);  // the verification page at /
    return Error(404, "not_found", "no such endpoint: " + p + " (see doc/api.md)");
  }

  // The consensus driver's counters (doc/operator.md, "Monitoring"); none on a node without one.
  std::string ConsensusMetrics() const {
    const ConsensusDriver* c = node_.consensus();
    if (!c) return "";
    std::string out;
    PromText o(&out);
    const ConsensusDriver::Stats& st = c->stats();
    o.Gauge("govledger_consensus_height", "Height consensus is deciding.", c->consensus_height());
    o.Gauge("govledger_consensus_round", "Round of that height (0: its first proposer).",
            c->consensus_round());
    o.Gauge("govledger_consensus_peers_connected", "Validators connected to this one.",
            c->connected_peers());
    o.Counter("govledger_consensus_heights_above_round_zero_total",
              "Heights decided in a round above 0: their first proposer was down, late or refused.",
              st.rounds_above_zero);
    o.Counter("govledger_consensus_invalid_proposals_total",
              "Proposals this validator refused because the block does not validate.",
              st.invalid_proposals);
    o.Counter("govledger_consensus_evidence_total",
              "Misbehaviour seen (conflicting signed messages of one validator).", st.evidence);
    o.Counter("govledger_consensus_synced_blocks_total",
              "Blocks taken by block sync instead of voting on them.", st.synced_blocks);
    o.Counter("govledger_consensus_wal_syncs_total",
              "Synced writes of the consensus WAL and sign guard (one per group of records).",
              st.wal_syncs);
    o.Counter("govledger_consensus_proposals_cut_short_total",
              "Proposals this validator built smaller than its mempool allowed (time or bytes).",
              st.blocks_cut_short);
    o.Counter("govledger_consensus_fill_waits_total",
              "Proposals that waited block_fill_ms for a fuller block.", st.fill_waits);
    o.Gauge("govledger_consensus_fill_window_ms",
            "The last fill window a proposal waited out (block_fill_ms, longer on a busy host).",
            static_cast<uint64_t>(st.fill_window_ms));
    return out;
  }

  // What the API's limits refused or cut off (doc/operator.md, "API limits"), and the store's
  // reads.
  std::string LimitMetrics() const {
    std::string out;
    PromText o(&out);
    o.Family("govledger_api_rate_limited_total", "counter",
             "Requests refused by the per-client rate limits, by kind.");
    o.Sample("govledger_api_rate_limited_total", "{kind=\"read\"}", reads_.refused());
    o.Sample("govledger_api_rate_limited_total", "{kind=\"submit\"}", submits_.refused());
    if (const HttpServerStats* s = node_.http_stats()) {
      o.Family("govledger_api_connections_refused_total", "counter",
               "Connections refused at a connection cap (in total or per client address).");
      o.Sample("govledger_api_connections_refused_total", "{cap=\"total\"}", s->refused_total_cap);
      o.Sample("govledger_api_connections_refused_total", "{cap=\"per_ip\"}",
               s->refused_per_ip_cap);
      o.Family("govledger_api_timeouts_total", "counter",
               "Connections closed by a timeout, by the phase they were in.");
      o.Sample("govledger_api_timeouts_total", "{phase=\"header\"}", s->header_timeouts);
      o.Sample("govledger_api_timeouts_total", "{phase=\"body\"}", s->body_timeouts);
      o.Sample("govledger_api_timeouts_total", "{phase=\"write\"}", s->write_timeouts);
      o.Sample("govledger_api_timeouts_total", "{phase=\"idle\"}", s->idle_closed);
      o.Counter("govledger_api_accept_errors_total", "Failed accepts of API connections.",
                s->accept_errors);
    }
    o.Gauge("govledger_api_read_workers_in_flight", "API reads running on the read workers.",
            node_.read_pool().in_flight());
    o.Counter("govledger_store_key_filter_answers_total",
              "Reads of absent material ids and transaction hashes answered by the key filter.",
              node_.store().key_filter_answers());
    o.Family("govledger_store_point_reads_total", "counter",
             "LevelDB point reads of the main database, by table (the key's first byte).");
    for (const auto& [table, reads] : node_.store().point_reads()) {
      const bool printable = table > ' ' && table < 0x7f && table != '"' && table != '\\';
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(static_cast<uint8_t>(table)));
      o.Sample("govledger_store_point_reads_total",
               "{table=\"" + (printable ? std::string(1, table) : std::string(hex)) + "\"}", reads);
    }
    return out;
  }

  HttpResponse Status() {
    const auto& s = node_.store();
    const auto& g = node_.genesis();
    json j;
    j["chain_id"] = g.chain_id;
    j["suite"] = crypto::SuiteName(g.suite);
    j["node"] = node_.config().name;
    j["version"] = "0.1.0";
    j["height"] = s.height();
    j["tip_hash"] = crypto::DigestHex(s.tip_hash());
    j["tip_time_ms"] = s.tip_time_ms();
    j["tip_time"] = FormatTimeCst(s.tip_time_ms());
    j["log_size"] = s.log_size();
    j["genesis_hash"] = crypto::DigestHex(s.genesis_hash());
    j["validators"] = contracts::ValidatorSetAt(node_.registry(), s, s.height() + 1).size();
    j["mempool_txs"] = node_.mempool().size();
    j["max_tx_validity_heights"] = g.params.max_tx_validity_heights;
    if (const auto* c = node_.consensus()) {
      j["consensus"] = {{"height", c->consensus_height()},
                        {"round", c->consensus_round()},
                        {"peers_connected", c->connected_peers()},
                        {"synced_blocks", c->stats().synced_blocks},
                        {"fill_waits", c->stats().fill_waits},
                        {"fill_window_ms", c->stats().fill_window_ms},
                        {"evidence", c->stats().evidence}};
    }

    return Json(200, j);
  }

  HttpResponse GetMaterial(const std::string& id) {
    auto m = node_.store().GetMaterial(id);
    if (!m) return Error(404, "unknown_material", "no material " + id);
    json j = MaterialJson(*m, node_.registry(), &node_.store(), node_.store().height() + 1);
    j["as_of_height"] = node_.store().height();
    j["as_of_time"] = FormatTimeCst(node_.store().tip_time_ms());
    return Json(200, j);
  }

  HttpResponse GetHistory(const std::string& id) {
    const auto& s = node_.store();
    auto m = s.GetMaterial(id);
    if (!m) return Error(404, "unknown_material", "no material " + id);
    json events = json::array();
    for (const auto& e : s.GetEvents(id)) events.push_back(EventJson(e, node_.genesis().suite));
    return Json(200, {{"material", MaterialJson(*m, node_.registry(), &s, s.height() + 1)},
                      {"events", events},
                      {"as_of_height", s.height()}});
  }

  // ---------------------------------------------------------------- rule contract records

  static bool EndsWith(const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // E-contracts, proposals, the registry and validator set in force.
  // nullopt: not one of these routes.
  std::optional<HttpResponse> RuleRoute(const HttpRequest& req) {
    const std::string& p = req.path;
    static const std::string kContract = "/v1/contract/", kProposal = "/v1/proposal/";
    if (p.rfind(kContract, 0) == 0) return GetContract(p.substr(kContract.size()));
    if (p == "/v1/contracts") return ListContracts(req);
    if (p == "/v1/proposals") return ListProposals();
    if (p.rfind(kProposal, 0) == 0) return GetProposal(p.substr(kProposal.size()));
    if (p == "/v1/registry") return RegistryAt(req);
    if (p == "/v1/validators") return Validators(req);
    return std::nullopt;
  }

  crypto::Suite suite() const { return node_.genesis().suite; }

  HttpResponse GetContract(const std::string& id) {
    const auto& s = node_.store();
    auto c = ledger::GetContract(s, id);
    if (!c) return Error(404, "unknown_contract", "no e-contract " + id);
    // Every version, oldest first: back along prev links, then forward along next links.
    std::vector<ledger::EContract> versions = {*c};
    for (int i = 0; i < 1000 && !versions.front().prev_contract.empty(); ++i) {
      auto prev = ledger::GetContract(s, versions.front().prev_contract);
      if (!prev) break;
      versions.insert(versions.begin(), *prev);
    }
    for (int i = 0; i < 1000 && !versions.back().next_contract.empty(); ++i) {
      auto next = ledger::GetContract(s, versions.back().next_contract);
      if (!next) break;
      versions.push_back(*next);
    }
    json history = json::array();
    for (const auto& v : versions) {
      history.push_back({{"contract_id", v.contract_id},
                         {"version", v.version},
                         {"status", ledger::ContractStatusName(v.status)},
                         {"doc_digest", HexEncode(v.doc_digest)},
                         {"signatures", v.signatures.size()},
                         {"parties", v.parties.size()}});
    }
    json events = json::array();
    for (const auto& e : s.GetEvents(id)) events.push_back(EventJson(e, suite()));
    json j = ContractJson(*c, suite());
    j["versions"] = history;
    j["events"] = events;
    j["as_of_height"] = s.height();
    return Json(200, j);
  }

  HttpResponse ListContracts(const HttpRequest& req) {
    const auto& s = node_.store();
    auto it = req.query.find("digest");
    if (it == req.query.end()) return Error(400, "missing_filter", "give digest=HEX");
    auto d = HexDecode(it->second);
    if (!d.ok() || d->size() != crypto::kDigestSize) {
      return Error(400, "bad_digest", "digest must be 64 hex characters");
    }
    json list = json::array();
    for (const auto& [key, value] : s.ScanRecords(ledger::Table::kContractByDigest,
                                                  std::string(d->begin(), d->end()), "", 1000)) {
      if (auto c = ledger::GetContract(s, key.substr(crypto::kDigestSize))) {
        list.push_back(ContractJson(*c, suite()));
      }
    }
    return Json(200, {{"contracts", list}, {"as_of_height", s.height()}});
  }

  HttpResponse ListProposals() {
    const auto& s = node_.store();
    json list = json::array();
    for (const auto& [key, value] : s.ScanRecords(ledger::Table::kProposal, "", "", 10'000)) {
      auto p = ledger::DecodeProposal(value);
      if (p.ok()) list.push_back(ProposalJson(*p, s.height() + 1, suite()));
    }
    return Json(200, {{"proposals", list}, {"as_of_height", s.height()}});
  }

  HttpResponse GetProposal(const std::string& id) {
    const auto& s = node_.store();
    auto p = ledger::GetProposal(s, id);
    if (!p) return Error(404, "unknown_proposal", "no proposal " + id);
    json j = ProposalJson(*p, s.height() + 1, suite());
    json events = json::array();
    for (const auto& e : s.GetEvents(id)) events.push_back(EventJson(e, suite()));
    j["events"] = events;
    j["as_of_height"] = s.height();
    return Json(200, j);
  }

  // ?height=H (default: the next block's height, whose rules new transactions meet).
  bool HeightParam(const HttpRequest& req, uint64_t& height) {
    height = node_.store().height() + 1;
    auto it = req.query.find("height");
    return it == req.query.end() || (ParseU64(it->second, height) && height > 0);
  }

  HttpResponse RegistryAt(const HttpRequest& req) {
    uint64_t height;
    if (!HeightParam(req, height)) return Error(400, "bad_height", "height must be a number > 0");
    contracts::RegistryView view(node_.registry(), node_.store(), height);
    json departments = json::array(), types = json::array();
    for (const auto& d : view.Departments()) departments.push_back(DepartmentJson(d, suite()));
    for (const auto& t : view.Types()) types.push_back(MaterialTypeJson(t));
    return Json(200, {{"height", height},
                      {"departments", departments},
                      {"material_types", types},
                      {"approval_threshold", contracts::ApprovalThreshold(departments.size())}});
  }

  HttpResponse Validators(const HttpRequest& req) {
    uint64_t height;
    if (!HeightParam(req, height)) return Error(400, "bad_height", "height must be a number > 0");
    const auto& s = node_.store();
    json set = json::array(), pending = json::array();
    for (const auto& v : contracts::ValidatorSetAt(node_.registry(), s, height)) {
      set.push_back(ValidatorJson(v, suite()));
    }
    for (const auto& c : contracts::PendingValidatorChanges(s, s.height())) {
      json v = c.remove ? json{{"name", c.validator.name}} : ValidatorJson(c.validator, suite());
      pending.push_back({{"effective_height", c.effective_height},
                         {"change", c.remove ? "remove" : c.rotate ? "rotate" : "add"},
                         {"validator", v},
                         {"proposal_id", c.proposal_id}});
    }
    return Json(200, {{"height", height},
                      {"validators", set},
                      {"validators_hash", crypto::DigestHex(ledger::ValidatorsHash(
                                              suite(), contracts::ValidatorSetAt(
                                                           node_.registry(), s, height)))},
                      {"pending_changes", pending},
                      {"as_of_height", s.height()}});
  }

  // POST /v1/txs {"txs": [base64 SignedTx, ...]}: each transaction admitted as by POST /v1/tx
  // without waiting (decoded, signature verified, rule-checked, into the mempool and forwarded),
  // answered together once every one has its verdict, in the order sent: 200 with a result per
  // transaction ({"tx_hash", "status": "pending"} or {"tx_hash"?, "error"}) and the counts. One
  // bad entry refuses only itself. For back-office systems issuing in bulk: one request, one
  // parse, one answer per batch instead of per transaction.
  void SubmitBatch(const HttpRequest& req, const Responder& respond) {
    if (req.query.count("wait") > 0) {
      return respond(Error(400, "bad_request",
                           "a batch is not waited for: poll GET /v1/tx/{hash} for each "
                           "transaction, or submit it alone to POST /v1/tx?wait=1"));
    }
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object() || !body.contains("txs") ||
        !body["txs"].is_array() || body["txs"].empty()) {
      return respond(Error(400, "bad_request",
                           "body must be JSON {\"txs\": [\"<base64 SignedTx>\", ...]} with at "
                           "least one transaction"));
    }
    const json& txs = body["txs"];
    const size_t n = txs.size();
    const size_t max = node_.config().max_batch_txs;
    if (n > max) {
      return respond(Error(413, "batch_too_large",
                           "a batch holds at most " + std::to_string(max) + " transactions ([api] "
                           "max_batch_txs); this one has " + std::to_string(n)));
    }
    if (submits_.enabled() && n > submits_.burst()) {
      return respond(Error(413, "batch_too_large",
                           "a batch of " + std::to_string(n) + " transactions exceeds this "
                           "client's submission burst of " + std::to_string(submits_.burst()) +
                           " ([api] submit_burst); send smaller batches"));
    }
    if (HttpResponse limited; n > 1 && RateLimited(req, true, limited, n - 1)) {
      return respond(std::move(limited));
    }
    struct Batch {
      std::vector<json> results;
      size_t left;  // verdicts still to come, plus one held until every entry was handed on
      Responder respond;
    };
    auto b = std::make_shared<Batch>(Batch{std::vector<json>(n), n + 1, respond});
    auto finish = [](Batch& batch) {
      if (--batch.left > 0) return;
      const auto admitted = static_cast<size_t>(
          std::count_if(batch.results.begin(), batch.results.end(),
                        [](const json& r) { return !r.contains("error"); }));
      json out = {{"admitted", admitted},
                  {"rejected", batch.results.size() - admitted},
                  {"results", std::move(batch.results)}};
      batch.respond(Json(200, out));
    };
    for (size_t i = 0; i < n; ++i) {
      Result<Bytes> raw = txs[i].is_string()
                              ? Base64Decode(txs[i].get<std::string>())
                              : Result<Bytes>(Status::Error("bad_request", "not a string"));
      if (!raw.ok()) {
        SubmitResult bad;
        bad.status = Status::Error("bad_request",
                                   "txs[" + std::to_string(i) + "]: " + raw.status().message());
        b->results[i] = SubmitResultJson(bad);
        finish(*b);
        continue;
      }
      node_.Submit(*raw, /*wait=*/false, 0, [b, i, finish](SubmitResult r) {
        b->results[i] = SubmitResultJson(r);
        finish(*b);
      });
    }
    finish(*b);
  }

  void SubmitTx(const HttpRequest& req, const Responder& respond) {
    std::optional<std::string_view> compact = CompactTxField(req.body);
    json body;
    if (!compact) {
      body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded() || !body.is_object() || !body.contains("tx") ||
          !body["tx"].is_string()) {
        return respond(
            Error(400, "bad_request", "body must be JSON {\"tx\": \"<base64 SignedTx>\"}"));
      }
    }
    auto raw = Base64Decode(compact ? *compact : body["tx"].get_ref<const std::string&>());
    if (!raw.ok()) return respond(Error(400, "bad_request", "tx: " + raw.status().message()));
    bool wait = QueryFlag(req, "wait");
    int64_t wait_ms = kDefaultWaitMs;
    if (auto it = req.query.find("timeout_ms"); it != req.query.end()) {
      uint64_t v;
      if (!ParseU64(it->second, v) || v == 0) {
        return respond(Error(400, "bad_request", "timeout_ms must be a positive number"));
      }
      wait_ms = static_cast<int64_t>(std::min<uint64_t>(v, 3'600'000));
    }
    node_.Submit(*raw, wait, wait_ms, [respond](SubmitResult r) {
      respond(Json(r.http_status, SubmitResultJson(r)));
    });
  }

  // What a submission answers, alone or as one entry of a batch: the hash (when the bytes
  // decoded), then the error, or "committed" with where, or "pending".
  static json SubmitResultJson(const SubmitResult& r) {
    json j;
    if (r.hash != crypto::Digest{}) j["tx_hash"] = crypto::DigestHex(r.hash);
    if (!r.status.ok()) {
      j["error"] = {{"code", r.status.code()}, {"message", r.status.message()}};
    } else if (r.location) {
      j["status"] = "committed";
      j["height"] = r.location->height;
      j["index"] = r.location->index;
      j["log_index"] = r.location->log_index;
    } else {
      j["status"] = "pending";
    }
    return j;
  }

  Node& node_;
  RateLimiter reads_;
  RateLimiter submits_;
};

}  // namespace

HttpHandler MakeApiHandler(Node& node) {
  auto api = std::make_shared<Api>(node);
  return [api](HttpRequest req, Responder respond) { api->Handle(std::move(req), std::move(respond)); };
}

}  // namespace govledger::node

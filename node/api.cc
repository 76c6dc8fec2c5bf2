#include "node/api.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "contracts/governance.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"
#include "ledger/records.h"
#include "node/log.h"
#include "node/node.h"
#include "node/views.h"
#include "node/web.h"
#include "util/bytes.h"
#include "util/time.h"

namespace govledger::node {

using nlohmann::json;

namespace {

constexpr int64_t kDefaultWaitMs = 30'000;
constexpr size_t kMaxListLimit = 1000;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse Error(int status, const std::string& code, const std::string& message) {
  return Json(status, {{"error", {{"code", code}, {"message", message}}}});
}

bool ParseU64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool QueryFlag(const HttpRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it != req.query.end() && (it->second.empty() || it->second == "true" || it->second == "1");
}

class Api {
 public:
  explicit Api(Node& node) : node_(node) {}

  void Handle(HttpRequest req, Responder respond) {
    auto counted = [this, respond](HttpResponse r) {
      ++node_.metrics().http_responses[r.status];
      respond(std::move(r));
    };
    const std::string& p = req.path;
    if (p == "/v1/tx") {
      if (req.method != "POST") return counted(MethodNotAllowed("POST"));
      return SubmitTx(req, counted);
    }
    if (req.method != "GET" && req.method != "HEAD") return counted(MethodNotAllowed("GET"));
    counted(Get(req));
  }

 private:
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
                                      node_.mempool().bytes(), node_.api_connections());
      return r;
    }
    if (p == "/v1/status") return Status();
    if (p == "/v1/genesis") {
      HttpResponse r;
      r.body = ledger::GenesisToJson(node_.genesis(), /*pretty=*/true);
      return r;
    }
    if (auto r = RuleRoute(req)) return std::move(*r);
    if (p == "/v1/materials") return ListMaterials(req);
    static const std::string kBlock = "/v1/block/", kTx = "/v1/tx/", kMaterial = "/v1/material/";
    if (p.rfind(kBlock, 0) == 0) {
      std::string rest = p.substr(kBlock.size());
      static const std::string kRaw = "/raw";
      if (rest.size() > kRaw.size() &&
          rest.compare(rest.size() - kRaw.size(), kRaw.size(), kRaw) == 0) {
        return GetBlockRaw(rest.substr(0, rest.size() - kRaw.size()));
      }
      return GetBlock(rest);
    }
    if (p.rfind(kTx, 0) == 0) return GetTx(p.substr(kTx.size()));
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
                        {"evidence", c->stats().evidence}};
    }

    return Json(200, j);
  }

  // The exact stored bytes of a block and its certificate, for a remote audit that re-executes
  // the chain (`govledger audit chain --node`).
  HttpResponse GetBlockRaw(const std::string& arg) {
    const auto& s = node_.store();
    uint64_t height = 0;
    if (!ParseU64(arg, height)) return Error(400, "bad_height", "block height must be a number");
    if (height == 0 || height > s.height()) {
      return Error(404, "not_found", "no block at height " + arg + " (tip is " +
                                         std::to_string(s.height()) + ")");
    }
    auto bytes = s.GetBlockBytes(height);
    if (!bytes.ok()) return Error(500, bytes.status().code(), bytes.status().message());
    auto commit = s.GetCommit(height);
    if (!commit.ok()) return Error(500, commit.status().code(), commit.status().message());
    return Json(200, {{"height", height},
                      {"block", Base64Encode(*bytes)},
                      {"commit", Base64Encode(ledger::EncodeCommit(*commit))}});
  }

  HttpResponse GetBlock(const std::string& arg) {
    const auto& s = node_.store();
    uint64_t height = 0;
    if (arg == "latest") {
      height = s.height();
    } else if (!ParseU64(arg, height)) {
      return Error(400, "bad_height", "block height must be a number or 'latest'");
    }
    if (height == 0 || height > s.height()) {
      return Error(404, "not_found", "no block at height " + arg + " (tip is " +
                                         std::to_string(s.height()) + ")");
    }
    auto block = s.GetBlock(height);
    if (!block.ok()) return Error(500, block.status().code(), block.status().message());
    crypto::Suite suite = node_.genesis().suite;
    json j = HeaderJson(block->header, crypto::Hash(suite, block->header_bytes), suite);
    json txs = json::array();
    for (const auto& raw : block->txs) {
      auto tx = ledger::DecodeTx(suite, raw, raw.size());
      txs.push_back(tx.ok() ? TxBodyJson(*tx, node_.registry()) : json(nullptr));
    }
    j["txs"] = txs;
    if (block->last_commit) j["last_commit"] = CommitJson(*block->last_commit, suite);
    if (auto commit = s.GetCommit(height); commit.ok()) j["commit"] = CommitJson(*commit, suite);
    if (auto events = s.GetBlockEvents(height); events.ok()) {
      json ev = json::array();
      for (const auto& e : *events) ev.push_back(EventJson(e, suite));
      j["events"] = ev;
    }
    return Json(200, j);
  }

  HttpResponse GetTx(const std::string& hex) {
    auto hash = crypto::DigestFromHex(hex);
    if (!hash.ok()) return Error(400, "bad_hash", "tx hash must be 64 hex characters");
    const auto& s = node_.store();
    auto loc = s.FindTx(*hash);
    if (!loc) {
      if (node_.mempool().Contains(*hash)) {
        return Json(200, {{"tx_hash", hex}, {"status", "pending"}});
      }
      return Error(404, "not_found", "no transaction " + hex);
    }
    auto raw = s.GetTxBytes(*loc);
    if (!raw.ok()) return Error(500, raw.status().code(), raw.status().message());
    auto tx = ledger::DecodeTx(node_.genesis().suite, *raw, raw->size());
    if (!tx.ok()) return Error(500, "corrupt_store", tx.status().message());
    json j = TxBodyJson(*tx, node_.registry());
    j["status"] = "committed";
    j["height"] = loc->height;
    j["index"] = loc->index;
    j["log_index"] = loc->log_index;
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

  HttpResponse ListMaterials(const HttpRequest& req) {
    const auto& s = node_.store();
    ledger::ListQuery q;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      uint64_t limit;
      if (!ParseU64(it->second, limit) || limit == 0 || limit > kMaxListLimit) {
        return Error(400, "bad_limit", "limit must be 1.." + std::to_string(kMaxListLimit));
      }
      q.limit = limit;
    }
    if (auto it = req.query.find("after"); it != req.query.end()) q.after = it->second;
    // Ask for one more than the page so next_after is only set when more really follow.
    const size_t page = q.limit;
    q.limit = page + 1;
    std::vector<std::string> ids;
    auto get = [&](const char* key) -> const std::string* {
      auto it = req.query.find(key);
      return it == req.query.end() ? nullptr : &it->second;
    };
    if (const auto* digest = get("digest")) {
      auto d = HexDecode(*digest);
      if (!d.ok() || d->size() != crypto::kDigestSize) {
        return Error(400, "bad_digest", "digest must be 64 hex characters");
      }
      ids = s.MaterialsByDigest(*d, q);
    } else if (const auto* holder = get("holder")) {
      auto d = HexDecode(*holder);
      if (!d.ok() || d->size() != crypto::kDigestSize) {
        return Error(400, "bad_holder", "holder must be a 64-hex-character holder commitment");
      }
      ids = s.MaterialsByHolder(*d, q);
    } else if (const auto* issuer = get("issuer")) {
      ids = s.MaterialsByIssuer(*issuer, q);
    } else if (const auto* type = get("type")) {
      ids = s.MaterialsByType(*type, q);
    } else if (const auto* within = get("expiring_within")) {
      auto ms = ParseDurationMs(*within);
      if (!ms.ok()) return Error(400, "bad_duration", ms.status().message());
      int64_t now = s.tip_time_ms();
      // Saturating: a huge duration means "everything that will ever expire", not an overflow.
      const int64_t until = *ms > std::numeric_limits<int64_t>::max() - now
                                ? std::numeric_limits<int64_t>::max()
                                : now + *ms;
      ids = s.MaterialsExpiringBetween(now, until, q);
    } else {
      return Error(400, "missing_filter",
                   "give one of digest=, holder=, issuer=, type= or expiring_within=");
    }
    bool more = ids.size() > page;
    if (more) ids.resize(page);
    json list = json::array();
    for (const auto& id : ids) {
      if (auto m = s.GetMaterial(id)) {
        list.push_back(MaterialJson(*m, node_.registry(), &s, s.height() + 1));
      }
    }
    json j{{"materials", list}, {"as_of_height", s.height()}};
    if (more) j["next_after"] = ids.back();
    return Json(200, j);
  }

  // ---------------------------------------------------------------- rule contract records

  static bool EndsWith(const std::string& s, const std::string& suffix) {
    return s.size() > suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // Grants, usage statistics, e-contracts, proposals, the registry and validator set in force.
  // nullopt: not one of these routes.
  std::optional<HttpResponse> RuleRoute(const HttpRequest& req) {
    const std::string& p = req.path;
    static const std::string kMaterial = "/v1/material/", kGrant = "/v1/grant/",
                             kContract = "/v1/contract/", kProposal = "/v1/proposal/",
                             kGrants = "/grants";
    if (p.rfind(kMaterial, 0) == 0 && EndsWith(p, kGrants)) {
      return MaterialGrants(p.substr(kMaterial.size(), p.size() - kMaterial.size() - kGrants.size()));
    }
    if (p.rfind(kGrant, 0) == 0) return GetGrant(p.substr(kGrant.size()));
    if (p == "/v1/stats") return Stats(req);
    if (p == "/v1/report") return Report(req);
    if (p.rfind(kContract, 0) == 0) return GetContract(p.substr(kContract.size()));
    if (p == "/v1/contracts") return ListContracts(req);
    if (p == "/v1/proposals") return ListProposals();
    if (p.rfind(kProposal, 0) == 0) return GetProposal(p.substr(kProposal.size()));
    if (p == "/v1/registry") return RegistryAt(req);
    if (p == "/v1/validators") return Validators(req);
    static const std::string kProof = "/v1/proof/", kContractProof = "/v1/proof/contract/";
    if (p.rfind(kContractProof, 0) == 0) {
      return GetContractProof(p.substr(kContractProof.size()));
    }
    if (p.rfind(kProof, 0) == 0) return GetProof(p.substr(kProof.size()));
    if (p == "/v1/consistency") return Consistency(req);
    return std::nullopt;
  }

  crypto::Suite suite() const { return node_.genesis().suite; }

  HttpResponse MaterialGrants(const std::string& id) {
    const auto& s = node_.store();
    if (!s.GetMaterial(id)) return Error(404, "unknown_material", "no material " + id);
    json list = json::array();
    for (const std::string& g : ledger::ScanIndex(s, ledger::Table::kGrantByMaterial, id, 1000)) {
      if (auto grant = ledger::GetGrant(s, g)) {
        list.push_back(GrantJson(*grant, s.tip_time_ms(), suite()));
      }
    }
    return Json(200, {{"material_id", id}, {"grants", list}, {"as_of_height", s.height()}});
  }

  HttpResponse GetGrant(const std::string& id) {
    const auto& s = node_.store();
    auto g = ledger::GetGrant(s, id);
    if (!g) return Error(404, "unknown_grant", "no grant " + id);
    json j = GrantJson(*g, s.tip_time_ms(), suite());
    j["as_of_height"] = s.height();
    return Json(200, j);
  }

  // Use counts per (type, consumer department, purpose), optionally filtered by each.
  HttpResponse Stats(const HttpRequest& req) {
    const auto& s = node_.store();
    auto q = [&req](const char* key) {
      auto it = req.query.find(key);
      return it == req.query.end() ? std::string() : it->second;
    };
    const std::string type = q("type"), consumer = q("consumer"), purpose = q("purpose");
    const std::string prefix = type.empty() ? std::string() : ledger::JoinKey(type, "");
    json rows = json::array();
    uint64_t total = 0;
    for (const auto& [key, value] : s.ScanRecords(ledger::Table::kUsage, prefix, "", 100'000)) {
      size_t a = key.find('\0');
      size_t b = a == std::string::npos ? a : key.find('\0', a + 1);
      if (b == std::string::npos) continue;
      std::string t = key.substr(0, a), c = key.substr(a + 1, b - a - 1), p = key.substr(b + 1);
      if ((!consumer.empty() && c != consumer) || (!purpose.empty() && p != purpose)) continue;
      auto count = ledger::DecodeU64(value);
      if (!count.ok()) continue;
      total += *count;
      rows.push_back({{"type", t}, {"consumer", c}, {"purpose", p}, {"uses", *count}});
    }
    return Json(200, {{"usage", rows}, {"total_uses", total}, {"as_of_height", s.height()}});
  }

  // The proof bundle of a material at the tip (doc/proof-bundle.md), without disclosed fields:
  // the holder adds those from its receipt (`govledger proof export --disclose`).
  HttpResponse GetProof(const std::string& id) {
    ledger::ProofRequest request;
    request.material_id = id;
    auto bundle = ledger::BuildProofBundle(node_.store(), node_.genesis(), request);
    if (!bundle.ok()) {
      const std::string& reason = bundle.status().code();
      const int code = reason == "not_found" ? 404 : reason == "busy" ? 503 : 500;
      return Error(code, reason, bundle.status().message());
    }
    HttpResponse r;
    r.body = ledger::ProofBundleToJson(*bundle);
    return r;
  }

  // The evidence bundle of an e-contract's version history at the tip (doc/proof-bundle.md).
  HttpResponse GetContractProof(const std::string& id) {
    auto bundle = ledger::BuildContractBundle(node_.store(), node_.genesis(), id);
    if (!bundle.ok()) {
      const std::string& code = bundle.status().code();
      return Error(code == "not_found" ? 404 : code == "busy" ? 503 : 500, code,
                   bundle.status().message());
    }
    HttpResponse r;
    r.body = ledger::ContractBundleToJson(*bundle);
    return r;
  }

  // RFC 9162 consistency proof between two sizes of the transaction log, to show that an older
  // bundle's log is a prefix of the current one.
  HttpResponse Consistency(const HttpRequest& req) {
    uint64_t first = 0, second = 0;
    auto a = req.query.find("first"), b = req.query.find("second");
    if (a == req.query.end() || b == req.query.end() || !ParseU64(a->second, first) ||
        !ParseU64(b->second, second) || first == 0 || first > second ||
        second > node_.store().log_size()) {
      return Error(400, "bad_request",
                   "give 0 < first <= second <= the log size (" +
                       std::to_string(node_.store().log_size()) + ")");
    }
    ledger::PendingLogNodes nodes(node_.store().log_nodes());  // read-only use
    crypto::MerkleLog log(suite(), &nodes, node_.store().log_size());
    auto proof = log.ConsistencyProof(first, second);
    auto first_root = log.Root(first), second_root = log.Root(second);
    if (!proof.ok() || !first_root.ok() || !second_root.ok()) {
      return Error(500, "corrupt_store", "cannot build the consistency proof");
    }
    json path = json::array();
    for (const auto& d : *proof) path.push_back(crypto::DigestHex(d));
    return Json(200, {{"first", first},
                      {"second", second},
                      {"first_root", crypto::DigestHex(*first_root)},
                      {"second_root", crypto::DigestHex(*second_root)},
                      {"proof", path}});
  }

  // Usage statistics of the blocks whose time is in [from_ms, to_ms) (ledger/report.h).
  HttpResponse Report(const HttpRequest& req) {
    auto arg = [&req](const char* key, int64_t& out) {
      auto it = req.query.find(key);
      uint64_t v = 0;
      if (it == req.query.end() || !ParseU64(it->second, v) || v > INT64_MAX) return false;
      out = static_cast<int64_t>(v);
      return true;
    };
    ledger::ReportQuery q;
    if (!arg("from_ms", q.from_ms) || !arg("to_ms", q.to_ms) || q.to_ms <= q.from_ms) {
      return Error(400, "bad_request",
                   "give from_ms and to_ms (milliseconds since 1970, from_ms < to_ms)");
    }
    // Served on the node's one thread: a long range comes in slices (truncated, next_from_ms).
    q.max_blocks = 2'000;
    const auto& s = node_.store();
    auto report = ledger::BuildUsageReport(s, q);
    if (!report.ok()) return Error(500, report.status().code(), report.status().message());
    return Json(200, ReportJson(*report, node_.registry(), s, s.height()));
  }

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
                         {"change", c.remove ? "remove" : "add"},
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

  void SubmitTx(const HttpRequest& req, const Responder& respond) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object() || !body.contains("tx") || !body["tx"].is_string()) {
      return respond(Error(400, "bad_request", "body must be JSON {\"tx\": \"<base64 SignedTx>\"}"));
    }
    auto raw = Base64Decode(body["tx"].get<std::string>());
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
      respond(Json(r.http_status, j));
    });
  }

  Node& node_;
};

}  // namespace

HttpHandler MakeApiHandler(Node& node) {
  auto api = std::make_shared<Api>(node);
  return [api](HttpRequest req, Responder respond) { api->Handle(std::move(req), std::move(respond)); };
}

}  // namespace govledger::node

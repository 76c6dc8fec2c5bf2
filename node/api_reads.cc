#include "node/api_reads.h"

#include <charconv>
#include <cstdint>
#include <limits>

#include "contracts/governance.h"
#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"
#include "ledger/records.h"
#include "node/views.h"
#include "util/bytes.h"
#include "util/time.h"

namespace govledger::node {

using nlohmann::json;

namespace {

constexpr size_t kMaxListLimit = 1000;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

HttpResponse ApiJson(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse ApiError(int status, const std::string& code, const std::string& message) {
  return ApiJson(status, {{"error", {{"code", code}, {"message", message}}}});
}

bool ParseU64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

namespace {

// The exact stored bytes of a block and its certificate, for a remote audit that re-executes
// the chain (`govledger audit chain --node`).
HttpResponse GetBlockRaw(const ReadContext& c, const std::string& arg) {
  const auto& s = c.store;
  uint64_t height = 0;
  if (!ParseU64(arg, height)) return ApiError(400, "bad_height", "block height must be a number");
  if (height == 0 || height > s.height()) {
    return ApiError(404, "not_found",
                    "no block at height " + arg + " (tip is " + std::to_string(s.height()) + ")");
  }
  auto bytes = s.GetBlockBytes(height);
  if (!bytes.ok()) return ApiError(500, bytes.status().code(), bytes.status().message());
  auto commit = s.GetCommit(height);
  if (!commit.ok()) return ApiError(500, commit.status().code(), commit.status().message());
  return ApiJson(200, {{"height", height},
                       {"block", Base64Encode(*bytes)},
                       {"commit", Base64Encode(ledger::EncodeCommit(*commit))}});
}

// The public view of a block, or the full one for a signed request (c.authenticated).
HttpResponse GetBlock(const ReadContext& c, const std::string& arg) {
  const auto& s = c.store;
  uint64_t height = 0;
  if (arg == "latest") {
    height = s.height();
  } else if (!ParseU64(arg, height)) {
    return ApiError(400, "bad_height", "block height must be a number or 'latest'");
  }
  if (height == 0 || height > s.height()) {
    return ApiError(404, "not_found",
                    "no block at height " + arg + " (tip is " + std::to_string(s.height()) + ")");
  }
  auto block = s.GetBlock(height);
  if (!block.ok()) return ApiError(500, block.status().code(), block.status().message());
  crypto::Suite suite = c.genesis.suite;
  json j = HeaderJson(block->header, crypto::Hash(suite, block->header_bytes), suite);
  if (!c.authenticated) {
    // Public: what verification needs (the header, the certificates, the hashes of the events
    // the block lists); the transactions and events themselves are usage logs, signed-only.
    if (block->last_commit) j["last_commit"] = CommitJson(*block->last_commit, suite);
    if (auto commit = s.GetCommit(height); commit.ok()) j["commit"] = CommitJson(*commit, suite);
    if (auto events = s.GetBlockEvents(height); events.ok()) {
      json ev = json::array();
      for (const auto& e : *events) {
        ev.push_back({{"event_hash", crypto::DigestHex(ledger::EventHash(suite, e))}});
      }
      j["events"] = ev;
    }
    j["redacted"] = true;
    return ApiJson(200, j);
  }
  json txs = json::array();
  for (const auto& raw : block->txs) {
    auto tx = ledger::DecodeTx(suite, raw, raw.size());
    txs.push_back(tx.ok() ? TxBodyJson(*tx, c.registry) : json(nullptr));
  }
  j["txs"] = txs;
  if (block->last_commit) j["last_commit"] = CommitJson(*block->last_commit, suite);
  if (auto commit = s.GetCommit(height); commit.ok()) j["commit"] = CommitJson(*commit, suite);
  if (auto events = s.GetBlockEvents(height); events.ok()) {
    json ev = json::array();
    for (const auto& e : *events) ev.push_back(EventJson(e, suite));
    j["events"] = ev;
  }
  return ApiJson(200, j);
}

HttpResponse GetTx(const ReadContext& c, const std::string& hex) {
  auto hash = crypto::DigestFromHex(hex);
  if (!hash.ok()) return ApiError(400, "bad_hash", "tx hash must be 64 hex characters");
  const auto& s = c.store;
  auto loc = s.FindTx(*hash);
  if (!loc) {
    return ApiError(404, "not_found", "no transaction " + hex);
  }
  auto raw = s.GetTxBytes(*loc);
  if (!raw.ok()) return ApiError(500, raw.status().code(), raw.status().message());
  auto tx = ledger::DecodeTx(c.genesis.suite, *raw, raw->size());
  if (!tx.ok()) return ApiError(500, "corrupt_store", tx.status().message());
  // Public: where it is, and its kind; the body (who used what, for which purpose) is signed-only.
  json j = c.authenticated ? TxBodyJson(*tx, c.registry)
                           : json{{"tx_hash", hex}, {"kind", ledger::TxKindName(tx->body.payload)}};
  j["status"] = "committed";
  j["height"] = loc->height;
  j["index"] = loc->index;
  j["log_index"] = loc->log_index;
  return ApiJson(200, j);
}

HttpResponse ListMaterials(const ReadContext& c, const HttpRequest& req) {
  const auto& s = c.store;
  ledger::ListQuery q;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    uint64_t limit;
    if (!ParseU64(it->second, limit) || limit == 0 || limit > kMaxListLimit) {
      return ApiError(400, "bad_limit", "limit must be 1.." + std::to_string(kMaxListLimit));
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
      return ApiError(400, "bad_digest", "digest must be 64 hex characters");
    }
    ids = s.MaterialsByDigest(*d, q);
  } else if (const auto* holder = get("holder")) {
    auto d = HexDecode(*holder);
    if (!d.ok() || d->size() != crypto::kDigestSize) {
      return ApiError(400, "bad_holder", "holder must be a 64-hex-character holder commitment");
    }
    ids = s.MaterialsByHolder(*d, q);
  } else if (const auto* issuer = get("issuer")) {
    ids = s.MaterialsByIssuer(*issuer, q);
  } else if (const auto* type = get("type")) {
    ids = s.MaterialsByType(*type, q);
  } else if (const auto* within = get("expiring_within")) {
    auto ms = ParseDurationMs(*within);
    if (!ms.ok()) return ApiError(400, "bad_duration", ms.status().message());
    int64_t now = s.tip_time_ms();
    // Saturating: a huge duration means "everything that will ever expire", not an overflow.
    const int64_t until = *ms > std::numeric_limits<int64_t>::max() - now
                              ? std::numeric_limits<int64_t>::max()
                              : now + *ms;
    ids = s.MaterialsExpiringBetween(now, until, q);
  } else {
    return ApiError(400, "missing_filter",
                    "give one of digest=, holder=, issuer=, type= or expiring_within=");
  }
  bool more = ids.size() > page;
  if (more) ids.resize(page);
  json list = json::array();
  for (const auto& id : ids) {
    if (auto m = s.GetMaterial(id)) {
      list.push_back(MaterialJson(*m, c.registry, &s, s.height() + 1));
    }
  }
  json j{{"materials", list}, {"as_of_height", s.height()}};
  if (more) j["next_after"] = ids.back();
  return ApiJson(200, j);
}

HttpResponse MaterialGrants(const ReadContext& c, const std::string& id) {
  const auto& s = c.store;
  if (!s.GetMaterial(id)) return ApiError(404, "unknown_material", "no material " + id);
  json list = json::array();
  for (const std::string& g : ledger::ScanIndex(s, ledger::Table::kGrantByMaterial, id, 1000)) {
    if (auto grant = ledger::GetGrant(s, g)) {
      list.push_back(GrantJson(*grant, s.tip_time_ms(), c.genesis.suite));
    }
  }
  return ApiJson(200, {{"material_id", id}, {"grants", list}, {"as_of_height", s.height()}});
}

HttpResponse GetGrant(const ReadContext& c, const std::string& id) {
  const auto& s = c.store;
  auto g = ledger::GetGrant(s, id);
  if (!g) return ApiError(404, "unknown_grant", "no grant " + id);
  json j = GrantJson(*g, s.tip_time_ms(), c.genesis.suite);
  j["as_of_height"] = s.height();
  return ApiJson(200, j);
}

// Use counts per (type, consumer department, purpose), optionally filtered by each.
HttpResponse Stats(const ReadContext& c, const HttpRequest& req) {
  const auto& s = c.store;
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
    std::string t = key.substr(0, a), dept = key.substr(a + 1, b - a - 1), p = key.substr(b + 1);
    if ((!consumer.empty() && dept != consumer) || (!purpose.empty() && p != purpose)) continue;
    auto count = ledger::DecodeU64(value);
    if (!count.ok()) continue;
    total += *count;
    rows.push_back({{"type", t}, {"consumer", dept}, {"purpose", p}, {"uses", *count}});
  }
  return ApiJson(200, {{"usage", rows}, {"total_uses", total}, {"as_of_height", s.height()}});
}

// not_found is 404; busy (blocks committed while the bundle was built) is 503, try again.
HttpResponse ProofError(const Status& st) {
  const int code = st.code() == "not_found" ? 404 : st.code() == "busy" ? 503 : 500;
  return ApiError(code, st.code(), st.message());
}

// The proof bundle of a material at the tip (doc/proof-bundle.md), without disclosed fields:
// the holder adds those from its receipt (`govledger proof export --disclose`).
HttpResponse GetProof(const ReadContext& c, const std::string& id) {
  ledger::ProofRequest request;
  request.material_id = id;
  auto bundle = ledger::BuildProofBundle(c.store, c.genesis, request);
  if (!bundle.ok()) return ProofError(bundle.status());
  HttpResponse r;
  r.body = ledger::ProofBundleToJson(*bundle);
  return r;
}

// The evidence bundle of an e-contract's version history at the tip (doc/proof-bundle.md).
HttpResponse GetContractProof(const ReadContext& c, const std::string& id) {
  auto bundle = ledger::BuildContractBundle(c.store, c.genesis, id);
  if (!bundle.ok()) return ProofError(bundle.status());
  HttpResponse r;
  r.body = ledger::ContractBundleToJson(*bundle);
  return r;
}

// RFC 9162 consistency proof between two sizes of the transaction log, to show that an older
// bundle's log is a prefix of the current one.
HttpResponse Consistency(const ReadContext& c, const HttpRequest& req) {
  uint64_t first = 0, second = 0;
  auto a = req.query.find("first"), b = req.query.find("second");
  if (a == req.query.end() || b == req.query.end() || !ParseU64(a->second, first) ||
      !ParseU64(b->second, second) || first == 0 || first > second || second > c.store.log_size()) {
    return ApiError(
        400, "bad_request",
        "give 0 < first <= second <= the log size (" + std::to_string(c.store.log_size()) + ")");
  }
  ledger::PendingLogNodes nodes(c.store.log_nodes());  // read-only use
  crypto::MerkleLog log(c.genesis.suite, &nodes, c.store.log_size());
  auto proof = log.ConsistencyProof(first, second);
  auto first_root = log.Root(first), second_root = log.Root(second);
  if (!proof.ok() || !first_root.ok() || !second_root.ok()) {
    return ApiError(500, "corrupt_store", "cannot build the consistency proof");
  }
  json path = json::array();
  for (const auto& d : *proof) path.push_back(crypto::DigestHex(d));
  return ApiJson(200, {{"first", first},
                       {"second", second},
                       {"first_root", crypto::DigestHex(*first_root)},
                       {"second_root", crypto::DigestHex(*second_root)},
                       {"proof", path}});
}

// Usage statistics of the blocks whose time is in [from_ms, to_ms) (ledger/report.h).
HttpResponse Report(const ReadContext& c, const HttpRequest& req) {
  auto arg = [&req](const char* key, int64_t& out) {
    auto it = req.query.find(key);
    uint64_t v = 0;
    if (it == req.query.end() || !ParseU64(it->second, v) || v > INT64_MAX) return false;
    out = static_cast<int64_t>(v);
    return true;
  };
  ledger::ReportQuery q;
  if (!arg("from_ms", q.from_ms) || !arg("to_ms", q.to_ms) || q.to_ms <= q.from_ms) {
    return ApiError(400, "bad_request",
                    "give from_ms and to_ms (milliseconds since 1970, from_ms < to_ms)");
  }
  // Served on the node's one thread: a long range comes in slices (truncated, next_from_ms).
  q.max_blocks = 2'000;
  const auto& s = c.store;
  auto report = ledger::BuildUsageReport(s, q);
  if (!report.ok()) return ApiError(500, report.status().code(), report.status().message());
  return ApiJson(200, ReportJson(*report, c.registry, s, s.height()));
}

}  // namespace

ReadRoute ClassifyRead(const HttpRequest& req) {
  const std::string& p = req.path;
  static const std::string kBlock = "/v1/block/", kTx = "/v1/tx/", kMaterial = "/v1/material/",
                           kGrant = "/v1/grant/", kProof = "/v1/proof/", kGrants = "/grants",
                           kRaw = "/raw";
  if (p == "/v1/report" || p == "/v1/stats" || p.rfind(kGrant, 0) == 0) {
    return ReadRoute::kWorkerSigned;
  }
  if (p.rfind(kMaterial, 0) == 0 && EndsWith(p, kGrants)) return ReadRoute::kWorkerSigned;
  if (p.rfind(kBlock, 0) == 0) {
    return EndsWith(p, kRaw) ? ReadRoute::kWorkerSigned : ReadRoute::kWorkerPublic;
  }
  if (p == "/v1/materials") {
    // By document digest: verification. Any other listing enumerates holders' or departments'
    // materials.
    const bool by_digest = req.query.count("digest") > 0;
    return by_digest ? ReadRoute::kWorkerPublic : ReadRoute::kWorkerSigned;
  }
  if (p.rfind(kTx, 0) == 0 || p.rfind(kProof, 0) == 0 || p == "/v1/consistency") {
    return ReadRoute::kWorkerPublic;
  }
  return ReadRoute::kIoThread;
}

HttpResponse ServeWorkerRead(const ReadContext& c, const HttpRequest& req) {
  const std::string& p = req.path;
  static const std::string kBlock = "/v1/block/", kTx = "/v1/tx/", kMaterial = "/v1/material/",
                           kGrant = "/v1/grant/", kProof = "/v1/proof/", kGrants = "/grants",
                           kRaw = "/raw";
  if (p == "/v1/report") return Report(c, req);
  if (p == "/v1/stats") return Stats(c, req);
  if (p == "/v1/consistency") return Consistency(c, req);
  if (p == "/v1/materials") return ListMaterials(c, req);
  if (p.rfind(kGrant, 0) == 0) return GetGrant(c, p.substr(kGrant.size()));
  static const std::string kContractProof = "/v1/proof/contract/";
  if (p.rfind(kContractProof, 0) == 0) {
    return GetContractProof(c, p.substr(kContractProof.size()));
  }
  if (p.rfind(kProof, 0) == 0) return GetProof(c, p.substr(kProof.size()));
  if (p.rfind(kTx, 0) == 0) return GetTx(c, p.substr(kTx.size()));
  if (p.rfind(kMaterial, 0) == 0 && EndsWith(p, kGrants)) {
    return MaterialGrants(c,
                          p.substr(kMaterial.size(), p.size() - kMaterial.size() - kGrants.size()));
  }
  if (p.rfind(kBlock, 0) == 0) {
    std::string rest = p.substr(kBlock.size());
    if (EndsWith(rest, kRaw)) return GetBlockRaw(c, rest.substr(0, rest.size() - kRaw.size()));
    return GetBlock(c, rest);
  }
  return ApiError(404, "not_found", "no such endpoint: " + p + " (see doc/api.md)");
}

}  // namespace govledger::node

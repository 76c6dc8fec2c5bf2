// The API's reads that run on a worker over a store snapshot (node/read_pool.h): blocks,
// transactions, listings, grants, usage statistics and reports, proofs and consistency proofs.
// They read only the snapshot, the genesis and the genesis registry (all immutable while they
// run), never the node's live state. ClassifyRead says where a GET runs and whether it needs a
// signed request (doc/api.md, "Authentication").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "contracts/registry.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/http_server.h"

namespace govledger::node {

// {"error":{"code","message"}} and plain JSON answers, shared by every handler.
HttpResponse ApiJson(int status, const nlohmann::json& body);
HttpResponse ApiError(int status, const std::string& code, const std::string& message);
bool ParseU64(const std::string& s, uint64_t& out);

enum class ReadRoute {
  kIoThread,      // light, public: answered on the io thread from the live store
  kWorkerPublic,  // heavy or two-tier (more with a signature): on a worker, signature optional
  kWorkerSigned,  // reveals usage logs or enumerates materials: a valid signed request only
};
ReadRoute ClassifyRead(const HttpRequest& req);

struct ReadContext {
  const ledger::Store& store;  // a snapshot
  const ledger::Genesis& genesis;
  const contracts::Registry& registry;
  bool authenticated = false;  // a registered key signed this request
};

// Answers a GET that ClassifyRead sent to a worker.
HttpResponse ServeWorkerRead(const ReadContext& c, const HttpRequest& req);

}  // namespace govledger::node

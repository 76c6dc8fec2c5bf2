// The node's HTTP API (JSON, versioned under /v1/), /healthz and /metrics. Documented in
// doc/api.md. Every handler validates its input and answers 4xx with
// {"error":{"code","message"}} for bad requests; nothing a client sends can crash the node.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "node/http_server.h"

namespace govledger::node {

class Node;

HttpHandler MakeApiHandler(Node& node);

}  // namespace govledger::node

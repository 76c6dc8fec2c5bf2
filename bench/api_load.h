// A hostile-client load against one node's HTTP API (doc/performance.md, "API under hostile
// load"): thousands of concurrent connections on one io thread, fast clients issuing keep-alive
// GETs as quickly as they are answered and slow clients (slowloris) that open a request and drip
// one header line at a time, never finishing it, reconnecting whenever the node cuts them off.
// Clients are spread over several loopback source addresses (127.0.0.2, .3, ...) so per-address
// limits act per client; 127.0.0.1 stays free for whoever watches the node.
//
// Used by the integration test (a modest size, asserting behaviour) and by `govledger-bench
// api-load` (full size, measuring).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace govledger::bench {

struct ApiLoadOptions {
  std::string host = "127.0.0.1";  // the node's API address
  uint16_t port = 0;
  size_t fast_clients = 200;
  size_t slow_clients = 200;
  size_t source_addresses = 8;      // clients bind to 127.0.0.2 .. 127.0.0.(1 + n)
  int64_t drip_interval_ms = 1000;  // a slow client's pace: one header line per interval
  // The fast clients cycle through these targets.
  std::vector<std::string> targets = {"/v1/status", "/healthz", "/v1/block/latest"};
};

struct ApiLoadResult {
  std::map<int, uint64_t> statuses;    // answers to fast clients, by HTTP status
  uint64_t fast_connections = 0;       // connections the fast clients opened
  uint64_t fast_transport_errors = 0;  // connect failures, resets, unparseable answers
  uint64_t slow_connections = 0;
  uint64_t slow_closed_by_server = 0;  // slowloris connections the node cut off
  uint64_t slow_answered = 0;          // slow connections answered instead (e.g. 503 at a cap)
  size_t peak_open = 0;                // most connections open at once
  double seconds = 0;
};

// Raises this process's descriptor limit to its hard maximum; returns the new soft limit.
uint64_t RaiseDescriptorLimit();

// Runs until `stop` becomes true (checked every 100 ms). Not thread-safe; one call at a time.
ApiLoadResult RunApiLoad(const ApiLoadOptions& options, const std::atomic<bool>& stop);

}  // namespace govledger::bench

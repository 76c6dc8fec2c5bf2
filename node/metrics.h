// Node metrics in the Prometheus text exposition format (GET /metrics). Owned by the io thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace govledger::node {

struct Metrics {
  uint64_t blocks_committed = 0;
  uint64_t txs_committed = 0;
  uint64_t txs_submitted = 0;
  std::map<std::string, uint64_t> txs_rejected;  // by reason code
  uint64_t materials_expired = 0;
  std::map<int, uint64_t> http_responses;        // by status code
  double block_commit_seconds_sum = 0;
  uint64_t block_commit_count = 0;
  uint64_t block_commit_failures = 0;

  // Gauges filled in at render time by the caller.
  std::string Render(uint64_t height, size_t mempool_size, size_t mempool_bytes,
                     size_t http_connections) const;
};

}  // namespace govledger::node

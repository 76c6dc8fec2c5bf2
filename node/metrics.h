// Node metrics in the Prometheus text exposition format (GET /metrics). Owned by the io thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace govledger::node {

// Appends metrics in the Prometheus text format (version 0.0.4) to a string: each metric family's
// HELP and TYPE lines once, then its samples. The one writer of the node's /metrics text, so that
// every family carries its help and type the same way.
class PromText {
 public:
  explicit PromText(std::string* out) : out_(out) {}

  // The HELP and TYPE lines of a family ("counter", "gauge", "summary"); samples follow.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample; `labels` is empty or the braces, as in {reason="bad_signature"}.
  void Sample(std::string_view name, std::string_view labels, uint64_t value);
  void Sample(std::string_view name, std::string_view labels, double value);
  // A family of one unlabelled sample.
  void Counter(std::string_view name, std::string_view help, uint64_t value);
  void Gauge(std::string_view name, std::string_view help, uint64_t value);

 private:
  std::string* out_;
};

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

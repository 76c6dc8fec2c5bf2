#include "node/metrics.h"

#include <charconv>

namespace govledger::node {

void PromText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PromText::Sample(std::string_view name, std::string_view labels, uint64_t value) {
  out_->append(name).append(labels).append(" ").append(std::to_string(value)).append("\n");
}

void PromText::Sample(std::string_view name, std::string_view labels, double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);  // shortest round trip
  out_->append(name).append(labels).append(" ");
  out_->append(ec == std::errc() ? std::string_view(buf, end - buf) : std::string_view("NaN"));
  out_->append("\n");
}

void PromText::Counter(std::string_view name, std::string_view help, uint64_t value) {
  Family(name, "counter", help);
  Sample(name, "", value);
}

void PromText::Gauge(std::string_view name, std::string_view help, uint64_t value) {
  Family(name, "gauge", help);
  Sample(name, "", value);
}

std::string Metrics::Render(uint64_t height, size_t mempool_size, size_t mempool_bytes,
                            size_t http_connections) const {
  std::string out;
  PromText o(&out);
  o.Gauge("govledger_block_height", "Height of the newest committed block.", height);
  o.Gauge("govledger_mempool_txs", "Transactions waiting for a block.", mempool_size);
  o.Gauge("govledger_mempool_bytes", "Bytes of transactions waiting for a block.", mempool_bytes);
  o.Gauge("govledger_http_connections", "Open API connections.", http_connections);
  o.Counter("govledger_blocks_committed_total", "Blocks committed by this node.", blocks_committed);
  o.Counter("govledger_txs_committed_total", "Transactions committed.", txs_committed);
  o.Counter("govledger_txs_submitted_total", "Transactions received by the API.", txs_submitted);
  o.Counter("govledger_materials_expired_total", "Materials expired at block time.",
            materials_expired);
  o.Counter("govledger_block_commit_failures_total", "Block commits the store refused.",
            block_commit_failures);
  o.Family("govledger_txs_rejected_total", "counter", "Transactions rejected, by reason.");
  for (const auto& [reason, n] : txs_rejected) {
    o.Sample("govledger_txs_rejected_total", "{reason=\"" + reason + "\"}", n);
  }
  o.Family("govledger_http_responses_total", "counter", "API responses, by status code.");
  for (const auto& [code, n] : http_responses) {
    o.Sample("govledger_http_responses_total", "{code=\"" + std::to_string(code) + "\"}", n);
  }
  o.Family("govledger_block_commit_seconds", "summary",
           "Time to build, sign and durably commit a block.");
  o.Sample("govledger_block_commit_seconds_sum", "", block_commit_seconds_sum);
  o.Sample("govledger_block_commit_seconds_count", "", block_commit_count);
  return out;
}

}  // namespace govledger::node

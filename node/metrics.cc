#include "node/metrics.h"

#include <sstream>

namespace govledger::node {

std::string Metrics::Render(uint64_t height, size_t mempool_size, size_t mempool_bytes,
                            size_t http_connections) const {
  std::ostringstream o;
  auto gauge = [&](const char* name, const char* help, auto value) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
      << name << " " << value << "\n";
  };
  auto counter = [&](const char* name, const char* help, auto value) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
      << name << " " << value << "\n";
  };
  gauge("govledger_block_height", "Height of the newest committed block.", height);
  gauge("govledger_mempool_txs", "Transactions waiting for a block.", mempool_size);
  gauge("govledger_mempool_bytes", "Bytes of transactions waiting for a block.", mempool_bytes);
  gauge("govledger_http_connections", "Open API connections.", http_connections);
  counter("govledger_blocks_committed_total", "Blocks committed by this node.", blocks_committed);
  counter("govledger_txs_committed_total", "Transactions committed.", txs_committed);
  counter("govledger_txs_submitted_total", "Transactions received by the API.", txs_submitted);
  counter("govledger_materials_expired_total", "Materials expired at block time.", materials_expired);
  counter("govledger_block_commit_failures_total", "Block commits the store refused.",
          block_commit_failures);
  o << "# HELP govledger_txs_rejected_total Transactions rejected, by reason.\n"
    << "# TYPE govledger_txs_rejected_total counter\n";
  for (const auto& [reason, n] : txs_rejected) {
    o << "govledger_txs_rejected_total{reason=\"" << reason << "\"} " << n << "\n";
  }
  o << "# HELP govledger_http_responses_total API responses, by status code.\n"
    << "# TYPE govledger_http_responses_total counter\n";
  for (const auto& [code, n] : http_responses) {
    o << "govledger_http_responses_total{code=\"" << code << "\"} " << n << "\n";
  }
  o << "# HELP govledger_block_commit_seconds Time to build, sign and durably commit a block.\n"
    << "# TYPE govledger_block_commit_seconds summary\n"
    << "govledger_block_commit_seconds_sum " << block_commit_seconds_sum << "\n"
    << "govledger_block_commit_seconds_count " << block_commit_count << "\n";
  return o.str();
}

}  // namespace govledger::node

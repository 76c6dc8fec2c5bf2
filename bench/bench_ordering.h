// The `ordering` benchmark (doc/performance.md): the local-4 network made by the real `govledger
// network init`, each validator a govledger-ordering-node (bench/ordering_node.cc: the node's
// consensus driver, WAL, sign guard, TLS transport and synced LevelDB commits, with a no-op
// executor) ordering opaque commands. Reports committed commands per second against the
// reference figure of libhotstuff on this kind of machine (31,000 commands/s at block size 1,000,
// in memory and without fsync).
#pragma once

#include <cstdint>
#include <string>

#include "bench/bench_nodes.h"

namespace govledger::bench {

struct OrderingOptions {
  Paths paths;
  std::string out_dir;
  bool tiny = false;
  double seconds = 10;        // measured, after the warm-up
  double warmup = 4;          // connect and reach a steady state
  uint32_t block_size = 1000;  // the genesis' max_block_txs
  size_t payload_bytes = 8;
};

// The exit code for govledger-bench: 0 when every node ran and reported.
int RunOrdering(const OrderingOptions& o);

// Lower end of libhotstuff's published 31,000-33,000 commands/s at block size 1,000.
constexpr double kHotstuffReferenceCps = 31'000;

}  // namespace govledger::bench

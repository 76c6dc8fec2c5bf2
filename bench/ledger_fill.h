// The benchmark-only ledger filler: writes a chain of real blocks straight into a node's data
// directory, far faster than a node accepts transactions over HTTP, so that the audit, scale and
// sync benchmarks can run on ledgers of millions of materials.
//
// Nothing is faked: every transaction is a material issue signed by a department key of the
// genesis; every block is built by the node's own Executor (rule contracts, state root, Merkle
// log, events) on top of the store's tip, gets a commit certificate signed by every genesis
// validator (precommits of round 0, proposer (height mod n) as Tendermint picks it), and is
// committed with Store::CommitBlock, exactly as a committing node does. What is left out is only
// what a node does before a block exists: HTTP admission, the mempool and the consensus
// messages. Signatures are verified when the filler signs them (Executor::MarkVerified), as a
// node's admission would have; the chain audit and a syncing node verify every one again.
//
// Thread-safety: FillLedger blocks the calling thread and signs on `threads` threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_load.h"
#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "util/status.h"

namespace govledger::bench {

struct FillOptions {
  uint64_t materials = 0;   // material issues to commit (in total, after what is there)
  size_t block_txs = 1000;  // transactions per block
  unsigned threads = 1;     // signing threads
  // Document digests of the first materials issued (for a benchmark that needs a document it
  // knows on the ledger).
  std::vector<Bytes> doc_digests;
  // Called after every committed block with (materials committed so far, height).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct FillResult {
  uint64_t materials = 0;
  uint64_t blocks = 0;
  uint64_t height = 0;  // the tip after filling
  double seconds = 0;
  std::vector<std::string> sample_ids;  // every 1000th material id issued, and the first ones
  std::vector<std::string> digest_ids;  // the ids of the materials issued for `doc_digests`
};

// Appends blocks to the store in `data_dir` (created for `genesis` when new). `validator_keys`
// are the private keys of the genesis validators, in genesis order; `source` signs the issues.
// The store must not be open elsewhere (no node running on it).
Result<FillResult> FillLedger(const std::string& data_dir, const ledger::Genesis& genesis,
                              const std::vector<crypto::PrivateKey>& validator_keys,
                              const TxSource& source, const FillOptions& options);

// The private keys of every validator of a network home made by `govledger network init` (DIR
// with one directory per validator holding validator.pem) or of a flat dev home, in genesis
// order.
Result<std::vector<crypto::PrivateKey>> LoadValidatorKeys(const ledger::Genesis& genesis,
                                                          const std::vector<std::string>& homes);

}  // namespace govledger::bench

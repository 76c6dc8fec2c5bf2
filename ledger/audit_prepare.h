// The parallel half of the chain audit (ledger/audit.h). For a batch of consecutive heights it
// reads the stored rows with one iterator per table (blocks, certificates, block events, state
// changes), then, on a pool of threads, does every check that depends on one block alone:
// decoding, the header's own fields, both commit certificates, every transaction's decoding,
// signature and hashes, and the events hash. What links a block to the chain before it
// (previous hash, time, log, state root) is left to the sequential half, which walks the
// prepared blocks in height order and reports the first failure exactly as a block-by-block
// audit would: each check's outcome is kept in the position that audit would have reached it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/smt.h"
#include "ledger/genesis.h"
#include "ledger/records.h"
#include "ledger/store.h"
#include "ledger/types.h"

namespace govledger::ledger {

// A failed check: its reason code and what was found.
struct AuditFailure {
  std::string code;
  std::string detail;
};

// The validator sets of every height, computed once per set (they change only at the effective
// heights of governance changes) with their hashes. Immutable after construction, so the audit's
// threads share it.
class AuditValidatorSets {
 public:
  AuditValidatorSets(const Genesis& genesis, const std::vector<ValidatorChange>& changes);
  const std::vector<Validator>& At(uint64_t h) const { return Epoch(h).set; }
  const Bytes& HashAt(uint64_t h) const { return Epoch(h).hash; }
  bool IsValidator(const crypto::PublicKey& key, uint64_t h) const;

 private:
  struct Entry {
    uint64_t from = 0;  // first height of this set
    std::vector<Validator> set;
    Bytes hash;
  };
  const Entry& Epoch(uint64_t h) const;
  std::vector<Entry> epochs_;  // by `from`, ascending; epochs_[0].from == 0
};

struct PreparedTx {
  Digest leaf_hash{};  // Merkle leaf hash of the SignedTx bytes
  Digest tx_hash{};    // what the transaction index ('T') is keyed by
};

// One block after the parallel checks. `early` is a failure before the link to the previous
// block is checked (missing, undecodable, wrong height or chain id); `hash_failure` the block
// hash index check that follows the link check; `mid` a failure after the time check and before
// the transactions (proposer, validator hashes, both certificates, tx count); `tx_failure` the
// first bad transaction (at `tx_failure_index`); `events_failure` the events hash, checked after
// the log root.
struct PreparedBlock {
  uint64_t height = 0;
  std::optional<AuditFailure> early, hash_failure, mid, tx_failure, events_failure;
  size_t tx_failure_index = 0;
  BlockHeader header;
  Bytes block_hash;
  std::vector<Bytes> raw_txs;  // dropped once the transactions are checked
  std::vector<PreparedTx> txs;
  std::optional<std::vector<crypto::SmtUpdate>> state_changes;
  std::optional<AuditFailure> state_changes_failure;
};

struct PrepareContext {
  const Store& store;
  const Genesis& genesis;
  const AuditValidatorSets& sets;
  bool verify_tx_signatures = true;
  unsigned threads = 1;
};

// Reads and checks heights [from, from + count). Never fails as a whole: every problem is kept
// in the block it belongs to.
std::vector<PreparedBlock> PrepareBlocks(const PrepareContext& ctx, uint64_t from, uint64_t count);

// Runs fn(0..n-1) on `threads` threads (the caller's among them); returns when all are done.
void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

}  // namespace govledger::ledger

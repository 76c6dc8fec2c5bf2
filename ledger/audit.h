// Chain audit: recomputes, from genesis, every block hash link, header field, Merkle log root,
// events hash, state root (ledger/audit_state.h) and commit certificate, and reports the first
// height where anything disagrees; then checks the stored state entries and state tree against
// the replayed state map.
#pragma once

#include <functional>
#include <string>

#include "ledger/genesis.h"
#include "ledger/store.h"

namespace govledger::ledger {

struct AuditOptions {
  bool verify_tx_signatures = true;
  // Threads that decode blocks and verify signatures and certificates (0: one per core).
  unsigned threads = 0;
  // Heights read and checked in parallel at a time (0: about 8,192 transactions' worth).
  uint64_t batch_blocks = 0;
  // Called every `progress_every` blocks with (checked, total).
  std::function<void(uint64_t, uint64_t)> progress;
  uint64_t progress_every = 1000;
};

struct AuditReport {
  bool ok = true;
  uint64_t checked_height = 0;   // last height that passed
  uint64_t bad_height = 0;       // first failing height (0 if ok)
  std::string reason_code;       // e.g. "bad_prev_hash", "bad_log_root", "bad_commit",
                                 // "bad_state_root", "bad_state_entry", "bad_state_tree"
  std::string detail;
  uint64_t txs_checked = 0;
};

AuditReport AuditChain(const Store& store, const Genesis& genesis, const AuditOptions& opts);

}  // namespace govledger::ledger

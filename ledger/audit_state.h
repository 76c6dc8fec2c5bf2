// The state-root part of the chain audit (ledger/audit.h): replays every block's stored state-map
// changes (the 'J' journal) into an in-memory sparse Merkle tree from genesis, checks each
// header's state_root against the replay, and at the end checks every stored state entry
// (materials and record tables) and every stored state tree node against it. A state entry that
// does not match is reported at the height that last wrote it.
//
// The replay is a MemorySmt (crypto/smt_memory.h): nodes linked by index, each internal node with
// its children's hashes, so a change walks links rather than looking positions up. The final
// check hashes the stored entries on `threads` threads and, beside them, checks the stored tree
// against the replayed root: each stored node by hash against what its parent names for it, in
// one pass in storage order (doc/design.md, decisions of 6 Dec, night).
//
// Memory: the replay holds the whole state map (about 300 bytes per state entry: the tree's leaf
// and internal node, 64 and 72 bytes, and the latest-write map's 80-byte slot at most 70 % full),
// which is what an offline audit of a data directory can afford; time is O(changes x log n).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/smt.h"
#include "crypto/smt_memory.h"
#include "ledger/store.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

class StateAudit {
 public:
  // `threads` hash the stored entries in the final check (at least 1).
  StateAudit(const Store& store, crypto::Suite suite, unsigned threads);

  // Applies block h's journal and compares the root with the header's state_root. Reason code
  // "bad_state_root" (with what differs) on failure.
  Status CheckBlock(uint64_t h, const BlockHeader& header);
  // The same with the block's state changes already read (ledger/audit_prepare.h).
  Status CheckBlock(uint64_t h, const BlockHeader& header, std::vector<crypto::SmtUpdate> changes);

  struct Failure {
    uint64_t height = 0;
    std::string code;  // "bad_state_entry", "bad_state_tree"
    std::string detail;
  };
  // After the last block `tip`: every stored state entry must hash to the replayed value of its
  // key and every replayed key must be stored ("bad_state_entry", at the lowest height that last
  // wrote a bad entry; at the tip for an entry the chain never wrote); the stored tree must be
  // exactly the replayed one ("bad_state_tree", at the tip).
  std::optional<Failure> CheckFinalState(uint64_t tip);

 private:
  // Each key the chain wrote -> the block that last wrote it and what it wrote. Open addressing
  // with the keys inline (linear probing, at most 70 % full): a lookup costs about one cache
  // miss, against two or more for a node-based map, and it is made for every state change and
  // every stored entry. Lookups may run on several threads at once, each marking its own slots.
  class LatestWrites {
   public:
    struct Slot {
      uint64_t height = 0;  // the block that last changed the key
      Digest key{};
      Digest value{};
      bool used = false;
      bool removed = false;  // the last write removed the key (value unused)
      bool seen = false;     // found among the stored entries
    };
    explicit LatestWrites(size_t expected_keys);
    void Put(const Digest& key, uint64_t height, const std::optional<Digest>& value);
    Slot* Find(const Digest& key);
    // Starts loading the slot where `key` would be found.
    void Prefetch(const Digest& key) const;
    const std::vector<Slot>& slots() const { return slots_; }

   private:
    void Grow();
    std::vector<Slot> slots_;
    size_t used_ = 0;
  };
  std::optional<Failure> CheckStateEntries(uint64_t tip);
  std::optional<Failure> CheckStateTree(uint64_t tip) const;

  const Store& store_;
  const crypto::Suite suite_;
  const unsigned threads_;
  crypto::MemorySmt tree_;
  LatestWrites latest_;
};

}  // namespace govledger::ledger

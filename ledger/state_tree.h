// The ledger's authenticated state map, whose root is the block header's state_root: a sparse
// Merkle tree (crypto/smt.h) from StateKey(table, key) to the hash of every state entry's latest
// content — each material's record (MaterialStateValue) and every record-table entry (grants,
// usage counters, e-contracts, proposals, registry changes, ...; RecordStateValue). Indexes are
// derived from these and are not in the map; events are covered through each material's
// last_event hash chain and the header's events_hash.
//
// Each block's update is computed before the block is committed, over the committed tree plus
// in-memory pending writes (like PendingLogNodes for the Merkle log), at O(k log n) for k changed
// entries; the node writes and the block's change list ("journal", which the chain audit replays)
// go into the block's single WriteBatch. The tree keeps its newest version only: state proofs are
// served for the tip and say "as of height h" (doc/design.md, "State root").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/smt.h"
#include "ledger/state.h"
#include "ledger/types.h"

namespace govledger::ledger {

class ChainView;
struct BlockWrite;

// Tree-node writes of one block in position order: a node to store, or nullopt to delete.
using StateNodeWrites = std::vector<std::pair<crypto::SmtPos, std::optional<crypto::SmtNode>>>;
// The order of a StateNodeWrites: by path, then depth. A position's path is zero past its depth,
// so this is a pre-order of the tree (a node, then its left subtree, then its right), which
// LevelStateTree::After walks without sorting again.
bool PreOrderLess(const crypto::SmtPos& a, const crypto::SmtPos& b);

// What one block does to the state map.
struct StateUpdate {
  uint64_t base_height = 0;                // the committed height it was computed on
  Digest root{};                           // the state_root after the block
  std::vector<crypto::SmtUpdate> changes;  // the block's journal, sorted by key
  StateNodeWrites nodes;                   // each position once, in PreOrderLess order
};

// True for the tables whose entries the state map covers: materials ('S') and every record table
// (ledger::Table).
bool InStateMap(char table);

// The state-map changes of a block's final writes: every material written (its latest state) and
// every record-table entry written (its latest value, or nullopt when deleted), sorted by key.
// `records` is keyed by table byte + key, as Overlay::records().
std::vector<crypto::SmtUpdate> StateChanges(
    crypto::Suite suite, const std::map<std::string, Material, std::less<>>& materials,
    const std::map<std::string, std::optional<Bytes>, std::less<>>& records);

// The update a block makes on top of a chain's tree (the store's committed one, or a pending
// block's). For the block builder: `overlay` holds the block's writes. Aborts, like StateReader
// reads of the Store, when the committed tree is unreadable (a corrupt store): a node must not
// build or accept blocks on a wrong state.
StateUpdate ComputeStateUpdate(const ChainView& chain, const Overlay& overlay);
// The same from a BlockWrite's materials and the record writes its events carry (in order).
StateUpdate ComputeStateUpdate(const ChainView& chain, const BlockWrite& write);
// The same from a change list (sorted or not; each key once).
StateUpdate ComputeStateUpdate(const ChainView& chain, std::vector<crypto::SmtUpdate> changes);

// A tree-node store that only reads (the committed tree, or a reader of it for one update):
// writing to one is a caller's bug and aborts; updates go through PendingStateNodes.
class ReadOnlySmtNodes : public crypto::SmtNodeStore {
 public:
  void PutNode(const crypto::SmtPos& pos, const crypto::SmtNode& node) final;
  void DeleteNode(const crypto::SmtPos& pos) final;
};

// Tree-node store for a block being built: reads fall through to the committed nodes, writes and
// deletions stay in memory until taken.
class PendingStateNodes : public crypto::SmtNodeStore {
 public:
  explicit PendingStateNodes(const crypto::SmtNodeStore& base) : base_(&base) {}
  void Rebase(const crypto::SmtNodeStore& base) { base_ = &base; }  // see Overlay::Rebase
  Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override;
  void PutNode(const crypto::SmtPos& pos, const crypto::SmtNode& node) override;
  void DeleteNode(const crypto::SmtPos& pos) override;
  StateNodeWrites TakeWrites();
  // A read-only view of these writes over `base` (owned) instead of the base given here, for
  // one block's update on one thread; it reads the writes in place, so they must not change
  // while it is used.
  std::unique_ptr<const crypto::SmtNodeStore> Over(
      std::unique_ptr<const crypto::SmtNodeStore> base) const;

 private:
  const crypto::SmtNodeStore* base_;
  std::unordered_map<crypto::SmtPos, std::optional<crypto::SmtNode>, crypto::SmtPosHash> writes_;
};

// The stored journal of one block: u32 count, then per change key (32) || u8 1 || value (32), or
// key || u8 0 for a removal. Decoding is strict ("corrupt_store").
Bytes EncodeStateChanges(const std::vector<crypto::SmtUpdate>& changes);
Result<std::vector<crypto::SmtUpdate>> DecodeStateChanges(const Bytes& raw);

// Checks a material's state against a state root, offline: `material` present proves that the
// map holds exactly this record for its id; absent (with `material_id`) proves the id has no
// state (never issued). Pure; false for anything malformed.
bool VerifyMaterialState(crypto::Suite suite, const Digest& state_root,
                         std::string_view material_id, const Material* material,
                         const crypto::SmtProof& proof);

}  // namespace govledger::ledger

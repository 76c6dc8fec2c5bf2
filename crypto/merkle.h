// RFC 9162 (Certificate Transparency v2) Merkle tree over an append-only log, parameterised by the
// suite's hash: leaf hash H(0x00 || data), interior H(0x01 || left || right), empty root H("").
//
// The tree stores only complete subtree hashes ("perfect nodes") through a NodeStore, written once
// each as leaves are appended: appending costs O(1) amortised writes and O(log n) work, and the
// root, inclusion proofs and consistency proofs for any earlier size are computed from O(log n)
// stored nodes. The ledger backs NodeStore with LevelDB (inside the block's WriteBatch); tests use
// MemoryNodeStore.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "crypto/hash.h"
#include "util/status.h"

namespace govledger::crypto {

// Storage of perfect-subtree hashes. Node (level, index) covers leaves
// [index << level, (index + 1) << level). Level 0 holds leaf hashes.
// GetNode must see every node PutNode wrote before it, committed or not: Append reads the left
// siblings it just wrote, and Root/proofs read nodes appended in the same (uncommitted) block.
class NodeStore {
 public:
  virtual ~NodeStore() = default;
  virtual std::optional<Digest> GetNode(uint32_t level, uint64_t index) const = 0;
  virtual void PutNode(uint32_t level, uint64_t index, const Digest& hash) = 0;
};

class MemoryNodeStore : public NodeStore {
 public:
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override;
  void PutNode(uint32_t level, uint64_t index, const Digest& hash) override;

 private:
  std::map<std::pair<uint32_t, uint64_t>, Digest> nodes_;
};

// Holds only a log's right frontier: per level, the newest even- and the newest odd-indexed
// node put. That is all MerkleLog reads to append (the left sibling of each node it completes) and
// to compute the root of its current size (the perfect subtrees that make it up), so a log of any
// length needs O(log n) memory. A node older than the one its slot holds is not kept; a node it
// does not hold reads as absent. Not thread-safe.
class FrontierNodeStore : public NodeStore {
 public:
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override;
  void PutNode(uint32_t level, uint64_t index, const Digest& hash) override;

 private:
  static constexpr uint32_t kLevels = 64;  // a u64 leaf index has at most 64 levels above it
  struct Slot {
    bool used = false;
    uint64_t index = 0;
    Digest hash{};
  };
  std::array<std::array<Slot, 2>, kLevels> slots_{};
};

Digest MerkleLeafHash(Suite suite, const uint8_t* data, size_t size);
inline Digest MerkleLeafHash(Suite suite, const Bytes& b) {
  return MerkleLeafHash(suite, b.data(), b.size());
}
Digest MerkleNodeHash(Suite suite, const Digest& left, const Digest& right);
Digest MerkleEmptyRoot(Suite suite);

// The log's tree. Not thread-safe; the caller owns the NodeStore and keeps it alive.
class MerkleLog {
 public:
  // `size` is the number of leaves already stored in `store`.
  MerkleLog(Suite suite, NodeStore* store, uint64_t size);

  uint64_t size() const { return size_; }
  // Appends a leaf (the raw entry bytes; hashed here) and returns its index.
  uint64_t Append(const uint8_t* data, size_t size);
  uint64_t Append(const Bytes& b) { return Append(b.data(), b.size()); }
  // Appends an already computed leaf hash.
  uint64_t AppendLeafHash(const Digest& leaf_hash);

  // Root of the first `tree_size` leaves (tree_size <= size()).
  Result<Digest> Root(uint64_t tree_size) const;
  Result<Digest> Root() const { return Root(size_); }
  // RFC 9162 section 2.1.3: audit path for leaf `index` in the tree of `tree_size` leaves.
  Result<std::vector<Digest>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  // RFC 9162 section 2.1.4: proof that the tree of `old_size` is a prefix of `new_size`.
  Result<std::vector<Digest>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

 private:
  Result<Digest> SubtreeHash(uint64_t start, uint64_t count) const;
  Suite suite_;
  NodeStore* store_;
  uint64_t size_;
};

// RFC 9162 section 2.1.3.2 verification. Returns false for any malformed input.
bool VerifyInclusion(Suite suite, const Digest& leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<Digest>& proof, const Digest& root);
// RFC 9162 section 2.1.4.2 verification.
bool VerifyConsistency(Suite suite, uint64_t old_size, uint64_t new_size, const Digest& old_root,
                       const Digest& new_root, const std::vector<Digest>& proof);

}  // namespace govledger::crypto

// An in-memory sparse Merkle tree for replaying a whole state map at once (the chain audit).
//
// Same shape and hashes as SparseMerkleTree (crypto/smt.h) — a function of the key set alone —
// but the nodes are held in two pools linked by index: an update follows child links from the
// root instead of looking every position up in a map, and recomputes only the hashes on the
// changed paths. An internal node holds its children's hashes beside their links (as a stored
// node does), so rehashing a changed node reads its untouched child's hash from the node itself
// rather than from the child, which is a cache miss away in a tree of millions of nodes. Before
// a batch's update, the nodes it will visit are prefetched level by level across all its keys.
// For the same batches it produces the same roots and the same nodes at the same positions as
// SparseMerkleTree over any SmtNodeStore (tests/unit/crypto/smt_memory_test.cc checks both,
// node for node).
//
// About 72 bytes per internal node and 64 per leaf (a map of n keys has n leaves and n - 1
// internal nodes). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "crypto/smt.h"

namespace govledger::crypto {

class MemorySmt {
 public:
  explicit MemorySmt(Suite suite);
  ~MemorySmt();
  MemorySmt(const MemorySmt&) = delete;
  MemorySmt& operator=(const MemorySmt&) = delete;

  Digest Root() const;
  // Applies a batch as SparseMerkleTree::Update does (any order, each key at most once:
  // "duplicate_key" otherwise, and then the tree is unchanged) and returns the new root.
  Result<Digest> Update(std::vector<SmtUpdate> updates);
  // Internal nodes plus leaves.
  size_t node_count() const;

  // Walks every node with its position in storage order — by depth, then by path, the order of
  // SmtPosKey bytes — so that it can be compared with a stored tree node for node (the unit tests
  // compare it with SparseMerkleTree's; the chain audit checks a stored tree by hash instead).
  // Holds one level of the tree (position and link) at a time.
  class Cursor {
   public:
    explicit Cursor(const MemorySmt& tree);
    // The next node, or nullopt after the last.
    struct Entry {
      SmtPos pos;
      SmtNode node;
    };
    std::optional<Entry> Next();

   private:
    struct Pending {
      uint32_t ref;
      SmtPos pos;
    };
    const MemorySmt& tree_;
    std::vector<Pending> level_, next_level_;
    size_t at_ = 0;
  };

 private:
  // A link: 0 is the empty subtree, kLeafBit | i the leaf in slot i, otherwise internal slot
  // (link - 1).
  using Ref = uint32_t;
  static constexpr Ref kEmptyRef = 0;
  static constexpr Ref kLeafBit = 0x80000000u;
  struct Internal {
    Digest hash[2];  // the children's hashes (kSmtEmpty for an empty child)
    Ref child[2];
  };
  struct Leaf {
    Digest key;
    Digest value;
  };
  // A subtree: its link and its hash.
  struct Sub {
    Ref ref = kEmptyRef;
    Digest hash{};
  };
  template <typename T>
  class Pool;
  using Iter = std::vector<SmtUpdate>::const_iterator;
  using LeafIter = std::vector<SmtLeaf>::const_iterator;

  static bool IsLeaf(Ref r) { return (r & kLeafBit) != 0; }
  SmtNode NodeOf(Ref r) const;
  Sub NewLeaf(const SmtLeaf& leaf);
  Sub NewInternal(const Sub& left, const Sub& right);
  void Free(Ref r);
  Sub Build(uint16_t depth, LeafIter first, LeafIter last);
  Sub Pair(uint16_t depth, const Sub& a, const Digest& a_key, const Sub& b, const Digest& b_key);
  Sub UpdateAt(const Sub& sub, uint16_t depth, Iter first, Iter last);
  // Starts loading every node an update of the sorted keys [first, last) will visit, level by
  // level across all the keys, so that their cache misses overlap; UpdateAt then walks one path
  // at a time, each load depending on the one before.
  void Prefetch(Iter first, Iter last) const;
  void PrefetchNode(Ref r) const;

  Suite suite_;
  std::unique_ptr<Pool<Internal>> internals_;
  std::unique_ptr<Pool<Leaf>> leaves_;
  Sub root_;
};

}  // namespace govledger::crypto

// Sparse Merkle tree: an authenticated map from 256-bit keys to 256-bit values (the ledger's
// state_root), with batch updates, membership and non-membership proofs, and a pure verifier.
//
// Shape. A key's bits, most significant first, are its path from the root (bit 0 chooses the
// child of the root: 0 left, 1 right). A subtree that holds no key is empty; a subtree that holds
// exactly one key is that key's leaf, wherever it sits (so a leaf lives at the depth where its key
// first differs from every other key, about log2(n) for hashed keys, never 256 levels down);
// a subtree with two or more keys is an internal node. The shape is a function of the key set
// alone, so every replica that holds the same map computes the same root.
//
// Hashes, under the network suite's hash H (SHA-256 for p256, SM3 for sm):
//   empty subtree   32 zero bytes
//   leaf            H("govledger/smt/leaf/v1" || key || value)
//   internal node   H("govledger/smt/node/v1" || left || right)     (left, right: child hashes)
// The tags keep the three kinds (and the RFC 9162 log's nodes) apart; at 21 bytes they add no
// hash block to the 64-byte payloads.
//
// Storage. Nodes live in an SmtNodeStore keyed by position (depth, path prefix): an internal
// node stores its two child hashes, a leaf its key and value. Nothing is stored for empty
// subtrees. An update of k keys reads and writes only the nodes on their paths: O(k log n).
//
// Proofs. A proof for a key is the list of sibling hashes on the key's path from the root down to
// where the path ends (at the key's leaf, at an empty subtree, or at another key's leaf, which
// proves the key absent), plus that other leaf when there is one. Its encoding is compact: a
// bitmap says which siblings are non-empty and only those are listed.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "util/bytes.h"
#include "util/status.h"

namespace govledger::crypto {

inline constexpr uint16_t kSmtMaxDepth = 256;

// All-zero: the hash of an empty subtree and the root of an empty map.
inline constexpr Digest kSmtEmpty{};

Digest SmtLeafHash(Suite suite, const Digest& key, const Digest& value);
Digest SmtInternalHash(Suite suite, const Digest& left, const Digest& right);

// Bit `i` (0 = most significant bit of byte 0) of a key or path.
bool SmtBit(const Digest& key, uint16_t i);

// A node's position: its depth (0 = root) and the first `depth` bits of every key below it, the
// remaining bits zero.
struct SmtPos {
  uint16_t depth = 0;
  Digest path{};
  auto operator<=>(const SmtPos&) const = default;
};
SmtPos SmtChild(const SmtPos& pos, bool right);
struct SmtPosHash {
  size_t operator()(const SmtPos& pos) const;
};
// Storage key of a position: u16 depth (big-endian) || the first ceil(depth / 8) path bytes.
// Sorting these bytes sorts positions by (depth, path), like SmtPos's operator<.
Bytes SmtPosKey(const SmtPos& pos);
Result<SmtPos> SmtPosFromKey(const uint8_t* data, size_t size);

struct SmtInternal {
  Digest left{};  // kSmtEmpty when empty
  Digest right{};
  bool operator==(const SmtInternal&) const = default;
};
struct SmtLeaf {
  Digest key{};
  Digest value{};
  bool operator==(const SmtLeaf&) const = default;
};
using SmtNode = std::variant<SmtInternal, SmtLeaf>;

Digest SmtNodeHash(Suite suite, const SmtNode& node);
// 0x01 || left || right, or 0x02 || key || value (65 bytes).
Bytes EncodeSmtNode(const SmtNode& node);
Result<SmtNode> DecodeSmtNode(const uint8_t* data, size_t size);

// Where the tree's nodes are kept. GetNode must see every PutNode and DeleteNode made through
// this store before it (committed or not): an update reads nodes that the same update wrote.
// GetNode reports unreadable stored bytes as an error ("corrupt_store"), an absent node as nullopt.
class SmtNodeStore {
 public:
  virtual ~SmtNodeStore() = default;
  virtual Result<std::optional<SmtNode>> GetNode(const SmtPos& pos) const = 0;
  virtual void PutNode(const SmtPos& pos, const SmtNode& node) = 0;
  virtual void DeleteNode(const SmtPos& pos) = 0;
};

class MemorySmtNodeStore : public SmtNodeStore {
 public:
  Result<std::optional<SmtNode>> GetNode(const SmtPos& pos) const override;
  void PutNode(const SmtPos& pos, const SmtNode& node) override;
  void DeleteNode(const SmtPos& pos) override;
  // Every node, unordered. (The chain audit replays into MemorySmt, crypto/smt_memory.h; this
  // store is the simple reference the tests compare it with.)
  const std::unordered_map<SmtPos, SmtNode, SmtPosHash>& nodes() const { return nodes_; }

 private:
  std::unordered_map<SmtPos, SmtNode, SmtPosHash> nodes_;
};

// One change of a batch: set `key` to `value`, or remove it when `value` is nullopt (removing an
// absent key changes nothing).
struct SmtUpdate {
  Digest key{};
  std::optional<Digest> value;
  bool operator==(const SmtUpdate&) const = default;
};

// Sorts a batch by key; "duplicate_key" when a key appears twice.
Status SmtSortUpdates(std::vector<SmtUpdate>& updates);
// The leaves a subtree holds after a sorted batch: SmtInserts when it was empty, SmtMergeLeaf
// when it held only the leaf `old` (the batch replaces or removes it when it names its key).
std::vector<SmtLeaf> SmtInserts(std::vector<SmtUpdate>::const_iterator first,
                                std::vector<SmtUpdate>::const_iterator last);
std::vector<SmtLeaf> SmtMergeLeaf(const SmtLeaf& old,
                                  std::vector<SmtUpdate>::const_iterator first,
                                  std::vector<SmtUpdate>::const_iterator last);

struct SmtProof {
  // Sibling hashes from depth 1 (the root's other child) down to the depth where the key's path
  // ends; kSmtEmpty for an empty sibling. siblings.size() is that depth.
  std::vector<Digest> siblings;
  // Set when the path ends at another key's leaf (the key is then absent).
  std::optional<SmtLeaf> other_leaf;
  bool operator==(const SmtProof&) const = default;
};

// u16 depth || bitmap of ceil(depth / 8) bytes (bit i, most significant first, set when the
// sibling at depth i + 1 is not empty; padding bits zero) || the non-empty siblings in order ||
// u8 0 (path ends at the key's own leaf or an empty subtree) or 1 followed by the other leaf's
// key and value.
Bytes EncodeSmtProof(const SmtProof& proof);
// Strict: rejects trailing bytes, set padding bits, listed siblings that are all zero and depths
// over 256, so every proof has exactly one encoding. Reason code "bad_proof".
Result<SmtProof> DecodeSmtProof(const Bytes& raw);

// Checks `proof` against `root`: with a value, that the map holds key -> value; without one, that
// the map does not hold the key. Pure (no I/O) and total: any malformed proof gives false.
bool VerifyStateProof(Suite suite, const Digest& root, const Digest& key,
                      const std::optional<Digest>& value, const SmtProof& proof);

// What Prove found: the key's value (nullopt: absent) and the proof of exactly that.
struct SmtLookup {
  std::optional<Digest> value;
  SmtProof proof;
};

// The tree over a node store. Not thread-safe; the caller owns the store and keeps it alive.
// Errors: "missing_node" when a node the tree refers to is not in the store, and the store's own
// errors.
class SparseMerkleTree {
 public:
  SparseMerkleTree(Suite suite, SmtNodeStore* store);

  Result<Digest> Root() const;
  Result<SmtLookup> Prove(const Digest& key) const;
  // Applies a batch (any order; each key at most once, "duplicate_key" otherwise) and returns the
  // new root. Reads and writes O(k log n) nodes for k keys in a tree of n; nodes off the changed
  // paths are never read. On error the store may hold part of the batch: callers write into a
  // pending layer they can drop.
  Result<Digest> Update(std::vector<SmtUpdate> updates);

 private:
  struct Sub;
  using Iter = std::vector<SmtUpdate>::const_iterator;
  Result<Sub> UpdateAt(const SmtPos& pos, Iter first, Iter last);
  Result<Sub> UpdateNode(const SmtPos& pos, const SmtNode& node, Iter first, Iter last);
  Result<Sub> UpdateChild(const SmtPos& pos, const Digest& hash, Iter first, Iter last);
  Result<Sub> Combine(const SmtPos& pos, const SmtInternal& old, const Sub& left, const Sub& right);
  Sub Build(const SmtPos& pos, std::vector<SmtLeaf>::const_iterator first,
            std::vector<SmtLeaf>::const_iterator last);
  Result<SmtNode> MustGet(const SmtPos& pos) const;

  Suite suite_;
  SmtNodeStore* store_;
};

}  // namespace govledger::crypto

#include "crypto/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace govledger::crypto {

namespace {

// The RFC's k for a range of n > 1 leaves: the largest power of two smaller than n.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

Status BadRange(const std::string& what) { return Status::Error("bad_range", what); }

}  // namespace

std::optional<Digest> MemoryNodeStore::GetNode(uint32_t level, uint64_t index) const {
  auto it = nodes_.find({level, index});
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

void MemoryNodeStore::PutNode(uint32_t level, uint64_t index, const Digest& hash) {
  nodes_[{level, index}] = hash;
}

std::optional<Digest> FrontierNodeStore::GetNode(uint32_t level, uint64_t index) const {
  if (level >= kLevels) return std::nullopt;
  const Slot& slot = slots_[level][index & 1];
  if (!slot.used || slot.index != index) return std::nullopt;
  return slot.hash;
}

void FrontierNodeStore::PutNode(uint32_t level, uint64_t index, const Digest& hash) {
  if (level >= kLevels) return;
  Slot& slot = slots_[level][index & 1];
  if (slot.used && slot.index >= index) return;
  slot = Slot{true, index, hash};
}

Digest MerkleLeafHash(Suite suite, const uint8_t* data, size_t size) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  return HashPrefixed(suite, &kLeafPrefix, 1, data, size);
}

Digest MerkleNodeHash(Suite suite, const Digest& left, const Digest& right) {
  uint8_t buf[1 + 2 * kDigestSize];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), kDigestSize);
  std::memcpy(buf + 1 + kDigestSize, right.data(), kDigestSize);
  return Hash(suite, buf, sizeof buf);
}

Digest MerkleEmptyRoot(Suite suite) { return Hash(suite, std::string_view()); }

MerkleLog::MerkleLog(Suite suite, NodeStore* store, uint64_t size)
    : suite_(suite), store_(store), size_(size) {
  GOVLEDGER_CHECK(store_ != nullptr);
}

uint64_t MerkleLog::Append(const uint8_t* data, size_t size) {
  return AppendLeafHash(MerkleLeafHash(suite_, data, size));
}

uint64_t MerkleLog::AppendLeafHash(const Digest& leaf_hash) {
  const uint64_t leaf_index = size_;
  store_->PutNode(0, leaf_index, leaf_hash);
  // A node with an odd index completes a pair with its left sibling, so their parent is now a
  // perfect subtree; carry upwards like a binary counter.
  Digest node = leaf_hash;
  uint32_t level = 0;
  uint64_t index = leaf_index;
  while ((index & 1) != 0) {
    std::optional<Digest> left = store_->GetNode(level, index - 1);
    // The left sibling was written by an earlier append; its absence means the store does not
    // hold the `size` leaves the log was constructed with.
    GOVLEDGER_CHECK(left.has_value());
    node = MerkleNodeHash(suite_, *left, node);
    ++level;
    index >>= 1;
    store_->PutNode(level, index, node);
  }
  ++size_;
  return leaf_index;
}

Result<Digest> MerkleLog::SubtreeHash(uint64_t start, uint64_t count) const {
  // Every range the RFC recursion visits starts at a multiple of its power-of-two part, so a
  // power-of-two range here is always one stored perfect node.
  if (std::has_single_bit(count) && start % count == 0) {
    const auto level = static_cast<uint32_t>(std::countr_zero(count));
    std::optional<Digest> node = store_->GetNode(level, start >> level);
    if (!node.has_value()) {
      return Status::Error("missing_node", "Merkle node (level " + std::to_string(level) +
                                               ", index " + std::to_string(start >> level) +
                                               ") is not in the store");
    }
    return *node;
  }
  const uint64_t k = SplitPoint(count);
  Result<Digest> left = SubtreeHash(start, k);
  if (!left.ok()) return left.status();
  Result<Digest> right = SubtreeHash(start + k, count - k);
  if (!right.ok()) return right.status();
  return MerkleNodeHash(suite_, *left, *right);
}

Result<Digest> MerkleLog::Root(uint64_t tree_size) const {
  if (tree_size > size_) {
    return BadRange("tree size " + std::to_string(tree_size) + " exceeds the log size " +
                    std::to_string(size_));
  }
  if (tree_size == 0) return MerkleEmptyRoot(suite_);
  return SubtreeHash(0, tree_size);
}

Result<std::vector<Digest>> MerkleLog::InclusionProof(uint64_t index, uint64_t tree_size) const {
  if (tree_size > size_ || index >= tree_size) {
    return BadRange("no leaf " + std::to_string(index) + " in a tree of " +
                    std::to_string(tree_size) + " leaves (log size " + std::to_string(size_) + ")");
  }
  // PATH(m, D[n]) walked top-down; the RFC lists the siblings bottom-up, hence the reverse.
  std::vector<Digest> path;
  uint64_t start = 0;
  uint64_t n = tree_size;
  uint64_t m = index;
  while (n > 1) {
    const uint64_t k = SplitPoint(n);
    Result<Digest> sibling = m < k ? SubtreeHash(start + k, n - k) : SubtreeHash(start, k);
    if (!sibling.ok()) return sibling.status();
    path.push_back(*sibling);
    if (m < k) {
      n = k;
    } else {
      start += k;
      m -= k;
      n -= k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Result<std::vector<Digest>> MerkleLog::ConsistencyProof(uint64_t old_size,
                                                        uint64_t new_size) const {
  if (new_size > size_ || old_size > new_size) {
    return BadRange("no consistency proof from size " + std::to_string(old_size) + " to " +
                    std::to_string(new_size) + " (log size " + std::to_string(size_) + ")");
  }
  // The RFC defines proofs for 0 < old < new; the empty tree and an unchanged tree need none.
  if (old_size == 0 || old_size == new_size) return std::vector<Digest>{};
  // SUBPROOF(m, D[n], b) walked top-down, reversed at the end like PATH.
  std::vector<Digest> proof;
  uint64_t start = 0;
  uint64_t n = new_size;
  uint64_t m = old_size;
  bool whole_old_tree = true;  // the RFC's b: D[0:m] so far is the complete old tree
  while (m != n) {
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      Result<Digest> right = SubtreeHash(start + k, n - k);
      if (!right.ok()) return right.status();
      proof.push_back(*right);
      n = k;
    } else {
      Result<Digest> left = SubtreeHash(start, k);
      if (!left.ok()) return left.status();
      proof.push_back(*left);
      start += k;
      m -= k;
      n -= k;
      whole_old_tree = false;
    }
  }
  if (!whole_old_tree) {
    Result<Digest> node = SubtreeHash(start, n);
    if (!node.ok()) return node.status();
    proof.push_back(*node);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

bool VerifyInclusion(Suite suite, const Digest& leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<Digest>& proof, const Digest& root) {
  // RFC 9162 section 2.1.3.2, step by step.
  if (index >= tree_size) return false;
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = MerkleNodeHash(suite, p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = MerkleNodeHash(suite, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(Suite suite, uint64_t old_size, uint64_t new_size, const Digest& old_root,
                       const Digest& new_root, const std::vector<Digest>& proof) {
  if (old_size > new_size) return false;
  // Outside the RFC's 0 < old < new: an empty old tree (whose root is known) and an unchanged
  // tree are consistent with an empty proof and nothing else.
  if (old_size == 0) {
    return proof.empty() && old_root == MerkleEmptyRoot(suite) &&
           (new_size != 0 || new_root == old_root);
  }
  if (old_size == new_size) return proof.empty() && old_root == new_root;

  // RFC 9162 section 2.1.4.2, step by step. Step 2 prepends old_root when old_size is a power of
  // two; rather than copying the proof, `first` stands in for consistency_path[0].
  if (proof.empty()) return false;
  const bool prepend_old_root = std::has_single_bit(old_size);
  size_t next = prepend_old_root ? 0 : 1;
  const Digest& first = prepend_old_root ? old_root : proof[0];
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = first;
  Digest sr = first;
  for (; next < proof.size(); ++next) {
    const Digest& c = proof[next];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = MerkleNodeHash(suite, c, fr);
      sr = MerkleNodeHash(suite, c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = MerkleNodeHash(suite, sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace govledger::crypto

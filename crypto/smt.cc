#include "crypto/smt.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace govledger::crypto {

namespace {

constexpr std::string_view kLeafTag = "govledger/smt/leaf/v1";
constexpr std::string_view kNodeTag = "govledger/smt/node/v1";
static_assert(kLeafTag.size() == kNodeTag.size());

constexpr uint8_t kInternalByte = 0x01;
constexpr uint8_t kLeafByte = 0x02;
constexpr size_t kNodeBytes = 1 + 2 * kDigestSize;

Digest TaggedPairHash(Suite suite, std::string_view tag, const Digest& a, const Digest& b) {
  uint8_t buf[kLeafTag.size() + 2 * kDigestSize];
  std::memcpy(buf, tag.data(), tag.size());
  std::memcpy(buf + tag.size(), a.data(), kDigestSize);
  std::memcpy(buf + tag.size() + kDigestSize, b.data(), kDigestSize);
  return Hash(suite, buf, sizeof buf);
}

size_t PrefixBytes(uint16_t depth) { return (static_cast<size_t>(depth) + 7) / 8; }

// True when the bits of `path` from `depth` on are all zero.
bool ZeroFrom(const Digest& path, uint16_t depth) {
  if (depth >= kSmtMaxDepth) return true;
  const size_t byte = depth / 8;
  // The bits of the first byte from `depth` on, then every later byte whole.
  if ((path[byte] & (0xFFu >> (depth % 8))) != 0) return false;
  for (size_t i = byte + 1; i < path.size(); ++i) {
    if (path[i] != 0) return false;
  }
  return true;
}

Status BadProof(const std::string& what) { return Status::Error("bad_proof", what); }

}  // namespace

Digest SmtLeafHash(Suite suite, const Digest& key, const Digest& value) {
  return TaggedPairHash(suite, kLeafTag, key, value);
}

Digest SmtInternalHash(Suite suite, const Digest& left, const Digest& right) {
  return TaggedPairHash(suite, kNodeTag, left, right);
}

bool SmtBit(const Digest& key, uint16_t i) { return ((key[i / 8] >> (7 - i % 8)) & 1) != 0; }

SmtPos SmtChild(const SmtPos& pos, bool right) {
  GOVLEDGER_CHECK(pos.depth < kSmtMaxDepth);
  SmtPos child = pos;
  if (right) child.path[pos.depth / 8] |= static_cast<uint8_t>(0x80 >> (pos.depth % 8));
  child.depth = static_cast<uint16_t>(pos.depth + 1);
  return child;
}

size_t SmtPosHash::operator()(const SmtPos& pos) const {
  // The first 64 path bits and the depth (which tells a node from its ancestors, whose paths
  // are prefixes of its own), through MurmurHash3's 64-bit finalizer: top-level paths are mostly
  // zero bits.
  uint64_t h = ReadU64BE(pos.path.data()) ^ (static_cast<uint64_t>(pos.depth) << 56 | pos.depth);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

Bytes SmtPosKey(const SmtPos& pos) {
  Bytes out;
  out.reserve(2 + PrefixBytes(pos.depth));
  out.push_back(static_cast<uint8_t>(pos.depth >> 8));
  out.push_back(static_cast<uint8_t>(pos.depth));
  out.insert(out.end(), pos.path.begin(),
             pos.path.begin() + static_cast<std::ptrdiff_t>(PrefixBytes(pos.depth)));
  return out;
}

Result<SmtPos> SmtPosFromKey(const uint8_t* data, size_t size) {
  if (size < 2) return Status::Error("corrupt_store", "state tree position too short");
  SmtPos pos;
  pos.depth = static_cast<uint16_t>((data[0] << 8) | data[1]);
  if (pos.depth > kSmtMaxDepth || size != 2 + PrefixBytes(pos.depth)) {
    return Status::Error("corrupt_store", "bad state tree position");
  }
  std::memcpy(pos.path.data(), data + 2, size - 2);
  if (!ZeroFrom(pos.path, pos.depth)) {
    return Status::Error("corrupt_store", "state tree position has bits past its depth");
  }
  return pos;
}

Digest SmtNodeHash(Suite suite, const SmtNode& node) {
  if (const auto* leaf = std::get_if<SmtLeaf>(&node)) {
    return SmtLeafHash(suite, leaf->key, leaf->value);
  }
  const auto& in = std::get<SmtInternal>(node);
  return SmtInternalHash(suite, in.left, in.right);
}

Bytes EncodeSmtNode(const SmtNode& node) {
  Bytes out;
  out.reserve(kNodeBytes);
  const bool leaf = std::holds_alternative<SmtLeaf>(node);
  const Digest& a = leaf ? std::get<SmtLeaf>(node).key : std::get<SmtInternal>(node).left;
  const Digest& b = leaf ? std::get<SmtLeaf>(node).value : std::get<SmtInternal>(node).right;
  out.push_back(leaf ? kLeafByte : kInternalByte);
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Result<SmtNode> DecodeSmtNode(const uint8_t* data, size_t size) {
  if (size != kNodeBytes || (data[0] != kInternalByte && data[0] != kLeafByte)) {
    return Status::Error("corrupt_store",
                         "bad state tree node (" + std::to_string(size) + " bytes)");
  }
  Digest a;
  Digest b;
  std::memcpy(a.data(), data + 1, kDigestSize);
  std::memcpy(b.data(), data + 1 + kDigestSize, kDigestSize);
  if (data[0] == kLeafByte) return SmtNode(SmtLeaf{a, b});
  if (a == kSmtEmpty && b == kSmtEmpty) {
    return Status::Error("corrupt_store", "state tree internal node without children");
  }
  return SmtNode(SmtInternal{a, b});
}

// ------------------------------------------------------------------ MemorySmtNodeStore

Result<std::optional<SmtNode>> MemorySmtNodeStore::GetNode(const SmtPos& pos) const {
  auto it = nodes_.find(pos);
  if (it == nodes_.end()) return std::optional<SmtNode>();
  return std::optional<SmtNode>(it->second);
}

void MemorySmtNodeStore::PutNode(const SmtPos& pos, const SmtNode& node) { nodes_[pos] = node; }

void MemorySmtNodeStore::DeleteNode(const SmtPos& pos) { nodes_.erase(pos); }

// ------------------------------------------------------------------ proofs

Bytes EncodeSmtProof(const SmtProof& proof) {
  GOVLEDGER_CHECK(proof.siblings.size() <= kSmtMaxDepth);
  const auto depth = static_cast<uint16_t>(proof.siblings.size());
  Bytes out;
  out.push_back(static_cast<uint8_t>(depth >> 8));
  out.push_back(static_cast<uint8_t>(depth));
  const size_t bitmap_at = out.size();
  out.resize(out.size() + PrefixBytes(depth), 0);
  for (uint16_t i = 0; i < depth; ++i) {
    const Digest& s = proof.siblings[i];
    if (s == kSmtEmpty) continue;
    out[bitmap_at + i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
    out.insert(out.end(), s.begin(), s.end());
  }
  out.push_back(proof.other_leaf ? 1 : 0);
  if (proof.other_leaf) {
    out.insert(out.end(), proof.other_leaf->key.begin(), proof.other_leaf->key.end());
    out.insert(out.end(), proof.other_leaf->value.begin(), proof.other_leaf->value.end());
  }
  return out;
}

Result<SmtProof> DecodeSmtProof(const Bytes& raw) {
  size_t at = 0;
  auto need = [&](size_t n) { return raw.size() - at >= n; };
  auto read_digest = [&]() {
    Digest d;
    std::memcpy(d.data(), raw.data() + at, kDigestSize);
    at += kDigestSize;
    return d;
  };
  if (!need(2)) return BadProof("truncated before the depth");
  const auto depth = static_cast<uint16_t>((raw[0] << 8) | raw[1]);
  at = 2;
  if (depth > kSmtMaxDepth) return BadProof("depth " + std::to_string(depth) + " over 256");
  const size_t bitmap_bytes = PrefixBytes(depth);
  if (!need(bitmap_bytes)) return BadProof("truncated bitmap");
  Digest bitmap{};
  std::memcpy(bitmap.data(), raw.data() + at, bitmap_bytes);
  at += bitmap_bytes;
  if (!ZeroFrom(bitmap, depth)) return BadProof("bitmap has bits past the depth");
  SmtProof proof;
  proof.siblings.assign(depth, kSmtEmpty);
  for (uint16_t i = 0; i < depth; ++i) {
    if (!SmtBit(bitmap, i)) continue;
    if (!need(kDigestSize)) return BadProof("truncated sibling list");
    proof.siblings[i] = read_digest();
    if (proof.siblings[i] == kSmtEmpty) return BadProof("listed sibling is the empty hash");
  }
  if (!need(1)) return BadProof("truncated before the terminal flag");
  const uint8_t flag = raw[at++];
  if (flag > 1) return BadProof("bad terminal flag");
  if (flag == 1) {
    if (!need(2 * kDigestSize)) return BadProof("truncated other leaf");
    SmtLeaf leaf;
    leaf.key = read_digest();
    leaf.value = read_digest();
    proof.other_leaf = leaf;
  }
  if (at != raw.size()) return BadProof("trailing bytes after the proof");
  return proof;
}

bool VerifyStateProof(Suite suite, const Digest& root, const Digest& key,
                      const std::optional<Digest>& value, const SmtProof& proof) {
  const size_t depth = proof.siblings.size();
  if (depth > kSmtMaxDepth) return false;
  Digest h;
  if (value) {
    if (proof.other_leaf) return false;
    h = SmtLeafHash(suite, key, *value);
  } else if (proof.other_leaf) {
    // The other leaf must sit on the key's path: same first `depth` bits, different key.
    const SmtLeaf& other = *proof.other_leaf;
    if (other.key == key) return false;
    for (size_t i = 0; i < depth; ++i) {
      if (SmtBit(other.key, static_cast<uint16_t>(i)) != SmtBit(key, static_cast<uint16_t>(i))) {
        return false;
      }
    }
    h = SmtLeafHash(suite, other.key, other.value);
  } else {
    h = kSmtEmpty;
  }
  // A path that ends in a leaf or an empty subtree next to an empty sibling would have ended one
  // level higher: such a proof is not canonical.
  if (depth > 0 && proof.siblings[depth - 1] == kSmtEmpty) return false;
  for (size_t i = depth; i > 0; --i) {
    const Digest& sibling = proof.siblings[i - 1];
    h = SmtBit(key, static_cast<uint16_t>(i - 1)) ? SmtInternalHash(suite, sibling, h)
                                                  : SmtInternalHash(suite, h, sibling);
  }
  return h == root;
}

// ------------------------------------------------------------------ SparseMerkleTree

// A subtree after an update, as its parent sees it. `leaf` is set when the subtree is a single
// leaf; `untouched` subtrees had no update and are known by hash only (their kind is not loaded).
// Except for untouched ones, the node a Sub describes has been written at its position.
struct SparseMerkleTree::Sub {
  Digest hash{};
  std::optional<SmtLeaf> leaf;
  bool untouched = false;
  bool empty() const { return hash == kSmtEmpty; }
};

SparseMerkleTree::SparseMerkleTree(Suite suite, SmtNodeStore* store)
    : suite_(suite), store_(store) {
  GOVLEDGER_CHECK(store_ != nullptr);
}

Result<SmtNode> SparseMerkleTree::MustGet(const SmtPos& pos) const {
  auto node = store_->GetNode(pos);
  if (!node.ok()) return node.status();
  if (!node->has_value()) {
    return Status::Error("missing_node", "state tree node at depth " + std::to_string(pos.depth) +
                                             " (path " + DigestHex(pos.path) +
                                             ") is not in the store");
  }
  return std::move(**node);
}

Result<Digest> SparseMerkleTree::Root() const {
  auto node = store_->GetNode(SmtPos{});
  if (!node.ok()) return node.status();
  if (!node->has_value()) return kSmtEmpty;
  return SmtNodeHash(suite_, **node);
}

Result<SmtLookup> SparseMerkleTree::Prove(const Digest& key) const {
  SmtLookup out;
  SmtPos pos;
  auto first = store_->GetNode(pos);
  if (!first.ok()) return first.status();
  if (!first->has_value()) return out;  // empty map: empty proof of absence
  SmtNode node = std::move(**first);
  for (;;) {
    if (const auto* leaf = std::get_if<SmtLeaf>(&node)) {
      if (leaf->key == key) {
        out.value = leaf->value;
      } else {
        out.proof.other_leaf = *leaf;
      }
      return out;
    }
    const auto& in = std::get<SmtInternal>(node);
    const bool bit = SmtBit(key, pos.depth);
    const Digest child = bit ? in.right : in.left;
    out.proof.siblings.push_back(bit ? in.left : in.right);
    pos = SmtChild(pos, bit);
    if (child == kSmtEmpty) return out;
    auto next = MustGet(pos);
    if (!next.ok()) return next.status();
    node = std::move(next).value();
  }
}

SparseMerkleTree::Sub SparseMerkleTree::Build(const SmtPos& pos,
                                              std::vector<SmtLeaf>::const_iterator first,
                                              std::vector<SmtLeaf>::const_iterator last) {
  const auto n = last - first;
  if (n == 0) return Sub{};
  if (n == 1) {
    store_->PutNode(pos, *first);
    return Sub{SmtLeafHash(suite_, first->key, first->value), *first, false};
  }
  // Distinct keys differ somewhere in their 256 bits, so two of them never reach depth 256.
  GOVLEDGER_CHECK(pos.depth < kSmtMaxDepth);
  auto mid = std::partition_point(first, last,
                                  [&pos](const SmtLeaf& l) { return !SmtBit(l.key, pos.depth); });
  Sub left = Build(SmtChild(pos, false), first, mid);
  Sub right = Build(SmtChild(pos, true), mid, last);
  SmtInternal node{left.hash, right.hash};
  store_->PutNode(pos, node);
  return Sub{SmtInternalHash(suite_, node.left, node.right), std::nullopt, false};
}

std::vector<SmtLeaf> SmtInserts(std::vector<SmtUpdate>::const_iterator first,
                                std::vector<SmtUpdate>::const_iterator last) {
  std::vector<SmtLeaf> out;
  for (auto it = first; it != last; ++it) {
    if (it->value) out.push_back(SmtLeaf{it->key, *it->value});
  }
  return out;
}

std::vector<SmtLeaf> SmtMergeLeaf(const SmtLeaf& old,
                                  std::vector<SmtUpdate>::const_iterator first,
                                  std::vector<SmtUpdate>::const_iterator last) {
  std::vector<SmtLeaf> out;
  bool old_placed = false;
  for (auto it = first; it != last; ++it) {
    if (!old_placed && old.key < it->key) {
      out.push_back(old);
      old_placed = true;
    }
    if (it->key == old.key) old_placed = true;  // replaced or removed
    if (it->value) out.push_back(SmtLeaf{it->key, *it->value});
  }
  if (!old_placed) out.push_back(old);
  return out;
}

Status SmtSortUpdates(std::vector<SmtUpdate>& updates) {
  std::sort(updates.begin(), updates.end(),
            [](const SmtUpdate& a, const SmtUpdate& b) { return a.key < b.key; });
  for (size_t i = 1; i < updates.size(); ++i) {
    if (updates[i].key == updates[i - 1].key) {
      return Status::Error("duplicate_key",
                           "key " + DigestHex(updates[i].key) + " appears twice in one update");
    }
  }
  return Status::Ok();
}

Result<SparseMerkleTree::Sub> SparseMerkleTree::UpdateChild(const SmtPos& pos, const Digest& hash,
                                                            Iter first, Iter last) {
  if (first == last) return Sub{hash, std::nullopt, true};
  if (hash == kSmtEmpty) {
    const std::vector<SmtLeaf> leaves = SmtInserts(first, last);
    return Build(pos, leaves.begin(), leaves.end());
  }
  return UpdateAt(pos, first, last);
}

Result<SparseMerkleTree::Sub> SparseMerkleTree::UpdateAt(const SmtPos& pos, Iter first, Iter last) {
  auto got = MustGet(pos);
  if (!got.ok()) return got.status();
  return UpdateNode(pos, *got, first, last);
}

Result<SparseMerkleTree::Sub> SparseMerkleTree::UpdateNode(const SmtPos& pos, const SmtNode& node,
                                                           Iter first, Iter last) {
  if (const auto* old = std::get_if<SmtLeaf>(&node)) {
    const std::vector<SmtLeaf> leaves = SmtMergeLeaf(*old, first, last);
    if (leaves.size() == 1 && leaves[0] == *old) {
      return Sub{SmtLeafHash(suite_, old->key, old->value), *old, false};
    }
    if (leaves.empty()) {
      store_->DeleteNode(pos);
      return Sub{};
    }
    return Build(pos, leaves.begin(), leaves.end());  // overwrites the old leaf at pos
  }
  const SmtInternal& old = std::get<SmtInternal>(node);
  auto mid = std::partition_point(first, last,
                                  [&pos](const SmtUpdate& u) { return !SmtBit(u.key, pos.depth); });
  auto left = UpdateChild(SmtChild(pos, false), old.left, first, mid);
  if (!left.ok()) return left.status();
  auto right = UpdateChild(SmtChild(pos, true), old.right, mid, last);
  if (!right.ok()) return right.status();
  return Combine(pos, old, *left, *right);
}

Result<SparseMerkleTree::Sub> SparseMerkleTree::Combine(const SmtPos& pos, const SmtInternal& old,
                                                        const Sub& left, const Sub& right) {
  if (left.empty() && right.empty()) {
    store_->DeleteNode(pos);
    return Sub{};
  }
  if (left.empty() || right.empty()) {
    // One child left: if it is a single leaf, the leaf moves up to this position.
    const bool only_right = left.empty();
    const Sub& only = only_right ? right : left;
    const SmtPos only_pos = SmtChild(pos, only_right);
    std::optional<SmtLeaf> leaf = only.leaf;
    // An untouched child next to a child that was already empty is internal (the tree had no
    // single-leaf subtree below an internal node); otherwise it must be looked at.
    const bool was_alone = (only_right ? old.left : old.right) == kSmtEmpty;
    if (only.untouched && !was_alone) {
      auto node = MustGet(only_pos);
      if (!node.ok()) return node.status();
      if (const auto* l = std::get_if<SmtLeaf>(&*node)) leaf = *l;
    }
    if (leaf) {
      store_->DeleteNode(only_pos);
      store_->PutNode(pos, *leaf);
      return Sub{only.hash, leaf, false};
    }
  }
  const SmtInternal node{left.hash, right.hash};
  if (!(node == old)) store_->PutNode(pos, node);
  return Sub{SmtInternalHash(suite_, node.left, node.right), std::nullopt, false};
}

Result<Digest> SparseMerkleTree::Update(std::vector<SmtUpdate> updates) {
  if (Status st = SmtSortUpdates(updates); !st.ok()) return st;
  if (updates.empty()) return Root();
  const SmtPos root;
  auto node = store_->GetNode(root);
  if (!node.ok()) return node.status();
  if (!node->has_value()) {
    const std::vector<SmtLeaf> leaves = SmtInserts(updates.begin(), updates.end());
    return Build(root, leaves.begin(), leaves.end()).hash;
  }
  auto sub = UpdateNode(root, **node, updates.begin(), updates.end());
  if (!sub.ok()) return sub.status();
  return sub->hash;
}

}  // namespace govledger::crypto

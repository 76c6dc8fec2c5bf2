#include "crypto/smt_memory.h"

#include <algorithm>
#include <utility>

#include "util/prefetch.h"

namespace govledger::crypto {

// Slots in chunks that never move (no copy of the whole pool when it grows, links stay valid),
// with a free list so that replaced nodes are reused.
template <typename T>
class MemorySmt::Pool {
 public:
  uint32_t Add(const T& value) {
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      GOVLEDGER_CHECK(next_ < kMaxSlots);
      i = next_++;
      if ((i >> kChunkBits) == chunks_.size()) {
        chunks_.push_back(std::make_unique<T[]>(size_t{1} << kChunkBits));
      }
    }
    At(i) = value;
    return i;
  }
  void Remove(uint32_t i) { free_.push_back(i); }
  T& At(uint32_t i) { return chunks_[i >> kChunkBits][i & kChunkMask]; }
  const T& At(uint32_t i) const { return chunks_[i >> kChunkBits][i & kChunkMask]; }
  size_t size() const { return next_ - free_.size(); }

 private:
  static constexpr unsigned kChunkBits = 16;
  static constexpr uint32_t kChunkMask = (1u << kChunkBits) - 1;
  // Below kLeafBit, and one less so that an internal slot's link (slot + 1) stays below it.
  static constexpr uint32_t kMaxSlots = kLeafBit - 1;
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t next_ = 0;
};

MemorySmt::MemorySmt(Suite suite)
    : suite_(suite),
      internals_(std::make_unique<Pool<Internal>>()),
      leaves_(std::make_unique<Pool<Leaf>>()) {}

MemorySmt::~MemorySmt() = default;

Digest MemorySmt::Root() const { return root_.hash; }

size_t MemorySmt::node_count() const { return internals_->size() + leaves_->size(); }

SmtNode MemorySmt::NodeOf(Ref r) const {
  if (IsLeaf(r)) {
    const Leaf& l = leaves_->At(r & ~kLeafBit);
    return SmtLeaf{l.key, l.value};
  }
  const Internal& in = internals_->At(r - 1);
  return SmtInternal{in.hash[0], in.hash[1]};
}

MemorySmt::Sub MemorySmt::NewLeaf(const SmtLeaf& leaf) {
  return Sub{kLeafBit | leaves_->Add(Leaf{leaf.key, leaf.value}),
             SmtLeafHash(suite_, leaf.key, leaf.value)};
}

MemorySmt::Sub MemorySmt::NewInternal(const Sub& left, const Sub& right) {
  return Sub{internals_->Add(Internal{{left.hash, right.hash}, {left.ref, right.ref}}) + 1,
             SmtInternalHash(suite_, left.hash, right.hash)};
}

void MemorySmt::Free(Ref r) {
  if (r == kEmptyRef) return;
  if (IsLeaf(r)) {
    leaves_->Remove(r & ~kLeafBit);
  } else {
    internals_->Remove(r - 1);
  }
}

MemorySmt::Sub MemorySmt::Build(uint16_t depth, LeafIter first, LeafIter last) {
  if (first == last) return Sub{};
  if (last - first == 1) return NewLeaf(*first);
  // Distinct keys differ somewhere in their 256 bits, so two of them never reach depth 256.
  GOVLEDGER_CHECK(depth < kSmtMaxDepth);
  auto mid = std::partition_point(first, last,
                                  [depth](const SmtLeaf& l) { return !SmtBit(l.key, depth); });
  const Sub left = Build(static_cast<uint16_t>(depth + 1), first, mid);
  const Sub right = Build(static_cast<uint16_t>(depth + 1), mid, last);
  return NewInternal(left, right);
}

// The subtree at `depth` holding exactly the leaves `a` and `b` (keys `a_key` != `b_key`): what
// Build makes of the two, without sorting them into a vector first.
MemorySmt::Sub MemorySmt::Pair(uint16_t depth, const Sub& a, const Digest& a_key, const Sub& b,
                               const Digest& b_key) {
  GOVLEDGER_CHECK(depth < kSmtMaxDepth);
  const bool a_right = SmtBit(a_key, depth);
  if (a_right != SmtBit(b_key, depth)) return a_right ? NewInternal(b, a) : NewInternal(a, b);
  const Sub below = Pair(static_cast<uint16_t>(depth + 1), a, a_key, b, b_key);
  return a_right ? NewInternal(Sub{}, below) : NewInternal(below, Sub{});
}

// The subtree `sub` at `depth` after the sorted updates [first, last) below it.
MemorySmt::Sub MemorySmt::UpdateAt(const Sub& sub, uint16_t depth, Iter first, Iter last) {
  if (first == last) return sub;
  if (sub.ref == kEmptyRef) {
    const std::vector<SmtLeaf> leaves = SmtInserts(first, last);
    return Build(depth, leaves.begin(), leaves.end());
  }
  if (IsLeaf(sub.ref)) {
    Leaf& old = leaves_->At(sub.ref & ~kLeafBit);
    // The common case of a batch: one change at a leaf, replacing its value.
    if (last - first == 1 && first->key == old.key && first->value) {
      if (*first->value == old.value) return sub;
      old.value = *first->value;
      return Sub{sub.ref, SmtLeafHash(suite_, old.key, old.value)};
    }
    // The other common case: one new key beside this leaf, which keeps its slot and its hash.
    if (last - first == 1 && first->key != old.key && first->value) {
      const Digest old_key = old.key;
      return Pair(depth, sub, old_key, NewLeaf(SmtLeaf{first->key, *first->value}), first->key);
    }
    const std::vector<SmtLeaf> leaves = SmtMergeLeaf(SmtLeaf{old.key, old.value}, first, last);
    if (leaves.size() == 1 && leaves[0].key == old.key) {
      if (leaves[0].value == old.value) return sub;
      old.value = leaves[0].value;
      return Sub{sub.ref, SmtLeafHash(suite_, old.key, old.value)};
    }
    Free(sub.ref);
    return Build(depth, leaves.begin(), leaves.end());
  }
  const Ref self = sub.ref;
  const auto mid = std::partition_point(
      first, last, [depth](const SmtUpdate& u) { return !SmtBit(u.key, depth); });
  const uint16_t below = static_cast<uint16_t>(depth + 1);
  // Copied before recursing: the recursion adds nodes to the pool (chunks never move, but a copy
  // is plain).
  const Internal old = internals_->At(self - 1);
  const Sub left = UpdateAt(Sub{old.child[0], old.hash[0]}, below, first, mid);
  const Sub right = UpdateAt(Sub{old.child[1], old.hash[1]}, below, mid, last);
  if (left.ref == kEmptyRef && right.ref == kEmptyRef) {
    Free(self);
    return Sub{};
  }
  // A subtree holding one key is that key's leaf, so a lone leaf child moves up here; a lone
  // internal child (two keys or more) stays where it is.
  if (left.ref == kEmptyRef && IsLeaf(right.ref)) {
    Free(self);
    return right;
  }
  if (right.ref == kEmptyRef && IsLeaf(left.ref)) {
    Free(self);
    return left;
  }
  internals_->At(self - 1) = Internal{{left.hash, right.hash}, {left.ref, right.ref}};
  return Sub{self, SmtInternalHash(suite_, left.hash, right.hash)};
}

void MemorySmt::PrefetchNode(Ref r) const {
  if (IsLeaf(r)) {
    PrefetchObject(&leaves_->At(r & ~kLeafBit));
  } else {
    PrefetchObject(&internals_->At(r - 1));  // its links are in its last bytes
  }
}

void MemorySmt::Prefetch(Iter first, Iter last) const {
  struct Item {
    Ref ref;
    Iter first, last;
  };
  std::vector<Item> level, next;
  if (root_.ref != kEmptyRef) level.push_back(Item{root_.ref, first, last});
  for (uint16_t depth = 0; !level.empty() && depth < kSmtMaxDepth; ++depth) {
    next.clear();
    for (const Item& item : level) {
      if (IsLeaf(item.ref)) continue;
      const Internal& in = internals_->At(item.ref - 1);
      const Iter mid = std::partition_point(
          item.first, item.last, [depth](const SmtUpdate& u) { return !SmtBit(u.key, depth); });
      const Iter bounds[3] = {item.first, mid, item.last};
      for (int side = 0; side < 2; ++side) {
        const Ref child = in.child[side];
        if (child == kEmptyRef || bounds[side] == bounds[side + 1]) continue;
        PrefetchNode(child);
        next.push_back(Item{child, bounds[side], bounds[side + 1]});
      }
    }
    level.swap(next);
  }
}

Result<Digest> MemorySmt::Update(std::vector<SmtUpdate> updates) {
  if (Status st = SmtSortUpdates(updates); !st.ok()) return st;
  Prefetch(updates.begin(), updates.end());
  root_ = UpdateAt(root_, 0, updates.begin(), updates.end());
  return Root();
}

// ------------------------------------------------------------------ Cursor

MemorySmt::Cursor::Cursor(const MemorySmt& tree) : tree_(tree) {
  if (tree.root_.ref != kEmptyRef) level_.push_back(Pending{tree.root_.ref, SmtPos{}});
}

std::optional<MemorySmt::Cursor::Entry> MemorySmt::Cursor::Next() {
  if (at_ == level_.size()) {
    level_.swap(next_level_);
    next_level_.clear();
    at_ = 0;
    if (level_.empty()) return std::nullopt;
  }
  const Pending p = level_[at_++];
  if (!IsLeaf(p.ref)) {
    const Internal& in = tree_.internals_->At(p.ref - 1);
    for (int side = 0; side < 2; ++side) {
      if (in.child[side] != kEmptyRef) {
        next_level_.push_back(Pending{in.child[side], SmtChild(p.pos, side == 1)});
      }
    }
  }
  return Entry{p.pos, tree_.NodeOf(p.ref)};
}

}  // namespace govledger::crypto

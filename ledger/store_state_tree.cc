#include "ledger/store_state_tree.h"

#include <leveldb/iterator.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <iterator>

namespace govledger::ledger {

namespace {

leveldb::ReadOptions Checked(const leveldb::Snapshot* snapshot) {
  leveldb::ReadOptions o;
  o.verify_checksums = true;
  o.snapshot = snapshot;
  return o;
}

Status CorruptStore(const std::string& what) { return Status::Error("corrupt_store", what); }

std::string NodeKey(const crypto::SmtPos& pos) {
  std::string k(1, LevelStateTree::kNodeTable);
  const Bytes rest = crypto::SmtPosKey(pos);
  k.append(rest.begin(), rest.end());
  return k;
}

leveldb::Slice AsSlice(const Bytes& b) {
  return leveldb::Slice(reinterpret_cast<const char*>(b.data()), b.size());
}

using NodeWrite = std::pair<crypto::SmtPos, std::optional<crypto::SmtNode>>;

bool IsLeaf(const std::optional<crypto::SmtNode>& node) {
  return node && std::holds_alternative<crypto::SmtLeaf>(*node);
}

// The top node at `pos` (depth <= kTopDepth), or null.
const TopNode* FindTop(const TopNode* n, const crypto::SmtPos& pos) {
  for (uint16_t d = 0; n != nullptr && d < pos.depth; ++d) {
    n = n->child[crypto::SmtBit(pos.path, d) ? 1 : 0].get();
  }
  return n;
}

// `cur` (the subtree at depth `depth`) with the writes in [first, last) applied, by path copying:
// the positions written and their ancestors are new nodes, every other subtree is shared. The
// writes are in pre-order (PreOrderLess, as StateUpdate::nodes is), so this node's own write comes
// first, then its left subtree's, then its right subtree's, and each split is a binary search.
TopTree ApplyWrites(const TopTree& cur, uint16_t depth, const NodeWrite** first,
                    const NodeWrite** last) {
  if (first == last) return cur;
  auto out = std::make_shared<TopNode>();
  if (cur) out->node = cur->node;
  const NodeWrite** here = std::partition_point(
      first, last, [depth](const NodeWrite* w) { return w->first.depth == depth; });
  for (const NodeWrite** w = first; w != here; ++w) out->node = (*w)->second;
  const NodeWrite** right = std::partition_point(
      here, last, [depth](const NodeWrite* w) { return !crypto::SmtBit(w->first.path, depth); });
  const auto next = static_cast<uint16_t>(depth + 1);
  static const TopTree kNone;
  out->child[0] = ApplyWrites(cur ? cur->child[0] : kNone, next, here, right);
  out->child[1] = ApplyWrites(cur ? cur->child[1] : kNone, next, right, last);
  if (!out->node && !out->child[0] && !out->child[1]) return nullptr;
  return out;
}

// The position at depth `d` above `pos` (depth d + 1).
crypto::SmtPos ParentAt(crypto::SmtPos pos, uint16_t d) {
  pos.depth = d;
  pos.path[d / 8] &= static_cast<uint8_t>(~(0x80 >> (d % 8)));
  return pos;
}

// Calls fn for every internal node of the top (its leaves are persisted and listed from there).
// The top's internal nodes (which are not stored) in position order — by depth, then path — as a
// level-order walk visiting each level's nodes left to right.
std::vector<std::pair<crypto::SmtPos, crypto::SmtNode>> TopInternals(const TopNode* root) {
  std::vector<std::pair<crypto::SmtPos, crypto::SmtNode>> out;
  std::vector<std::pair<const TopNode*, crypto::SmtPos>> level, next;
  if (root != nullptr) level.emplace_back(root, crypto::SmtPos{});
  while (!level.empty()) {
    for (const auto& [n, pos] : level) {
      if (n->node && !IsLeaf(n->node)) out.emplace_back(pos, *n->node);
      if (pos.depth >= LevelStateTree::kTopDepth) continue;
      for (int side = 0; side < 2; ++side) {
        if (n->child[side]) next.emplace_back(n->child[side].get(), crypto::SmtChild(pos, side));
      }
    }
    level.swap(next);
    next.clear();
  }
  return out;
}

// Calls fn(key, position, node) for the stored nodes in key order — by depth, then path — until
// it returns false.
using StoredNodeFn =
    std::function<bool(const leveldb::Slice&, const crypto::SmtPos&, const crypto::SmtNode&)>;
Status ScanStoredNodes(leveldb::DB* db, const leveldb::Snapshot* snapshot, const StoredNodeFn& fn) {
  leveldb::ReadOptions ro = Checked(snapshot);
  ro.fill_cache = false;  // a scan of many nodes would only evict the hot ones
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
  const std::string prefix(1, LevelStateTree::kNodeTable);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() < 1 || k[0] != LevelStateTree::kNodeTable) break;
    auto pos = crypto::SmtPosFromKey(reinterpret_cast<const uint8_t*>(k.data()) + 1, k.size() - 1);
    if (!pos.ok()) return pos.status();
    leveldb::Slice v = it->value();
    auto node = crypto::DecodeSmtNode(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    if (!node.ok()) return node.status();
    if (!fn(k, *pos, *node)) break;
  }
  if (!it->status().ok()) {
    return CorruptStore("scanning the state tree: " + it->status().ToString());
  }
  return Status::Ok();
}

// A stored node's value, decoded (for a Get and for an iterator's read alike).
Result<std::optional<crypto::SmtNode>> DecodeStored(const leveldb::Slice& value) {
  auto node = crypto::DecodeSmtNode(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  if (!node.ok()) return node.status();
  return std::optional<crypto::SmtNode>(*node);
}

// The node at `pos` (depth <= kTopDepth) of a top, or none.
std::optional<crypto::SmtNode> TopNodeAt(const TopTree& top, const crypto::SmtPos& pos) {
  const TopNode* n = FindTop(top.get(), pos);
  return n ? n->node : std::optional<crypto::SmtNode>();
}

}  // namespace

Result<std::optional<crypto::SmtNode>> LevelStateTree::Read(const crypto::SmtPos& pos) const {
  std::string value;
  leveldb::Status s = db_->Get(Checked(snapshot_), NodeKey(pos), &value);
  if (s.IsNotFound()) return std::optional<crypto::SmtNode>();
  if (!s.ok()) return CorruptStore("reading a state tree node: " + s.ToString());
  return DecodeStored(value);
}

namespace {

class IteratorNodeReader : public ReadOnlySmtNodes {
 public:
  IteratorNodeReader(Status top_error, TopTree top, std::unique_ptr<leveldb::Iterator> it)
      : top_error_(std::move(top_error)), top_(std::move(top)), it_(std::move(it)) {}
  Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override {
    if (pos.depth <= LevelStateTree::kTopDepth) {
      if (!top_error_.ok()) return top_error_;
      return TopNodeAt(top_, pos);
    }
    const std::string key = NodeKey(pos);
    it_->Seek(key);
    if (!it_->status().ok()) {
      return CorruptStore("reading a state tree node: " + it_->status().ToString());
    }
    if (!it_->Valid() || it_->key() != leveldb::Slice(key)) {
      return std::optional<crypto::SmtNode>();
    }
    return DecodeStored(it_->value());
  }

 private:
  Status top_error_;
  TopTree top_;
  std::unique_ptr<leveldb::Iterator> it_;  // Seek is not const; one reader, one thread
};

}  // namespace

std::unique_ptr<const crypto::SmtNodeStore> LevelStateTree::IteratorReader() const {
  Status top_error;
  TopTree top;
  {
    std::lock_guard<std::mutex> lock(mu_);
    top_error = top_error_;
    top = top_;
  }
  return std::make_unique<IteratorNodeReader>(
      std::move(top_error), std::move(top),
      std::unique_ptr<leveldb::Iterator>(db_->NewIterator(Checked(snapshot_))));
}

TopTree LevelStateTree::CurrentTop() const {
  std::lock_guard<std::mutex> lock(mu_);
  return top_;
}

TopTree LevelStateTree::top() const { return CurrentTop(); }

Status LevelStateTree::Load(crypto::Suite suite, bool migrate) {
  auto loaded = LoadTop(suite, migrate);
  std::lock_guard<std::mutex> lock(mu_);
  top_error_ = loaded.ok() ? Status::Ok() : loaded.status();
  if (loaded.ok()) top_ = std::move(*loaded);
  return top_error_;
}

Result<TopTree> LevelStateTree::LoadTop(crypto::Suite suite, bool migrate) {
  // Keys sort by (depth, path): the nodes at depth <= kTopDepth + 1 come first, in path order
  // within each depth.
  struct Built {
    crypto::SmtPos pos;
    Digest hash;
    TopTree node;  // null for a node below the top (persisted only)
  };
  std::vector<Built> level;                                   // depth kTopDepth + 1
  std::vector<std::vector<Built>> leaves(kTopDepth + 1);      // by depth, path order
  leveldb::WriteBatch cleanup;
  size_t stale = 0;
  Status scanned = ScanStoredNodes(
      db_, snapshot_,
      [&](const leveldb::Slice& k, const crypto::SmtPos& pos, const crypto::SmtNode& node) {
        if (pos.depth > kTopDepth + 1) return false;
        if (pos.depth == kTopDepth + 1) {
          level.push_back({pos, crypto::SmtNodeHash(suite, node), nullptr});
        } else if (std::holds_alternative<crypto::SmtLeaf>(node)) {
          auto top = std::make_shared<TopNode>();
          top->node = node;
          leaves[pos.depth].push_back({pos, crypto::SmtNodeHash(suite, node), std::move(top)});
        } else {
          // An internal top node written by the "smt-v1" layout, or at depth 17 or 18 by
          // "smt-v2": rebuilt below instead.
          cleanup.Delete(k);
          ++stale;
        }
        return true;
      });
  if (!scanned.ok()) {
    return CorruptStore("reading the state tree's top: " + scanned.message());
  }
  if (stale > 0 && !migrate) {
    return CorruptStore(std::to_string(stale) + " internal state tree nodes at depth <= " +
                        std::to_string(kTopDepth) + " are stored, which this layout never writes");
  }
  // Bottom up: pair siblings into their parent, merge in the leaves of the parents' depth.
  for (int d = kTopDepth; d >= 0; --d) {
    std::vector<Built> parents;
    for (size_t i = 0; i < level.size();) {
      const crypto::SmtPos parent = ParentAt(level[i].pos, static_cast<uint16_t>(d));
      crypto::SmtInternal in;
      auto top = std::make_shared<TopNode>();
      for (; i < level.size() && ParentAt(level[i].pos, static_cast<uint16_t>(d)) == parent; ++i) {
        const bool right = crypto::SmtBit(level[i].pos.path, static_cast<uint16_t>(d));
        (right ? in.right : in.left) = level[i].hash;
        top->child[right ? 1 : 0] = level[i].node;
      }
      top->node = crypto::SmtNode(in);
      parents.push_back({parent, crypto::SmtInternalHash(suite, in.left, in.right), top});
    }
    std::vector<Built> merged;
    merged.reserve(parents.size() + leaves[d].size());
    auto by_path = [](const Built& a, const Built& b) { return a.pos.path < b.pos.path; };
    std::merge(parents.begin(), parents.end(), leaves[d].begin(), leaves[d].end(),
               std::back_inserter(merged), by_path);
    for (size_t i = 1; i < merged.size(); ++i) {
      if (merged[i].pos.path == merged[i - 1].pos.path) {
        return CorruptStore("the state tree has a leaf and an internal node at one position");
      }
    }
    level = std::move(merged);
  }
  if (level.size() > 1) return CorruptStore("the state tree's top does not join at one root");
  if (stale > 0) {
    std::cerr << "govledger: the state tree now keeps its top " << kTopDepth
              << " levels in memory: deleting " << stale << " stored nodes of them (once)\n";
    leveldb::WriteOptions wo;
    wo.sync = true;
    leveldb::Status s = db_->Write(wo, &cleanup);
    if (!s.ok()) {
      return Status::Error("store_write_failed",
                           "migrating the state tree's top: " + s.ToString());
    }
  }
  return level.empty() ? TopTree() : level[0].node;
}

Result<std::optional<crypto::SmtNode>> LevelStateTree::GetNode(const crypto::SmtPos& pos) const {
  if (pos.depth <= kTopDepth) {
    TopTree top;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!top_error_.ok()) return top_error_;
      top = top_;
    }
    return TopNodeAt(top, pos);
  }
  return Read(pos);
}

void LevelStateTree::Write(leveldb::WriteBatch& batch, const StateUpdate& update,
                           const TopTree& top) const {
  for (const auto& [pos, node] : update.nodes) {
    if (pos.depth > kTopDepth || IsLeaf(node)) {
      if (node) {
        batch.Put(NodeKey(pos), AsSlice(crypto::EncodeSmtNode(*node)));
      } else {
        batch.Delete(NodeKey(pos));
      }
      continue;
    }
    // An internal top node, or none: only a leaf stored at this position before goes.
    const TopNode* was = FindTop(top.get(), pos);
    if (was != nullptr && IsLeaf(was->node)) batch.Delete(NodeKey(pos));
  }
}

TopTree LevelStateTree::After(const TopTree& top, const StateUpdate& update) {
  std::vector<const NodeWrite*> writes;
  for (const NodeWrite& w : update.nodes) {
    if (w.first.depth <= kTopDepth) writes.push_back(&w);
  }
  // A subsequence of update.nodes, so in its pre-order; checked, since ApplyWrites relies on it.
  GOVLEDGER_CHECK(std::is_sorted(
      writes.begin(), writes.end(),
      [](const NodeWrite* a, const NodeWrite* b) { return PreOrderLess(a->first, b->first); }));
  return ApplyWrites(top, 0, writes.data(), writes.data() + writes.size());
}

void LevelStateTree::Committed(TopTree top) {
  std::lock_guard<std::mutex> lock(mu_);
  top_ = std::move(top);
}

Status LevelStateTree::ForEachNode(
    const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const {
  TopTree top;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!top_error_.ok()) return top_error_;
    top = top_;
  }
  // The top's internal nodes interleaved with the stored ones, so that the whole walk is in
  // position order (the chain audit checks each depth against the names the depth above made).
  const auto top_internals = TopInternals(top.get());
  size_t next_top = 0;
  Status st = ScanStoredNodes(
      db_, snapshot_,
      [&](const leveldb::Slice&, const crypto::SmtPos& pos, const crypto::SmtNode& node) {
        for (; next_top < top_internals.size() && top_internals[next_top].first < pos;
             ++next_top) {
          fn(top_internals[next_top].first, top_internals[next_top].second);
        }
        fn(pos, node);
        return true;
      });
  if (!st.ok()) return st;
  for (; next_top < top_internals.size(); ++next_top) {
    fn(top_internals[next_top].first, top_internals[next_top].second);
  }
  return Status::Ok();
}


Result<StateProof> LevelStateTree::Prove(leveldb::DB* db, const leveldb::Snapshot* snapshot,
                                         TopTree top, crypto::Suite suite, const Digest& key,
                                         const std::string& height_key,
                                         const ContentReader& content) {
  const leveldb::ReadOptions o = Checked(snapshot);
  std::string height_raw;
  leveldb::Status s = db->Get(o, height_key, &height_raw);
  if (!s.ok() || height_raw.size() != 8) return CorruptStore("reading the tip height for a proof");
  StateProof out;
  out.height = ReadU64BE(reinterpret_cast<const uint8_t*>(height_raw.data()));
  out.key = key;
  LevelStateTree nodes(db, snapshot, std::move(top));
  crypto::SparseMerkleTree tree(suite, &nodes);
  auto root = tree.Root();
  if (!root.ok()) return root.status();
  out.state_root = *root;
  auto lookup = tree.Prove(key);
  if (!lookup.ok()) return lookup.status();
  out.value = lookup->value;
  out.proof = std::move(lookup->proof);
  auto stored = content(o);
  if (!stored.ok()) return stored.status();
  if (*stored != out.value) {
    return CorruptStore(
        "the stored state entry does not match the state tree (run `govledger audit chain` on "
        "this data directory)");
  }
  return out;
}

}  // namespace govledger::ledger

#include "ledger/audit_state.h"

#include <algorithm>
#include <cctype>
#include <future>
#include <utility>

#include "ledger/audit_prepare.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/state_tree.h"
#include "util/prefetch.h"

namespace govledger::ledger {

namespace {

// "material <id>" or "record <table> <key>", the key in hex when it is not plain text.
std::string Describe(char table, std::string_view key) {
  if (table == kMaterialStateTable) return "material " + std::string(key);
  bool printable = true;
  for (char c : key) printable &= std::isprint(static_cast<unsigned char>(c)) != 0;
  const std::string shown =
      printable ? std::string(key)
                : HexEncode(reinterpret_cast<const uint8_t*>(key.data()), key.size());
  return std::string("record '") + table + "' " + shown;
}

}  // namespace

// ------------------------------------------------------------------ LatestWrites

StateAudit::LatestWrites::LatestWrites(size_t expected_keys) {
  // Sized for the keys expected (at most 70 % full), so that the walk rarely rehashes; capped at
  // 4 Mi slots (320 MiB) so that a wrong guess costs little; a larger state grows the table.
  size_t n = 1024;
  while (n < (size_t{1} << 22) && 10 * expected_keys > 7 * n) n *= 2;
  slots_.resize(n);
}

void StateAudit::LatestWrites::Prefetch(const Digest& key) const {
  PrefetchObject(&slots_[crypto::DigestHasher()(key) & (slots_.size() - 1)]);
}

StateAudit::LatestWrites::Slot* StateAudit::LatestWrites::Find(const Digest& key) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = crypto::DigestHasher()(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (!s.used) return nullptr;
    if (s.key == key) return &s;
  }
}

void StateAudit::LatestWrites::Put(const Digest& key, uint64_t height,
                                   const std::optional<Digest>& value) {
  if (10 * (used_ + 1) > 7 * slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  size_t i = crypto::DigestHasher()(key) & mask;
  while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask;
  Slot& s = slots_[i];
  if (!s.used) ++used_;
  s = Slot{height, key, value.value_or(Digest{}), true, !value.has_value(), false};
}

void StateAudit::LatestWrites::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.used) continue;
    size_t i = crypto::DigestHasher()(s.key) & mask;
    while (slots_[i].used) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

// ------------------------------------------------------------------ StateAudit

StateAudit::StateAudit(const Store& store, crypto::Suite suite, unsigned threads)
    : store_(store),
      suite_(suite),
      threads_(std::max(1u, threads)),
      tree_(suite),
      // Most transactions change one state key or more (an issue writes its material).
      latest_(store.log_size()) {}

Status StateAudit::CheckBlock(uint64_t h, const BlockHeader& header) {
  auto changes = store_.GetStateChanges(h);
  if (!changes.ok()) {
    return Status::Error("bad_state_root", "stored state changes: " + changes.status().ToString());
  }
  return CheckBlock(h, header, std::move(changes).value());
}

Status StateAudit::CheckBlock(uint64_t h, const BlockHeader& header,
                              std::vector<crypto::SmtUpdate> changes) {
  const size_t count = changes.size();
  // Each key's slot is a cache miss away: fetched a few keys ahead.
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(kAhead, count); ++i) latest_.Prefetch(changes[i].key);
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) latest_.Prefetch(changes[i + kAhead].key);
    latest_.Put(changes[i].key, h, changes[i].value);
  }
  auto root = tree_.Update(std::move(changes));
  if (!root.ok()) {
    return Status::Error("bad_state_root", "stored state changes: " + root.status().ToString());
  }
  if (crypto::DigestBytes(*root) != header.state_root) {
    return Status::Error(
        "bad_state_root",
        "the block's " + std::to_string(count) + " stored state changes lead to state root " +
            crypto::DigestHex(*root) + ", the header says " +
            (header.state_root.empty() ? std::string("nothing") : HexEncode(header.state_root)));
  }
  return Status::Ok();
}

std::optional<StateAudit::Failure> StateAudit::CheckFinalState(uint64_t tip) {
  // The two checks read different things (the replayed map and the stored entries; the replayed
  // root and the stored nodes): the tree's single-threaded pass runs beside the entries' check.
  // An entry failure is reported first, as before.
  auto tree = std::async(std::launch::async, [this, tip] { return CheckStateTree(tip); });
  std::optional<Failure> entries = CheckStateEntries(tip);
  std::optional<Failure> nodes = tree.get();
  return entries ? entries : nodes;
}

std::optional<StateAudit::Failure> StateAudit::CheckStateEntries(uint64_t tip) {
  std::optional<Failure> first;
  auto note = [&first](uint64_t h, const std::string& detail) {
    if (!first || h < first->height) first = Failure{h, "bad_state_entry", detail};
  };
  // Entries are copied here in chunks (into one buffer) and checked on the threads while the
  // next chunk is read: each thread hashes its entries' keys and values and looks them up in the
  // replayed map (read-only but for the `seen` flag of its own entries' keys). Failures are then
  // noted in key order, as one thread would.
  struct Entry {
    size_t at = 0;  // table byte + key, then the value, in the chunk's bytes
    size_t key_size = 0;
    size_t value_size = 0;
    std::optional<Failure> bad;
  };
  struct Chunk {
    std::vector<Entry> entries;
    std::string bytes;
  };
  constexpr size_t kChunk = 8192;
  constexpr size_t kUnit = 256;
  Chunk reading, checking;
  reading.entries.reserve(kChunk);
  checking.entries.reserve(kChunk);
  auto check = [this, tip](const std::string& bytes, Entry& e) {
    const char* at = bytes.data() + e.at;
    const char table = at[0];
    const std::string_view key(at + 1, e.key_size - 1);
    const auto* value_bytes = reinterpret_cast<const uint8_t*>(at + e.key_size);
    const Digest state_key = StateKey(suite_, table, key);
    // The slot is a cache miss away in a table of millions: fetched while the value decodes.
    latest_.Prefetch(state_key);
    std::optional<Digest> value;
    if (table == kMaterialStateTable) {
      auto m = DecodeMaterial(value_bytes, e.value_size);
      if (m.ok()) value = MaterialStateValue(suite_, *m);
    } else {
      value = RecordStateValue(suite_, value_bytes, e.value_size);
    }
    LatestWrites::Slot* latest = latest_.Find(state_key);
    if (latest == nullptr || latest->removed) {
      e.bad = Failure{tip, "", Describe(table, key) + " is stored, but no block wrote it"};
      return;
    }
    latest->seen = true;
    if (value != latest->value) {
      e.bad =
          Failure{latest->height, "",
                  Describe(table, key) + (value ? " differs from the state committed at this height"
                                                : " does not decode")};
    }
  };
  std::future<void> checked;
  // Waits for the chunk being checked and notes its failures.
  auto finish = [&] {
    if (!checked.valid()) return;
    checked.get();
    for (const Entry& e : checking.entries) {
      if (e.bad) note(e.bad->height, e.bad->detail);
    }
    checking.entries.clear();
    checking.bytes.clear();
  };
  // Hands the chunk just read to the threads.
  auto submit = [&] {
    finish();
    std::swap(reading, checking);
    checked = std::async(std::launch::async, [&] {
      std::vector<Entry>& entries = checking.entries;
      ParallelFor((entries.size() + kUnit - 1) / kUnit, threads_, [&](size_t u) {
        for (size_t i = u * kUnit; i < std::min(entries.size(), (u + 1) * kUnit); ++i) {
          check(checking.bytes, entries[i]);
        }
      });
    });
  };
  Status scanned = store_.ForEachStateMapEntry([&](std::string_view k, std::string_view v) {
    reading.entries.push_back(Entry{reading.bytes.size(), k.size(), v.size(), std::nullopt});
    reading.bytes.append(k);
    reading.bytes.append(v);
    if (reading.entries.size() == kChunk) submit();
  });
  if (!scanned.ok()) {
    finish();
    return Failure{tip, "bad_state_entry", "stored state: " + scanned.ToString()};
  }
  submit();
  finish();
  for (const LatestWrites::Slot& latest : latest_.slots()) {
    if (latest.used && !latest.removed && !latest.seen) {
      note(latest.height, "the state entry with key " + crypto::DigestHex(latest.key) +
                              " written at this height is missing from the store");
    }
  }
  return first;
}

std::optional<StateAudit::Failure> StateAudit::CheckStateTree(uint64_t tip) const {
  // The stored tree is the replayed one when its root hashes to the replayed root, every stored
  // node hashes to what its parent holds for it, nothing is stored that no parent names and
  // nothing named is missing: hashes being collision resistant, it is then the same node for
  // node. The store yields nodes by depth, then path, and the children that the nodes of one
  // depth name come in that same order, so one pass checks each depth against the names the
  // depth above made, holding the names of two depths at a time and never walking the replayed
  // tree (whose nodes are scattered in memory).
  struct Named {
    Digest path;
    Digest hash;
  };
  std::vector<Named> expected;  // what the depth above named for this depth, by path
  std::vector<Named> named;     // what this depth names for the next
  if (tree_.Root() != crypto::kSmtEmpty) expected.push_back(Named{Digest{}, tree_.Root()});
  size_t next = 0;  // the first name at this depth no stored node has answered yet
  uint16_t depth = 0;
  std::optional<std::string> bad;
  auto node_at = [](uint16_t d, const Digest& path) {
    return "the node at depth " + std::to_string(d) + " (path " + crypto::DigestHex(path) + ")";
  };
  // Closes depths until `to`: a name no stored node answered is a missing node.
  auto advance = [&](uint16_t to) {
    while (!bad && depth < to) {
      if (next < expected.size()) {
        bad = node_at(depth, expected[next].path) + " is missing";
        return;
      }
      expected.swap(named);
      named.clear();
      next = 0;
      ++depth;
    }
  };
  Status st = store_.ForEachStateNode([&](const crypto::SmtPos& pos, const crypto::SmtNode& node) {
    if (bad) return;
    if (pos.depth < depth) {
      bad = node_at(pos.depth, pos.path) + " comes after deeper nodes";
      return;
    }
    advance(pos.depth);
    if (bad) return;
    if (next < expected.size() && expected[next].path < pos.path) {
      bad = node_at(depth, expected[next].path) + " is missing";
      return;
    }
    if (next == expected.size() || expected[next].path != pos.path) {
      bad = node_at(depth, pos.path) + " is stored, but no node above it names it";
      return;
    }
    if (crypto::SmtNodeHash(suite_, node) != expected[next].hash) {
      bad = node_at(depth, pos.path) + (depth == 0 ? " does not hash to the replayed root"
                                                   : " does not hash to what its parent holds");
      return;
    }
    ++next;
    if (const auto* in = std::get_if<crypto::SmtInternal>(&node)) {
      if (pos.depth >= crypto::kSmtMaxDepth) {
        bad = node_at(depth, pos.path) + " is an internal node at the deepest level";
        return;
      }
      if (in->left != crypto::kSmtEmpty) {
        named.push_back(Named{crypto::SmtChild(pos, false).path, in->left});
      }
      if (in->right != crypto::kSmtEmpty) {
        named.push_back(Named{crypto::SmtChild(pos, true).path, in->right});
      }
    }
  });
  if (!st.ok()) return Failure{tip, "bad_state_tree", "stored state tree: " + st.ToString()};
  // Whatever the last depths named and the store does not hold.
  while (!bad && (next < expected.size() || !named.empty())) advance(depth + 1);
  if (bad) {
    return Failure{tip, "bad_state_tree",
                   "the stored state tree is not the one the chain's state changes build: " + *bad};
  }
  return std::nullopt;
}

}  // namespace govledger::ledger

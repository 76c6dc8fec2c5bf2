#include "ledger/audit_state.h"

#include <cctype>
#include <utility>

#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/state_tree.h"

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

StateAudit::StateAudit(const Store& store, crypto::Suite suite)
    : store_(store), suite_(suite), tree_(suite, &nodes_) {}

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
  for (const crypto::SmtUpdate& u : changes) latest_[u.key] = Latest{h, u.value, false};
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
  std::optional<Failure> first;
  auto note = [&first](uint64_t h, const std::string& detail) {
    if (!first || h < first->height) first = Failure{h, "bad_state_entry", detail};
  };
  store_.ForEachStateEntry([&](const std::string& k, const std::string& v) {
    if (k.empty() || !InStateMap(k[0])) return;
    const char table = k[0];
    const std::string_view key = std::string_view(k).substr(1);
    const Bytes bytes(v.begin(), v.end());
    std::optional<Digest> value;
    if (table == kMaterialStateTable) {
      auto m = DecodeMaterial(bytes);
      if (m.ok()) value = MaterialStateValue(suite_, *m);
    } else {
      value = RecordStateValue(suite_, bytes);
    }
    auto it = latest_.find(StateKey(suite_, table, key));
    if (it == latest_.end() || !it->second.value) {
      note(tip, Describe(table, key) + " is stored, but no block wrote it");
      return;
    }
    it->second.seen = true;
    if (value != it->second.value) {
      note(it->second.height,
           Describe(table, key) +
               (value ? " differs from the state committed at this height" : " does not decode"));
    }
  });
  for (const auto& [key, latest] : latest_) {
    if (latest.value && !latest.seen) {
      note(latest.height, "the state entry with key " + crypto::DigestHex(key) +
                              " written at this height is missing from the store");
    }
  }
  if (first) return first;

  size_t stored = 0;
  size_t differing = 0;
  Status st = store_.ForEachStateNode([&](const crypto::SmtPos& pos, const crypto::SmtNode& node) {
    ++stored;
    auto it = nodes_.nodes().find(pos);
    if (it == nodes_.nodes().end() || !(it->second == node)) ++differing;
  });
  if (!st.ok()) return Failure{tip, "bad_state_tree", "stored state tree: " + st.ToString()};
  if (differing > 0 || stored != nodes_.nodes().size()) {
    return Failure{tip, "bad_state_tree",
                   "the stored state tree (" + std::to_string(stored) + " nodes, " +
                       std::to_string(differing) + " not as replayed) differs from the " +
                       std::to_string(nodes_.nodes().size()) +
                       " nodes the chain's state changes build"};
  }
  return std::nullopt;
}

}  // namespace govledger::ledger

#include "ledger/state_tree.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "ledger/canonical.h"
#include "ledger/store.h"

namespace govledger::ledger {

namespace {

// Same policy as the Store's StateReader reads: the committed state drives consensus, so a node
// whose tree cannot be read stops instead of building on a wrong view.
[[noreturn]] void FatalTreeRead(const Status& st) {
  std::cerr << "govledger: fatal: cannot read the committed state tree: " << st.ToString()
            << " (run `govledger audit chain` on this data directory)\n";
  std::abort();
}

}  // namespace

bool InStateMap(char table) {
  if (table == kMaterialStateTable) return true;
  for (Table t : {Table::kGrant, Table::kGrantByMaterial, Table::kUsage, Table::kChildren,
                  Table::kContract, Table::kContractByDigest, Table::kContractDeadline,
                  Table::kProposal, Table::kRegistry, Table::kCounter}) {
    if (static_cast<char>(t) == table) return true;
  }
  return false;
}

std::vector<crypto::SmtUpdate> StateChanges(
    crypto::Suite suite, const std::map<std::string, Material, std::less<>>& materials,
    const std::map<std::string, std::optional<Bytes>, std::less<>>& records) {
  std::vector<crypto::SmtUpdate> out;
  out.reserve(materials.size() + records.size());
  for (const auto& [id, m] : materials) {
    out.push_back({MaterialStateKey(suite, id), MaterialStateValue(suite, m)});
  }
  for (const auto& [table_key, value] : records) {
    GOVLEDGER_CHECK(!table_key.empty());
    const char table = table_key[0];
    // A record table never uses the materials' 'S', so the two kinds of key cannot meet.
    GOVLEDGER_CHECK(table != kMaterialStateTable);
    crypto::SmtUpdate u;
    u.key = StateKey(suite, table, std::string_view(table_key).substr(1));
    if (value) u.value = RecordStateValue(suite, *value);
    out.push_back(u);
  }
  std::sort(out.begin(), out.end(),
            [](const crypto::SmtUpdate& a, const crypto::SmtUpdate& b) { return a.key < b.key; });
  return out;
}

StateUpdate ComputeStateUpdate(const ChainView& chain, std::vector<crypto::SmtUpdate> changes) {
  std::sort(changes.begin(), changes.end(),
            [](const crypto::SmtUpdate& a, const crypto::SmtUpdate& b) { return a.key < b.key; });
  StateUpdate out;
  out.base_height = chain.height();
  const std::unique_ptr<const crypto::SmtNodeStore> reader = chain.StateNodeReader();
  PendingStateNodes pending(reader ? *reader : chain.state_nodes());
  crypto::SparseMerkleTree tree(chain.suite(), &pending);
  Result<Digest> root = tree.Update(changes);
  if (!root.ok()) {
    // Keys come from distinct map entries, so duplicate_key cannot happen here.
    FatalTreeRead(root.status());
  }
  out.root = *root;
  out.changes = std::move(changes);
  out.nodes = pending.TakeWrites();
  return out;
}

StateUpdate ComputeStateUpdate(const ChainView& chain, const Overlay& overlay) {
  return ComputeStateUpdate(chain,
                            StateChanges(chain.suite(), overlay.materials(), overlay.records()));
}

StateUpdate ComputeStateUpdate(const ChainView& chain, const BlockWrite& write) {
  std::map<std::string, Material, std::less<>> materials;
  for (const Material& m : write.materials) materials[m.material_id] = m;
  std::map<std::string, std::optional<Bytes>, std::less<>> records;
  for (const Event& e : write.events) {
    for (const RecordWrite& r : e.records) {
      std::string key(1, static_cast<char>(r.table));
      key += r.key;
      records[key] = r.value;
    }
  }
  return ComputeStateUpdate(chain, StateChanges(chain.suite(), materials, records));
}

// ------------------------------------------------------------------ PendingStateNodes

Result<std::optional<crypto::SmtNode>> PendingStateNodes::GetNode(const crypto::SmtPos& pos) const {
  auto it = writes_.find(pos);
  if (it != writes_.end()) return it->second;
  return base_->GetNode(pos);
}

void PendingStateNodes::PutNode(const crypto::SmtPos& pos, const crypto::SmtNode& node) {
  writes_[pos] = node;
}

void PendingStateNodes::DeleteNode(const crypto::SmtPos& pos) { writes_[pos] = std::nullopt; }

namespace {

class LayeredNodeReader : public ReadOnlySmtNodes {
 public:
  using Writes =
      std::unordered_map<crypto::SmtPos, std::optional<crypto::SmtNode>, crypto::SmtPosHash>;
  LayeredNodeReader(const Writes& writes, std::unique_ptr<const crypto::SmtNodeStore> base)
      : writes_(&writes), base_(std::move(base)) {}
  Result<std::optional<crypto::SmtNode>> GetNode(const crypto::SmtPos& pos) const override {
    auto it = writes_->find(pos);
    if (it != writes_->end()) return it->second;
    return base_->GetNode(pos);
  }

 private:
  const Writes* writes_;
  std::unique_ptr<const crypto::SmtNodeStore> base_;
};

}  // namespace

void ReadOnlySmtNodes::PutNode(const crypto::SmtPos&, const crypto::SmtNode&) {
  GOVLEDGER_CHECK(false && "this state tree store is read-only; use PendingStateNodes");
}

void ReadOnlySmtNodes::DeleteNode(const crypto::SmtPos&) {
  GOVLEDGER_CHECK(false && "this state tree store is read-only; use PendingStateNodes");
}

std::unique_ptr<const crypto::SmtNodeStore> PendingStateNodes::Over(
    std::unique_ptr<const crypto::SmtNodeStore> base) const {
  return std::make_unique<LayeredNodeReader>(writes_, std::move(base));
}

bool PreOrderLess(const crypto::SmtPos& a, const crypto::SmtPos& b) {
  if (a.path != b.path) return a.path < b.path;
  return a.depth < b.depth;
}

StateNodeWrites PendingStateNodes::TakeWrites() {
  StateNodeWrites out(writes_.begin(), writes_.end());
  writes_.clear();
  // One fixed order, so that equal blocks produce equal BlockWrites.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return PreOrderLess(a.first, b.first); });
  return out;
}

// ------------------------------------------------------------------ journal

Bytes EncodeStateChanges(const std::vector<crypto::SmtUpdate>& changes) {
  Bytes out;
  out.reserve(4 + changes.size() * (1 + 2 * crypto::kDigestSize));
  AppendU32BE(out, static_cast<uint32_t>(changes.size()));
  for (const crypto::SmtUpdate& u : changes) {
    out.insert(out.end(), u.key.begin(), u.key.end());
    out.push_back(u.value ? 1 : 0);
    if (u.value) out.insert(out.end(), u.value->begin(), u.value->end());
  }
  return out;
}

Result<std::vector<crypto::SmtUpdate>> DecodeStateChanges(const Bytes& raw) {
  auto corrupt = [](const std::string& what) {
    return Status::Error("corrupt_store", "state journal: " + what);
  };
  if (raw.size() < 4) return corrupt("truncated count");
  const uint32_t n = ReadU32BE(raw.data());
  size_t at = 4;
  std::vector<crypto::SmtUpdate> out;
  // Each entry takes at least 33 bytes: do not trust the count for the reservation.
  out.reserve(std::min<size_t>(n, (raw.size() - 4) / (crypto::kDigestSize + 1)));
  for (uint32_t i = 0; i < n; ++i) {
    if (raw.size() - at < crypto::kDigestSize + 1) return corrupt("truncated entry");
    crypto::SmtUpdate u;
    std::copy_n(raw.begin() + static_cast<std::ptrdiff_t>(at), crypto::kDigestSize, u.key.begin());
    at += crypto::kDigestSize;
    const uint8_t flag = raw[at++];
    if (flag > 1) return corrupt("bad entry flag");
    if (flag == 1) {
      if (raw.size() - at < crypto::kDigestSize) return corrupt("truncated value");
      Digest v;
      std::copy_n(raw.begin() + static_cast<std::ptrdiff_t>(at), crypto::kDigestSize, v.begin());
      at += crypto::kDigestSize;
      u.value = v;
    }
    out.push_back(u);
  }
  if (at != raw.size()) return corrupt("trailing bytes");
  return out;
}

bool VerifyMaterialState(crypto::Suite suite, const Digest& state_root,
                         std::string_view material_id, const Material* material,
                         const crypto::SmtProof& proof) {
  if (material != nullptr && material->material_id != material_id) return false;
  std::optional<Digest> value;
  if (material != nullptr) value = MaterialStateValue(suite, *material);
  return crypto::VerifyStateProof(suite, state_root, MaterialStateKey(suite, material_id), value,
                                  proof);
}

}  // namespace govledger::ledger

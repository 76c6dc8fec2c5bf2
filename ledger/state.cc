#include "ledger/state.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace govledger::ledger {

namespace {

bool IsDue(const Material& m, int64_t time_ms) {
  return m.status == MaterialStatus::kActive && m.valid_until_ms > 0 && m.valid_until_ms <= time_ms;
}

}  // namespace

std::optional<Material> Overlay::GetMaterial(std::string_view id) const {
  auto it = materials_.find(id);
  if (it != materials_.end()) return it->second;
  return base_.GetMaterial(id);
}

bool Overlay::HasTx(const Digest& tx_hash) const {
  // A block holds at most a few thousand txs: a linear scan is cheaper than maintaining a set.
  if (std::find(txs_.begin(), txs_.end(), tx_hash) != txs_.end()) return true;
  return base_.HasTx(tx_hash);
}

std::vector<std::string> Overlay::DueForExpiry(int64_t time_ms, size_t limit) const {
  if (limit == 0) return {};
  // Each overlay write can hide at most one of the base's answers, so asking for that many more
  // guarantees `limit` survivors whenever the base has them.
  const size_t extra = materials_.size();
  const size_t base_limit =
      limit > std::numeric_limits<size_t>::max() - extra ? limit : limit + extra;
  std::vector<std::pair<int64_t, std::string>> due;
  for (std::string& id : base_.DueForExpiry(time_ms, base_limit)) {
    if (materials_.count(id)) continue;  // judged below by its overlay state
    std::optional<Material> m = base_.GetMaterial(id);
    if (!m) continue;
    due.emplace_back(m->valid_until_ms, std::move(id));
  }
  for (const auto& [id, m] : materials_) {
    if (IsDue(m, time_ms)) due.emplace_back(m.valid_until_ms, id);
  }
  std::sort(due.begin(), due.end());
  if (due.size() > limit) due.resize(limit);
  std::vector<std::string> out;
  out.reserve(due.size());
  for (auto& entry : due) out.push_back(std::move(entry.second));
  return out;
}

void Overlay::PutMaterial(const Material& m) { materials_[m.material_id] = m; }

void Overlay::AddEvent(const Event& e) { events_.push_back(e); }

void Overlay::AddTx(const Digest& tx_hash) { txs_.push_back(tx_hash); }

}  // namespace govledger::ledger

#include "ledger/state.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace govledger::ledger {

namespace {

std::string FullKey(Table table, std::string_view key) {
  std::string k(1, static_cast<char>(table));
  k.append(key);
  return k;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

size_t SaturatingAdd(size_t a, size_t b) {
  return a > std::numeric_limits<size_t>::max() - b ? a : a + b;
}

}  // namespace

std::optional<Bytes> StateReader::GetRecord(Table, std::string_view) const { return std::nullopt; }

std::vector<std::pair<std::string, Bytes>> StateReader::ScanRecords(Table, std::string_view,
                                                                    std::string_view,
                                                                    size_t) const {
  return {};
}

std::optional<Material> Overlay::GetMaterial(std::string_view id) const {
  auto it = materials_.find(id);
  if (it != materials_.end()) return it->second;
  return BaseMaterial(id);
}

std::optional<Material> Overlay::BaseMaterial(std::string_view id) const {
  auto it = base_materials_.find(id);
  if (it == base_materials_.end()) {
    it = base_materials_.emplace(std::string(id), base_->GetMaterial(id)).first;
  }
  return it->second;
}

bool Overlay::HasTx(const Digest& tx_hash) const {
  if (txs_.count(tx_hash)) return true;
  return base_->HasTx(tx_hash);
}

std::vector<std::string> Overlay::DueForExpiry(int64_t time_ms, size_t limit) const {
  if (limit == 0) return {};
  // Each overlay write can hide at most one of the base's answers, so asking for that many more
  // guarantees `limit` survivors whenever the base has them.
  const size_t base_limit = SaturatingAdd(limit, materials_.size());
  std::vector<std::pair<int64_t, std::string>> due;
  for (std::string& id : base_->DueForExpiry(time_ms, base_limit)) {
    if (materials_.count(id)) continue;  // judged below by its overlay state
    std::optional<Material> m = base_->GetMaterial(id);
    if (!m) continue;
    due.emplace_back(m->valid_until_ms, std::move(id));
  }
  // The overlay's own candidates, in expiry order: at most `limit` of them can be answers.
  size_t taken = 0;
  for (auto it = expiring_.begin(); it != expiring_.end() && it->first <= time_ms && taken < limit;
       ++it, ++taken) {
    due.emplace_back(it->first, it->second);
  }
  std::sort(due.begin(), due.end());
  if (due.size() > limit) due.resize(limit);
  std::vector<std::string> out;
  out.reserve(due.size());
  for (auto& entry : due) out.push_back(std::move(entry.second));
  return out;
}

std::optional<Bytes> Overlay::GetRecord(Table table, std::string_view key) const {
  auto it = records_.find(FullKey(table, key));
  if (it != records_.end()) return it->second;
  return base_->GetRecord(table, key);
}

std::vector<std::pair<std::string, Bytes>> Overlay::ScanRecords(Table table,
                                                                std::string_view prefix,
                                                                std::string_view after,
                                                                size_t limit) const {
  if (limit == 0) return {};
  const std::string full_prefix = FullKey(table, prefix);
  // Pending entries under the prefix (after `after`): each may hide one base entry.
  std::map<std::string, std::optional<Bytes>, std::less<>> pending;
  for (auto it = records_.lower_bound(full_prefix);
       it != records_.end() && StartsWith(it->first, full_prefix); ++it) {
    std::string key = it->first.substr(1);
    if (!after.empty() && key <= after) continue;
    pending.emplace(std::move(key), it->second);
  }
  std::map<std::string, Bytes, std::less<>> merged;
  for (auto& [key, value] :
       base_->ScanRecords(table, prefix, after, SaturatingAdd(limit, pending.size()))) {
    if (!pending.count(key)) merged.emplace(std::move(key), std::move(value));
  }
  for (auto& [key, value] : pending) {
    if (value) merged.emplace(key, *value);
  }
  std::vector<std::pair<std::string, Bytes>> out;
  for (auto& [key, value] : merged) {
    if (out.size() == limit) break;
    out.emplace_back(key, std::move(value));
  }
  return out;
}

void Overlay::PutMaterial(const Material& m) {
  auto [it, added] = materials_.try_emplace(m.material_id, m);
  if (!added) {
    if (RunsToExpiry(it->second)) expiring_.erase({it->second.valid_until_ms, m.material_id});
    it->second = m;
  }
  if (RunsToExpiry(m)) expiring_.emplace(m.valid_until_ms, m.material_id);
}

void Overlay::AddEvent(const Event& e) {
  for (const RecordWrite& w : e.records) PutRecord(w);
  events_.push_back(e);
}

void Overlay::AddTx(const Digest& tx_hash) { txs_.insert(tx_hash); }

void Overlay::PutRecord(const RecordWrite& w) { records_[FullKey(w.table, w.key)] = w.value; }

}  // namespace govledger::ledger

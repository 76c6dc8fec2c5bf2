#include "contracts/registry.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "ledger/codec.h"
#include "ledger/records.h"

namespace govledger::contracts {
namespace {

constexpr std::string_view kProviderRole = "provider";
// Registry changes are rare (governance); a single scan covers every version of one entry.
constexpr size_t kMaxVersions = 100'000;

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

template <typename T>
T OrDie(Result<T> r, std::string_view what) {
  if (!r.ok()) {
    std::cerr << "govledger: fatal: cannot decode committed registry " << what << ": "
              << r.status().ToString() << "\n";
    std::abort();
  }
  return std::move(r).value();
}

// The newest version (highest effective height <= height) among the records under `prefix`.
std::optional<Bytes> NewestVersion(const ledger::StateReader& state, const std::string& prefix,
                                   uint64_t height) {
  std::optional<Bytes> out;
  for (auto& [key, value] : state.ScanRecords(ledger::Table::kRegistry, prefix, "", kMaxVersions)) {
    if (ledger::RegistryKeyHeight(key) > height) break;  // keys are ordered by height
    out = std::move(value);
  }
  return out;
}

// Ids of the registry entries of one kind ("d" or "t") that the state holds.
std::set<std::string> StateIds(const ledger::StateReader& state, std::string_view kind) {
  std::set<std::string> ids;
  for (auto& [key, value] : state.ScanRecords(ledger::Table::kRegistry, kind, "", kMaxVersions)) {
    size_t sep = key.find('\0', 1);
    if (sep != std::string::npos) ids.insert(key.substr(1, sep - 1));
  }
  return ids;
}

}  // namespace

// ParseGenesisJson rejects duplicate department ids, keys and type codes. A Genesis built some
// other way keeps the first entry of a duplicate, so lookups stay deterministic.
Registry::Registry(const ledger::Genesis& genesis)
    : suite_(genesis.suite),
      chain_id_(genesis.chain_id),
      params_(genesis.params),
      validators_(genesis.validators) {
  for (const ledger::Department& d : genesis.departments) {
    if (departments_.emplace(d.id, d).second) by_key_.emplace(d.key, d.id);
  }
  for (const ledger::MaterialType& t : genesis.material_types) types_.emplace(t.code, t);
}

const ledger::Department* Registry::DepartmentById(std::string_view id) const {
  auto it = departments_.find(id);
  return it == departments_.end() ? nullptr : &it->second;
}

const ledger::Department* Registry::DepartmentByKey(const crypto::PublicKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : DepartmentById(it->second);
}

const ledger::MaterialType* Registry::Type(std::string_view code) const {
  auto it = types_.find(code);
  return it == types_.end() ? nullptr : &it->second;
}

bool Registry::HasRole(const ledger::Department& d, std::string_view role) const {
  return Contains(d.roles, role);
}

bool Registry::MayIssue(const ledger::Department& d, const ledger::MaterialType& t) const {
  return HasRole(d, kProviderRole) && Contains(t.issuers, d.id);
}

// ------------------------------------------------------------------ RegistryView

std::optional<ledger::Department> RegistryView::DepartmentById(std::string_view id) const {
  if (auto raw = NewestVersion(state_, ledger::RegistryDepartmentPrefix(id), height_)) {
    return OrDie(ledger::DecodeDepartment(*raw), "department");
  }
  if (const ledger::Department* d = genesis_.DepartmentById(id)) return *d;
  return std::nullopt;
}

std::optional<ledger::Department> RegistryView::DepartmentByKey(
    const crypto::PublicKey& key) const {
  if (const ledger::Department* d = genesis_.DepartmentByKey(key)) return DepartmentById(d->id);
  if (key.empty()) return std::nullopt;
  auto id = state_.GetRecord(ledger::Table::kRegistry, ledger::RegistryKeyIndexKey(key));
  if (!id) return std::nullopt;
  std::optional<ledger::Department> d = DepartmentById(std::string(id->begin(), id->end()));
  if (d && d->key != key) return std::nullopt;  // keys are never reassigned; defensive
  return d;
}

std::optional<ledger::MaterialType> RegistryView::Type(std::string_view code) const {
  if (auto raw = NewestVersion(state_, ledger::RegistryTypePrefix(code), height_)) {
    return OrDie(ledger::DecodeMaterialType(*raw), "material type");
  }
  if (const ledger::MaterialType* t = genesis_.Type(code)) return *t;
  return std::nullopt;
}

std::vector<ledger::Department> RegistryView::Departments() const {
  std::set<std::string> ids = StateIds(state_, ledger::kRegistryDepartments);
  for (const auto& [id, d] : genesis_.departments()) ids.insert(id);
  std::vector<ledger::Department> out;
  for (const std::string& id : ids) {
    if (auto d = DepartmentById(id)) out.push_back(std::move(*d));
  }
  return out;
}

std::vector<ledger::MaterialType> RegistryView::Types() const {
  std::set<std::string> codes = StateIds(state_, ledger::kRegistryTypes);
  for (const auto& [code, t] : genesis_.types()) codes.insert(code);
  std::vector<ledger::MaterialType> out;
  for (const std::string& code : codes) {
    if (auto t = Type(code)) out.push_back(std::move(*t));
  }
  return out;
}

std::vector<ledger::Validator> RegistryView::Validators() const {
  return ledger::ValidatorsAt(genesis_.validators(), state_, height_);
}

bool RegistryView::HasRole(const ledger::Department& d, std::string_view role) {
  return Contains(d.roles, role);
}

bool RegistryView::MayIssue(const ledger::Department& d, const ledger::MaterialType& t) {
  return HasRole(d, kProviderRole) && Contains(t.issuers, d.id);
}

}  // namespace govledger::contracts

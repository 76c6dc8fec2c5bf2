#include "contracts/registry.h"

#include <algorithm>

namespace govledger::contracts {
namespace {

constexpr std::string_view kProviderRole = "provider";

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

// ParseGenesisJson rejects duplicate department ids, keys and type codes. A Genesis built some
// other way keeps the first entry of a duplicate, so lookups stay deterministic.
Registry::Registry(const ledger::Genesis& genesis)
    : suite_(genesis.suite), chain_id_(genesis.chain_id), params_(genesis.params) {
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

}  // namespace govledger::contracts

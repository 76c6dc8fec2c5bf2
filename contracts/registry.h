// The department registry and material-type rules the contracts enforce, built from the genesis.
// Immutable once built; lookups by department id, by signing key and by type code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/genesis.h"

namespace govledger::contracts {

class Registry {
 public:
  explicit Registry(const ledger::Genesis& genesis);

  crypto::Suite suite() const { return suite_; }
  const std::string& chain_id() const { return chain_id_; }
  const ledger::ChainParams& params() const { return params_; }

  const ledger::Department* DepartmentById(std::string_view id) const;
  const ledger::Department* DepartmentByKey(const crypto::PublicKey& key) const;
  const ledger::MaterialType* Type(std::string_view code) const;
  bool HasRole(const ledger::Department& d, std::string_view role) const;
  bool MayIssue(const ledger::Department& d, const ledger::MaterialType& t) const;

 private:
  crypto::Suite suite_;
  std::string chain_id_;
  ledger::ChainParams params_;
  std::map<std::string, ledger::Department, std::less<>> departments_;
  std::map<crypto::PublicKey, std::string> by_key_;
  std::map<std::string, ledger::MaterialType, std::less<>> types_;
};

}  // namespace govledger::contracts

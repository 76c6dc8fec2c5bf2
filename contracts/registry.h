// The department registry and material-type rules the contracts enforce. Registry holds the
// genesis registry (immutable); RegistryView is the registry in force at a block height: the
// genesis registry with the changes governance has enacted, read from the ledger state (record
// table 'R', see ledger/records.h). Contracts always judge through a RegistryView.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/genesis.h"
#include "ledger/state.h"

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

  const std::map<std::string, ledger::Department, std::less<>>& departments() const {
    return departments_;
  }
  const std::map<std::string, ledger::MaterialType, std::less<>>& types() const { return types_; }
  const std::vector<ledger::Validator>& validators() const { return validators_; }

 private:
  crypto::Suite suite_;
  std::string chain_id_;
  ledger::ChainParams params_;
  std::map<std::string, ledger::Department, std::less<>> departments_;
  std::map<crypto::PublicKey, std::string> by_key_;
  std::map<std::string, ledger::MaterialType, std::less<>> types_;
  std::vector<ledger::Validator> validators_;
};

// The registry in force at `height`: a department, type or validator change enacted by
// governance applies from its effective height on. Cheap to construct (one per transaction);
// lookups read the state. Not thread-safe; must not outlive `state`.
class RegistryView {
 public:
  RegistryView(const Registry& genesis, const ledger::StateReader& state, uint64_t height)
      : genesis_(genesis), state_(state), height_(height) {}

  const Registry& genesis() const { return genesis_; }
  crypto::Suite suite() const { return genesis_.suite(); }
  const std::string& chain_id() const { return genesis_.chain_id(); }
  const ledger::ChainParams& params() const { return genesis_.params(); }
  uint64_t height() const { return height_; }

  std::optional<ledger::Department> DepartmentById(std::string_view id) const;
  std::optional<ledger::Department> DepartmentByKey(const crypto::PublicKey& key) const;
  std::optional<ledger::MaterialType> Type(std::string_view code) const;
  // Every department in force, by id.
  std::vector<ledger::Department> Departments() const;
  // Every material type in force, by code.
  std::vector<ledger::MaterialType> Types() const;
  // The validator set in force: the genesis validators with every enacted change whose
  // effective height is <= height(), applied in (effective height, name) order.
  std::vector<ledger::Validator> Validators() const;

  static bool HasRole(const ledger::Department& d, std::string_view role);
  static bool MayIssue(const ledger::Department& d, const ledger::MaterialType& t);

 private:
  const Registry& genesis_;
  const ledger::StateReader& state_;
  uint64_t height_;
};

}  // namespace govledger::contracts

#include "ledger/records.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "ledger/codec.h"

namespace govledger::ledger {

namespace {

std::string U64(uint64_t v) {
  std::string s;
  AppendU64BE(s, v);
  return s;
}

template <typename T>
T DecodedOrDie(Result<T> r, std::string_view what, std::string_view key) {
  if (!r.ok()) {
    std::cerr << "govledger: fatal: cannot decode committed " << what << " '" << key
              << "': " << r.status().ToString()
              << " (run `govledger audit chain` on this data directory)\n";
    std::abort();
  }
  return std::move(r).value();
}

}  // namespace

std::string JoinKey(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

std::string GrantByMaterialKey(std::string_view material_id, std::string_view grant_id) {
  return JoinKey(material_id, grant_id);
}

std::string UsageKey(std::string_view type, std::string_view consumer, std::string_view purpose) {
  return JoinKey(JoinKey(type, consumer), purpose);
}

std::string ChildKey(std::string_view parent_root_id, std::string_view child_id) {
  return JoinKey(parent_root_id, child_id);
}

std::string ContractByDigestKey(const Bytes& digest, std::string_view contract_id) {
  std::string k(digest.begin(), digest.end());
  k.append(contract_id);
  return k;
}

// Only positive deadlines are stored, so the u64 cast keeps their order.
std::string ContractDeadlineKey(int64_t deadline_ms, std::string_view contract_id) {
  return U64(static_cast<uint64_t>(deadline_ms)) + std::string(contract_id);
}

std::string RegistryDepartmentPrefix(std::string_view id) {
  return JoinKey(std::string(kRegistryDepartments) + std::string(id), "");
}
std::string RegistryDepartmentKey(std::string_view id, uint64_t effective_height) {
  return RegistryDepartmentPrefix(id) + U64(effective_height);
}
std::string RegistryTypePrefix(std::string_view code) {
  return JoinKey(std::string(kRegistryTypes) + std::string(code), "");
}
std::string RegistryTypeKey(std::string_view code, uint64_t effective_height) {
  return RegistryTypePrefix(code) + U64(effective_height);
}
std::string RegistryValidatorKey(uint64_t effective_height, std::string_view name) {
  return std::string(kRegistryValidators) + U64(effective_height) + std::string(name);
}
std::string RegistryKeyIndexKey(const crypto::PublicKey& key) {
  return "k" + std::string(key.begin(), key.end());
}

uint64_t RegistryKeyHeight(std::string_view key) {
  if (key.empty()) return 0;
  if (key[0] == kRegistryValidators[0]) {
    if (key.size() < 9) return 0;
    return ReadU64BE(reinterpret_cast<const uint8_t*>(key.data() + 1));
  }
  if (key.size() < 8) return 0;
  return ReadU64BE(reinterpret_cast<const uint8_t*>(key.data() + key.size() - 8));
}

std::optional<Grant> GetGrant(const StateReader& s, std::string_view grant_id) {
  auto raw = s.GetRecord(Table::kGrant, grant_id);
  if (!raw) return std::nullopt;
  return DecodedOrDie(DecodeGrant(*raw), "grant", grant_id);
}

std::optional<EContract> GetContract(const StateReader& s, std::string_view contract_id) {
  auto raw = s.GetRecord(Table::kContract, contract_id);
  if (!raw) return std::nullopt;
  return DecodedOrDie(DecodeContract(*raw), "e-contract", contract_id);
}

std::optional<Proposal> GetProposal(const StateReader& s, std::string_view proposal_id) {
  auto raw = s.GetRecord(Table::kProposal, proposal_id);
  if (!raw) return std::nullopt;
  return DecodedOrDie(DecodeProposal(*raw), "proposal", proposal_id);
}

uint64_t GetCounter(const StateReader& s, Table table, std::string_view key) {
  auto raw = s.GetRecord(table, key);
  if (!raw) return 0;
  return DecodedOrDie(DecodeU64(*raw), "counter", key);
}

std::vector<std::string> ScanIndex(const StateReader& s, Table table, std::string_view first,
                                   size_t limit, std::string_view after) {
  const std::string prefix = JoinKey(first, "");
  const std::string after_key = after.empty() ? std::string() : prefix + std::string(after);
  std::vector<std::string> out;
  for (auto& [key, value] : s.ScanRecords(table, prefix, after_key, limit)) {
    out.push_back(key.substr(prefix.size()));
  }
  return out;
}

std::vector<ValidatorChange> GetValidatorChanges(const StateReader& s) {
  std::vector<ValidatorChange> out;
  // Validator changes are rare (governance): the whole list is small.
  for (auto& [key, value] : s.ScanRecords(Table::kRegistry, kRegistryValidators, "", 1'000'000)) {
    out.push_back(DecodedOrDie(DecodeValidatorChange(value), "validator change", key));
  }
  return out;
}

std::vector<Validator> ValidatorsAt(const std::vector<Validator>& genesis_set, const StateReader& s,
                                    uint64_t height) {
  return ValidatorsAt(genesis_set, GetValidatorChanges(s), height);
}

std::vector<Validator> ValidatorsAt(const std::vector<Validator>& genesis_set,
                                    const std::vector<ValidatorChange>& changes, uint64_t height) {
  std::vector<Validator> set = genesis_set;
  for (const ValidatorChange& c : changes) {
    if (c.effective_height > height) break;  // ordered by effective height
    auto same = [&c](const Validator& v) { return v.name == c.validator.name; };
    auto it = std::find_if(set.begin(), set.end(), same);
    if (c.remove) {
      if (it != set.end()) set.erase(it);
    } else if (it != set.end()) {
      *it = c.validator;  // new keys: same place in the set (proposer order unchanged)
    } else {
      set.push_back(c.validator);
    }
  }
  return set;
}

RecordWrite PutGrant(const Grant& g) { return {Table::kGrant, g.grant_id, EncodeGrant(g)}; }
RecordWrite PutContract(const EContract& c) {
  return {Table::kContract, c.contract_id, EncodeContract(c)};
}
RecordWrite PutProposal(const Proposal& p) {
  return {Table::kProposal, p.proposal_id, EncodeProposal(p)};
}
RecordWrite PutCounter(Table table, std::string key, uint64_t value) {
  return {table, std::move(key), EncodeU64(value)};
}
RecordWrite PutIndex(Table table, std::string key) { return {table, std::move(key), Bytes{}}; }
RecordWrite DeleteRecord(Table table, std::string key) {
  return {table, std::move(key), std::nullopt};
}
RecordWrite PutRegistryDepartment(const Department& d, uint64_t effective_height) {
  return {Table::kRegistry, RegistryDepartmentKey(d.id, effective_height), EncodeDepartment(d)};
}
RecordWrite PutRegistryType(const MaterialType& t, uint64_t effective_height) {
  return {Table::kRegistry, RegistryTypeKey(t.code, effective_height), EncodeMaterialType(t)};
}
RecordWrite PutValidatorChange(const ValidatorChange& v) {
  return {Table::kRegistry, RegistryValidatorKey(v.effective_height, v.validator.name),
          EncodeValidatorChange(v)};
}
RecordWrite PutRegistryKeyIndex(const crypto::PublicKey& key, const std::string& department_id) {
  return {Table::kRegistry, RegistryKeyIndexKey(key),
          Bytes(department_id.begin(), department_id.end())};
}

}  // namespace govledger::ledger

// Typed access to the record tables (ledger/types.h Table; key layout in ledger/store.h): the key
// of each record kind, reads that decode through any StateReader, and the RecordWrites that put
// them. A committed record that does not decode means a corrupt store: the reads abort, as
// Store::GetMaterial does, rather than execute blocks on a wrong view.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/state.h"
#include "ledger/types.h"

namespace govledger::ledger {

// ------------------------------------------------------------------ keys

// a 0x00 b: the separator keeps ("ab", "c") apart from ("a", "bc").
std::string JoinKey(std::string_view a, std::string_view b);
std::string GrantByMaterialKey(std::string_view material_id, std::string_view grant_id);
std::string UsageKey(std::string_view type, std::string_view consumer, std::string_view purpose);
std::string ChildKey(std::string_view parent_root_id, std::string_view child_id);
std::string ContractByDigestKey(const Bytes& digest, std::string_view contract_id);
std::string ContractDeadlineKey(int64_t deadline_ms, std::string_view contract_id);
// Registry table: "d" id 0x00 u64 effective height -> Department; "t" code 0x00 u64 -> type;
// "v" u64 effective height name -> ValidatorChange; "k" key -> department id.
std::string RegistryDepartmentPrefix(std::string_view id);
std::string RegistryDepartmentKey(std::string_view id, uint64_t effective_height);
std::string RegistryTypePrefix(std::string_view code);
std::string RegistryTypeKey(std::string_view code, uint64_t effective_height);
std::string RegistryValidatorKey(uint64_t effective_height, std::string_view name);
std::string RegistryKeyIndexKey(const crypto::PublicKey& key);
inline constexpr std::string_view kRegistryDepartments = "d";
inline constexpr std::string_view kRegistryTypes = "t";
inline constexpr std::string_view kRegistryValidators = "v";
// The effective height of a "d"/"t"/"v" registry key (its trailing/embedded u64).
uint64_t RegistryKeyHeight(std::string_view key);
inline constexpr std::string_view kCounterProposals = "proposals";

// ------------------------------------------------------------------ reads

std::optional<Grant> GetGrant(const StateReader& s, std::string_view grant_id);
std::optional<EContract> GetContract(const StateReader& s, std::string_view contract_id);
std::optional<Proposal> GetProposal(const StateReader& s, std::string_view proposal_id);
// 0 when absent.
uint64_t GetCounter(const StateReader& s, Table table, std::string_view key);
// The second half of every JoinKey-ed key under `prefix` 0x00 (e.g. grant ids of a material).
std::vector<std::string> ScanIndex(const StateReader& s, Table table, std::string_view first,
                                   size_t limit, std::string_view after = {});
// Every validator change recorded, by (effective height, name).
std::vector<ValidatorChange> GetValidatorChanges(const StateReader& s);
// The validator set of `height`: the genesis set with every recorded change whose effective
// height is at or below `height` applied in order (a removal by name, an addition appended).
// Changes are never deleted, so the tip's state answers for every past height too.
std::vector<Validator> ValidatorsAt(const std::vector<Validator>& genesis_set, const StateReader& s,
                                    uint64_t height);
// The same over changes already read (GetValidatorChanges), for callers asking per block.
std::vector<Validator> ValidatorsAt(const std::vector<Validator>& genesis_set,
                                    const std::vector<ValidatorChange>& changes, uint64_t height);

// ------------------------------------------------------------------ writes

RecordWrite PutGrant(const Grant& g);
RecordWrite PutContract(const EContract& c);
RecordWrite PutProposal(const Proposal& p);
RecordWrite PutCounter(Table table, std::string key, uint64_t value);
RecordWrite PutIndex(Table table, std::string key);  // an index entry (empty value)
RecordWrite DeleteRecord(Table table, std::string key);
RecordWrite PutRegistryDepartment(const Department& d, uint64_t effective_height);
RecordWrite PutRegistryType(const MaterialType& t, uint64_t effective_height);
RecordWrite PutValidatorChange(const ValidatorChange& v);
RecordWrite PutRegistryKeyIndex(const crypto::PublicKey& key, const std::string& department_id);

}  // namespace govledger::ledger

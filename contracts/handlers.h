// Internal to contracts/: the payload handlers ApplyTx dispatches to, and the lifecycle pieces
// they share (the transition table, the cascade, id helpers).
#pragma once

#include <string>
#include <string_view>

#include "contracts/common.h"
#include "ledger/types.h"

namespace govledger::contracts {

// ------------------------------------------------------------------ lifecycle

// What a transaction wants to do to a material; CheckTransition holds the table of which
// statuses allow which action (doc/design.md, "Material lifecycle").
enum class Action {
  kPublish,
  kAmend,
  kTransfer,
  kSuspend,
  kReinstate,
  kRevoke,
  kDestroy,
  kAuthorize,
  kUse
};
std::string_view ActionName(Action a);
// OK when `a` may follow m's status; otherwise the refusal with its reason code.
Status CheckTransition(const ledger::Material& m, Action a);

// The material, or "unknown_material".
Result<ledger::Material> FindMaterial(const ledger::StateReader& s, std::string_view id);
// "not_issuer" unless `dept` issued m.
Status CheckIssuer(const ledger::Material& m, const ledger::Department& dept);
// The newest version of a material (following next_version links), or nullopt.
std::optional<ledger::Material> LatestVersion(const ledger::StateReader& s, std::string_view id);
// The id of version 001 of a material id (the root its dependents are indexed under); the id
// itself if it does not parse.
std::string RootId(std::string_view material_id);
// "parent_not_active" unless the (latest version of the) parent is ACTIVE; OK with no parent.
Status CheckParentInForce(const ledger::StateReader& s, const ledger::Material& m);

// How a parent changed, for the cascade to its dependents.
enum class ParentChange { kRevoked, kExpired, kSuspended, kReinstated };
// Applies each dependent's type rule (MaterialType::cascade) after `parent` changed, recursively
// to their own dependents, staging the writes in `w`. Cascade events are the chain's (no actor)
// and carry the triggering tx hash (empty for expiry) and the parent's id in `ref`. More than
// `budget` changed materials is "too_many_dependents" (the expiry pass passes no limit).
Status Cascade(const RegistryView& registry, Writer& w, const ledger::Material& parent,
               ParentChange change, const BlockContext& ctx, const Bytes& tx_hash, size_t budget);
inline constexpr size_t kMaxCascade = 10'000;

// ------------------------------------------------------------------ handlers

Result<Effects> ApplyIssue(const Call& c, const ledger::IssueMaterial& p);
Result<Effects> ApplyAmend(const Call& c, const ledger::AmendMaterial& p);
Result<Effects> ApplyPublish(const Call& c, const ledger::PublishMaterial& p);
Result<Effects> ApplyTransfer(const Call& c, const ledger::TransferMaterial& p);
Result<Effects> ApplySuspend(const Call& c, const ledger::SuspendMaterial& p);
Result<Effects> ApplyReinstate(const Call& c, const ledger::ReinstateMaterial& p);
Result<Effects> ApplyRevoke(const Call& c, const ledger::RevokeMaterial& p);
Result<Effects> ApplyDestroy(const Call& c, const ledger::DestroyMaterial& p);
Result<Effects> ApplyAuthorize(const Call& c, const ledger::AuthorizeUse& p);
Result<Effects> ApplyWithdraw(const Call& c, const ledger::WithdrawGrant& p);
Result<Effects> ApplyUse(const Call& c, const ledger::UseMaterial& p);
Result<Effects> ApplyCreateContract(const Call& c, const ledger::CreateContract& p);
Result<Effects> ApplySignContract(const Call& c, const ledger::SignContract& p);
Result<Effects> ApplyPropose(const Call& c, const ledger::ProposeChange& p);
Result<Effects> ApplyApprove(const Call& c, const ledger::ApproveProposal& p);

// The chain's expiry of unsigned e-contracts (econtract.cc), staged in `w`.
void ExpireContracts(const RegistryView& registry, Writer& w, const BlockContext& ctx);

}  // namespace govledger::contracts

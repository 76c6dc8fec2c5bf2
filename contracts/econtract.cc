// E-contracts (电子合同存证): a department records a contract's document digest, its parties'
// public keys and a signing deadline; each party signs with its own key; the contract is COMPLETE
// when all have signed, EXPIRED if the deadline passes first; an amendment is a new version
// that, once complete, supersedes the previous one.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "contracts/handlers.h"
#include "contracts/reasons.h"
#include "ledger/records.h"

namespace govledger::contracts {

using ledger::ContractStatus;
using ledger::EContract;
using ledger::Event;
using ledger::EventKind;

namespace {

constexpr size_t kMaxParties = 16;
constexpr size_t kMaxTitleBytes = 128;
constexpr int64_t kMaxSigningWindowMs = 366LL * 86'400'000;

Event ContractEvent(EventKind kind, const BlockContext& ctx, std::string actor, Bytes tx_hash) {
  Event e;
  e.kind = kind;
  e.height = ctx.height;
  e.time_ms = ctx.time_ms;
  e.actor = std::move(actor);
  e.tx_hash = std::move(tx_hash);
  return e;
}

void PutChained(Writer& w, EContract& k, Event e) {
  k.updated_height = e.height;
  w.AppendEvent(k.contract_id, k.event_count, k.last_event, std::move(e));
  w.Put(ledger::PutContract(k));
}

bool IsParty(const EContract& k, const crypto::PublicKey& key) {
  return std::find(k.parties.begin(), k.parties.end(), key) != k.parties.end();
}

}  // namespace

Result<Effects> ApplyCreateContract(const Call& c, const ledger::CreateContract& p) {
  Result<const ledger::Department*> signer = RequireDepartment(c);
  if (!signer.ok()) return signer.status();
  const ledger::Department& dept = **signer;
  GOVLEDGER_RETURN_IF_ERROR(CheckDigestSize("doc_digest", p.doc_digest));
  if (p.parties.empty() || p.parties.size() > kMaxParties) {
    return Reject(reason::kBadParties, "a contract needs 1 to " + std::to_string(kMaxParties) +
                                           " parties, got " + std::to_string(p.parties.size()));
  }
  std::set<crypto::PublicKey> seen;
  for (size_t i = 0; i < p.parties.size(); ++i) {
    if (!crypto::CheckPublicKey(c.registry.suite(), p.parties[i]).ok()) {
      return Reject(reason::kBadParties, "party " + std::to_string(i) + " is not a " +
                                             std::string(crypto::SuiteName(c.registry.suite())) +
                                             " public key");
    }
    if (!seen.insert(p.parties[i]).second) {
      return Reject(reason::kBadParties, "party " + std::to_string(i) + " is listed twice");
    }
  }
  if (p.sign_deadline_ms <= c.ctx.time_ms ||
      p.sign_deadline_ms - c.ctx.time_ms > kMaxSigningWindowMs) {
    return Reject(reason::kBadDeadline, "signing deadline " + std::to_string(p.sign_deadline_ms) +
                                            " must be after the block time " +
                                            std::to_string(c.ctx.time_ms) +
                                            " and at most 366 days later");
  }
  if (p.title.size() > kMaxTitleBytes || !IsCleanText(p.title)) {
    return Reject(reason::kBadTitle, "title must be at most " + std::to_string(kMaxTitleBytes) +
                                         " bytes of UTF-8 text without control characters");
  }
  std::optional<EContract> prev;
  if (!p.prev_contract.empty()) {
    prev = ledger::GetContract(c.state, p.prev_contract);
    if (!prev) {
      return Reject(reason::kUnknownContract,
                    "contract " + Quote(p.prev_contract) + " does not exist");
    }
    if (prev->creator != dept.id && !IsParty(*prev, dept.key)) {
      return Reject(reason::kNotParty, "department '" + dept.id +
                                           "' neither created nor is a party of contract " +
                                           prev->contract_id);
    }
    if (prev->status != ContractStatus::kPending && prev->status != ContractStatus::kComplete) {
      return Reject(reason::kContractNotAmendable, "contract " + prev->contract_id + " is " +
                                                       ledger::ContractStatusName(prev->status) +
                                                       " and cannot be amended");
    }
    if (!prev->next_contract.empty()) {
      return Reject(reason::kAmendmentPending, "contract " + prev->contract_id +
                                                   " already has a pending amendment " +
                                                   prev->next_contract);
    }
  }

  EContract k;
  k.contract_id = crypto::DigestHex(c.tx.hash);
  k.version = prev ? prev->version + 1 : 1;
  k.prev_contract = p.prev_contract;
  k.doc_digest = p.doc_digest;
  k.parties = p.parties;
  k.sign_deadline_ms = p.sign_deadline_ms;
  k.creator = dept.id;
  k.created_height = c.ctx.height;
  k.created_ms = c.ctx.time_ms;
  k.title = p.title;

  Writer w(c.registry.suite(), c.state);
  w.Put(ledger::PutIndex(ledger::Table::kContractByDigest,
                         ledger::ContractByDigestKey(k.doc_digest, k.contract_id)));
  w.Put(ledger::PutIndex(ledger::Table::kContractDeadline,
                         ledger::ContractDeadlineKey(k.sign_deadline_ms, k.contract_id)));
  Event e = ContractEvent(EventKind::kContractCreate, c.ctx, dept.id, c.tx_hash());
  e.detail = k.doc_digest;
  e.ref = k.prev_contract;
  e.reason = k.title;
  PutChained(w, k, std::move(e));
  if (prev) {
    prev->next_contract = k.contract_id;  // pending until the amendment completes or lapses
    w.Put(ledger::PutContract(*prev));
  }
  return w.Take();
}

Result<Effects> ApplySignContract(const Call& c, const ledger::SignContract& p) {
  std::optional<EContract> k = ledger::GetContract(c.state, p.contract_id);
  if (!k)
    return Reject(reason::kUnknownContract, "contract " + Quote(p.contract_id) + " does not exist");
  if (!IsParty(*k, c.tx.signer)) {
    return Reject(reason::kNotParty, "key " + crypto::Fingerprint(c.registry.suite(), c.tx.signer) +
                                         " is not a party of contract " + k->contract_id);
  }
  if (k->status != ContractStatus::kPending) {
    return Reject(reason::kContractNotPending,
                  "contract " + k->contract_id + " is " + ledger::ContractStatusName(k->status));
  }
  if (k->sign_deadline_ms <= c.ctx.time_ms) {
    return Reject(reason::kContractNotPending,
                  "the signing deadline of contract " + k->contract_id + " has passed");
  }
  for (const ledger::ContractSignature& s : k->signatures) {
    if (s.party_key == c.tx.signer) {
      return Reject(reason::kAlreadySigned, "this party signed contract " + k->contract_id +
                                                " at height " + std::to_string(s.height));
    }
  }
  if (p.doc_digest != k->doc_digest) {
    return Reject(reason::kDigestMismatch, "the signed document digest is not contract " +
                                               k->contract_id + "'s document digest");
  }

  const Bytes tx_hash = c.tx_hash();
  k->signatures.push_back(
      ledger::ContractSignature{c.tx.signer, tx_hash, c.ctx.height, c.ctx.time_ms});
  Writer w(c.registry.suite(), c.state);
  Event e = ContractEvent(EventKind::kContractSign, c.ctx,
                          c.dept ? c.dept->id : KeyActor("party", c.registry.suite(), c.tx.signer),
                          tx_hash);
  e.detail = crypto::DigestBytes(crypto::Hash(c.registry.suite(), c.tx.signer));
  PutChained(w, *k, std::move(e));
  if (k->signatures.size() == k->parties.size()) {
    k->status = ContractStatus::kComplete;
    w.Put(ledger::DeleteRecord(ledger::Table::kContractDeadline,
                               ledger::ContractDeadlineKey(k->sign_deadline_ms, k->contract_id)));
    PutChained(w, *k, ContractEvent(EventKind::kContractComplete, c.ctx, "", tx_hash));
    if (!k->prev_contract.empty()) {
      std::optional<EContract> prev = ledger::GetContract(w.state(), k->prev_contract);
      GOVLEDGER_CHECK(prev.has_value());
      if (prev->status == ContractStatus::kPending) {
        w.Put(ledger::DeleteRecord(
            ledger::Table::kContractDeadline,
            ledger::ContractDeadlineKey(prev->sign_deadline_ms, prev->contract_id)));
      }
      prev->status = ContractStatus::kSuperseded;
      Event s = ContractEvent(EventKind::kContractSupersede, c.ctx, "", tx_hash);
      s.ref = k->contract_id;
      PutChained(w, *prev, std::move(s));
    }
  }
  return w.Take();
}

void ExpireContracts(const RegistryView& registry, Writer& w, const BlockContext& ctx) {
  std::vector<std::pair<std::string, Bytes>> due = w.state().ScanRecords(
      ledger::Table::kContractDeadline, "", "", registry.params().max_expiries_per_block);
  for (const auto& [key, value] : due) {
    if (key.size() < 8) continue;
    const auto deadline =
        static_cast<int64_t>(ReadU64BE(reinterpret_cast<const uint8_t*>(key.data())));
    if (deadline > ctx.time_ms) break;  // ordered by deadline
    std::optional<EContract> k = ledger::GetContract(w.state(), key.substr(8));
    // Completion removes the entry, so a listed contract is PENDING; a record write must come
    // with an event, so anything else is left alone.
    if (!k || k->status != ContractStatus::kPending) continue;
    w.Put(ledger::DeleteRecord(ledger::Table::kContractDeadline, key));
    k->status = ContractStatus::kExpired;
    Event e = ContractEvent(EventKind::kContractExpire, ctx, "", Bytes{});
    e.reason = "signing deadline passed with " + std::to_string(k->signatures.size()) + " of " +
               std::to_string(k->parties.size()) + " signatures";
    PutChained(w, *k, std::move(e));
    if (!k->prev_contract.empty()) {
      std::optional<EContract> prev = ledger::GetContract(w.state(), k->prev_contract);
      if (prev && prev->next_contract == k->contract_id) {
        prev->next_contract.clear();  // the amendment lapsed; the previous version stands
        w.Put(ledger::PutContract(*prev));
      }
    }
  }
}

}  // namespace govledger::contracts

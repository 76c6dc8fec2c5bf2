#include "ledger/proof_contract.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/proof_steps.h"

namespace govledger::ledger {

namespace {

// A version chain longer than this is refused (a record pointing in a circle is corrupt).
constexpr size_t kMaxVersions = 1000;

}  // namespace

// ------------------------------------------------------------------ building

Result<ContractBundle> BuildContractBundle(const Store& store, const Genesis& genesis,
                                           const std::string& contract_id) {
  using proof_steps::StateProver;
  return proof_steps::BuildAtOneRoot<ContractBundle>(store, [&](StateProver& prover)
                                                                -> Result<ContractBundle> {
    struct Version {
      EContract record;
      StateProof proof;
    };
    auto prove = [&prover](const std::string& id) -> Result<Version> {
      auto p = prover.Record(Table::kContract, id);
      if (!p.ok()) return p.status();
      if (!p->record) return Status::Error("not_found", "no contract " + id);
      auto k = DecodeContract(*p->record);
      if (!k.ok()) return Status::Error("corrupt_store", "contract " + id + " does not decode");
      return Version{std::move(*k), std::move(*p)};
    };
    auto start = prove(contract_id);
    if (!start.ok()) return start.status();
    // Back to version 1, then forward from the asked version through its amendments.
    std::deque<Version> chain;
    chain.push_back(std::move(*start));
    while (!chain.front().record.prev_contract.empty() && chain.size() < kMaxVersions) {
      auto v = prove(chain.front().record.prev_contract);
      if (!v.ok()) return v.status();
      chain.push_front(std::move(*v));
    }
    while (!chain.back().record.next_contract.empty() && chain.size() < kMaxVersions) {
      auto v = prove(chain.back().record.next_contract);
      if (!v.ok()) return v.status();
      chain.push_back(std::move(*v));
    }
    if (chain.size() >= kMaxVersions) {
      return Status::Error("corrupt_store", "contract " + contract_id + "'s versions do not end");
    }
    ContractBundle b;
    b.chain_id = genesis.chain_id;
    b.suite = store.suite();
    b.genesis_hash = store.genesis_hash();
    auto registry = proof_steps::ProveRegistry(prover);
    if (!registry.ok()) return registry.status();
    b.registry = std::move(*registry);
    if (prover.stale()) return b;  // the caller starts over

    const uint64_t h = prover.height();
    auto header = proof_steps::CertifiedAt(store, h);
    if (!header.ok()) return header.status();
    b.header = std::move(*header);
    auto decoded = DecodeHeader(b.header.header_bytes);
    if (!decoded.ok()) return decoded.status();
    if (decoded->state_root != crypto::DigestBytes(chain.front().proof.state_root)) {
      return Status::Error("corrupt_store", "block " + std::to_string(h) +
                                                "'s state_root is not the state tree's root");
    }
    std::vector<Event> all_events;
    for (Version& v : chain) {
      auto events = proof_steps::EventsUpTo(store, v.record.contract_id, v.record.event_count);
      if (!events.ok()) return events.status();
      all_events.insert(all_events.end(), events->begin(), events->end());
      b.versions.push_back(ContractVersionProof{std::move(*v.proof.record),
                                                std::move(v.proof.proof), std::move(*events)});
    }
    auto txs = proof_steps::EventTxs(store, all_events, decoded->log_size);
    if (!txs.ok()) return txs.status();
    b.txs = std::move(*txs);
    auto sets = proof_steps::ValidatorSetsUpTo(store, genesis, h);
    if (!sets.ok()) return sets.status();
    b.validator_sets = std::move(*sets);
    return b;
  });
}

// ------------------------------------------------------------------ verifying

std::string ContractVerdictName(ContractVerdict v) {
  switch (v) {
    case ContractVerdict::kSigned:
      return "SIGNED";
    case ContractVerdict::kPending:
      return "PENDING";
    case ContractVerdict::kExpired:
      return "EXPIRED";
    case ContractVerdict::kSuperseded:
      return "SUPERSEDED";
    case ContractVerdict::kTampered:
      return "TAMPERED";
    case ContractVerdict::kInvalidProof:
      return "INVALID_PROOF";
  }
  return "INVALID_PROOF";
}

namespace {

std::string Short(const std::string& id) { return id.substr(0, 12); }

class ContractVerifier {
 public:
  ContractVerifier(const Genesis& g, const ContractBundle& b, const std::optional<Digest>& doc)
      : g_(g), b_(b), doc_(doc), suite_(g.suite) {}

  ContractVerification Run() {
    proof_steps::CheckBundleGenesis(g_, b_.chain_id, b_.suite, b_.genesis_hash, checks_);
    view_ = proof_steps::CheckCertified(g_, b_.header, b_.validator_sets, checks_);
    CheckState();
    registry_ = proof_steps::CheckRegistry(g_, view_, b_.registry, checks_);
    CheckVersions();
    CheckEvents();
    CheckInclusion();
    CheckCreators();
    CheckSignatures();
    CheckDocument();
    Decide();
    out_.checks = std::move(checks_.checks());
    return std::move(out_);
  }

 private:
  void Report(const std::string& step, bool ok, std::string detail) {
    checks_.Report(step, ok, std::move(detail));
  }

  // Every version's record decodes and is what the header's state_root holds for its id.
  void CheckState() {
    if (b_.versions.empty()) return Report("state", false, "the bundle carries no version");
    if (!view_.header_ok) return Report("state", false, "the header does not decode");
    auto root = crypto::DigestFromBytes(view_.header.state_root);
    if (!root.ok()) return Report("state", false, "the header carries no state root");
    for (size_t i = 0; i < b_.versions.size(); ++i) {
      auto k = DecodeContract(b_.versions[i].record);
      if (!k.ok()) {
        return Report("state", false, "version record " + std::to_string(i + 1) +
                                          " does not decode");
      }
      const Digest key = StateKey(suite_, static_cast<char>(Table::kContract), k->contract_id);
      if (!crypto::VerifyStateProof(suite_, *root, key,
                                    RecordStateValue(suite_, b_.versions[i].record),
                                    b_.versions[i].state_proof)) {
        return Report("state", false,
                      "the record of contract " + k->contract_id +
                          " is not what the header's state_root holds for it");
      }
      records_.push_back(std::move(*k));
    }
    state_ok_ = true;
    Report("state", true,
           std::to_string(records_.size()) + " version record(s) proven against state_root of "
                                             "block " + std::to_string(view_.header.height));
  }

  // Version 1, 2, ... each amending the one before; the last one has no amendment after it
  // (none dropped at the end), and each earlier one names the next (none dropped between).
  void CheckVersions() {
    if (!state_ok_) return Report("versions", false, "the version records are not proven");
    std::string history;
    for (size_t i = 0; i < records_.size(); ++i) {
      const EContract& k = records_[i];
      const std::string at = "version " + std::to_string(i + 1) + " (" + Short(k.contract_id) +
                             "): ";
      if (k.version != i + 1) {
        return Report("versions", false, at + "is numbered " + std::to_string(k.version));
      }
      const std::string want_prev = i == 0 ? "" : records_[i - 1].contract_id;
      if (k.prev_contract != want_prev) {
        return Report("versions", false, at + "does not amend the version before it");
      }
      if (i + 1 < records_.size() && k.next_contract != records_[i + 1].contract_id) {
        return Report("versions", false, at + "names another amendment");
      }
      if (i + 1 == records_.size() && !k.next_contract.empty()) {
        return Report("versions", false,
                      at + "is amended by " + Short(k.next_contract) + ", which is missing");
      }
      history += (i ? " -> " : "") + std::string("v") + std::to_string(k.version) + " " +
                 Short(k.contract_id) + " " + ContractStatusName(k.status);
    }
    Report("versions", true, history);
  }

  void CheckEvents() {
    if (!state_ok_ || !view_.header_ok) return Report("events", false, "nothing proven to link");
    size_t total = 0;
    for (size_t i = 0; i < records_.size(); ++i) {
      const EContract& k = records_[i];
      const std::string error =
          proof_steps::EventChainError(suite_, k.contract_id, k.event_count, k.last_event,
                                       b_.versions[i].events, view_.header.height);
      if (!error.empty()) return Report("events", false, "version " + std::to_string(i + 1) +
                                                             ": " + error);
      total += b_.versions[i].events.size();
    }
    Report("events", true, std::to_string(total) + " events, hash-linked to their records");
  }

  void CheckInclusion() {
    if (!view_.header_ok) return Report("inclusion", false, "the header does not decode");
    std::vector<Bytes> needed;
    for (const ContractVersionProof& v : b_.versions) {
      for (const Event& e : v.events) {
        if (!e.tx_hash.empty()) needed.push_back(e.tx_hash);
      }
    }
    proof_steps::InclusionResult r =
        proof_steps::CheckTxInclusion(suite_, view_.header, needed, b_.txs);
    if (!r.error.empty()) return Report("inclusion", false, r.error);
    txs_ = std::move(r.txs);
    inclusion_ok_ = true;
    Report("inclusion", true,
           std::to_string(b_.txs.size()) + " transaction(s) in the log of " +
               std::to_string(view_.header.log_size));
  }

  const Tx* ProvenTx(const Bytes& hash) const {
    auto it = txs_.find(hash);
    return it == txs_.end() ? nullptr : &it->second;
  }

  std::string Who(const Bytes& key, uint64_t height) const {
    if (registry_) {
      if (auto d = registry_->DepartmentByKeyAt(key, height)) {
        return "department " + d->id + " (" + d->name + ")";
      }
    }
    return "party " + crypto::Fingerprint(suite_, key);
  }

  // Each version was created by its CreateContract transaction (whose hash is its id), with this
  // document, these parties and deadline, signed by the key of the recording department.
  void CheckCreators() {
    if (!state_ok_ || !inclusion_ok_) return Report("creator", false, "nothing proven to check");
    std::string detail;
    for (size_t i = 0; i < records_.size(); ++i) {
      const EContract& k = records_[i];
      const std::string at = "version " + std::to_string(i + 1) + ": ";
      const std::vector<Event>& events = b_.versions[i].events;
      if (events.empty() || events[0].kind != EventKind::kContractCreate) {
        return Report("creator", false, at + "no CREATE event");
      }
      const Tx* tx = ProvenTx(events[0].tx_hash);
      const auto* create = tx ? std::get_if<CreateContract>(&tx->body.payload) : nullptr;
      if (create == nullptr || crypto::DigestHex(tx->hash) != k.contract_id) {
        return Report("creator", false, at + "the creating transaction is not this contract's");
      }
      if (create->doc_digest != k.doc_digest || create->parties != k.parties ||
          create->sign_deadline_ms != k.sign_deadline_ms ||
          create->prev_contract != k.prev_contract || create->title != k.title) {
        return Report("creator", false, at + "the record differs from its creating transaction");
      }
      if (!crypto::Verify(suite_, tx->signer, tx->body_bytes, tx->signature)) {
        return Report("creator", false, at + "the creating transaction's signature is bad");
      }
      if (!registry_) return Report("creator", false, "the registry is not proven");
      auto dept = registry_->DepartmentAt(k.creator, events[0].height);
      if (!dept || dept->key != tx->signer || events[0].actor != k.creator) {
        return Report("creator", false,
                      at + "not signed by the key of department '" + k.creator + "'");
      }
      detail += (i ? "; " : "") + std::string("v") + std::to_string(k.version) + " recorded by " +
                dept->id + " (" + dept->name + ") at height " + std::to_string(events[0].height);
    }
    Report("creator", true, detail);
  }

  // Every signature of every version: a SignContract transaction over this contract id and its
  // document digest, by a listed party (once each), whose signature over the exact body bytes
  // verifies, matching the record's entry and a SIGN event; and a COMPLETE version has them all.
  void CheckSignatures() {
    if (!state_ok_ || !inclusion_ok_) {
      return Report("signatures", false, "nothing proven to check");
    }
    std::vector<std::vector<ContractSigner>> signers(records_.size());
    std::string detail;
    for (size_t i = 0; i < records_.size(); ++i) {
      const EContract& k = records_[i];
      const std::string at = "version " + std::to_string(i + 1) + ": ";
      std::map<Bytes, const Event*> sign_events;
      for (const Event& e : b_.versions[i].events) {
        if (e.kind == EventKind::kContractSign) sign_events.emplace(e.tx_hash, &e);
      }
      if (sign_events.size() != k.signatures.size()) {
        return Report("signatures", false,
                      at + std::to_string(k.signatures.size()) + " signature(s) recorded, " +
                          std::to_string(sign_events.size()) + " SIGN event(s)");
      }
      std::set<Bytes> seen;
      for (const ContractSignature& s : k.signatures) {
        const std::string fp = crypto::Fingerprint(suite_, s.party_key);
        const Tx* tx = ProvenTx(s.tx_hash);
        const auto* sign = tx ? std::get_if<SignContract>(&tx->body.payload) : nullptr;
        auto ev = sign_events.find(s.tx_hash);
        if (sign == nullptr || ev == sign_events.end()) {
          return Report("signatures", false, at + "the signature of " + fp + " is not proven");
        }
        if (sign->contract_id != k.contract_id || sign->doc_digest != k.doc_digest) {
          return Report("signatures", false,
                        at + fp + " signed another contract or another document");
        }
        if (tx->signer != s.party_key ||
            std::find(k.parties.begin(), k.parties.end(), s.party_key) == k.parties.end() ||
            !seen.insert(s.party_key).second) {
          return Report("signatures", false, at + fp + " is not a party that signed once");
        }
        if (!crypto::Verify(suite_, tx->signer, tx->body_bytes, tx->signature)) {
          return Report("signatures", false, at + "the signature of " + fp + " does not verify");
        }
        const Event& e = *ev->second;
        if (e.height != s.height || e.time_ms != s.time_ms ||
            e.detail != crypto::DigestBytes(crypto::Hash(suite_, s.party_key))) {
          return Report("signatures", false, at + "the SIGN event of " + fp + " differs");
        }
        signers[i].push_back(ContractSigner{s.party_key, fp, Who(s.party_key, s.height),
                                            s.height, s.time_ms, s.tx_hash});
      }
      if (k.status == ContractStatus::kComplete && k.signatures.size() != k.parties.size()) {
        return Report("signatures", false, at + "COMPLETE without every party's signature");
      }
      detail += (i ? "; " : "") + std::string("v") + std::to_string(k.version) + " " +
                std::to_string(k.signatures.size()) + " of " + std::to_string(k.parties.size()) +
                " parties";
    }
    signers_ = std::move(signers);
    Report("signatures", true, detail);
  }

  // The file is the newest version with its digest.
  void CheckDocument() {
    if (!doc_) return Report("document", false, "no document given");
    for (size_t i = records_.size(); i-- > 0;) {
      if (records_[i].doc_digest == crypto::DigestBytes(*doc_)) {
        matched_ = i;
        return Report("document", true,
                      "the file is version " + std::to_string(records_[i].version) + " of " +
                          std::to_string(records_.size()) + " (" + records_[i].contract_id + ")");
      }
    }
    Report("document", false,
           "the file's digest is none of the " + std::to_string(records_.size()) +
               " proven version(s)");
  }

  void Decide() {
    out_.height = view_.header_ok ? view_.header.height : 0;
    out_.as_of_ms = view_.header_ok ? view_.header.time_ms : 0;
    out_.version_count = static_cast<uint32_t>(records_.size());
    bool proof_ok = true;
    for (const ProofCheck& c : checks_.checks()) {
      if (!c.ok && c.step != "document") proof_ok = false;
    }
    if (!proof_ok) {
      out_.verdict = ContractVerdict::kInvalidProof;
      return;
    }
    if (!matched_) {
      out_.verdict = ContractVerdict::kTampered;
      return;
    }
    const EContract& k = records_[*matched_];
    out_.contract_id = k.contract_id;
    out_.version = k.version;
    out_.status = ContractStatusName(k.status);
    out_.parties = k.parties.size();
    out_.signers = signers_[*matched_];
    std::string detail;
    switch (k.status) {
      case ContractStatus::kComplete:
        out_.verdict = ContractVerdict::kSigned;
        detail = "every party (" + std::to_string(k.parties.size()) + ") signed version " +
                 std::to_string(k.version);
        if (!k.next_contract.empty()) {
          detail += "; amendment " + Short(k.next_contract) + " awaits signatures";
        }
        break;
      case ContractStatus::kSuperseded:
        out_.verdict = ContractVerdict::kSuperseded;
        detail = "version " + std::to_string(k.version) + " was replaced by a later version";
        break;
      case ContractStatus::kPending:
        out_.verdict = ContractVerdict::kPending;
        detail = std::to_string(k.signatures.size()) + " of " +
                 std::to_string(k.parties.size()) + " parties have signed";
        break;
      case ContractStatus::kExpired:
        out_.verdict = ContractVerdict::kExpired;
        detail = "the signing deadline passed with " + std::to_string(k.signatures.size()) +
                 " of " + std::to_string(k.parties.size()) + " signatures";
        break;
    }
    Report("status", out_.verdict == ContractVerdict::kSigned,
           out_.status + " as of block " + std::to_string(out_.height) + ": " + detail);
  }

  const Genesis& g_;
  const ContractBundle& b_;
  const std::optional<Digest>& doc_;
  const crypto::Suite suite_;
  proof_steps::CheckList checks_;
  proof_steps::CertifiedView view_;
  std::optional<proof_steps::ProvenRegistry> registry_;
  std::vector<EContract> records_;
  std::map<Bytes, Tx> txs_;
  std::vector<std::vector<ContractSigner>> signers_;
  std::optional<size_t> matched_;
  bool state_ok_ = false;
  bool inclusion_ok_ = false;
  ContractVerification out_;
};

}  // namespace

ContractVerification VerifyContractBundle(const Genesis& trusted, const ContractBundle& bundle,
                                          const std::optional<Digest>& document_digest) {
  return ContractVerifier(trusted, bundle, document_digest).Run();
}

ContractVerification VerifyContractBundleJson(const Genesis& trusted, std::string_view json,
                                              const std::optional<Digest>& document_digest) {
  auto bundle = ContractBundleFromJson(json);
  if (!bundle.ok()) {
    ContractVerification out;
    out.checks.push_back(ProofCheck{"bundle", false, bundle.status().ToString()});
    return out;
  }
  return VerifyContractBundle(trusted, *bundle, document_digest);
}

}  // namespace govledger::ledger

#include "ledger/proof.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/proof_steps.h"
#include "ledger/state_tree.h"

namespace govledger::ledger {

// ------------------------------------------------------------------ building

using proof_steps::StateProver;

Result<std::vector<DisclosedField>> DiscloseFields(crypto::Suite suite, const Material& m,
                                                   const ProofRequest& request) {
  std::vector<DisclosedField> out;
  if (request.disclose.empty()) return out;
  std::vector<FieldOpening> fields = request.fields;
  std::sort(fields.begin(), fields.end(),
            [](const FieldOpening& a, const FieldOpening& b) { return a.name < b.name; });
  crypto::MemoryNodeStore nodes;
  crypto::MerkleLog tree(suite, &nodes, 0);
  for (const FieldOpening& f : fields) tree.Append(FieldLeafBytes(f.salt, f.name, f.value));
  auto root = tree.Root();
  if (!root.ok()) return root.status();
  if (crypto::DigestBytes(*root) != m.fields_root || fields.size() != m.field_names.size()) {
    return Status::Error("fields_mismatch",
                         "the given fields and salts do not hash to the material's fields_root");
  }
  for (const std::string& name : request.disclose) {
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&name](const FieldOpening& f) { return f.name == name; });
    if (it == fields.end()) {
      return Status::Error("unknown_field", "the material has no field '" + name + "'");
    }
    const auto index = static_cast<uint64_t>(it - fields.begin());
    auto path = tree.InclusionProof(index, fields.size());
    if (!path.ok()) return path.status();
    out.push_back(DisclosedField{it->name, it->value, it->salt, index, std::move(*path)});
  }
  return out;
}

Result<ProofBundle> BuildProofBundle(const Store& store, const Genesis& genesis,
                                     const ProofRequest& request) {
  return proof_steps::BuildAtOneRoot<ProofBundle>(store, [&](StateProver& prover)
                                                             -> Result<ProofBundle> {
    const crypto::Suite suite = store.suite();
    auto state = prover.Material(request.material_id);
    if (!state.ok()) return state.status();
    if (!state->material) {
      return Status::Error("not_found", "no material " + request.material_id);
    }
    ProofBundle b;
    b.chain_id = genesis.chain_id;
    b.suite = suite;
    b.genesis_hash = store.genesis_hash();
    b.material = std::move(*state->material);
    b.state_proof = std::move(state->proof);
    const uint64_t h = state->height;
    auto registry = proof_steps::ProveRegistry(prover);
    if (!registry.ok()) return registry.status();
    b.registry = std::move(*registry);
    if (prover.stale()) return b;  // the caller starts over

    auto header = proof_steps::CertifiedAt(store, h);
    if (!header.ok()) return header.status();
    b.header = std::move(*header);
    auto decoded = DecodeHeader(b.header.header_bytes);
    if (!decoded.ok()) return decoded.status();
    if (decoded->state_root != crypto::DigestBytes(state->state_root)) {
      return Status::Error("corrupt_store", "block " + std::to_string(h) +
                                                "'s state_root is not the state tree's root");
    }
    auto events = proof_steps::EventsUpTo(store, b.material.material_id, b.material.event_count);
    if (!events.ok()) return events.status();
    b.events = std::move(*events);
    auto txs = proof_steps::EventTxs(store, b.events, decoded->log_size);
    if (!txs.ok()) return txs.status();
    b.txs = std::move(*txs);
    auto disclosed = DiscloseFields(suite, b.material, request);
    if (!disclosed.ok()) return disclosed.status();
    b.disclosed = std::move(*disclosed);
    auto sets = proof_steps::ValidatorSetsUpTo(store, genesis, h);
    if (!sets.ok()) return sets.status();
    b.validator_sets = std::move(*sets);
    return b;
  });
}

// ------------------------------------------------------------------ verifying

std::string VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "VALID";
    case Verdict::kExpired:
      return "EXPIRED";
    case Verdict::kRevoked:
      return "REVOKED";
    case Verdict::kSuspended:
      return "SUSPENDED";
    case Verdict::kDestroyed:
      return "DESTROYED";
    case Verdict::kUnknown:
      return "UNKNOWN";
    case Verdict::kTampered:
      return "TAMPERED";
    case Verdict::kInvalidProof:
      return "INVALID_PROOF";
  }
  return "INVALID_PROOF";
}

namespace {

// The steps whose failure means the bundle proves nothing.
bool IsProofStep(const std::string& step) {
  return step != "document" && step != "validity" && step != "status";
}

class BundleVerifier {
 public:
  BundleVerifier(const Genesis& trusted, const ProofBundle& b, const VerifyOptions& o)
      : g_(trusted), b_(b), o_(o), suite_(trusted.suite) {}

  ProofVerification Run() {
    proof_steps::CheckBundleGenesis(g_, b_.chain_id, b_.suite, b_.genesis_hash, checks_);
    view_ = proof_steps::CheckCertified(g_, b_.header, b_.validator_sets, checks_);
    CheckState();
    registry_ = proof_steps::CheckRegistry(g_, view_, b_.registry, checks_);
    CheckEvents();
    CheckInclusion();
    CheckIssuer();
    CheckFields();
    CheckDocument();
    Decide();
    out_.checks = std::move(checks_.checks());
    return std::move(out_);
  }

 private:
  void Report(const std::string& step, bool ok, std::string detail) {
    checks_.Report(step, ok, std::move(detail));
  }

  void CheckState() {
    if (!view_.header_ok) return Report("state", false, "the header does not decode");
    auto root = crypto::DigestFromBytes(view_.header.state_root);
    if (!root.ok()) return Report("state", false, "the header carries no state root");
    if (!VerifyMaterialState(suite_, *root, b_.material.material_id, &b_.material,
                             b_.state_proof)) {
      return Report("state", false,
                    "the material record is not what the header's state_root holds for " +
                        b_.material.material_id);
    }
    Report("state", true,
           "record of " + b_.material.material_id + " proven against state_root of block " +
               std::to_string(view_.header.height));
  }

  void CheckEvents() {
    const Material& m = b_.material;
    const std::string error = proof_steps::EventChainError(
        suite_, m.material_id, m.event_count, m.last_event, b_.events, view_.header.height);
    if (!error.empty()) return Report("events", false, error);
    Report("events", true, std::to_string(b_.events.size()) + " events, hash-linked to the record");
  }

  void CheckInclusion() {
    if (!view_.header_ok) return Report("inclusion", false, "the header does not decode");
    std::vector<Bytes> needed;
    for (const Event& e : b_.events) {
      if (!e.tx_hash.empty()) needed.push_back(e.tx_hash);
    }
    proof_steps::InclusionResult r =
        proof_steps::CheckTxInclusion(suite_, view_.header, needed, b_.txs);
    if (!r.error.empty()) return Report("inclusion", false, r.error);
    txs_ = std::move(r.txs);
    Report("inclusion", true,
           std::to_string(b_.txs.size()) + " transaction(s) in the log of " +
               std::to_string(view_.header.log_size));
  }

  // The issuer's key and right to issue the type are judged by the registry in force at the
  // issuing block (as the contract judged them): the genesis with the governance changes
  // effective by then, proven by the registry step.
  void CheckIssuer() {
    const Material& m = b_.material;
    if (b_.events.empty() || b_.events[0].tx_hash.empty()) {
      return Report("issuer", false, "no issuing transaction");
    }
    auto it = txs_.find(b_.events[0].tx_hash);
    if (it == txs_.end()) return Report("issuer", false, "the issuing transaction is not proven");
    const Tx& tx = it->second;
    bool matches = false;
    if (const auto* issue = std::get_if<IssueMaterial>(&tx.body.payload)) {
      matches = b_.events[0].kind == EventKind::kIssue && issue->material_id == m.material_id &&
                issue->type_code == m.type_code && issue->doc_digest == m.doc_digest;
    } else if (const auto* amend = std::get_if<AmendMaterial>(&tx.body.payload)) {
      matches = b_.events[0].kind == EventKind::kAmend && amend->material_id == m.material_id &&
                amend->doc_digest == m.doc_digest;
    }
    if (!matches) return Report("issuer", false, "the issuing transaction is for another material");
    if (!crypto::Verify(suite_, tx.signer, tx.body_bytes, tx.signature)) {
      return Report("issuer", false, "the issuer's signature does not verify");
    }
    if (!registry_) return Report("issuer", false, "the registry is not proven");
    const uint64_t at = b_.events[0].height;
    std::optional<Department> dept = registry_->DepartmentAt(m.issuer, at);
    if (!dept) {
      return Report("issuer", false,
                    "department '" + m.issuer + "' is in neither the trusted genesis nor the " +
                        "proven registry changes as of block " + std::to_string(at));
    }
    if (dept->key != tx.signer) {
      return Report("issuer", false, "signed by a key that is not " + dept->id + "'s");
    }
    std::optional<MaterialType> type = registry_->TypeAt(m.type_code, at);
    const bool provider = std::find(dept->roles.begin(), dept->roles.end(),
                                    proof_steps::kProviderRole) != dept->roles.end();
    if (!type || !provider ||
        std::find(type->issuers.begin(), type->issuers.end(), dept->id) == type->issuers.end()) {
      return Report("issuer", false,
                    dept->id + " may not issue " + m.type_code + " as of block " +
                        std::to_string(at));
    }
    const bool from_genesis = std::any_of(g_.departments.begin(), g_.departments.end(),
                                          [&](const Department& d) { return d.id == dept->id; });
    Report("issuer", true,
           "signed by " + dept->id + " (" + dept->name + "), allowed to issue " + m.type_code +
               (from_genesis ? "" : " (department added by governance, proven)"));
  }

  void CheckFields() {
    const Material& m = b_.material;
    auto root = crypto::DigestFromBytes(m.fields_root);
    for (const DisclosedField& f : b_.disclosed) {
      const bool named = f.index < m.field_names.size() && m.field_names[f.index] == f.name;
      if (!named || !root.ok() ||
          !crypto::VerifyInclusion(
              suite_, crypto::MerkleLeafHash(suite_, FieldLeafBytes(f.salt, f.name, f.value)),
              f.index, m.field_names.size(), f.inclusion, *root)) {
        return Report("fields", false, "field '" + f.name + "' is not the one under fields_root");
      }
    }
    Report("fields", true,
           b_.disclosed.empty() ? "none disclosed"
                                : std::to_string(b_.disclosed.size()) + " field(s) disclosed");
  }

  void CheckDocument() {
    if (!o_.document_digest) return Report("document", true, "no document given");
    if (crypto::DigestBytes(*o_.document_digest) != b_.material.doc_digest) {
      return Report("document", false, "the document's digest is not the material's doc_digest");
    }
    Report("document", true, "digest matches " + b_.material.material_id);
  }

  void Decide() {
    const Material& m = b_.material;
    out_.height = view_.header_ok ? view_.header.height : 0;
    out_.as_of_ms = view_.header_ok ? view_.header.time_ms : 0;
    bool proof_ok = true;
    bool document_ok = true;
    for (const ProofCheck& c : checks_.checks()) {
      if (!c.ok && IsProofStep(c.step)) proof_ok = false;
      if (!c.ok && c.step == "document") document_ok = false;
    }
    if (!proof_ok) {
      out_.verdict = Verdict::kInvalidProof;
      return;
    }
    out_.status = MaterialStatusName(m.status);
    const int64_t t = out_.as_of_ms;
    const bool expired_now = m.valid_until_ms > 0 && o_.now_ms && *o_.now_ms >= m.valid_until_ms;
    const bool expired = (m.valid_until_ms > 0 && t >= m.valid_until_ms) || expired_now;
    const bool not_yet = m.valid_from_ms > std::max(t, o_.now_ms.value_or(t));
    Report("validity", !expired && !not_yet,
           expired   ? (expired_now ? "valid_until has passed since the bundle was made"
                                    : "valid_until has passed")
           : not_yet ? "not valid before valid_from"
                     : "within valid_from and valid_until");
    if (!document_ok) {
      out_.verdict = Verdict::kTampered;
    } else if (m.status == MaterialStatus::kRevoked) {
      out_.verdict = Verdict::kRevoked;
    } else if (m.status == MaterialStatus::kDestroyed) {
      out_.verdict = Verdict::kDestroyed;
    } else if (m.status == MaterialStatus::kExpired || expired) {
      out_.verdict = Verdict::kExpired;
    } else if (m.status == MaterialStatus::kSuspended) {
      out_.verdict = Verdict::kSuspended;
    } else if (m.status == MaterialStatus::kActive && !not_yet) {
      out_.verdict = Verdict::kValid;
    } else {
      out_.verdict = Verdict::kUnknown;  // ISSUED (staged), SUPERSEDED, not yet valid
    }
    Report("status", out_.verdict == Verdict::kValid,
           out_.status + " as of block " + std::to_string(out_.height));
  }

  const Genesis& g_;
  const ProofBundle& b_;
  const VerifyOptions& o_;
  const crypto::Suite suite_;
  proof_steps::CheckList checks_;
  proof_steps::CertifiedView view_;
  std::optional<proof_steps::ProvenRegistry> registry_;
  std::map<Bytes, Tx> txs_;
  ProofVerification out_;
};

}  // namespace

ProofVerification VerifyProofBundle(const Genesis& trusted, const ProofBundle& bundle,
                                    const VerifyOptions& options) {
  return BundleVerifier(trusted, bundle, options).Run();
}

ProofVerification VerifyProofBundleJson(const Genesis& trusted, std::string_view json,
                                        const VerifyOptions& options) {
  auto bundle = ProofBundleFromJson(json);
  if (!bundle.ok()) {
    ProofVerification out;
    out.verdict = Verdict::kInvalidProof;
    out.checks.push_back(ProofCheck{"bundle", false, bundle.status().ToString()});
    return out;
  }
  return VerifyProofBundle(trusted, *bundle, options);
}

}  // namespace govledger::ledger

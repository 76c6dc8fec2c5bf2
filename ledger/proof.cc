#include "ledger/proof.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "ledger/state_tree.h"

namespace govledger::ledger {

// ------------------------------------------------------------------ building

namespace {

Result<CertifiedHeader> CertifiedAt(const Store& store, uint64_t height) {
  auto block = store.GetBlock(height);
  if (!block.ok()) return block.status();
  auto commit = store.GetCommit(height);
  if (!commit.ok()) return commit.status();
  return CertifiedHeader{std::move(block->header_bytes), std::move(*commit)};
}

// Keys only: that is what ValidatorsHash covers.
std::vector<Validator> KeysOnly(const std::vector<Validator>& set) {
  std::vector<Validator> out;
  for (const Validator& v : set) {
    Validator k;
    k.key = v.key;
    k.tls_key = v.tls_key;
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

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
  const crypto::Suite suite = store.suite();
  auto state = store.ProveMaterial(request.material_id);
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

  auto header = CertifiedAt(store, h);
  if (!header.ok()) return header.status();
  b.header = std::move(*header);
  auto decoded = DecodeHeader(b.header.header_bytes);
  if (!decoded.ok()) return decoded.status();
  if (decoded->state_root != crypto::DigestBytes(state->state_root)) {
    return Status::Error("corrupt_store", "block " + std::to_string(h) +
                                              "'s state_root is not the state tree's root");
  }

  // Events beyond the record's count were committed after the snapshot the proof was read at.
  for (Event& e : store.GetEvents(b.material.material_id)) {
    if (e.seq < b.material.event_count) b.events.push_back(std::move(e));
  }
  if (b.events.size() != b.material.event_count) {
    return Status::Error("corrupt_store", "material " + b.material.material_id + " has " +
                                              std::to_string(b.events.size()) + " stored events, " +
                                              "its record counts " +
                                              std::to_string(b.material.event_count));
  }

  PendingLogNodes log_view(store.log_nodes());  // read-only use: nothing is appended
  crypto::MerkleLog log(suite, &log_view, store.log_size());
  std::set<Bytes> seen;
  for (const Event& e : b.events) {
    if (e.tx_hash.empty() || !seen.insert(e.tx_hash).second) continue;
    auto hash = crypto::DigestFromBytes(e.tx_hash);
    if (!hash.ok()) return Status::Error("corrupt_store", "event with a bad tx hash");
    std::optional<TxLocation> loc = store.FindTx(*hash);
    if (!loc) return Status::Error("corrupt_store", "tx " + HexEncode(e.tx_hash) + " not indexed");
    auto raw = store.GetTxBytes(*loc);
    if (!raw.ok()) return raw.status();
    auto path = log.InclusionProof(loc->log_index, decoded->log_size);
    if (!path.ok()) return path.status();
    b.txs.push_back(BundleTx{std::move(*raw), loc->log_index, std::move(*path)});
  }

  auto disclosed = DiscloseFields(suite, b.material, request);
  if (!disclosed.ok()) return disclosed.status();
  b.disclosed = std::move(*disclosed);

  // Each validator-set change in force by h, bound by the header of the height before it.
  const std::vector<ValidatorChange> changes = GetValidatorChanges(store);
  std::set<uint64_t> effective;
  for (const ValidatorChange& c : changes) {
    if (c.effective_height >= 2 && c.effective_height <= h) effective.insert(c.effective_height);
  }
  for (uint64_t e : effective) {
    auto before = CertifiedAt(store, e - 1);
    if (!before.ok()) return before.status();
    b.validator_sets.push_back(BundleValidatorSet{
        e, KeysOnly(ValidatorsAt(genesis.validators, changes, e)), std::move(*before)});
  }
  return b;
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
    CheckBundle();
    const bool header_ok = DecodeMainHeader();
    CheckValidatorSets();
    CheckCertificate(header_ok);
    CheckState(header_ok);
    CheckEvents();
    CheckInclusion(header_ok);
    CheckIssuer();
    CheckFields();
    CheckDocument();
    Decide(header_ok);
    return std::move(out_);
  }

 private:
  void Report(const std::string& step, bool ok, std::string detail) {
    out_.checks.push_back(ProofCheck{step, ok, std::move(detail)});
  }

  void CheckBundle() {
    if (b_.chain_id != g_.chain_id) {
      return Report("bundle", false,
                    "chain id '" + b_.chain_id + "', trusted '" + g_.chain_id + "'");
    }
    if (b_.suite != g_.suite) return Report("bundle", false, "crypto suite differs from genesis");
    if (b_.genesis_hash != GenesisHash(g_)) {
      return Report("bundle", false, "made for genesis " + crypto::DigestHex(b_.genesis_hash));
    }
    Report("bundle", true, "chain " + g_.chain_id + ", suite " + crypto::SuiteName(suite_));
  }

  bool DecodeMainHeader() {
    auto h = DecodeHeader(b_.header.header_bytes);
    if (!h.ok()) return false;
    header_ = std::move(*h);
    return true;
  }

  // Walks the validator sets from genesis: each is accepted when a header certified by the set
  // in force before it commits to it as next_validators_hash.
  void CheckValidatorSets() {
    set_ = g_.validators;
    uint64_t last = 1;
    for (const BundleValidatorSet& vs : b_.validator_sets) {
      const std::string at = "set from height " + std::to_string(vs.effective_height) + ": ";
      if (vs.effective_height <= last || vs.validators.empty() ||
          vs.effective_height > header_.height) {
        return Report("validators", false, at + "out of order, empty or after the header");
      }
      auto before = DecodeHeader(vs.before.header_bytes);
      if (!before.ok() || before->height + 1 != vs.effective_height ||
          before->chain_id != g_.chain_id) {
        return Report(
            "validators", false,
            at + "the header before it is not block " + std::to_string(vs.effective_height - 1));
      }
      const Bytes hash = crypto::DigestBytes(crypto::Hash(suite_, vs.before.header_bytes));
      Status st = VerifyCommit(suite_, g_.chain_id, set_, vs.before.commit, before->height, hash);
      if (!st.ok()) return Report("validators", false, at + "certificate: " + st.ToString());
      if (before->validators_hash != SetHash(set_)) {
        return Report("validators", false, at + "a validator-set change before it is missing");
      }
      if (before->next_validators_hash != SetHash(vs.validators)) {
        return Report("validators", false, at + "not the set the chain committed to");
      }
      set_ = vs.validators;
      last = vs.effective_height;
    }
    sets_ok_ = true;
    Report("validators", true,
           b_.validator_sets.empty()
               ? "genesis set (" + std::to_string(set_.size()) + " validators)"
               : std::to_string(b_.validator_sets.size()) + " change(s) since genesis, " +
                     std::to_string(set_.size()) + " validators");
  }

  void CheckCertificate(bool header_ok) {
    if (!header_ok) return Report("certificate", false, "the header does not decode");
    if (header_.chain_id != g_.chain_id) return Report("certificate", false, "header chain id");
    if (!sets_ok_) return Report("certificate", false, "no trusted validator set for the header");
    if (header_.validators_hash != SetHash(set_)) {
      return Report("certificate", false,
                    "the header's validators_hash is not the set derived from genesis");
    }
    const Bytes hash = crypto::DigestBytes(crypto::Hash(suite_, b_.header.header_bytes));
    Status st = VerifyCommit(suite_, g_.chain_id, set_, b_.header.commit, header_.height, hash);
    if (!st.ok()) return Report("certificate", false, st.ToString());
    Report("certificate", true,
           std::to_string(b_.header.commit.sigs.size()) + " of " + std::to_string(set_.size()) +
               " validators signed block " + std::to_string(header_.height) + " (quorum " +
               std::to_string(QuorumSize(set_.size())) + ")");
  }

  void CheckState(bool header_ok) {
    if (!header_ok) return Report("state", false, "the header does not decode");
    auto root = crypto::DigestFromBytes(header_.state_root);
    if (!root.ok()) return Report("state", false, "the header carries no state root");
    if (!VerifyMaterialState(suite_, *root, b_.material.material_id, &b_.material,
                             b_.state_proof)) {
      return Report("state", false,
                    "the material record is not what the header's state_root holds for " +
                        b_.material.material_id);
    }
    Report("state", true,
           "record of " + b_.material.material_id + " proven against state_root of block " +
               std::to_string(header_.height));
  }

  void CheckEvents() {
    const Material& m = b_.material;
    if (b_.events.size() != m.event_count) {
      return Report("events", false,
                    std::to_string(b_.events.size()) + " events, the record has " +
                        std::to_string(m.event_count));
    }
    Bytes prev;
    for (size_t i = 0; i < b_.events.size(); ++i) {
      const Event& e = b_.events[i];
      if (e.material_id != m.material_id || e.seq != i || e.prev_event != prev ||
          e.height > header_.height) {
        return Report("events", false, "event " + std::to_string(i) + " is not in the chain");
      }
      prev = crypto::DigestBytes(EventHash(suite_, e));
    }
    if (prev != m.last_event) {
      return Report("events", false, "the events do not end at the record's last_event");
    }
    Report("events", true, std::to_string(b_.events.size()) + " events, hash-linked to the record");
  }

  void CheckInclusion(bool header_ok) {
    if (!header_ok) return Report("inclusion", false, "the header does not decode");
    auto log_root = crypto::DigestFromBytes(header_.log_root);
    if (!log_root.ok()) return Report("inclusion", false, "the header carries no log root");
    std::set<Bytes> needed;
    for (const Event& e : b_.events) {
      if (!e.tx_hash.empty()) needed.insert(e.tx_hash);
    }
    std::set<Bytes> proven;
    for (size_t i = 0; i < b_.txs.size(); ++i) {
      const BundleTx& t = b_.txs[i];
      const std::string at = "tx " + std::to_string(i) + ": ";
      auto tx = DecodeTx(suite_, t.raw, std::numeric_limits<size_t>::max());
      if (!tx.ok()) return Report("inclusion", false, at + tx.status().ToString());
      const Bytes hash = crypto::DigestBytes(tx->hash);
      if (needed.count(hash) == 0 || !proven.insert(hash).second) {
        return Report("inclusion", false, at + "not a transaction of the material's events");
      }
      if (!crypto::VerifyInclusion(suite_, crypto::MerkleLeafHash(suite_, t.raw), t.log_index,
                                   header_.log_size, t.inclusion, *log_root)) {
        return Report("inclusion", false,
                      at + "not in the log of block " + std::to_string(header_.height) +
                          " at index " + std::to_string(t.log_index));
      }
      txs_[hash] = std::move(*tx);
    }
    if (proven.size() != needed.size()) {
      return Report("inclusion", false, "a transaction of the material's events is missing");
    }
    Report("inclusion", true,
           std::to_string(b_.txs.size()) + " transaction(s) in the log of " +
               std::to_string(header_.log_size));
  }

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
    const Department* dept = nullptr;
    for (const Department& d : g_.departments) {
      if (d.id == m.issuer) dept = &d;
    }
    if (dept == nullptr) {
      return Report("issuer", false, "department '" + m.issuer + "' is not in the trusted genesis");
    }
    if (dept->key != tx.signer) {
      return Report("issuer", false, "signed by a key that is not " + dept->id + "'s");
    }
    const MaterialType* type = nullptr;
    for (const MaterialType& t : g_.material_types) {
      if (t.code == m.type_code) type = &t;
    }
    if (type == nullptr ||
        std::find(type->issuers.begin(), type->issuers.end(), dept->id) == type->issuers.end()) {
      return Report("issuer", false, dept->id + " may not issue " + m.type_code);
    }
    Report("issuer", true,
           "signed by " + dept->id + " (" + dept->name + "), allowed to issue " + m.type_code);
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

  void Decide(bool header_ok) {
    const Material& m = b_.material;
    out_.height = header_ok ? header_.height : 0;
    out_.as_of_ms = header_ok ? header_.time_ms : 0;
    bool proof_ok = true;
    bool document_ok = true;
    for (const ProofCheck& c : out_.checks) {
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

  Bytes SetHash(const std::vector<Validator>& set) const {
    return crypto::DigestBytes(ValidatorsHash(suite_, set));
  }

  const Genesis& g_;
  const ProofBundle& b_;
  const VerifyOptions& o_;
  const crypto::Suite suite_;
  BlockHeader header_;
  std::vector<Validator> set_;
  bool sets_ok_ = false;
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

#include "ledger/proof_steps.h"

#include <algorithm>
#include <limits>
#include <set>

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"
#include "ledger/state_tree.h"

namespace govledger::ledger::proof_steps {

// ------------------------------------------------------------------ building

Result<StateProof> StateProver::Pin(Result<StateProof> p) {
  if (!p.ok()) return p;
  if (!root_) {
    root_ = p->state_root;
    height_ = p->height;
  } else if (*root_ != p->state_root || height_ != p->height) {
    stale_ = true;
  }
  return p;
}

Result<StateProof> StateProver::Material(std::string_view id) {
  return Pin(store_.ProveMaterial(id));
}

Result<StateProof> StateProver::Record(Table table, std::string_view key) {
  return Pin(store_.ProveRecord(table, key));
}

Result<CertifiedHeader> CertifiedAt(const Store& store, uint64_t height) {
  auto block = store.GetBlock(height);
  if (!block.ok()) return block.status();
  auto commit = store.GetCommit(height);
  if (!commit.ok()) return commit.status();
  return CertifiedHeader{std::move(block->header_bytes), std::move(*commit)};
}

namespace {

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

Result<std::vector<BundleValidatorSet>> ValidatorSetsUpTo(const Store& store,
                                                          const Genesis& genesis, uint64_t h) {
  // Each validator-set change in force by h, bound by the header of the height before it.
  const std::vector<ValidatorChange> changes = GetValidatorChanges(store);
  std::set<uint64_t> effective;
  for (const ValidatorChange& c : changes) {
    if (c.effective_height >= 2 && c.effective_height <= h) effective.insert(c.effective_height);
  }
  std::vector<BundleValidatorSet> out;
  for (uint64_t e : effective) {
    auto before = CertifiedAt(store, e - 1);
    if (!before.ok()) return before.status();
    out.push_back(BundleValidatorSet{e, KeysOnly(ValidatorsAt(genesis.validators, changes, e)),
                                     std::move(*before)});
  }
  return out;
}

Result<std::vector<Event>> EventsUpTo(const Store& store, const std::string& id, uint32_t count) {
  std::vector<Event> out;
  for (Event& e : store.GetEvents(id)) {
    if (e.seq < count) out.push_back(std::move(e));
  }
  if (out.size() != count) {
    return Status::Error("corrupt_store", id + " has " + std::to_string(out.size()) +
                                              " stored events, its record counts " +
                                              std::to_string(count));
  }
  return out;
}

Result<std::vector<BundleTx>> EventTxs(const Store& store, const std::vector<Event>& events,
                                       uint64_t log_size) {
  PendingLogNodes log_view(store.log_nodes());  // read-only use: nothing is appended
  crypto::MerkleLog log(store.suite(), &log_view, store.log_size());
  std::set<Bytes> seen;
  std::vector<BundleTx> out;
  for (const Event& e : events) {
    if (e.tx_hash.empty() || !seen.insert(e.tx_hash).second) continue;
    auto hash = crypto::DigestFromBytes(e.tx_hash);
    if (!hash.ok()) return Status::Error("corrupt_store", "event with a bad tx hash");
    std::optional<TxLocation> loc = store.FindTx(*hash);
    if (!loc) return Status::Error("corrupt_store", "tx " + HexEncode(e.tx_hash) + " not indexed");
    auto raw = store.GetTxBytes(*loc);
    if (!raw.ok()) return raw.status();
    auto path = log.InclusionProof(loc->log_index, log_size);
    if (!path.ok()) return path.status();
    out.push_back(BundleTx{std::move(*raw), loc->log_index, std::move(*path)});
  }
  return out;
}

Result<BundleRegistry> ProveRegistry(StateProver& prover) {
  BundleRegistry r;
  auto count = prover.Record(Table::kCounter, kCounterProposals);
  if (!count.ok()) return count.status();
  if (count->record) {
    auto n = DecodeU64(*count->record);
    if (!n.ok()) return Status::Error("corrupt_store", "the proposal counter does not decode");
    r.proposal_count = *n;
  }
  r.count_proof = std::move(count->proof);
  for (uint64_t i = 1; i <= r.proposal_count; ++i) {
    auto p = prover.Record(Table::kProposal, "P" + std::to_string(i));
    if (!p.ok()) return p.status();
    if (!p->record) {
      return Status::Error("corrupt_store", "proposal P" + std::to_string(i) + " is missing");
    }
    r.proposals.push_back(BundleRecord{std::move(*p->record), std::move(p->proof)});
  }
  return r;
}

// ------------------------------------------------------------------ verifying

bool CheckList::Failed(const std::string& step) const {
  return std::any_of(checks_.begin(), checks_.end(),
                     [&step](const ProofCheck& c) { return c.step == step && !c.ok; });
}

void CheckBundleGenesis(const Genesis& g, const std::string& chain_id, crypto::Suite suite,
                        const Digest& genesis_hash, CheckList& out) {
  if (chain_id != g.chain_id) {
    return out.Report("bundle", false,
                      "chain id '" + chain_id + "', trusted '" + g.chain_id + "'");
  }
  if (suite != g.suite) return out.Report("bundle", false, "crypto suite differs from genesis");
  if (genesis_hash != GenesisHash(g)) {
    return out.Report("bundle", false, "made for genesis " + crypto::DigestHex(genesis_hash));
  }
  out.Report("bundle", true, "chain " + g.chain_id + ", suite " + crypto::SuiteName(g.suite));
}

namespace {

Bytes SetHash(crypto::Suite suite, const std::vector<Validator>& set) {
  return crypto::DigestBytes(ValidatorsHash(suite, set));
}

// Walks the validator sets from genesis: each is accepted when a header certified by the set
// in force before it commits to it as next_validators_hash.
void CheckValidatorSets(const Genesis& g, const std::vector<BundleValidatorSet>& sets,
                        CertifiedView& view, CheckList& out) {
  const crypto::Suite suite = g.suite;
  view.set = g.validators;
  uint64_t last = 1;
  for (const BundleValidatorSet& vs : sets) {
    const std::string at = "set from height " + std::to_string(vs.effective_height) + ": ";
    if (vs.effective_height <= last || vs.validators.empty() ||
        vs.effective_height > view.header.height) {
      return out.Report("validators", false, at + "out of order, empty or after the header");
    }
    auto before = DecodeHeader(vs.before.header_bytes);
    if (!before.ok() || before->height + 1 != vs.effective_height ||
        before->chain_id != g.chain_id) {
      return out.Report(
          "validators", false,
          at + "the header before it is not block " + std::to_string(vs.effective_height - 1));
    }
    const Bytes hash = crypto::DigestBytes(crypto::Hash(suite, vs.before.header_bytes));
    Status st = VerifyCommit(suite, g.chain_id, view.set, vs.before.commit, before->height, hash);
    if (!st.ok()) return out.Report("validators", false, at + "certificate: " + st.ToString());
    if (before->validators_hash != SetHash(suite, view.set)) {
      return out.Report("validators", false, at + "a validator-set change before it is missing");
    }
    if (before->next_validators_hash != SetHash(suite, vs.validators)) {
      return out.Report("validators", false, at + "not the set the chain committed to");
    }
    view.set = vs.validators;
    last = vs.effective_height;
  }
  view.sets_ok = true;
  out.Report("validators", true,
             sets.empty() ? "genesis set (" + std::to_string(view.set.size()) + " validators)"
                          : std::to_string(sets.size()) + " change(s) since genesis, " +
                                std::to_string(view.set.size()) + " validators");
}

}  // namespace

CertifiedView CheckCertified(const Genesis& g, const CertifiedHeader& header,
                             const std::vector<BundleValidatorSet>& sets, CheckList& out) {
  CertifiedView view;
  if (auto h = DecodeHeader(header.header_bytes); h.ok()) {
    view.header = std::move(*h);
    view.header_ok = true;
  }
  CheckValidatorSets(g, sets, view, out);
  auto certificate = [&]() {
    if (!view.header_ok) return out.Report("certificate", false, "the header does not decode");
    if (view.header.chain_id != g.chain_id) {
      return out.Report("certificate", false, "header chain id");
    }
    if (!view.sets_ok) {
      return out.Report("certificate", false, "no trusted validator set for the header");
    }
    if (view.header.validators_hash != SetHash(g.suite, view.set)) {
      return out.Report("certificate", false,
                        "the header's validators_hash is not the set derived from genesis");
    }
    const Bytes hash = crypto::DigestBytes(crypto::Hash(g.suite, header.header_bytes));
    Status st =
        VerifyCommit(g.suite, g.chain_id, view.set, header.commit, view.header.height, hash);
    if (!st.ok()) return out.Report("certificate", false, st.ToString());
    out.Report("certificate", true,
               std::to_string(header.commit.sigs.size()) + " of " +
                   std::to_string(view.set.size()) + " validators signed block " +
                   std::to_string(view.header.height) + " (quorum " +
                   std::to_string(QuorumSize(view.set.size())) + ")");
  };
  certificate();
  return view;
}

std::string EventChainError(crypto::Suite suite, const std::string& id, uint32_t count,
                            const Bytes& last_event, const std::vector<Event>& events,
                            uint64_t max_height) {
  if (events.size() != count) {
    return std::to_string(events.size()) + " events, the record has " + std::to_string(count);
  }
  Bytes prev;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.material_id != id || e.seq != i || e.prev_event != prev || e.height > max_height) {
      return "event " + std::to_string(i) + " is not in the chain";
    }
    prev = crypto::DigestBytes(EventHash(suite, e));
  }
  if (prev != last_event) return "the events do not end at the record's last_event";
  return "";
}

InclusionResult CheckTxInclusion(crypto::Suite suite, const BlockHeader& header,
                                 const std::vector<Bytes>& needed_list,
                                 const std::vector<BundleTx>& txs) {
  InclusionResult r;
  auto log_root = crypto::DigestFromBytes(header.log_root);
  if (!log_root.ok()) {
    r.error = "the header carries no log root";
    return r;
  }
  const std::set<Bytes> needed(needed_list.begin(), needed_list.end());
  for (size_t i = 0; i < txs.size(); ++i) {
    const BundleTx& t = txs[i];
    const std::string at = "tx " + std::to_string(i) + ": ";
    auto tx = DecodeTx(suite, t.raw, std::numeric_limits<size_t>::max());
    if (!tx.ok()) {
      r.error = at + tx.status().ToString();
      return r;
    }
    const Bytes hash = crypto::DigestBytes(tx->hash);
    if (needed.count(hash) == 0 || r.txs.count(hash) != 0) {
      r.error = at + "not a transaction of the proven events";
      return r;
    }
    if (!crypto::VerifyInclusion(suite, crypto::MerkleLeafHash(suite, t.raw), t.log_index,
                                 header.log_size, t.inclusion, *log_root)) {
      r.error = at + "not in the log of block " + std::to_string(header.height) + " at index " +
                std::to_string(t.log_index);
      return r;
    }
    r.txs.emplace(hash, std::move(*tx));
  }
  if (r.txs.size() != needed.size()) r.error = "a transaction of the proven events is missing";
  return r;
}

// ------------------------------------------------------------------ registry

namespace {

template <typename T, typename Key>
std::optional<T> NewestAt(const std::map<std::pair<uint64_t, uint64_t>, T>& changes,
                          const Key& key, uint64_t height) {
  std::optional<T> out;
  for (const auto& [at, value] : changes) {
    if (at.first > height) break;
    if (key(value)) out = value;
  }
  return out;
}

}  // namespace

std::optional<Department> ProvenRegistry::DepartmentAt(const std::string& id,
                                                       uint64_t height) const {
  auto d = NewestAt(departments_, [&id](const Department& x) { return x.id == id; }, height);
  if (d) return d;
  for (const Department& g : genesis_->departments) {
    if (g.id == id) return g;
  }
  return std::nullopt;
}

std::optional<MaterialType> ProvenRegistry::TypeAt(const std::string& code,
                                                   uint64_t height) const {
  auto t = NewestAt(types_, [&code](const MaterialType& x) { return x.code == code; }, height);
  if (t) return t;
  for (const MaterialType& g : genesis_->material_types) {
    if (g.code == code) return g;
  }
  return std::nullopt;
}

std::optional<Department> ProvenRegistry::DepartmentByKeyAt(const Bytes& key,
                                                            uint64_t height) const {
  if (key.empty()) return std::nullopt;
  // A department keeps its key (governance refuses to change it), so the id is found by key in
  // the genesis or in any change in force by `height`.
  std::optional<std::string> id;
  for (const Department& g : genesis_->departments) {
    if (g.key == key) id = g.id;
  }
  for (const auto& [at, d] : departments_) {
    if (at.first <= height && d.key == key) id = d.id;
  }
  if (!id) return std::nullopt;
  auto d = DepartmentAt(*id, height);
  if (!d || d->key != key) return std::nullopt;
  return d;
}

std::optional<ProvenRegistry> CheckRegistry(const Genesis& g, const CertifiedView& view,
                                            const BundleRegistry& registry, CheckList& out) {
  const crypto::Suite suite = g.suite;
  if (!view.header_ok) {
    out.Report("registry", false, "the header does not decode");
    return std::nullopt;
  }
  auto root = crypto::DigestFromBytes(view.header.state_root);
  if (!root.ok()) {
    out.Report("registry", false, "the header carries no state root");
    return std::nullopt;
  }
  const std::string counter_key(kCounterProposals);
  std::optional<Digest> count_value;
  if (registry.proposal_count > 0) {
    count_value = RecordStateValue(suite, EncodeU64(registry.proposal_count));
  }
  if (!crypto::VerifyStateProof(suite, *root,
                                StateKey(suite, static_cast<char>(Table::kCounter), counter_key),
                                count_value, registry.count_proof)) {
    out.Report("registry", false,
               "the proposal count " + std::to_string(registry.proposal_count) +
                   " is not what the header's state_root holds");
    return std::nullopt;
  }
  if (registry.proposals.size() != registry.proposal_count) {
    out.Report("registry", false,
               std::to_string(registry.proposals.size()) + " proposals carried, the chain has " +
                   std::to_string(registry.proposal_count));
    return std::nullopt;
  }
  ProvenRegistry proven;
  proven.genesis_ = &g;
  for (size_t i = 0; i < registry.proposals.size(); ++i) {
    const BundleRecord& r = registry.proposals[i];
    const std::string id = "P" + std::to_string(i + 1);
    if (!crypto::VerifyStateProof(suite, *root,
                                  StateKey(suite, static_cast<char>(Table::kProposal), id),
                                  RecordStateValue(suite, r.record), r.proof)) {
      out.Report("registry", false,
                 "proposal " + id + " is not what the header's state_root holds");
      return std::nullopt;
    }
    auto p = DecodeProposal(r.record);
    if (!p.ok() || p->proposal_id != id) {
      out.Report("registry", false, "proposal " + id + " does not decode");
      return std::nullopt;
    }
    if (p->status != ProposalStatus::kEnacted) continue;
    const std::pair<uint64_t, uint64_t> at{p->effective_height, i + 1};
    switch (p->change.kind) {
      case ChangeKind::kSetDepartment:
        proven.departments_.emplace(at, p->change.department);
        break;
      case ChangeKind::kSetMaterialType:
        proven.types_.emplace(at, p->change.material_type);
        break;
      case ChangeKind::kAddValidator:
      case ChangeKind::kRemoveValidator:
      case ChangeKind::kRotateValidator:
        break;  // the validator sets are proven by their certified headers
    }
  }
  out.Report("registry", true,
             registry.proposal_count == 0
                 ? "genesis registry (no governance proposals)"
                 : std::to_string(registry.proposal_count) + " governance proposal(s) proven, " +
                       std::to_string(proven.changes()) + " registry change(s) enacted");
  return proven;
}

}  // namespace govledger::ledger::proof_steps

// The steps every kind of proof bundle shares (ledger/proof.h for materials, ledger/proof_contract.h
// for e-contracts), so that both are built and checked by one piece of code: proving several
// state entries against one state root, walking the validator sets from genesis, the header's
// commit certificate, an id's hash-linked event chain, the inclusion of transactions in the log,
// and the governance registry (departments and material types as of any height up to the
// header's). Internal to the ledger module.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ledger/proof.h"

namespace govledger::ledger::proof_steps {

// ------------------------------------------------------------------ building

// Proves state entries at the store's tip, all against one state root. The tree keeps its tip
// only and every proof reads its own snapshot, so a block that commits between two proofs makes
// them disagree: `stale()` tells the caller to start over (BuildAtOneRoot does).
class StateProver {
 public:
  explicit StateProver(const Store& store) : store_(store) {}
  Result<StateProof> Material(std::string_view id);
  Result<StateProof> Record(Table table, std::string_view key);
  bool stale() const { return stale_; }
  uint64_t height() const { return height_; }

 private:
  Result<StateProof> Pin(Result<StateProof> p);
  const Store& store_;
  std::optional<Digest> root_;
  uint64_t height_ = 0;
  bool stale_ = false;
};

// Runs `build` with a fresh prover until its proofs agree on one root (a few attempts; blocks
// commit about once a second and a build takes milliseconds). "busy" when they never do.
template <typename T, typename F>
Result<T> BuildAtOneRoot(const Store& store, F&& build) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    StateProver prover(store);
    Result<T> out = build(prover);
    if (!out.ok() || !prover.stale()) return out;
  }
  return Status::Error("busy", "blocks kept committing while the bundle was built; try again");
}

// The certified header of `height` and every validator-set change in force by then.
Result<CertifiedHeader> CertifiedAt(const Store& store, uint64_t height);
Result<std::vector<BundleValidatorSet>> ValidatorSetsUpTo(const Store& store,
                                                          const Genesis& genesis, uint64_t height);
// The transactions of `events` (each once, in event order) with their audit paths in the log of
// `log_size` leaves.
Result<std::vector<BundleTx>> EventTxs(const Store& store, const std::vector<Event>& events,
                                       uint64_t log_size);
// Events 0 .. count-1 of `id` (events beyond were committed after the proven snapshot).
Result<std::vector<Event>> EventsUpTo(const Store& store, const std::string& id, uint32_t count);
// The proposal counter and every proposal, proven by `prover`.
Result<BundleRegistry> ProveRegistry(StateProver& prover);

// ------------------------------------------------------------------ verifying

// The checks of one verification, in order.
class CheckList {
 public:
  void Report(const std::string& step, bool ok, std::string detail) {
    checks_.push_back(ProofCheck{step, ok, std::move(detail)});
  }
  bool Failed(const std::string& step) const;
  std::vector<ProofCheck>& checks() { return checks_; }

 private:
  std::vector<ProofCheck> checks_;
};

// "bundle": chain id, suite and genesis hash against the trusted genesis.
void CheckBundleGenesis(const Genesis& g, const std::string& chain_id, crypto::Suite suite,
                        const Digest& genesis_hash, CheckList& out);

// What the header steps establish: the decoded header and, when the validator sets and the
// certificate verified, that it is certified.
struct CertifiedView {
  bool header_ok = false;  // the header decodes
  BlockHeader header;
  std::vector<Validator> set;  // the validator set of header.height, when known
  bool sets_ok = false;
};

// Decodes the header, then "validators" (walks `sets` from the genesis set) and "certificate"
// (a quorum of that set signed H(header bytes), and the header commits to the set).
CertifiedView CheckCertified(const Genesis& g, const CertifiedHeader& header,
                             const std::vector<BundleValidatorSet>& sets, CheckList& out);

// The hash chain of an id's events: seq 0 .. count-1, each prev_event the hash of the one
// before, none after `max_height`, the last hashing to `last_event`. "" when it holds, else what
// is wrong.
std::string EventChainError(crypto::Suite suite, const std::string& id, uint32_t count,
                            const Bytes& last_event, const std::vector<Event>& events,
                            uint64_t max_height);

// Inclusion of `txs` in the header's log: each decodes, is one of `needed` (tx hashes), appears
// once, and its leaf is at log_index under log_root; every needed one is there. On success the
// decoded transactions by hash; otherwise the error text.
struct InclusionResult {
  std::map<Bytes, Tx> txs;
  std::string error;  // "" when every transaction is proven
};
InclusionResult CheckTxInclusion(crypto::Suite suite, const BlockHeader& header,
                                 const std::vector<Bytes>& needed,
                                 const std::vector<BundleTx>& txs);

// The registry (departments and material types) in force at a height, rebuilt from the genesis
// and the enacted governance proposals.
class ProvenRegistry {
 public:
  std::optional<Department> DepartmentAt(const std::string& id, uint64_t height) const;
  std::optional<MaterialType> TypeAt(const std::string& code, uint64_t height) const;
  // The department whose key `key` is as of `height`.
  std::optional<Department> DepartmentByKeyAt(const Bytes& key, uint64_t height) const;
  size_t changes() const { return departments_.size() + types_.size(); }

 private:
  friend std::optional<ProvenRegistry> CheckRegistry(const Genesis&, const CertifiedView&,
                                                     const BundleRegistry&, CheckList&);
  const Genesis* genesis_ = nullptr;
  // (effective height, proposal number) -> the change; applied in that order.
  std::map<std::pair<uint64_t, uint64_t>, Department> departments_;
  std::map<std::pair<uint64_t, uint64_t>, MaterialType> types_;
};

// "registry": the proposal count and every proposal record against the header's state_root.
// nullopt (and a failed step) when anything does not verify.
std::optional<ProvenRegistry> CheckRegistry(const Genesis& g, const CertifiedView& view,
                                            const BundleRegistry& registry, CheckList& out);

inline constexpr std::string_view kProviderRole = "provider";

}  // namespace govledger::ledger::proof_steps

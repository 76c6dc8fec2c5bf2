#include "ledger/audit.h"

#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "crypto/merkle.h"
#include "ledger/audit_state.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/records.h"

namespace govledger::ledger {

namespace {

// Holds only the log's right frontier: the newest even- and odd-indexed perfect node of each level.
// That is all MerkleLog needs to append (it reads the left sibling of the node it completes) and to
// compute the root of the current size (the newest node of each level whose bit is set), so an
// audit of any chain length needs O(log n) memory rather than a copy of the whole tree.
class FrontierNodeStore : public crypto::NodeStore {
 public:
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override {
    if (level >= levels_.size()) return std::nullopt;
    const Slot& slot = levels_[level][index & 1];
    if (!slot.used || slot.index != index) return std::nullopt;
    return slot.hash;
  }
  void PutNode(uint32_t level, uint64_t index, const Digest& hash) override {
    if (level >= levels_.size()) levels_.resize(level + 1);
    levels_[level][index & 1] = Slot{true, index, hash};
  }

 private:
  struct Slot {
    bool used = false;
    uint64_t index = 0;
    Digest hash{};
  };
  std::vector<std::array<Slot, 2>> levels_;
};

// Walks the chain once, block by block; the first failed check ends the walk.
class Auditor {
 public:
  Auditor(const Store& store, const Genesis& genesis, const AuditOptions& opts)
      : store_(store),
        genesis_(genesis),
        opts_(opts),
        suite_(genesis.suite),
        changes_(GetValidatorChanges(store)),
        log_(suite_, &log_nodes_, 0),
        state_(store, suite_) {}

  AuditReport Run() {
    const Digest genesis_hash = GenesisHash(genesis_);
    if (store_.genesis_hash() != genesis_hash) {
      Fail(0, "genesis_mismatch",
           "the store was created for genesis " + crypto::DigestHex(store_.genesis_hash()) +
               ", not " + crypto::DigestHex(genesis_hash));
      return report_;
    }
    prev_hash_ = crypto::DigestBytes(genesis_hash);
    const uint64_t total = store_.height();
    for (uint64_t h = 1; h <= total; ++h) {
      if (!CheckBlock(h)) return report_;
      report_.checked_height = h;
      if (opts_.progress && opts_.progress_every > 0 && h % opts_.progress_every == 0) {
        opts_.progress(h, total);
      }
    }
    if (total > 0 && (crypto::DigestBytes(store_.tip_hash()) != prev_hash_ ||
                      store_.log_size() != log_.size())) {
      Fail(total, "bad_tip", "the store's tip metadata does not match its last block");
      return report_;
    }
    if (auto bad = state_.CheckFinalState(total)) {
      Fail(bad->height, bad->code, bad->detail);
      report_.checked_height = bad->height > 0 ? bad->height - 1 : 0;
      return report_;
    }
    // A final report unless the loop just made it.
    if (opts_.progress && (opts_.progress_every == 0 || total % opts_.progress_every != 0)) {
      opts_.progress(total, total);
    }
    return report_;
  }

 private:
  void Fail(uint64_t height, std::string code, std::string detail) {
    report_.ok = false;
    report_.bad_height = height;
    report_.reason_code = std::move(code);
    report_.detail = std::move(detail);
  }

  // The validator set of height h: the genesis set with the governance changes effective by h
  // (recorded in the state, never deleted; a forged change cannot forge the certificates).
  std::vector<Validator> SetAt(uint64_t h) const {
    return ValidatorsAt(genesis_.validators, changes_, h);
  }
  Bytes SetHash(uint64_t h) const { return crypto::DigestBytes(ValidatorsHash(suite_, SetAt(h))); }

  bool IsValidator(const crypto::PublicKey& key, uint64_t h) const {
    for (const Validator& v : SetAt(h)) {
      if (v.key == key) return true;
    }
    return false;
  }

  bool CheckBlock(uint64_t h) {
    auto raw = store_.GetBlockBytes(h);
    if (!raw.ok()) {
      // LevelDB refused the bytes (checksum mismatch, truncated table): never audit a guess.
      Fail(h, raw.status().code() == "corrupt_store" ? "unreadable_block" : "missing_block",
           raw.status().ToString());
      return false;
    }
    auto decoded = DecodeBlock(*raw);
    if (!decoded.ok()) {
      Fail(h, "bad_block_encoding", decoded.status().ToString());
      return false;
    }
    const Block& block = *decoded;
    const BlockHeader& header = block.header;
    const Digest block_hash = crypto::Hash(suite_, block.header_bytes);
    const Bytes block_hash_bytes = crypto::DigestBytes(block_hash);

    if (header.height != h) {
      Fail(h, "bad_height", "header says height " + std::to_string(header.height));
      return false;
    }
    if (header.chain_id != genesis_.chain_id) {
      Fail(h, "bad_chain_id", "header chain id \"" + header.chain_id + "\"");
      return false;
    }
    if (header.prev_hash != prev_hash_) {
      Fail(h, "bad_prev_hash",
           "prev_hash " + HexEncode(header.prev_hash) + " but the previous " + "block hashes to " +
               HexEncode(prev_hash_));
      return false;
    }
    std::optional<uint64_t> indexed = store_.FindBlock(block_hash);
    if (!indexed || *indexed != h) {
      Fail(h, "bad_block_hash",
           "block hash " + crypto::DigestHex(block_hash) +
               (indexed ? " is indexed at height " + std::to_string(*indexed)
                        : std::string(" is not in the block hash index")));
      return false;
    }
    if (h > 1 && header.time_ms <= prev_time_ms_) {
      Fail(h, "bad_time",
           "block time " + std::to_string(header.time_ms) + " is not after the previous block's " +
               std::to_string(prev_time_ms_));
      return false;
    }
    if (!IsValidator(header.proposer, h)) {
      Fail(h, "bad_proposer", "the proposer is not a validator at this height");
      return false;
    }
    if (header.validators_hash != SetHash(h)) {
      Fail(h, "bad_validators_hash", "validators_hash does not match the validators of this height");
      return false;
    }
    if (header.next_validators_hash != SetHash(h + 1)) {
      Fail(h, "bad_validators_hash",
           "next_validators_hash does not match the validators of the next height");
      return false;
    }
    if (!CheckLastCommit(h, block)) return false;

    auto cert = store_.GetCommit(h);
    if (!cert.ok()) {
      Fail(h, "bad_commit", "stored certificate: " + cert.status().ToString());
      return false;
    }
    Status st =
        VerifyCommit(suite_, genesis_.chain_id, SetAt(h), *cert, h, block_hash_bytes);
    if (!st.ok()) {
      Fail(h, "bad_commit", "stored certificate: " + st.ToString());
      return false;
    }

    if (header.tx_count != block.txs.size()) {
      Fail(h, "bad_tx_count",
           "header says " + std::to_string(header.tx_count) + " txs, block has " +
               std::to_string(block.txs.size()));
      return false;
    }
    for (size_t i = 0; i < block.txs.size(); ++i) {
      if (!CheckTx(h, static_cast<uint32_t>(i), block.txs[i])) return false;
    }
    auto root = log_.Root();
    if (log_.size() != header.log_size || !root.ok() ||
        crypto::DigestBytes(*root) != header.log_root) {
      Fail(h, "bad_log_root",
           "recomputed log of " + std::to_string(log_.size()) +
               " txs does not match the header's log_size " + std::to_string(header.log_size) +
               " and log_root");
      return false;
    }

    auto events = store_.GetBlockEvents(h);
    if (!events.ok()) {
      Fail(h, "bad_events_hash", "stored events: " + events.status().ToString());
      return false;
    }
    if (crypto::DigestBytes(EventsHash(suite_, *events)) != header.events_hash) {
      Fail(h, "bad_events_hash", "the stored events of the block do not hash to events_hash");
      return false;
    }
    if (Status state = state_.CheckBlock(h, header); !state.ok()) {
      Fail(h, state.code(), state.message());
      return false;
    }

    prev_hash_ = block_hash_bytes;
    prev_time_ms_ = header.time_ms;
    return true;
  }

  // The certificate of block h-1 embedded in block h, bound by header.last_commit_hash.
  bool CheckLastCommit(uint64_t h, const Block& block) {
    if (h == 1) {
      if (block.last_commit || !block.header.last_commit_hash.empty()) {
        Fail(h, "bad_last_commit", "block 1 carries a last commit");
        return false;
      }
      return true;
    }
    if (!block.last_commit) {
      Fail(h, "bad_last_commit", "missing the certificate of block " + std::to_string(h - 1));
      return false;
    }
    const Bytes commit_hash =
        crypto::DigestBytes(crypto::Hash(suite_, EncodeCommit(*block.last_commit)));
    if (commit_hash != block.header.last_commit_hash) {
      Fail(h, "bad_last_commit", "last_commit does not hash to the header's last_commit_hash");
      return false;
    }
    Status st = VerifyCommit(suite_, genesis_.chain_id, SetAt(h - 1), *block.last_commit, h - 1,
                             prev_hash_);
    if (!st.ok()) {
      Fail(h, "bad_last_commit", st.ToString());
      return false;
    }
    return true;
  }

  bool CheckTx(uint64_t h, uint32_t index, const Bytes& raw) {
    const std::string where = "tx " + std::to_string(index) + ": ";
    auto tx = DecodeTx(suite_, raw, std::numeric_limits<size_t>::max());
    if (!tx.ok()) {
      Fail(h, "bad_tx", where + tx.status().ToString());
      return false;
    }
    if (opts_.verify_tx_signatures &&
        !crypto::Verify(suite_, tx->signer, tx->body_bytes, tx->signature)) {
      Fail(h, "bad_tx_signature", where + "signature does not verify");
      return false;
    }
    const uint64_t log_index = log_.size();
    std::optional<TxLocation> loc = store_.FindTx(tx->hash);
    if (!loc || loc->height != h || loc->index != index || loc->log_index != log_index) {
      Fail(h, "bad_tx_location",
           where + "tx index entry for " + crypto::DigestHex(tx->hash) + " does not point here");
      return false;
    }
    log_.Append(raw);
    ++report_.txs_checked;
    return true;
  }

  const Store& store_;
  const Genesis& genesis_;
  const AuditOptions& opts_;
  const crypto::Suite suite_;
  const std::vector<ValidatorChange> changes_;
  FrontierNodeStore log_nodes_;
  crypto::MerkleLog log_;
  StateAudit state_;
  Bytes prev_hash_;
  int64_t prev_time_ms_ = 0;
  AuditReport report_;
};

}  // namespace

AuditReport AuditChain(const Store& store, const Genesis& genesis, const AuditOptions& opts) {
  return Auditor(store, genesis, opts).Run();
}

}  // namespace govledger::ledger

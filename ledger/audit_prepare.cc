#include "ledger/audit_prepare.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <thread>
#include <utility>

#include "crypto/merkle.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/state_tree.h"

namespace govledger::ledger {

// ------------------------------------------------------------------ validator sets

AuditValidatorSets::AuditValidatorSets(const Genesis& genesis,
                                       const std::vector<ValidatorChange>& changes) {
  std::vector<uint64_t> starts{0};
  for (const ValidatorChange& c : changes) {
    if (c.effective_height > starts.back()) starts.push_back(c.effective_height);
  }
  for (uint64_t from : starts) {
    Entry e;
    e.from = from;
    e.set = ValidatorsAt(genesis.validators, changes, from);
    e.hash = crypto::DigestBytes(ValidatorsHash(genesis.suite, e.set));
    epochs_.push_back(std::move(e));
  }
}

const AuditValidatorSets::Entry& AuditValidatorSets::Epoch(uint64_t h) const {
  auto it = std::upper_bound(epochs_.begin(), epochs_.end(), h,
                             [](uint64_t height, const Entry& e) { return height < e.from; });
  return *(it - 1);  // epochs_[0].from == 0 <= h
}

bool AuditValidatorSets::IsValidator(const crypto::PublicKey& key, uint64_t h) const {
  for (const Validator& v : At(h)) {
    if (v.key == key) return true;
  }
  return false;
}

// ------------------------------------------------------------------ threads

void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  threads =
      std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<size_t>(n, 1))));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

namespace {

// Transactions per unit of parallel work: small enough that one big block still spreads over
// every thread, large enough that handing out units costs nothing.
constexpr size_t kTxsPerUnit = 128;

std::optional<AuditFailure> Failure(std::string code, std::string detail) {
  return AuditFailure{std::move(code), std::move(detail)};
}

// Everything of block h that does not need the blocks before it. `prev_commit` is the stored
// certificate of h-1: when the embedded last commit is byte-for-byte the same, it was verified
// with block h-1 (the audit stops there if it was bad) and is not verified a second time.
void CheckHeader(const PrepareContext& ctx, uint64_t h, std::optional<Bytes> raw,
                 const std::optional<Bytes>& commit_raw, const std::optional<Bytes>& prev_commit,
                 const std::optional<Bytes>& events_raw, PreparedBlock& out) {
  const crypto::Suite suite = ctx.genesis.suite;
  out.height = h;
  if (!raw) {
    out.early = Failure("missing_block", "not_found: block " + std::to_string(h) + " not found");
    return;
  }
  auto decoded = DecodeBlock(*raw);
  if (!decoded.ok()) {
    out.early = Failure("bad_block_encoding", decoded.status().ToString());
    return;
  }
  Block& block = *decoded;
  const BlockHeader& header = block.header;
  const Digest block_hash = crypto::Hash(suite, block.header_bytes);
  out.block_hash = crypto::DigestBytes(block_hash);
  if (header.height != h) {
    out.early = Failure("bad_height", "header says height " + std::to_string(header.height));
    return;
  }
  if (header.chain_id != ctx.genesis.chain_id) {
    out.early = Failure("bad_chain_id", "header chain id \"" + header.chain_id + "\"");
    return;
  }
  std::optional<uint64_t> indexed = ctx.store.FindBlock(block_hash);
  if (!indexed || *indexed != h) {
    out.hash_failure =
        Failure("bad_block_hash", "block hash " + crypto::DigestHex(block_hash) +
                                      (indexed ? " is indexed at height " + std::to_string(*indexed)
                                               : std::string(" is not in the block hash index")));
  }

  out.mid = [&]() -> std::optional<AuditFailure> {
    if (!ctx.sets.IsValidator(header.proposer, h)) {
      return Failure("bad_proposer", "the proposer is not a validator at this height");
    }
    if (header.validators_hash != ctx.sets.HashAt(h)) {
      return Failure("bad_validators_hash",
                     "validators_hash does not match the validators of this height");
    }
    if (header.next_validators_hash != ctx.sets.HashAt(h + 1)) {
      return Failure("bad_validators_hash",
                     "next_validators_hash does not match the validators of the next height");
    }
    // The certificate of block h-1 embedded in block h, bound by header.last_commit_hash. The
    // sequential half has checked header.prev_hash against the previous block's hash before it
    // looks at this, so verifying against header.prev_hash is verifying against that hash.
    if (h == 1) {
      if (block.last_commit || !header.last_commit_hash.empty()) {
        return Failure("bad_last_commit", "block 1 carries a last commit");
      }
    } else {
      if (!block.last_commit) {
        return Failure("bad_last_commit",
                       "missing the certificate of block " + std::to_string(h - 1));
      }
      const Bytes encoded = EncodeCommit(*block.last_commit);
      if (crypto::DigestBytes(crypto::Hash(suite, encoded)) != header.last_commit_hash) {
        return Failure("bad_last_commit",
                       "last_commit does not hash to the header's last_commit_hash");
      }
      if (!prev_commit || *prev_commit != encoded) {
        Status st = VerifyCommit(suite, ctx.genesis.chain_id, ctx.sets.At(h - 1),
                                 *block.last_commit, h - 1, header.prev_hash);
        if (!st.ok()) return Failure("bad_last_commit", st.ToString());
      }
    }
    if (!commit_raw) {
      return Failure("bad_commit", "stored certificate: not_found: certificate of block " +
                                       std::to_string(h) + " not found");
    }
    auto cert = DecodeCommit(*commit_raw);
    if (!cert.ok()) {
      return Failure("bad_commit", "stored certificate: corrupt_store: certificate of block " +
                                       std::to_string(h) + ": " + cert.status().message());
    }
    Status st = VerifyCommit(suite, ctx.genesis.chain_id, ctx.sets.At(h), *cert, h, out.block_hash);
    if (!st.ok()) return Failure("bad_commit", "stored certificate: " + st.ToString());
    if (header.tx_count != block.txs.size()) {
      return Failure("bad_tx_count", "header says " + std::to_string(header.tx_count) +
                                         " txs, block has " + std::to_string(block.txs.size()));
    }
    return std::nullopt;
  }();

  if (!events_raw) {
    out.events_failure = Failure("bad_events_hash", "stored events: not_found: events of block " +
                                                        std::to_string(h) + " not found");
  } else {
    auto events = DecodeEvents(*events_raw);
    if (!events.ok()) {
      out.events_failure =
          Failure("bad_events_hash", "stored events: corrupt_store: events of block " +
                                         std::to_string(h) + ": " + events.status().message());
    } else if (crypto::DigestBytes(EventsHash(suite, *events)) != header.events_hash) {
      out.events_failure =
          Failure("bad_events_hash", "the stored events of the block do not hash to events_hash");
    }
  }
  out.header = std::move(block.header);
  out.raw_txs = std::move(block.txs);
  out.txs.resize(out.raw_txs.size());
}

// Transactions [first, last) of a prepared block; the first failure of the range is kept in
// `failure` at `failure_index`.
void CheckTxs(const PrepareContext& ctx, PreparedBlock& b, size_t first, size_t last,
              std::optional<AuditFailure>& failure, size_t& failure_index) {
  const crypto::Suite suite = ctx.genesis.suite;
  for (size_t i = first; i < last; ++i) {
    const Bytes& raw = b.raw_txs[i];
    auto fail = [&](std::string code, std::string detail) {
      failure = Failure(std::move(code), "tx " + std::to_string(i) + ": " + detail);
      failure_index = i;
    };
    if (ctx.verify_tx_signatures) {
      auto tx = DecodeTx(suite, raw, std::numeric_limits<size_t>::max());
      if (!tx.ok()) return fail("bad_tx", tx.status().ToString());
      if (!crypto::Verify(suite, tx->signer, tx->body_bytes, tx->signature)) {
        return fail("bad_tx_signature", "signature does not verify");
      }
      b.txs[i].tx_hash = tx->hash;
    } else {
      auto hash = DecodeTxHash(suite, raw);
      if (!hash.ok()) return fail("bad_tx", hash.status().ToString());
      b.txs[i].tx_hash = *hash;
    }
    b.txs[i].leaf_hash = crypto::MerkleLeafHash(suite, raw);
  }
}

}  // namespace

std::vector<PreparedBlock> PrepareBlocks(const PrepareContext& ctx, uint64_t from, uint64_t count) {
  std::vector<PreparedBlock> blocks(count);
  // One pass over the block store reads the four rows of each height, and the certificate of
  // the height before the batch too.
  const uint64_t commit_from = from > 1 ? from - 1 : from;
  const size_t shift = static_cast<size_t>(from - commit_from);
  std::map<char, Store::HeightRows> rows;
  Status st = ctx.store.ScanHeights("BCWJ", commit_from, count + shift, &rows);
  if (!st.ok()) {
    for (uint64_t i = 0; i < count; ++i) blocks[i].height = from + i;
    blocks[0].early = Failure("missing_block", st.ToString());
    return blocks;
  }
  // Rows of the batch's own heights start at `shift`; the certificates are indexed from
  // commit_from.
  std::vector<std::optional<Bytes>>& raw_blocks = rows['B'].rows;
  std::vector<std::optional<Bytes>>& commits = rows['C'].rows;
  std::vector<std::optional<Bytes>>& events = rows['W'].rows;
  std::vector<std::optional<Bytes>>& changes = rows['J'].rows;
  const std::vector<std::string>& block_errors = rows['B'].errors;
  const std::vector<std::string>& commit_errors = rows['C'].errors;
  const std::vector<std::string>& event_errors = rows['W'].errors;
  const std::vector<std::string>& change_errors = rows['J'].errors;
  const std::optional<Bytes> none;
  ParallelFor(count, ctx.threads, [&](size_t i) {
    const std::optional<Bytes>& prev = from + i > 1 ? commits[i + shift - 1] : none;
    const size_t r = i + shift;  // the row of height from + i
    if (!block_errors[r].empty()) {
      // LevelDB refused the bytes (checksum mismatch, truncated table): never audit a guess.
      blocks[i].height = from + i;
      blocks[i].early = Failure("unreadable_block", block_errors[r]);
      return;
    }
    CheckHeader(ctx, from + i, std::move(raw_blocks[r]), commits[r], prev, events[r], blocks[i]);
    if (!commit_errors[r].empty() && !blocks[i].early &&
        (!blocks[i].mid || blocks[i].mid->code == "bad_commit")) {
      blocks[i].mid = Failure("bad_commit", "stored certificate: " + commit_errors[r]);
    }
    if (!event_errors[r].empty()) {
      blocks[i].events_failure = Failure("bad_events_hash", "stored events: " + event_errors[r]);
    }
    if (!change_errors[r].empty()) {
      blocks[i].state_changes_failure =
          AuditFailure{"bad_state_root", "stored state changes: " + change_errors[r]};
    } else if (!changes[r]) {
      blocks[i].state_changes_failure = AuditFailure{
          "bad_state_root", "stored state changes: not_found: state changes of block " +
                                std::to_string(from + i) + " not found"};
    } else {
      auto decoded = DecodeStateChanges(*changes[r]);
      if (decoded.ok()) {
        blocks[i].state_changes = std::move(decoded).value();
      } else {
        blocks[i].state_changes_failure =
            AuditFailure{"bad_state_root", "stored state changes: " + decoded.status().ToString()};
      }
    }
  });

  struct Unit {
    size_t block, first, last;
    std::optional<AuditFailure> failure;
    size_t failure_index = 0;
  };
  std::vector<Unit> units;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const size_t n = blocks[b].raw_txs.size();
    for (size_t first = 0; first < n; first += kTxsPerUnit) {
      units.push_back(Unit{b, first, std::min(n, first + kTxsPerUnit), std::nullopt, 0});
    }
  }
  ParallelFor(units.size(), ctx.threads, [&](size_t u) {
    Unit& unit = units[u];
    CheckTxs(ctx, blocks[unit.block], unit.first, unit.last, unit.failure, unit.failure_index);
  });
  // Units of a block are in tx order: the first with a failure holds the block's first one.
  for (Unit& unit : units) {
    PreparedBlock& b = blocks[unit.block];
    if (unit.failure && !b.tx_failure) {
      b.tx_failure = std::move(unit.failure);
      b.tx_failure_index = unit.failure_index;
    }
  }
  for (PreparedBlock& b : blocks) {
    b.raw_txs.clear();
    b.raw_txs.shrink_to_fit();
  }
  return blocks;
}

}  // namespace govledger::ledger

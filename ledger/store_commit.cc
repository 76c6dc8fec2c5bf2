// The Store's write path: Store::CommitBlock and Store::CommitBlocks (one or several
// consecutive blocks in one pair of synced WriteBatches: the block store's first, then the main
// database's; ledger/store.h). Split from store.cc, which keeps opening and reading.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <mutex>
#include <unordered_set>
#include <utility>

#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "ledger/store.h"
#include "ledger/store_internal.h"
#include "ledger/store_state_tree.h"

namespace govledger::ledger {

using namespace store_internal;  // the key layout (ledger/store_internal.h)

Status Store::CommitBlock(const BlockWrite& w) { return CommitBlocks({&w}); }

Status Store::CommitBlocks(const std::vector<const BlockWrite*>& writes) {
  Impl& s = *impl_;
  if (writes.empty()) return Status::Ok();
  // The tip as each block of the batch finds it: the committed one, then each block's own.
  uint64_t height;
  Digest tip;
  uint64_t log_size;
  int64_t tip_time_ms;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    height = s.height;
    tip = s.tip_hash;
    log_size = s.log_size;
    tip_time_ms = s.tip_time_ms;
  }
  TopTree top = s.state_tree.top();
  leveldb::WriteBatch batch;   // the main database's
  leveldb::WriteBatch blocks;  // the block store's, written (and synced) first
  // A second location for one hash would make FindTx and the audit disagree with the log.
  std::unordered_set<Digest, crypto::DigestHasher> batch_txs;
  std::vector<const RecordWrite*> registry_writes;  // in order, for Impl::registry
  std::vector<std::string> latest_keys;             // the 'S' and 'T' rows written (Impl::latest)

  for (size_t b = 0; b < writes.size(); ++b) {
    const BlockWrite& w = *writes[b];
    // The header is taken from the bytes that are stored and hashed, not from the decoded copy.
    auto decoded = DecodeHeader(w.block.header_bytes);
    if (!decoded.ok()) return Status::Error("bad_block", decoded.status().message());
    const BlockHeader& header = *decoded;
    const uint64_t new_height = height + 1;
    if (header.height != new_height) {
      return Status::Error("bad_height", "block has height " + std::to_string(header.height) +
                                             ", the store expects " + std::to_string(new_height));
    }
    if (header.prev_hash != crypto::DigestBytes(tip)) {
      return Status::Error("bad_prev_hash", "block " + std::to_string(new_height) +
                                                " does not link to the tip " +
                                                crypto::DigestHex(tip));
    }
    if (crypto::Hash(s.suite, w.block.header_bytes) != w.block_hash) {
      return Status::Error("bad_block", "block_hash is not the hash of the header bytes");
    }
    if (w.tx_hashes.size() != w.block.txs.size() || header.tx_count != w.block.txs.size()) {
      return Status::Error("bad_block", "tx_count, tx_hashes and txs differ in number");
    }
    if (header.log_size != log_size + w.block.txs.size()) {
      return Status::Error("bad_block", "header log_size " + std::to_string(header.log_size) +
                                            " does not extend the log of " +
                                            std::to_string(log_size) + " by " +
                                            std::to_string(w.block.txs.size()));
    }
    if (w.commit.height != new_height || w.commit.block_hash != crypto::DigestBytes(w.block_hash)) {
      return Status::Error("bad_block", "certificate is not for this block");
    }
    // The state-map update must be the one for this tip; a header that carries a state_root must
    // carry this one. (Hand-built test chains leave state_root empty; the chain audit flags them.)
    std::optional<StateUpdate> computed;
    if (!w.state) {
      // Computed here on the committed tree, so only for the batch's first block; a later one
      // was executed on a pending parent (ledger::PendingChain), which computed it.
      if (b > 0) {
        return Status::Error("bad_block", "block " + std::to_string(new_height) +
                                              " comes after another in its batch without its "
                                              "state update");
      }
      computed = ComputeStateUpdate(*this, w);
    }
    const StateUpdate& state = w.state ? *w.state : *computed;
    if (state.base_height != height) {
      return Status::Error("bad_block", "the state update was computed on height " +
                                            std::to_string(state.base_height) + ", not the tip " +
                                            std::to_string(height));
    }
    if (!header.state_root.empty() && header.state_root != crypto::DigestBytes(state.root)) {
      return Status::Error("bad_state_root", "block " + std::to_string(new_height) +
                                                 " has a state_root other than its state update's");
    }

    blocks.Put(BlockRowKey(kBlock, new_height), AsSlice(EncodeBlock(w.block)));
    blocks.Put(BlockRowKey(kCommit, new_height), AsSlice(EncodeCommit(w.commit)));
    batch.Put(Key(kBlockHash, w.block_hash), U64String(new_height));

    for (size_t i = 0; i < w.tx_hashes.size(); ++i) {
      const Digest& h = w.tx_hashes[i];
      if (!batch_txs.insert(h).second || HasTx(h)) {
        return Status::Error("duplicate_tx",
                             "transaction " + crypto::DigestHex(h) + " is already committed");
      }
      TxLocation loc{new_height, static_cast<uint32_t>(i), log_size + i};
      latest_keys.push_back(Key(kTxLoc, h));
      batch.Put(latest_keys.back(), AsSlice(EncodeTxLocation(loc)));
    }

    // Index maintenance compares each material with its previous state: as the Executor read it
    // (BlockWrite::previous), else — a hand-built write, first in its batch — the committed one.
    const bool known_previous = w.previous.size() == w.materials.size();
    if (!known_previous && b > 0) {
      return Status::Error("bad_block", "block " + std::to_string(new_height) +
                                            " comes after another in its batch without its "
                                            "materials' previous states");
    }
    for (size_t mi = 0; mi < w.materials.size(); ++mi) {
      const Material& m = w.materials[mi];
      std::optional<Material> prev;
      if (known_previous) {
        prev = w.previous[mi];
      } else {
        auto committed = s.ReadMaterial(m.material_id);
        if (!committed.ok()) return committed.status();
        prev = std::move(committed).value();
      }
      const std::string& id = m.material_id;
      latest_keys.push_back(Key(kState, id));
      batch.Put(latest_keys.back(), AsSlice(EncodeMaterial(m)));

      const bool was_indexed = prev && RunsToExpiry(*prev);
      const bool now_indexed = RunsToExpiry(m);
      const bool same_expiry =
          was_indexed && now_indexed && prev->valid_until_ms == m.valid_until_ms;
      if (was_indexed && !same_expiry) batch.Delete(ExpiryKey(prev->valid_until_ms, id));
      if (now_indexed && !same_expiry) batch.Put(ExpiryKey(m.valid_until_ms, id), "");

      // Lookup indexes only grow: a document digest or holder that a material once had still
      // finds it (the caller then sees its current version and status).
      if (!prev || prev->doc_digest != m.doc_digest) {
        batch.Put(Key(kDigestIndex, m.doc_digest) + id, "");
      }
      if (!prev || prev->holder_commitment != m.holder_commitment) {
        batch.Put(Key(kHolderIndex, m.holder_commitment) + id, "");
      }
      if (!prev || prev->issuer != m.issuer) {
        batch.Put(SeparatedPrefix(kIssuerIndex, m.issuer) + id, "");
      }
      if (!prev || prev->type_code != m.type_code) {
        batch.Put(SeparatedPrefix(kTypeIndex, m.type_code) + id, "");
      }
    }

    for (const Event& e : w.events) {
      batch.Put(EventKey(e.material_id, e.seq), AsSlice(EncodeEvent(e)));
      // The record writes that go with the event, in order (a later write of a key wins).
      for (const RecordWrite& r : e.records) {
        const char table = static_cast<char>(r.table);
        GOVLEDGER_CHECK(IsRecordTable(table));
        if (r.table == Table::kRegistry) registry_writes.push_back(&r);
        if (r.value) {
          batch.Put(Key(table, r.key), AsSlice(*r.value));
        } else {
          batch.Delete(Key(table, r.key));
        }
      }
    }
    blocks.Put(BlockRowKey(kBlockEvents, new_height), AsSlice(EncodeEvents(w.events)));

    for (const auto& [level, index, hash] : w.log_nodes) {
      batch.Put(LogNodeKey(level, index), std::string(hash.begin(), hash.end()));
    }
    s.state_tree.Write(batch, state, top);
    blocks.Put(BlockRowKey(LevelStateTree::kJournalTable, new_height),
               AsSlice(EncodeStateChanges(state.changes)));
    top = LevelStateTree::After(top, state);

    height = new_height;
    tip = w.block_hash;
    log_size += w.block.txs.size();
    tip_time_ms = header.time_ms;
  }

  batch.Put(Key(kMeta, kMetaHeight), U64String(height));
  batch.Put(Key(kMeta, kMetaTipHash), std::string(tip.begin(), tip.end()));
  batch.Put(Key(kMeta, kMetaLogSize), U64String(log_size));
  batch.Put(Key(kMeta, kMetaTipTime), U64String(static_cast<uint64_t>(tip_time_ms)));

  leveldb::WriteOptions wo;
  wo.sync = true;
  {
    std::lock_guard<std::mutex> commit_lock(s.commit_mu);
    s.FilterAdd(latest_keys);  // before the write (ledger/store_filter.cc)
    leveldb::Status st = s.blocks->Write(wo, &blocks);
    if (st.ok()) st = s.db->Write(wo, &batch);
    // Even after a failed write: whether LevelDB applied it is not known.
    s.latest.Forget(latest_keys);
    s.FilterRebuildIfFull();
    if (!st.ok()) {
      const std::string which = writes.size() == 1
                                    ? "block " + std::to_string(height)
                                    : "blocks " + std::to_string(height - writes.size() + 1) +
                                          " to " + std::to_string(height);
      return Status::Error("store_write_failed", "committing " + which + ": " + st.ToString());
    }
    s.state_tree.Committed(std::move(top));
    for (const BlockWrite* w : writes) s.nodes.Committed(w->log_nodes);
    if (!registry_writes.empty()) {
      auto rows = std::make_shared<Impl::RecordMap>(*s.Registry());
      for (const RecordWrite* r : registry_writes) {
        if (r->value) {
          (*rows)[r->key] = *r->value;
        } else {
          rows->erase(r->key);
        }
      }
      std::lock_guard<std::mutex> lock(s.registry_mu);
      s.registry = std::move(rows);
    }
  }
  std::lock_guard<std::mutex> lock(s.mu);
  s.height = height;
  s.tip_hash = tip;
  s.log_size = log_size;
  s.tip_time_ms = tip_time_ms;
  return Status::Ok();
}

}  // namespace govledger::ledger

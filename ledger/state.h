// Read access to the ledger state (materials, committed transactions and the record tables of
// ledger/types.h: grants, usage counters, e-contracts, proposals, registry changes), and the
// overlay in which one block's writes accumulate before they are committed atomically. Contracts
// read through StateReader and never write to the store directly.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ledger/types.h"

namespace govledger::ledger {

class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Material> GetMaterial(std::string_view id) const = 0;
  // True if a transaction with this hash has been committed (replay protection).
  virtual bool HasTx(const Digest& tx_hash) const = 0;
  // Ids of materials that run towards an expiry (ExpiresInStatus: ACTIVE, ISSUED, SUSPENDED)
  // with 0 < valid_until_ms <= time_ms, ordered by (valid_until_ms, id), at most `limit`.
  virtual std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const = 0;

  // One record of a state table. The defaults describe a state without record tables (a reader
  // of materials only, as some tests use); the store and the overlay implement them.
  virtual std::optional<Bytes> GetRecord(Table table, std::string_view key) const;
  // Records of `table` whose key starts with `prefix`, in key order (bytewise), starting after
  // the key `after` when it is not empty, at most `limit` of them.
  virtual std::vector<std::pair<std::string, Bytes>> ScanRecords(Table table,
                                                                 std::string_view prefix,
                                                                 std::string_view after,
                                                                 size_t limit) const;
};

// One block's pending state on top of a committed StateReader. Not thread-safe.
class Overlay : public StateReader {
 public:
  explicit Overlay(const StateReader& base) : base_(&base) {}

  std::optional<Material> GetMaterial(std::string_view id) const override;
  bool HasTx(const Digest& tx_hash) const override;
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override;
  std::optional<Bytes> GetRecord(Table table, std::string_view key) const override;
  std::vector<std::pair<std::string, Bytes>> ScanRecords(Table table, std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override;

  void PutMaterial(const Material& m);
  // The material's state in the base, before this overlay's writes: what GetMaterial answered
  // from the base (kept, so that the store's index maintenance gets it without a second read),
  // else read now.
  std::optional<Material> BaseMaterial(std::string_view id) const;
  // Reads from `base` from now on: for a caller that knows it holds the same state as the old
  // base (ledger::PendingChain::Rebase).
  void Rebase(const StateReader& base) { base_ = &base; }
  // Records the event and applies the record writes it carries (Event::records).
  void AddEvent(const Event& e);
  void AddTx(const Digest& tx_hash);
  void PutRecord(const RecordWrite& w);

  // Pending writes: materials keyed by id (latest wins), events in the order they were made
  // (with their record writes), and the resulting record table entries (nullopt: deleted).
  const std::map<std::string, Material, std::less<>>& materials() const { return materials_; }
  const std::vector<Event>& events() const { return events_; }
  const std::map<std::string, std::optional<Bytes>, std::less<>>& records() const {
    return records_;
  }

 private:
  const StateReader* base_;
  std::map<std::string, Material, std::less<>> materials_;
  // The base's answers to GetMaterial (nullopt: absent there), for BaseMaterial. Valid as long
  // as the base holds the same materials (as Rebase requires).
  mutable std::map<std::string, std::optional<Material>, std::less<>> base_materials_;
  // (valid_until_ms, id) of the materials above that run towards an expiry, so that
  // DueForExpiry reads the due ones, not every pending material.
  std::set<std::pair<int64_t, std::string>> expiring_;
  std::vector<Event> events_;
  std::unordered_set<Digest, crypto::DigestHasher> txs_;
  std::map<std::string, std::optional<Bytes>, std::less<>> records_;  // table byte + key
};

}  // namespace govledger::ledger

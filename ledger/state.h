// Read access to the material state, and the overlay in which one block's writes accumulate
// before they are committed atomically. Contracts read through StateReader and never write to the
// store directly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/types.h"

namespace govledger::ledger {

class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Material> GetMaterial(std::string_view id) const = 0;
  // True if a transaction with this hash has been committed (replay protection).
  virtual bool HasTx(const Digest& tx_hash) const = 0;
  // Ids of ACTIVE materials with 0 < valid_until_ms <= time_ms, ordered by (valid_until_ms, id),
  // at most `limit` of them.
  virtual std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const = 0;
};

// One block's pending state on top of a committed StateReader. Not thread-safe.
class Overlay : public StateReader {
 public:
  explicit Overlay(const StateReader& base) : base_(base) {}

  std::optional<Material> GetMaterial(std::string_view id) const override;
  bool HasTx(const Digest& tx_hash) const override;
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override;

  void PutMaterial(const Material& m);
  void AddEvent(const Event& e);
  void AddTx(const Digest& tx_hash);

  // Pending writes: materials keyed by id (latest wins), events in the order they were made.
  const std::map<std::string, Material, std::less<>>& materials() const { return materials_; }
  const std::vector<Event>& events() const { return events_; }

 private:
  const StateReader& base_;
  std::map<std::string, Material, std::less<>> materials_;
  std::vector<Event> events_;
  std::vector<Digest> txs_;
};

}  // namespace govledger::ledger

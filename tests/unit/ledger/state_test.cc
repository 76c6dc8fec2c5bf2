#include "ledger/state.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>

namespace govledger::ledger {
namespace {

// A committed state held in memory, implementing the StateReader contract directly.
class FakeState : public StateReader {
 public:
  void Put(const Material& m) { materials_[m.material_id] = m; }
  void AddTx(const Digest& d) { txs_.push_back(d); }
  mutable size_t last_limit = 0;

  mutable size_t material_reads = 0;

  std::optional<Material> GetMaterial(std::string_view id) const override {
    ++material_reads;
    auto it = materials_.find(id);
    if (it == materials_.end()) return std::nullopt;
    return it->second;
  }
  bool HasTx(const Digest& tx_hash) const override {
    return std::find(txs_.begin(), txs_.end(), tx_hash) != txs_.end();
  }
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override {
    last_limit = limit;
    std::vector<std::pair<int64_t, std::string>> due;
    for (const auto& [id, m] : materials_) {
      if (m.status == MaterialStatus::kActive && m.valid_until_ms > 0 &&
          m.valid_until_ms <= time_ms) {
        due.emplace_back(m.valid_until_ms, id);
      }
    }
    std::sort(due.begin(), due.end());
    std::vector<std::string> out;
    for (const auto& d : due) {
      if (out.size() == limit) break;
      out.push_back(d.second);
    }
    return out;
  }

 private:
  std::map<std::string, Material, std::less<>> materials_;
  std::vector<Digest> txs_;
};

Material Mat(const std::string& id, int64_t until,
             MaterialStatus status = MaterialStatus::kActive) {
  Material m;
  m.material_id = id;
  m.valid_until_ms = until;
  m.status = status;
  return m;
}

Digest D(uint8_t b) {
  Digest d{};
  d[0] = b;
  return d;
}

TEST_CASE("overlay reads its own writes first and falls through to the base", "[ledger]") {
  FakeState base;
  base.Put(Mat("a", 10));
  base.Put(Mat("b", 20));
  Overlay o(base);
  o.PutMaterial(Mat("a", 99, MaterialStatus::kRevoked));
  o.PutMaterial(Mat("c", 30));
  CHECK(o.GetMaterial("a")->status == MaterialStatus::kRevoked);
  CHECK(o.GetMaterial("a")->valid_until_ms == 99);
  CHECK(o.GetMaterial("b")->valid_until_ms == 20);
  CHECK(o.GetMaterial("c")->valid_until_ms == 30);
  CHECK_FALSE(o.GetMaterial("d").has_value());
  // The base is untouched.
  CHECK(base.GetMaterial("a")->status == MaterialStatus::kActive);
  CHECK_FALSE(base.GetMaterial("c").has_value());
  // Latest write wins.
  o.PutMaterial(Mat("c", 31));
  CHECK(o.GetMaterial("c")->valid_until_ms == 31);
  CHECK(o.materials().size() == 2);
}

TEST_CASE("overlay answers a material's base state after writing it, from the read it already made",
          "[ledger]") {
  FakeState base;
  base.Put(Mat("a", 10));
  Overlay o(base);
  CHECK(o.GetMaterial("a")->valid_until_ms == 10);  // as a contract reads before it writes
  CHECK_FALSE(o.GetMaterial("n").has_value());      // and as an issue checks a new id
  const size_t reads = base.material_reads;
  o.PutMaterial(Mat("a", 99, MaterialStatus::kRevoked));
  o.PutMaterial(Mat("n", 30));
  CHECK(o.BaseMaterial("a")->valid_until_ms == 10);
  CHECK(o.BaseMaterial("a")->status == MaterialStatus::kActive);
  CHECK_FALSE(o.BaseMaterial("n").has_value());
  CHECK(base.material_reads == reads);  // no second read of the base
  CHECK(o.GetMaterial("a")->status == MaterialStatus::kRevoked);
  // A material written without a read first is read from the base once.
  base.Put(Mat("w", 40));
  o.PutMaterial(Mat("w", 41));
  CHECK(o.BaseMaterial("w")->valid_until_ms == 40);
  CHECK(o.BaseMaterial("w")->valid_until_ms == 40);
  CHECK(base.material_reads == reads + 1);
}

TEST_CASE("overlay HasTx sees both pending and committed transactions", "[ledger]") {
  FakeState base;
  base.AddTx(D(1));
  Overlay o(base);
  o.AddTx(D(2));
  CHECK(o.HasTx(D(1)));
  CHECK(o.HasTx(D(2)));
  CHECK_FALSE(o.HasTx(D(3)));
  CHECK_FALSE(base.HasTx(D(2)));
}

TEST_CASE("overlay keeps events in the order they were added", "[ledger]") {
  FakeState base;
  Overlay o(base);
  Event e1, e2;
  e1.material_id = "x";
  e2.material_id = "y";
  o.AddEvent(e1);
  o.AddEvent(e2);
  REQUIRE(o.events().size() == 2);
  CHECK(o.events()[0].material_id == "x");
  CHECK(o.events()[1].material_id == "y");
}

TEST_CASE("overlay expiry merges base and overlay and respects overlay changes", "[ledger]") {
  FakeState base;
  base.Put(Mat("a", 10));
  base.Put(Mat("b", 20));
  base.Put(Mat("c", 30));
  base.Put(Mat("d", 40));
  base.Put(Mat("late", 1000));
  Overlay o(base);
  o.PutMaterial(Mat("b", 20, MaterialStatus::kRevoked));  // revoked in this block
  o.PutMaterial(Mat("c", 500));                           // validity extended past the time
  o.PutMaterial(Mat("n", 15));                            // new, already due
  o.PutMaterial(Mat("z", 10));                            // new, same expiry as "a"
  o.PutMaterial(Mat("never", 0));                         // no expiry

  CHECK(o.DueForExpiry(100, 10) == std::vector<std::string>{"a", "z", "n", "d"});
  CHECK(o.DueForExpiry(100, 2) == std::vector<std::string>{"a", "z"});
  CHECK(o.DueForExpiry(12, 10) == std::vector<std::string>{"a", "z"});
  CHECK(o.DueForExpiry(9, 10).empty());
  CHECK(o.DueForExpiry(100, 0).empty());
  // The base was asked for enough entries to survive the overlay's exclusions.
  o.DueForExpiry(100, 2);
  CHECK(base.last_limit == 2 + o.materials().size());
}

TEST_CASE("overlay expiry still fills the limit when overlay hides base entries", "[ledger]") {
  FakeState base;
  for (int i = 0; i < 6; ++i) base.Put(Mat("m" + std::to_string(i), 10 + i));
  Overlay o(base);
  o.PutMaterial(Mat("m0", 10, MaterialStatus::kExpired));
  o.PutMaterial(Mat("m1", 11, MaterialStatus::kRevoked));
  CHECK(o.DueForExpiry(100, 3) == std::vector<std::string>{"m2", "m3", "m4"});
}

TEST_CASE("overlay expiry answers a material written twice by its latest state only", "[ledger]") {
  FakeState base;
  Overlay o(base);
  o.PutMaterial(Mat("p", 10));
  o.PutMaterial(Mat("p", 50));  // extended: due at 50, not at 10
  o.PutMaterial(Mat("q", 20));
  o.PutMaterial(Mat("q", 20, MaterialStatus::kRevoked));  // revoked: never due
  o.PutMaterial(Mat("r", 30, MaterialStatus::kSuspended));
  o.PutMaterial(Mat("r", 5));  // reinstated with an earlier expiry
  CHECK(o.DueForExpiry(40, 10) == std::vector<std::string>{"r"});
  CHECK(o.DueForExpiry(100, 10) == std::vector<std::string>{"r", "p"});
  CHECK(o.DueForExpiry(100, 1) == std::vector<std::string>{"r"});
}

TEST_CASE("overlay expiry takes the earliest due of many pending materials up to the limit",
          "[ledger]") {
  FakeState base;
  base.Put(Mat("base-07", 7));
  Overlay o(base);
  for (int i = 999; i >= 0; --i) {
    char id[16];
    std::snprintf(id, sizeof id, "m%04d", i);
    o.PutMaterial(Mat(id, 1000 + i));
  }
  CHECK(o.DueForExpiry(1002, 10) == std::vector<std::string>{"base-07", "m0000", "m0001", "m0002"});
  const std::vector<std::string> first = o.DueForExpiry(5000, 3);
  CHECK(first == std::vector<std::string>{"base-07", "m0000", "m0001"});
  CHECK(o.DueForExpiry(999, 10) == std::vector<std::string>{"base-07"});
}

}  // namespace
}  // namespace govledger::ledger

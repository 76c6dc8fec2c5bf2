#include "node/mempool.h"

#include <catch2/catch.hpp>

using namespace govledger;

namespace {
node::TxPtr FakeTx(uint8_t tag, size_t size) {
  auto tx = std::make_shared<ledger::Tx>();
  tx->hash.fill(tag);
  tx->raw.assign(size, tag);
  return tx;
}
}  // namespace

TEST_CASE("mempool keeps arrival order and rejects a duplicate hash", "[node]") {
  node::Mempool pool(10, 1 << 20);
  REQUIRE(pool.Add(FakeTx(1, 10)).ok());
  REQUIRE(pool.Add(FakeTx(2, 10)).ok());
  Status dup = pool.Add(FakeTx(1, 10));
  REQUIRE(dup.code() == "duplicate_tx");
  auto batch = pool.Peek(10);
  REQUIRE(batch.size() == 2);
  REQUIRE(batch[0]->hash[0] == 1);
  REQUIRE(batch[1]->hash[0] == 2);
}

TEST_CASE("mempool refuses transactions over its count or byte limit", "[node]") {
  node::Mempool by_count(2, 1 << 20);
  REQUIRE(by_count.Add(FakeTx(1, 10)).ok());
  REQUIRE(by_count.Add(FakeTx(2, 10)).ok());
  REQUIRE(by_count.Add(FakeTx(3, 10)).code() == "mempool_full");

  node::Mempool by_bytes(100, 25);
  REQUIRE(by_bytes.Add(FakeTx(1, 20)).ok());
  REQUIRE(by_bytes.Add(FakeTx(2, 10)).code() == "mempool_full");
  REQUIRE(by_bytes.bytes() == 20);
}

TEST_CASE("mempool remove frees space and forgets the hash", "[node]") {
  node::Mempool pool(1, 1 << 20);
  auto tx = FakeTx(7, 10);
  REQUIRE(pool.Add(tx).ok());
  pool.Remove(tx->hash);
  REQUIRE_FALSE(pool.Contains(tx->hash));
  REQUIRE(pool.size() == 0);
  REQUIRE(pool.bytes() == 0);
  REQUIRE(pool.Add(FakeTx(8, 10)).ok());
  pool.Remove(tx->hash);  // absent: no effect
  REQUIRE(pool.size() == 1);
}

#include "util/bloom.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace govledger {
namespace {

std::string Key(const char* table, uint64_t i) { return table + std::to_string(i * 7919 + 13); }

TEST_CASE("a Bloom filter reports every key added as possibly present", "[util]") {
  ConcurrentBloom bloom(50'000);
  for (uint64_t i = 0; i < 100'000; ++i) bloom.Add(Key("S", i));  // twice its capacity
  for (uint64_t i = 0; i < 100'000; ++i) REQUIRE(bloom.MayContain(Key("S", i)));
  CHECK(bloom.added() == 100'000);
  CHECK(bloom.capacity() == 50'000);
}

TEST_CASE("a Bloom filter at its capacity reports about 1 % of other keys as present", "[util]") {
  ConcurrentBloom bloom(100'000);
  for (uint64_t i = 0; i < 100'000; ++i) bloom.Add(Key("T", i));
  size_t false_positives = 0;
  for (uint64_t i = 100'000; i < 300'000; ++i) false_positives += bloom.MayContain(Key("T", i));
  // Blocked filters at 10 bits a key: ~1.2 % expected; the keys are fixed, so is the count.
  CHECK(false_positives < 200'000 * 2 / 100);
  CHECK(false_positives > 0);
  // Keys that differ only in their last bytes, or in length, are told apart as well.
  size_t short_hits = 0;
  for (uint64_t i = 0; i < 10'000; ++i) short_hits += bloom.MayContain("T" + std::to_string(i));
  CHECK(short_hits < 10'000 * 3 / 100);
  CHECK(bloom.bytes() == (100'000 * 10 + 511) / 512 * 64);
}

TEST_CASE("a Bloom filter read by threads while others add never misses a key added before",
          "[util]") {
  ConcurrentBloom bloom(200'000);
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&bloom, t] {
      for (uint64_t i = 0; i < 50'000; ++i) bloom.Add(Key(t == 0 ? "S" : "T", i));
    });
  }
  size_t reads = 0;
  std::thread reader([&] {
    for (uint64_t i = 0; i < 50'000; ++i) reads += bloom.MayContain(Key("X", i));
  });
  for (auto& w : writers) w.join();
  reader.join();
  for (uint64_t i = 0; i < 50'000; ++i) {
    REQUIRE(bloom.MayContain(Key("S", i)));
    REQUIRE(bloom.MayContain(Key("T", i)));
  }
  CHECK(bloom.added() == 100'000);
  CHECK(reads < 50'000);
}

}  // namespace
}  // namespace govledger

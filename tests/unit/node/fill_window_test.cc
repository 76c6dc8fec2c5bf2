#include <catch2/catch.hpp>

#include "node/consensus_driver.h"

namespace govledger::node {
namespace {

TEST_CASE("the fill window is block_fill_ms on a host at most half busy", "[node][fill]") {
  CHECK(FillWindowMs(5, 25, 0.0) == 5);
  CHECK(FillWindowMs(5, 25, 0.3) == 5);
  CHECK(FillWindowMs(5, 25, 0.5) == 5);
}

TEST_CASE("the fill window stretches linearly to block_fill_max_ms at 90 % busy", "[node][fill]") {
  CHECK(FillWindowMs(5, 25, 0.6) == 10);
  CHECK(FillWindowMs(5, 25, 0.7) == 15);
  CHECK(FillWindowMs(5, 25, 0.8) == 20);
  CHECK(FillWindowMs(5, 25, 0.9) == 25);
  CHECK(FillWindowMs(5, 25, 1.0) == 25);
  int64_t last = 0;
  for (int i = 0; i <= 100; ++i) {  // never shorter on a busier host
    const int64_t w = FillWindowMs(5, 25, i / 100.0);
    CHECK(w >= last);
    last = w;
  }
}

TEST_CASE("a block_fill_max_ms at or below block_fill_ms keeps the window fixed", "[node][fill]") {
  CHECK(FillWindowMs(5, 5, 1.0) == 5);
  CHECK(FillWindowMs(1000, 25, 1.0) == 1000);
  CHECK(FillWindowMs(0, 0, 1.0) == 0);
}

}  // namespace
}  // namespace govledger::node

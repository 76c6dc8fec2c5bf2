#include "node/rate_limit.h"

#include <catch2/catch.hpp>

using govledger::node::RateLimiter;

TEST_CASE("rate limiter allows a burst, then refuses with the time until the next token",
          "[node][rate_limit]") {
  RateLimiter limiter(/*rate_per_s=*/10, /*burst=*/5);
  const int64_t t0 = 1'000'000;
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.Take("10.0.0.1", t0).allowed);
  auto refused = limiter.Take("10.0.0.1", t0);
  REQUIRE_FALSE(refused.allowed);
  CHECK(refused.retry_after_ms == 100);  // one token per 100 ms at 10/s
  CHECK(limiter.refused() == 1);
}

TEST_CASE("rate limiter refills at its rate and never beyond the burst", "[node][rate_limit]") {
  RateLimiter limiter(10, 5);
  const int64_t t0 = 1'000'000;
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.Take("a", t0).allowed);
  REQUIRE_FALSE(limiter.Take("a", t0).allowed);
  // 250 ms later: two tokens back (2.5, rounded down by taking whole tokens).
  REQUIRE(limiter.Take("a", t0 + 250).allowed);
  REQUIRE(limiter.Take("a", t0 + 250).allowed);
  REQUIRE_FALSE(limiter.Take("a", t0 + 250).allowed);
  // An hour idle refills to the burst, not to 36,000 tokens.
  const int64_t later = t0 + 3'600'000;
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.Take("a", later).allowed);
  REQUIRE_FALSE(limiter.Take("a", later).allowed);
}

TEST_CASE("rate limiter keeps one bucket per client", "[node][rate_limit]") {
  RateLimiter limiter(1, 2);
  REQUIRE(limiter.Take("flooder", 0).allowed);
  REQUIRE(limiter.Take("flooder", 0).allowed);
  REQUIRE_FALSE(limiter.Take("flooder", 0).allowed);
  // Another client is not affected by the flood.
  REQUIRE(limiter.Take("citizen", 0).allowed);
  REQUIRE(limiter.Take("citizen", 0).allowed);
}

TEST_CASE("rate limiter with rate 0 allows everything", "[node][rate_limit]") {
  RateLimiter limiter(0, 1);
  REQUIRE_FALSE(limiter.enabled());
  for (int i = 0; i < 10'000; ++i) REQUIRE(limiter.Take("x", 0).allowed);
  CHECK(limiter.clients() == 0);
}

TEST_CASE("rate limiter table stays bounded under many client addresses", "[node][rate_limit]") {
  RateLimiter limiter(1, 1, /*max_clients=*/100);
  for (int i = 0; i < 10'000; ++i) limiter.Take("10.1." + std::to_string(i), 0);
  CHECK(limiter.clients() <= 100);
  // The most recent client is still tracked: its bucket is empty.
  REQUIRE_FALSE(limiter.Take("10.1.9999", 0).allowed);
}

TEST_CASE("rate limiter forgets idle clients whose bucket has refilled", "[node][rate_limit]") {
  RateLimiter limiter(10, 2);
  for (int i = 0; i < 50; ++i) limiter.Take("c" + std::to_string(i), 0);
  REQUIRE(limiter.clients() == 50);
  // Long after, the next request prunes the refilled buckets.
  limiter.Take("new", 60'000);
  CHECK(limiter.clients() == 1);
}

TEST_CASE("rate limiter gains nothing from a clock that steps back", "[node][rate_limit]") {
  RateLimiter limiter(10, 1);
  REQUIRE(limiter.Take("a", 10'000).allowed);
  REQUIRE_FALSE(limiter.Take("a", 5'000).allowed);
  REQUIRE_FALSE(limiter.Take("a", 10'000).allowed);
  REQUIRE(limiter.Take("a", 10'100).allowed);
}

TEST_CASE("rate limiter takes a batch's whole cost at once or nothing, with the wait for all of it",
          "[node][rate_limit]") {
  RateLimiter limiter(10, 10);  // 10 tokens a second, bursts of 10
  REQUIRE(limiter.Take("dept", 0, 6).allowed);  // 4 left
  govledger::node::RateDecision d = limiter.Take("dept", 0, 6);
  REQUIRE_FALSE(d.allowed);
  CHECK(d.retry_after_ms == 200);  // 2 tokens missing at 10 a second
  // The refused batch took nothing: the 4 tokens are still there for smaller requests.
  CHECK(limiter.Take("dept", 0, 4).allowed);
  CHECK_FALSE(limiter.Take("dept", 0).allowed);
  // Never more than the burst, however long the client waited.
  CHECK_FALSE(limiter.Take("dept", 3'600'000, 11).allowed);
  CHECK(limiter.Take("dept", 3'600'000, 10).allowed);
  CHECK(limiter.burst() == 10);
}

// Per-client token buckets for the HTTP API: each client address has a bucket that fills at
// `rate_per_s` tokens a second up to `burst`; a request takes one token or is refused with the
// time until the next token (the API answers 429 with Retry-After). The clock is passed in, so the
// limiter is deterministic under test. The table of clients is bounded: idle clients whose bucket
// has refilled are forgotten (they would start full anyway), and past `max_clients` the least
// recently seen client is dropped first.
//
// Not thread-safe: the io thread owns it.
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

namespace govledger::node {

struct RateDecision {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // when refused: until one token is back
};

class RateLimiter {
 public:
  // rate_per_s == 0 disables the limiter (every request is allowed). burst >= 1.
  RateLimiter(uint64_t rate_per_s, uint64_t burst, size_t max_clients = 100'000);

  // Takes `cost` tokens (a batch of n submissions costs n) or none: refused, with the time
  // until `cost` tokens are back. A cost above the burst is never allowed (the caller says so).
  RateDecision Take(const std::string& client, int64_t now_ms, uint64_t cost = 1);
  uint64_t burst() const { return static_cast<uint64_t>(burst_); }

  bool enabled() const { return rate_per_s_ > 0; }
  size_t clients() const { return buckets_.size(); }
  uint64_t refused() const { return refused_; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    std::list<std::string>::iterator lru;
  };
  void Refill(Bucket& b, int64_t now_ms) const;
  void Prune(int64_t now_ms);

  uint64_t rate_per_s_;
  double burst_;
  size_t max_clients_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // most recently seen first
  uint64_t refused_ = 0;
  int64_t last_prune_ms_ = 0;
};

}  // namespace govledger::node

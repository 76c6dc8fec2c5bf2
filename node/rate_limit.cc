#include "node/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace govledger::node {

namespace {
constexpr int64_t kPruneEveryMs = 10'000;
}  // namespace

RateLimiter::RateLimiter(uint64_t rate_per_s, uint64_t burst, size_t max_clients)
    : rate_per_s_(rate_per_s),
      burst_(static_cast<double>(std::max<uint64_t>(burst, 1))),
      max_clients_(std::max<size_t>(max_clients, 1)) {}

void RateLimiter::Refill(Bucket& b, int64_t now_ms) const {
  if (now_ms <= b.updated_ms) return;  // a clock that steps back adds nothing
  const double added =
      static_cast<double>(now_ms - b.updated_ms) * static_cast<double>(rate_per_s_) / 1000.0;
  b.tokens = std::min(burst_, b.tokens + added);
  b.updated_ms = now_ms;
}

void RateLimiter::Prune(int64_t now_ms) {
  // A bucket that has refilled completely carries no information: forget it.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now_ms);
    if (it->second.tokens >= burst_) {
      lru_.erase(it->second.lru);
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  last_prune_ms_ = now_ms;
}

RateDecision RateLimiter::Take(const std::string& client, int64_t now_ms, uint64_t cost) {
  if (rate_per_s_ == 0) return {};
  if (now_ms - last_prune_ms_ >= kPruneEveryMs) Prune(now_ms);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    while (buckets_.size() >= max_clients_ && !lru_.empty()) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(client);
    it = buckets_.emplace(client, Bucket{burst_, now_ms, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Bucket& b = it->second;
  Refill(b, now_ms);
  const double need = static_cast<double>(std::max<uint64_t>(cost, 1));
  if (b.tokens >= need) {
    b.tokens -= need;
    return {};
  }
  ++refused_;
  const double missing = need - b.tokens;
  const auto wait =
      static_cast<int64_t>(std::ceil(missing * 1000.0 / static_cast<double>(rate_per_s_)));
  return {false, std::max<int64_t>(wait, 1)};
}

}  // namespace govledger::node

// Software prefetch of one object: for lookups that land anywhere in tables of hundreds of
// megabytes (the chain audit's replayed state tree and latest-write map), started early enough
// that the cache misses of many lookups overlap instead of following one another.
#pragma once

#include <cstdint>

namespace govledger {

// Starts loading every cache line `*p` occupies (an object may straddle lines wherever it sits).
template <typename T>
inline void PrefetchObject(const T* p) {
  constexpr uintptr_t kLine = 64;
  const auto first = reinterpret_cast<uintptr_t>(p) & ~(kLine - 1);
  const auto last = reinterpret_cast<uintptr_t>(p) + sizeof(T) - 1;
  for (uintptr_t line = first; line <= last; line += kLine) {
    __builtin_prefetch(reinterpret_cast<const void*>(line));
  }
}

}  // namespace govledger

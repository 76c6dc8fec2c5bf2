// A Bloom filter of byte strings that many threads may read while others add to it: the keys
// added are always reported as possibly present; a key never added is reported as possibly present
// with a small probability (about 1 % at capacity, more past it). Blocked: a key's bits all lie in
// one 64-byte cache line, so a query costs one memory access. Sized once, for `capacity` keys at
// 10 bits a key; it never grows (its owner makes a larger one and fills it again).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace govledger {

class ConcurrentBloom {
 public:
  static constexpr size_t kBitsPerKey = 10;
  static constexpr uint64_t kMaxCapacity = uint64_t{1} << 34;  // 20 GiB; larger is clamped
  explicit ConcurrentBloom(uint64_t capacity);

  // Thread-safe. What an Add does is seen by a MayContain that happens after it (the usual
  // happens-before of threads: a mutex, a queue, a thread's start or join).
  void Add(std::string_view key);
  bool MayContain(std::string_view key) const;

  uint64_t capacity() const { return capacity_; }
  // Adds so far, a key added twice counted twice.
  uint64_t added() const { return added_.load(std::memory_order_relaxed); }
  size_t bytes() const { return blocks_ * kBlockBytes; }

 private:
  static constexpr size_t kBlockBytes = 64;
  static constexpr size_t kWordsPerBlock = kBlockBytes / 8;
  static constexpr int kProbes = 7;
  struct Probes {
    uint64_t first_word;  // of the key's block
    uint64_t bits;        // kProbes bit numbers in the block, nine bits each
  };
  Probes Locate(std::string_view key) const;

  uint64_t capacity_;
  uint64_t blocks_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::atomic<uint64_t> added_{0};
};

}  // namespace govledger

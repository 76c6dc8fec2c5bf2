#include "util/bloom.h"

#include <algorithm>
#include <cstring>

namespace govledger {

namespace {

uint64_t Mix(uint64_t h) {  // MurmurHash3's 64-bit finalizer
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// 64 bits of hash of the whole key, eight bytes at a time. Keys here are material ids and
// transaction hashes; the hash only has to spread them, not resist an adversary (a key chosen to
// collide costs its sender one LevelDB read, as every key did before the filter).
uint64_t Hash(std::string_view key) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (key.size() * 0xc2b2ae3d27d4eb4fULL);
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = Mix(h ^ w) * 0x9e3779b97f4a7c15ULL;
  }
  if (i < key.size()) {
    uint64_t w = 0;
    std::memcpy(&w, key.data() + i, key.size() - i);
    h = Mix(h ^ w ^ 0x5bd1e9955bd1e995ULL);
  }
  return Mix(h);
}

}  // namespace

ConcurrentBloom::ConcurrentBloom(uint64_t capacity)
    : capacity_(std::clamp<uint64_t>(capacity, 1, kMaxCapacity)),
      blocks_((capacity_ * kBitsPerKey + kBlockBytes * 8 - 1) / (kBlockBytes * 8)),
      words_(new std::atomic<uint64_t>[blocks_ * kWordsPerBlock]) {
  for (uint64_t i = 0; i < blocks_ * kWordsPerBlock; ++i) {
    words_[i].store(0, std::memory_order_relaxed);
  }
}

// The block is chosen by the hash's high half (multiply-shift onto [0, blocks)), the bits in it by
// a second mix, nine bits each (a bit of the block's 512).
ConcurrentBloom::Probes ConcurrentBloom::Locate(std::string_view key) const {
  const uint64_t h = Hash(key);
  const uint64_t block = ((h >> 32) * blocks_) >> 32;  // blocks_ < 2^32 (the constructor)
  return {block * kWordsPerBlock, Mix(h ^ 0xa0761d6478bd642fULL)};
}

void ConcurrentBloom::Add(std::string_view key) {
  Probes p = Locate(key);
  for (int i = 0; i < kProbes; ++i, p.bits >>= 9) {
    const unsigned bit = static_cast<unsigned>(p.bits & 511);
    words_[p.first_word + bit / 64].fetch_or(uint64_t{1} << (bit % 64), std::memory_order_release);
  }
  added_.fetch_add(1, std::memory_order_relaxed);
}

bool ConcurrentBloom::MayContain(std::string_view key) const {
  Probes p = Locate(key);
  for (int i = 0; i < kProbes; ++i, p.bits >>= 9) {
    const unsigned bit = static_cast<unsigned>(p.bits & 511);
    const uint64_t word = words_[p.first_word + bit / 64].load(std::memory_order_acquire);
    if ((word & (uint64_t{1} << (bit % 64))) == 0) return false;
  }
  return true;
}

}  // namespace govledger

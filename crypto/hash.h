// Hash and signature suites. A network fixes one suite in its genesis:
//   p256: SHA-256 + ECDSA P-256 (default; fastest verification in OpenSSL, native in WebCrypto),
//   sm:   SM3 + SM2 with the standard default distinguishing ID "1234567812345678"
//         (GB/T 32905, GB/T 32918).
// Everything goes through OpenSSL 3 EVP; no OpenSSL type appears in these headers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/status.h"

namespace govledger::crypto {

enum class Suite { kP256, kSm };

// "p256" / "sm".
std::string SuiteName(Suite suite);
Result<Suite> ParseSuite(std::string_view name);

// Both suites produce 32-byte digests.
inline constexpr size_t kDigestSize = 32;
using Digest = std::array<uint8_t, kDigestSize>;

// For unordered containers keyed by digests: any 8 bytes of a hash output are uniform.
struct DigestHasher {
  size_t operator()(const Digest& d) const {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | d[i];
    return static_cast<size_t>(v);
  }
};

Digest Hash(Suite suite, const uint8_t* data, size_t size);
// H(prefix || data) without copying the two together.
Digest HashPrefixed(Suite suite, const uint8_t* prefix, size_t prefix_size, const uint8_t* data,
                    size_t size);
inline Digest Hash(Suite suite, const Bytes& b) { return Hash(suite, b.data(), b.size()); }
inline Digest Hash(Suite suite, std::string_view s) {
  return Hash(suite, reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Bytes DigestBytes(const Digest& d);
Result<Digest> DigestFromBytes(const Bytes& b);
Result<Digest> DigestFromHex(std::string_view hex);
std::string DigestHex(const Digest& d);

// Incremental hashing, for files too large to hold in memory.
class Hasher {
 public:
  explicit Hasher(Suite suite);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(const uint8_t* data, size_t size);
  void Update(std::string_view s) {
    Update(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  Digest Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hashes a file by streaming it (no size limit).
Result<Digest> HashFile(Suite suite, const std::string& path);

// Cryptographically secure random bytes (OpenSSL's DRBG).
Bytes RandomBytes(size_t n);
uint64_t RandomU64();

}  // namespace govledger::crypto

#include "crypto/hash.h"

#include <fcntl.h>
// SHA256_Init and friends (below) are deprecated in OpenSSL 3; their use is deliberate.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "crypto/suite_digest.h"

namespace govledger::crypto {

namespace {

// Explicitly fetched once: the implicit fetch behind EVP_sha256()/EVP_sm3() would otherwise run a
// provider lookup on every digest, and the ledger hashes a lot of small inputs. Intentionally never
// freed (process lifetime, immutable, safe to share between threads).
const EVP_MD* FetchOnce(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    // Without the digest the node cannot validate anything; this is a broken OpenSSL install.
    std::cerr << "OpenSSL has no " << name << " digest\n";
    std::abort();
  }
  return md;
}

}  // namespace

const EVP_MD* SuiteDigest(Suite suite) {
  static const EVP_MD* const kSha256 = FetchOnce("SHA256");
  static const EVP_MD* const kSm3 = FetchOnce("SM3");
  return suite == Suite::kSm ? kSm3 : kSha256;
}

std::string SuiteName(Suite suite) { return suite == Suite::kSm ? "sm" : "p256"; }

Result<Suite> ParseSuite(std::string_view name) {
  if (name == "p256") return Suite::kP256;
  if (name == "sm") return Suite::kSm;
  return Status::Error("unknown_suite",
                       "unknown crypto suite '" + std::string(name) + "' (use p256 or sm)");
}

namespace {

// One digest context per thread and suite, set up once and re-initialised with its own digest
// (EVP_DigestInit_ex2 with no type) for each hash. EVP_Digest allocates, initialises and frees a
// context on every call, which is a third of the cost of hashing the ledger's small inputs (a
// 64-byte tree node: about 105 ns reused against 140-165 ns); naming the digest on every
// re-initialisation takes a reference on the shared EVP_MD, an atomic that threads hashing at
// once contend for (124 against 107 ns per hash on two threads).
class ThreadDigestContext {
 public:
  explicit ThreadDigestContext(Suite suite) : ctx_(EVP_MD_CTX_new()) {
    GOVLEDGER_CHECK(ctx_ != nullptr);
    GOVLEDGER_CHECK(EVP_DigestInit_ex2(ctx_, SuiteDigest(suite), nullptr) == 1);
  }
  ~ThreadDigestContext() { EVP_MD_CTX_free(ctx_); }
  ThreadDigestContext(const ThreadDigestContext&) = delete;
  ThreadDigestContext& operator=(const ThreadDigestContext&) = delete;
  EVP_MD_CTX* get() { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

// This thread's context for `suite`, made the first time the thread hashes under it.
EVP_MD_CTX* ThreadContext(Suite suite) {
  if (suite == Suite::kSm) {
    thread_local ThreadDigestContext sm(Suite::kSm);
    return sm.get();
  }
  thread_local ThreadDigestContext p256(Suite::kP256);
  return p256.get();
}

}  // namespace

Digest Hash(Suite suite, const uint8_t* data, size_t size) {
  return HashPrefixed(suite, nullptr, 0, data, size);
}

Digest HashPrefixed(Suite suite, const uint8_t* prefix, size_t prefix_size, const uint8_t* data,
                    size_t size) {
  Digest out{};
#if OPENSSL_VERSION_MAJOR < 4
  if (suite == Suite::kP256) {
    // OpenSSL's own SHA-256 functions, the same assembly as its EVP digest without the provider
    // dispatch: 89-97 ns against 107-111 for a tree node on two threads. They are deprecated in
    // OpenSSL 3 (still shipped and maintained); an OpenSSL without them takes the EVP path below.
    SHA256_CTX c;
    GOVLEDGER_CHECK(SHA256_Init(&c) == 1);
    if (prefix_size > 0) GOVLEDGER_CHECK(SHA256_Update(&c, prefix, prefix_size) == 1);
    GOVLEDGER_CHECK(SHA256_Update(&c, data, size) == 1);
    GOVLEDGER_CHECK(SHA256_Final(out.data(), &c) == 1);
    return out;
  }
#endif
  EVP_MD_CTX* ctx = ThreadContext(suite);
  unsigned int len = 0;
  // Digesting memory cannot fail for a fetched digest except on allocation failure.
  GOVLEDGER_CHECK(EVP_DigestInit_ex2(ctx, nullptr, nullptr) == 1);
  if (prefix_size > 0) GOVLEDGER_CHECK(EVP_DigestUpdate(ctx, prefix, prefix_size) == 1);
  GOVLEDGER_CHECK(EVP_DigestUpdate(ctx, data, size) == 1);
  GOVLEDGER_CHECK(EVP_DigestFinal_ex(ctx, out.data(), &len) == 1);
  GOVLEDGER_CHECK(len == kDigestSize);
  return out;
}

Bytes DigestBytes(const Digest& d) { return Bytes(d.begin(), d.end()); }

Result<Digest> DigestFromBytes(const Bytes& b) {
  if (b.size() != kDigestSize) {
    return Status::Error("bad_digest", "a digest is " + std::to_string(kDigestSize) +
                                           " bytes, got " + std::to_string(b.size()));
  }
  Digest d;
  std::memcpy(d.data(), b.data(), kDigestSize);
  return d;
}

Result<Digest> DigestFromHex(std::string_view hex) {
  Result<Bytes> b = HexDecode(hex);
  if (!b.ok()) return Status::Error("bad_digest", "digest is not hex: " + b.status().message());
  return DigestFromBytes(*b);
}

std::string DigestHex(const Digest& d) { return HexEncode(d.data(), d.size()); }

struct Hasher::Impl {
  const EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
};

Hasher::Hasher(Suite suite) : impl_(std::make_unique<Impl>()) {
  impl_->md = SuiteDigest(suite);
  impl_->ctx = EVP_MD_CTX_new();
  GOVLEDGER_CHECK(impl_->ctx != nullptr);
  GOVLEDGER_CHECK(EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) == 1);
}

Hasher::~Hasher() { EVP_MD_CTX_free(impl_->ctx); }

void Hasher::Update(const uint8_t* data, size_t size) {
  GOVLEDGER_CHECK(EVP_DigestUpdate(impl_->ctx, data, size) == 1);
}

Digest Hasher::Final() {
  Digest out{};
  unsigned int len = 0;
  GOVLEDGER_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1);
  GOVLEDGER_CHECK(len == kDigestSize);
  // Leave the hasher ready for a new message rather than in OpenSSL's "finalised" state, where a
  // further Update would fail.
  GOVLEDGER_CHECK(EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) == 1);
  return out;
}

Result<Digest> HashFile(Suite suite, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Error("not_found", "no such file: " + path);
    return Status::Error("io_error", "cannot open " + path + ": " + std::strerror(errno));
  }
  Hasher hasher(suite);
  // Heap buffer: 64 KiB on the stack is unfriendly to worker threads with small stacks.
  auto buf = std::make_unique<uint8_t[]>(64 * 1024);
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), 64 * 1024);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = Status::Error("io_error", "cannot read " + path + ": " + std::strerror(errno));
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    hasher.Update(buf.get(), static_cast<size_t>(n));
  }
  ::close(fd);
  return hasher.Final();
}

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  size_t off = 0;
  while (off < n) {
    // RAND_bytes takes an int length.
    int chunk = static_cast<int>(std::min<size_t>(n - off, INT_MAX));
    if (RAND_bytes(out.data() + off, chunk) != 1) {
      // Continuing without randomness would mean predictable keys or nonces.
      std::cerr << "RAND_bytes failed: the system random generator is unavailable\n";
      std::abort();
    }
    off += static_cast<size_t>(chunk);
  }
  return out;
}

uint64_t RandomU64() {
  Bytes b = RandomBytes(8);
  return ReadU64BE(b.data());
}

}  // namespace govledger::crypto

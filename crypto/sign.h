// Signing keys of both suites (see crypto/hash.h). Public keys travel as DER SubjectPublicKeyInfo
// bytes; private keys live in PKCS#8 PEM files written with mode 0600.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "crypto/hash.h"
#include "util/bytes.h"
#include "util/status.h"

namespace govledger::crypto {

// DER SubjectPublicKeyInfo of a P-256 or SM2 public key.
using PublicKey = Bytes;

// How a private key file is loaded. Key files must not be accessible by group or others (mode
// 0600 or stricter) unless allow_readable says otherwise; an encrypted PKCS#8 file ("BEGIN
// ENCRYPTED PRIVATE KEY") needs its passphrase.
struct KeyFileOptions {
  std::optional<std::string> passphrase;
  bool allow_readable = false;
};

// True when the PEM text is an encrypted PKCS#8 private key.
bool IsEncryptedPem(std::string_view pem);

class PrivateKey {
 public:
  ~PrivateKey();
  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;

  static Result<PrivateKey> Generate(Suite suite);
  // Parses a PKCS#8 PEM private key; the key's curve must match the suite. An encrypted key
  // needs the passphrase ("key_encrypted" without one, "bad_passphrase" with a wrong one).
  static Result<PrivateKey> FromPem(Suite suite, std::string_view pem,
                                    const std::optional<std::string>& passphrase = std::nullopt);
  // Reads and parses a key file. "key_permissions" when group or others can access it (and
  // opts.allow_readable is false), naming the file, its mode and the fix.
  static Result<PrivateKey> LoadPemFile(Suite suite, const std::string& path,
                                        const KeyFileOptions& opts = {});

  Suite suite() const;
  const PublicKey& public_key() const;
  std::string ToPem() const;
  // Encrypted PKCS#8 PEM: PBES2 with PBKDF2-HMAC-SHA256 (kPbkdf2Iterations) and AES-256-CBC.
  std::string ToEncryptedPem(const std::string& passphrase) const;
  static constexpr int kPbkdf2Iterations = 200'000;
  // Writes the PKCS#8 PEM (encrypted when a passphrase is given) atomically with mode 0600.
  Status SavePemFile(const std::string& path,
                     const std::optional<std::string>& passphrase = std::nullopt) const;

  // DER-encoded signature over msg (ECDSA with SHA-256, or SM2 with SM3 and the default ID).
  Bytes Sign(const uint8_t* msg, size_t size) const;
  Bytes Sign(const Bytes& msg) const { return Sign(msg.data(), msg.size()); }

 private:
  struct Impl;
  explicit PrivateKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies a DER signature over msg. Returns false (never crashes) for malformed keys or
// signatures, or keys of the other suite's curve.
bool Verify(Suite suite, const PublicKey& key, const uint8_t* msg, size_t size, const Bytes& sig);
inline bool Verify(Suite suite, const PublicKey& key, const Bytes& msg, const Bytes& sig) {
  return Verify(suite, key, msg.data(), msg.size(), sig);
}

// Verify keeps the public keys it has parsed in a bounded, thread-safe cache (parsing costs more
// than verifying); these are its counters, for metrics and tests.
struct VerifyKeyCacheStats {
  size_t entries = 0;
  size_t capacity = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
};
VerifyKeyCacheStats GetVerifyKeyCacheStats();

// Checks that bytes are a DER SubjectPublicKeyInfo of the suite's curve.
Status CheckPublicKey(Suite suite, const PublicKey& key);
// PEM "PUBLIC KEY" text form of a public key, and back.
Result<std::string> PublicKeyToPem(const PublicKey& key);
Result<PublicKey> PublicKeyFromPem(Suite suite, std::string_view pem);
// Short stable fingerprint for display and key lookup: hex of the first 8 bytes of H(key).
std::string Fingerprint(Suite suite, const PublicKey& key);

}  // namespace govledger::crypto

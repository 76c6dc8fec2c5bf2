#include "crypto/sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "crypto/suite_digest.h"
#include "util/file.h"

namespace govledger::crypto {

namespace {

// The default distinguishing ID of GM/T 0009-2012 and GB/T 35276-2017. OpenSSL 3 uses an empty ID
// unless one is set explicitly, which would not interoperate with other SM2 implementations.
constexpr char kSm2DefaultId[] = "1234567812345678";
constexpr size_t kSm2DefaultIdLen = sizeof(kSm2DefaultId) - 1;

// An uncompressed P-256 or SM2 SubjectPublicKeyInfo: 26 bytes of algorithm identifier and
// BIT STRING header, then the 65-byte point 04 || X || Y.
constexpr size_t kSpkiSize = 91;
constexpr size_t kSpkiPointOffset = 26;

// PEM private keys are a few hundred bytes; anything much larger is not a key file.
constexpr size_t kMaxPemSize = 64 * 1024;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Failures on untrusted input leave entries in OpenSSL's per-thread error queue; drop them so they
// are not misattributed to a later, unrelated OpenSSL call on the same thread.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

// Never prompts: with a null callback OpenSSL would ask for a passphrase on the terminal when
// handed an encrypted PEM, blocking a daemon.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

std::string GroupName(EVP_PKEY* pkey) {
  char name[80];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name, sizeof name, &len) != 1) return "";
  return std::string(name, len);
}

std::string DescribeKey(EVP_PKEY* pkey) {
  const char* type = EVP_PKEY_get0_type_name(pkey);
  std::string out = type != nullptr ? type : "unknown";
  std::string group = GroupName(pkey);
  if (!group.empty()) out += " (" + group + ")";
  return out;
}

// In OpenSSL 3 an SM2 key has its own key type "SM2" (not "EC"), and only that type signs with
// SM2 rather than ECDSA; a P-256 key is an "EC" key on the named group prime256v1.
Status CheckKeyType(Suite suite, EVP_PKEY* pkey) {
  if (suite == Suite::kSm) {
    if (EVP_PKEY_is_a(pkey, "SM2")) return Status::Ok();
    return Status::Error("wrong_key_type", "suite sm needs an SM2 key, got " + DescribeKey(pkey));
  }
  if (EVP_PKEY_is_a(pkey, "EC") && GroupName(pkey) == "prime256v1") return Status::Ok();
  return Status::Error("wrong_key_type",
                       "suite p256 needs an EC P-256 key, got " + DescribeKey(pkey));
}

Bytes EncodePublicKey(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Parses a public key and insists on the one canonical encoding (named curve, uncompressed point,
// DER), so that a key has exactly one byte form: keys are compared and looked up by their bytes
// and fingerprints.
Result<PkeyPtr> ParsePublicKey(Suite suite, const PublicKey& key) {
  if (key.size() != kSpkiSize || key[kSpkiPointOffset] != 0x04) {
    return Status::Error("bad_public_key", "not an uncompressed P-256/SM2 SubjectPublicKeyInfo (" +
                                               std::to_string(key.size()) + " bytes)");
  }
  const unsigned char* p = key.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.size())));
  if (pkey == nullptr) {
    return Status::Error("bad_public_key", "not a valid DER SubjectPublicKeyInfo");
  }
  if (p != key.data() + key.size()) {
    return Status::Error("bad_public_key", "trailing bytes after the SubjectPublicKeyInfo");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckKeyType(suite, pkey.get()));
  if (EncodePublicKey(pkey.get()) != key) {
    return Status::Error("bad_public_key", "public key is not in canonical DER form");
  }
  return pkey;
}

// Public keys parsed by Verify, by suite and DER bytes. Parsing a SubjectPublicKeyInfo (decode,
// curve check, canonical re-encoding) costs more than the verification itself in OpenSSL 3, and a
// ledger sees the same few department and validator keys over and over. Only keys that passed
// ParsePublicKey are cached, so a hit is exactly as valid as a fresh parse; a malformed key is
// parsed (and rejected) every time.
//
// Thread-safe: the keys are spread over shards by hash, each behind its own mutex, so verifier
// threads rarely contend. Bounded: each shard forgets its oldest entry when full (FIFO). A cached
// EVP_PKEY is never modified after parsing, and OpenSSL 3 allows such a key to be used by several
// threads at once; each caller gets its own reference (EVP_PKEY_up_ref).
class ParsedKeyCache {
 public:
  static constexpr size_t kShards = 16;
  // 1,024 keys in all (well under a megabyte): every department and validator key of a large
  // deployment with room to spare; holders' own keys, each seldom used, come and go.
  static constexpr size_t kMaxPerShard = 64;

  // A new reference to the cached key, or null.
  PkeyPtr Find(Suite suite, const PublicKey& key) {
    std::string_view k = View(key);
    Shard& shard = ShardFor(k);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto& map = shard.maps[Index(suite)];
    auto it = map.find(k);
    if (it == map.end()) {
      ++shard.misses;
      return nullptr;
    }
    ++shard.hits;
    GOVLEDGER_CHECK(EVP_PKEY_up_ref(it->second.get()) == 1);
    return PkeyPtr(it->second.get());
  }

  // Remembers a parsed key (taking a new reference to it).
  void Insert(Suite suite, const PublicKey& key, EVP_PKEY* pkey) {
    std::string k(View(key));
    Shard& shard = ShardFor(k);
    GOVLEDGER_CHECK(EVP_PKEY_up_ref(pkey) == 1);
    PkeyPtr ref(pkey);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto& map = shard.maps[Index(suite)];
    if (map.count(k) > 0) return;  // another thread parsed it too
    if (shard.order.size() >= kMaxPerShard) {
      auto& [old_suite, old_key] = shard.order.front();
      shard.maps[old_suite].erase(old_key);
      shard.order.pop_front();
    }
    shard.order.emplace_back(Index(suite), k);
    map.emplace(std::move(k), std::move(ref));
  }

  VerifyKeyCacheStats Stats() {
    VerifyKeyCacheStats st;
    st.capacity = kShards * kMaxPerShard;
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      st.entries += shard.order.size();
      st.hits += shard.hits;
      st.misses += shard.misses;
    }
    return st;
  }

 private:
  // Transparent hashing: lookups by string_view, without copying the key bytes.
  struct ViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, PkeyPtr, ViewHash, std::equal_to<>>;
  struct Shard {
    std::mutex mu;
    std::array<Map, 2> maps;                             // by suite
    std::deque<std::pair<size_t, std::string>> order;    // (suite index, key), oldest first
    uint64_t hits = 0;
    uint64_t misses = 0;
  };

  static std::string_view View(const PublicKey& key) {
    return std::string_view(reinterpret_cast<const char*>(key.data()), key.size());
  }
  static size_t Index(Suite suite) { return suite == Suite::kSm ? 1 : 0; }
  Shard& ShardFor(std::string_view k) {
    // The low bytes of the point's Y coordinate: spread evenly, and cheaper than a second hash.
    return shards_[static_cast<uint8_t>(k.empty() ? 0 : k.back()) % kShards];
  }

  std::array<Shard, kShards> shards_;
};

ParsedKeyCache& KeyCache() {
  // Never destroyed: verifier threads may still run while static destructors do.
  static ParsedKeyCache* cache = new ParsedKeyCache();
  return *cache;
}

// The parsed key for Verify: from the cache, or parsed (and then cached).
Result<PkeyPtr> ParsePublicKeyCached(Suite suite, const PublicKey& key) {
  if (PkeyPtr hit = KeyCache().Find(suite, key)) return hit;
  Result<PkeyPtr> parsed = ParsePublicKey(suite, key);
  if (parsed.ok()) KeyCache().Insert(suite, key, parsed->get());
  return parsed;
}

// Prepares ctx for signing or verifying with the suite's digest; for SM2 also attaches the
// default distinguishing ID (the documented OpenSSL pattern: the ID goes on an EVP_PKEY_CTX that
// is handed to the EVP_MD_CTX before the DigestSign/VerifyInit call). `pctx_owner` keeps that
// EVP_PKEY_CTX alive: EVP_MD_CTX_set_pkey_ctx does not take ownership.
bool InitSignOrVerify(Suite suite, EVP_PKEY* pkey, bool sign, EVP_MD_CTX* mctx,
                      PkeyCtxPtr& pctx_owner) {
  if (suite == Suite::kSm) {
    pctx_owner.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (pctx_owner == nullptr) return false;
    if (EVP_PKEY_CTX_set1_id(pctx_owner.get(), kSm2DefaultId, kSm2DefaultIdLen) != 1) return false;
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx_owner.get());
  }
  int rc = sign ? EVP_DigestSignInit(mctx, nullptr, SuiteDigest(suite), nullptr, pkey)
                : EVP_DigestVerifyInit(mctx, nullptr, SuiteDigest(suite), nullptr, pkey);
  return rc == 1;
}

// Generated and loaded keys are re-encoded with uncompressed points so that public_key() is
// always the canonical form CheckPublicKey accepts, whatever form a PEM file used.
bool SetUncompressed(EVP_PKEY* pkey) {
  return EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                        "uncompressed") == 1;
}

}  // namespace

struct PrivateKey::Impl {
  Impl(Suite s, PkeyPtr k, PublicKey pub)
      : suite(s), pkey(std::move(k)), public_key(std::move(pub)) {}
  Suite suite;
  PkeyPtr pkey;
  PublicKey public_key;  // canonical DER SPKI, derived once
};

PrivateKey::PrivateKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

namespace {

struct CheckedKey {
  PkeyPtr pkey;
  PublicKey public_key;
};

// Shared tail of Generate and FromPem: validates the key against the suite and derives the
// canonical public key.
Result<CheckedKey> CheckPrivateKey(Suite suite, PkeyPtr pkey) {
  GOVLEDGER_RETURN_IF_ERROR(CheckKeyType(suite, pkey.get()));
  if (!SetUncompressed(pkey.get())) {
    return Status::Error("bad_private_key", "cannot set the point format of the key");
  }
  // A key file whose embedded public point does not match its private scalar would produce
  // signatures nobody can verify; catch that when loading rather than in production.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_pairwise_check(check.get()) != 1) {
    return Status::Error("bad_private_key", "private and public halves of the key do not match");
  }
  Bytes pub = EncodePublicKey(pkey.get());
  Result<PkeyPtr> reparsed = ParsePublicKey(suite, pub);
  if (!reparsed.ok()) {
    return Status::Error("bad_private_key",
                         "key has an unusable public key: " + reparsed.status().message());
  }
  return CheckedKey{std::move(pkey), std::move(pub)};
}

}  // namespace

Result<PrivateKey> PrivateKey::Generate(Suite suite) {
  ErrorQueueGuard guard;
  PkeyPtr pkey(suite == Suite::kSm ? EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2")
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (pkey == nullptr) {
    return Status::Error("keygen_failed",
                         "OpenSSL could not generate a " + SuiteName(suite) + " key");
  }
  Result<CheckedKey> checked = CheckPrivateKey(suite, std::move(pkey));
  if (!checked.ok()) return checked.status();
  return PrivateKey(
      std::make_unique<Impl>(suite, std::move(checked->pkey), std::move(checked->public_key)));
}

bool IsEncryptedPem(std::string_view pem) {
  return pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos;
}

Result<PrivateKey> PrivateKey::FromPem(Suite suite, std::string_view pem,
                                       const std::optional<std::string>& passphrase) {
  ErrorQueueGuard guard;
  if (pem.empty() || pem.size() > kMaxPemSize) {
    return Status::Error("bad_private_key",
                         "not a PEM private key (" + std::to_string(pem.size()) + " bytes)");
  }
  const bool encrypted = IsEncryptedPem(pem);
  if (encrypted && !passphrase) {
    return Status::Error("key_encrypted",
                         "the key is passphrase-protected and no passphrase was given");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return Status::Error("bad_private_key", "out of memory");
  // With a null callback OpenSSL takes the passphrase from the user data pointer.
  PkeyPtr pkey(encrypted ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr,
                                                   const_cast<char*>(passphrase->c_str()))
                         : PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    if (encrypted) {
      return Status::Error("bad_passphrase",
                           "wrong passphrase for the encrypted key (or the file is damaged)");
    }
    return Status::Error("bad_private_key",
                         "not a PEM private key (PKCS#8 \"PRIVATE KEY\" or \"ENCRYPTED PRIVATE "
                         "KEY\")");
  }
  Result<CheckedKey> checked = CheckPrivateKey(suite, std::move(pkey));
  if (!checked.ok()) return checked.status();
  return PrivateKey(
      std::make_unique<Impl>(suite, std::move(checked->pkey), std::move(checked->public_key)));
}

Result<PrivateKey> PrivateKey::LoadPemFile(Suite suite, const std::string& path,
                                           const KeyFileOptions& opts) {
  struct stat st {};
  // A missing or unreadable file is reported by ReadFile below.
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && !opts.allow_readable) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Error(
        "key_permissions",
        path + " holds a private key but has mode " + mode +
            " (group or others can access it); fix it with `chmod 600 " + path +
            "`, or override explicitly (node.toml [keys] allow_readable_keys = true; for the "
            "govledger CLI GOVLEDGER_ALLOW_READABLE_KEYS=1)");
  }
  Result<std::string> pem = ReadFile(path, kMaxPemSize);
  if (!pem.ok()) return pem.status();
  Result<PrivateKey> key = FromPem(suite, *pem, opts.passphrase);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return Status::Error(key.status().code(), path + ": " + key.status().message());
  }
  return key;
}

Suite PrivateKey::suite() const { return impl_->suite; }

const PublicKey& PrivateKey::public_key() const { return impl_->public_key; }

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  GOVLEDGER_CHECK(bio != nullptr);
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  GOVLEDGER_CHECK(PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0,
                                           nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  GOVLEDGER_CHECK(len > 0 && data != nullptr);
  std::string pem(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

std::string PrivateKey::ToEncryptedPem(const std::string& passphrase) const {
  ErrorQueueGuard guard;
  struct P8InfFree {
    void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
  };
  struct SigFree {
    void operator()(X509_SIG* p) const { X509_SIG_free(p); }
  };
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8InfFree> info(EVP_PKEY2PKCS8(impl_->pkey.get()));
  GOVLEDGER_CHECK(info != nullptr);
  // pbe_nid -1: PBES2 with the given cipher; OpenSSL 3 uses PBKDF2 with HMAC-SHA256 and a random
  // salt and IV.
  std::unique_ptr<X509_SIG, SigFree> sealed(PKCS8_encrypt(
      -1, EVP_aes_256_cbc(), passphrase.data(), static_cast<int>(passphrase.size()), nullptr, 0,
      kPbkdf2Iterations, info.get()));
  GOVLEDGER_CHECK(sealed != nullptr);
  BioPtr bio(BIO_new(BIO_s_mem()));
  GOVLEDGER_CHECK(bio != nullptr);
  GOVLEDGER_CHECK(PEM_write_bio_PKCS8(bio.get(), sealed.get()) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  GOVLEDGER_CHECK(len > 0 && data != nullptr);
  return std::string(data, static_cast<size_t>(len));
}

Status PrivateKey::SavePemFile(const std::string& path,
                               const std::optional<std::string>& passphrase) const {
  std::string pem = passphrase ? ToEncryptedPem(*passphrase) : ToPem();
  Status st = WriteFileAtomic(path, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  return st;
}

Bytes PrivateKey::Sign(const uint8_t* msg, size_t size) const {
  // pctx must outlive mctx (declared first, destroyed last).
  PkeyCtxPtr pctx;
  MdCtxPtr mctx(EVP_MD_CTX_new());
  GOVLEDGER_CHECK(mctx != nullptr);
  // Signing with a key that passed CheckPrivateKey fails only on allocation failure.
  GOVLEDGER_CHECK(
      InitSignOrVerify(impl_->suite, impl_->pkey.get(), /*sign=*/true, mctx.get(), pctx));
  size_t len = 0;
  GOVLEDGER_CHECK(EVP_DigestSign(mctx.get(), nullptr, &len, msg, size) == 1);
  Bytes sig(len);
  GOVLEDGER_CHECK(EVP_DigestSign(mctx.get(), sig.data(), &len, msg, size) == 1);
  sig.resize(len);
  return sig;
}

namespace {

// Per thread, an EVP_PKEY_CTX initialised for verifying with each P-256 key it has verified
// with, kept for the next verification with the same key ("EVP_PKEY_verify() can be called more
// than once on the same context", EVP_PKEY_verify(3)). EVP_DigestVerify builds and frees a digest
// context, a key context and the provider's signature context on every call (and fetches the
// digest implicitly): two threads verifying at once ran at 0.8 of OpenSSL's own rate per thread
// through it. Keyed by the cached EVP_PKEY, whose reference each context holds, so an address is
// never reused while it is a key here. Bounded: cleared when full.
class P256VerifyContexts {
 public:
  EVP_PKEY_CTX* For(EVP_PKEY* pkey) {
    if (auto it = contexts_.find(pkey); it != contexts_.end()) return it->second.get();
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), SuiteDigest(Suite::kP256)) != 1) {
      return nullptr;
    }
    if (contexts_.size() >= kCapacity) contexts_.clear();
    return contexts_.emplace(pkey, std::move(ctx)).first->second.get();
  }

 private:
  static constexpr size_t kCapacity = 256;
  std::unordered_map<EVP_PKEY*, PkeyCtxPtr> contexts_;
};

// ECDSA over SHA-256: the message's digest (crypto::Hash, a reused per-thread digest context)
// checked against the DER signature with the key's per-thread context. The same check as
// EVP_DigestVerify with SHA-256, which hashes and then runs this verification.
bool VerifyP256(EVP_PKEY* pkey, const uint8_t* msg, size_t size, const Bytes& sig) {
  thread_local P256VerifyContexts contexts;
  EVP_PKEY_CTX* ctx = contexts.For(pkey);
  if (ctx == nullptr) return false;
  const Digest digest = Hash(Suite::kP256, msg, size);
  return EVP_PKEY_verify(ctx, sig.data(), sig.size(), digest.data(), digest.size()) == 1;
}

}  // namespace

bool Verify(Suite suite, const PublicKey& key, const uint8_t* msg, size_t size, const Bytes& sig) {
  ErrorQueueGuard guard;
  // A DER (r, s) pair on a 256-bit curve is at most 72 bytes; reject junk before parsing anything.
  if (sig.empty() || sig.size() > 80) return false;
  Result<PkeyPtr> pkey = ParsePublicKeyCached(suite, key);
  if (!pkey.ok()) return false;
  if (suite == Suite::kP256) return VerifyP256(pkey->get(), msg, size, sig);
  PkeyCtxPtr pctx;
  MdCtxPtr mctx(EVP_MD_CTX_new());
  if (mctx == nullptr) return false;
  if (!InitSignOrVerify(suite, pkey->get(), /*sign=*/false, mctx.get(), pctx)) return false;
  // 1 is a valid signature; 0 an invalid one and negative values malformed input: all but 1 fail.
  return EVP_DigestVerify(mctx.get(), sig.data(), sig.size(), msg, size) == 1;
}

VerifyKeyCacheStats GetVerifyKeyCacheStats() { return KeyCache().Stats(); }

Status CheckPublicKey(Suite suite, const PublicKey& key) {
  ErrorQueueGuard guard;
  Result<PkeyPtr> pkey = ParsePublicKey(suite, key);
  return pkey.ok() ? Status::Ok() : pkey.status();
}

namespace {

// PEM text of keys already written once. Genesis hashing writes every validator and department
// key as PEM (ledger::GenesisHash), and a proof bundle verification hashes the trusted genesis:
// parsing each key again cost 85 % of a bundle's verification. Only keys that parsed are kept,
// so the answer is the one OpenSSL gave; bounded (cleared when full).
class PemCache {
 public:
  std::optional<std::string> Get(const PublicKey& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pem_.find(std::string(key.begin(), key.end()));
    if (it == pem_.end()) return std::nullopt;
    return it->second;
  }
  void Put(const PublicKey& key, const std::string& pem) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pem_.size() >= kCapacity) pem_.clear();
    pem_.emplace(std::string(key.begin(), key.end()), pem);
  }

 private:
  static constexpr size_t kCapacity = 1024;
  std::mutex mu_;
  std::unordered_map<std::string, std::string> pem_;
};

PemCache& Pems() {
  static PemCache* cache = new PemCache();  // never destroyed: used until exit
  return *cache;
}

}  // namespace

Result<std::string> PublicKeyToPem(const PublicKey& key) {
  if (auto cached = Pems().Get(key)) return std::move(*cached);
  ErrorQueueGuard guard;
  Result<PkeyPtr> pkey = ParsePublicKey(Suite::kP256, key);
  if (!pkey.ok()) pkey = ParsePublicKey(Suite::kSm, key);
  if (!pkey.ok()) return pkey.status();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey->get()) != 1) {
    return Status::Error("bad_public_key", "cannot write the public key as PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) {
    return Status::Error("bad_public_key", "cannot write the public key as PEM");
  }
  std::string pem(data, static_cast<size_t>(len));
  Pems().Put(key, pem);
  return pem;
}

Result<PublicKey> PublicKeyFromPem(Suite suite, std::string_view pem) {
  ErrorQueueGuard guard;
  if (pem.empty() || pem.size() > kMaxPemSize) {
    return Status::Error("bad_public_key", "not a PEM public key");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return Status::Error("bad_public_key", "out of memory");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (pkey == nullptr) {
    return Status::Error("bad_public_key", "not a PEM public key (\"BEGIN PUBLIC KEY\")");
  }
  GOVLEDGER_RETURN_IF_ERROR(CheckKeyType(suite, pkey.get()));
  if (!SetUncompressed(pkey.get())) {
    return Status::Error("bad_public_key", "cannot set the point format of the key");
  }
  PublicKey der = EncodePublicKey(pkey.get());
  GOVLEDGER_RETURN_IF_ERROR(CheckPublicKey(suite, der));
  return der;
}

std::string Fingerprint(Suite suite, const PublicKey& key) {
  Digest d = Hash(suite, key);
  return HexEncode(d.data(), 8);
}

}  // namespace govledger::crypto

// Signature tests: published known-answer vectors for ECDSA P-256 (RFC 6979, NIST CAVP) and SM2
// (GB/T 32918.5 / GM/T 0003.5 annex A), round trips, key files, and rejection of bad input.
#include "crypto/sign.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "util/file.h"

namespace govledger::crypto {
namespace {

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// DER SubjectPublicKeyInfo prefixes (SEQUENCE { AlgorithmIdentifier { id-ecPublicKey, named
// curve }, BIT STRING header }) for an uncompressed point: P-256 is prime256v1
// 1.2.840.10045.3.1.7 (RFC 5480), SM2 is sm2p256v1 1.2.156.10197.1.301 (GM/T 0006).
const char kP256SpkiPrefix[] = "3059301306072a8648ce3d020106082a8648ce3d030107034200";
const char kSm2SpkiPrefix[] = "3059301306072a8648ce3d020106082a811ccf5501822d034200";

PublicKey Spki(const char* prefix, std::string_view x_hex, std::string_view y_hex) {
  return Concat({H(prefix), Bytes{0x04}, H(x_hex), H(y_hex)});
}

// DER INTEGER of a big-endian unsigned value: minimal length, 0x00 pad when the top bit is set.
Bytes DerInteger(Bytes v) {
  while (v.size() > 1 && v[0] == 0) v.erase(v.begin());
  if (v[0] & 0x80) v.insert(v.begin(), 0x00);
  Bytes out{0x02, static_cast<uint8_t>(v.size())};
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// DER Ecdsa-Sig-Value / SM2Signature: SEQUENCE { r INTEGER, s INTEGER }.
Bytes DerSig(std::string_view r_hex, std::string_view s_hex) {
  Bytes body = Concat({DerInteger(H(r_hex)), DerInteger(H(s_hex))});
  Bytes out{0x30, static_cast<uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes FlipBit(Bytes b, size_t byte, int bit) {
  b[byte] ^= static_cast<uint8_t>(1u << bit);
  return b;
}

// RFC 6979 appendix A.2.5 (ECDSA, 256 bits, prime field, i.e. P-256) key pair.
const char kRfc6979Ux[] = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6";
const char kRfc6979Uy[] = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";

TEST_CASE("p256 verifies the RFC 6979 A.2.5 SHA-256 signature of \"sample\"", "[crypto]") {
  const PublicKey key = Spki(kP256SpkiPrefix, kRfc6979Ux, kRfc6979Uy);
  REQUIRE(CheckPublicKey(Suite::kP256, key).ok());
  const Bytes sig = DerSig("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                           "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
  const Bytes msg = ToBytes("sample");
  CHECK(Verify(Suite::kP256, key, msg, sig));
  CHECK_FALSE(Verify(Suite::kP256, key, ToBytes("samplf"), sig));
  CHECK_FALSE(Verify(Suite::kSm, key, msg, sig));  // a P-256 key is not an sm key
  // A bit flipped in any byte of s (the last 32 bytes), or in r, breaks the signature.
  for (size_t i = sig.size() - 32; i < sig.size(); ++i) {
    CHECK_FALSE(Verify(Suite::kP256, key, msg, FlipBit(sig, i, static_cast<int>(i % 8))));
  }
  CHECK_FALSE(Verify(Suite::kP256, key, msg, FlipBit(sig, 10, 0)));
  // A flipped bit in the key's point moves it off the curve or to another key.
  CHECK_FALSE(Verify(Suite::kP256, FlipBit(key, 60, 3), msg, sig));
}

TEST_CASE("p256 verifies the RFC 6979 A.2.5 SHA-256 signature of \"test\"", "[crypto]") {
  const PublicKey key = Spki(kP256SpkiPrefix, kRfc6979Ux, kRfc6979Uy);
  // r has its top bit set and s starts with 0x01, so their DER INTEGERs differ in length (33 and
  // 32 bytes).
  const Bytes sig = DerSig("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
                           "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083");
  CHECK(Verify(Suite::kP256, key, ToBytes("test"), sig));
  CHECK_FALSE(Verify(Suite::kP256, key, ToBytes("sample"), sig));
  CHECK_FALSE(Verify(Suite::kP256, key, ToBytes("test"), FlipBit(sig, sig.size() - 1, 0)));
}

TEST_CASE("p256 verifies a NIST CAVP FIPS 186-4 SigVer P-256 SHA-256 vector", "[crypto]") {
  // 186-4ecdsatestvectors.zip, SigVer.rsp, [P-256,SHA-256], a case with Result = P.
  const PublicKey key =
      Spki(kP256SpkiPrefix, "e424dc61d4bb3cb7ef4344a7f8957a0c5134e16f7a67c074f82e6e12f49abf3c",
           "970eed7aa2bc48651545949de1dddaf0127e5965ac85d1243d6f60e7dfaee927");
  const Bytes msg =
      H("e1130af6a38ccb412a9c8d13e15dbfc9e69a16385af3c3f1e5da954fd5e7c45f"
        "d75e2b8c36699228e92840c0562fbf3772f07e17f1add56588dd45f7450e1217"
        "ad239922dd9c32695dc71ff2424ca0dec1321aa47064a044b7fe3c2b97d03ce4"
        "70a592304c5ef21eed9f93da56bb232d1eeb0035f9bf0dfafdcc4606272b20a3");
  const Bytes sig = DerSig("bf96b99aa49c705c910be33142017c642ff540c76349b9dab72f981fd9347f4f",
                           "17c55095819089c2e03b9cd415abdf12444e323075d98f31920b9e0f57ec871c");
  CHECK(Verify(Suite::kP256, key, msg, sig));
  CHECK_FALSE(Verify(Suite::kP256, key, FlipBit(msg, 0, 0), sig));
  CHECK_FALSE(Verify(Suite::kP256, key, msg, FlipBit(sig, 20, 5)));
}

TEST_CASE("p256 verifies the first NIST CAVP FIPS 186-4 SigGen P-256 SHA-256 record", "[crypto]") {
  // 186-4ecdsatestvectors.zip, SigGen.txt, [P-256,SHA-256], first record.
  const PublicKey key =
      Spki(kP256SpkiPrefix, "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
           "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9");
  const Bytes msg =
      H("5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf"
        "416983fe165b1a045ee2bcd2e6dca3bdf46c4310a7461f9a37960ca672d3feb5"
        "473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e471ea7a65c17c"
        "c934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8");
  const Bytes sig = DerSig("f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac",
                           "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903");
  CHECK(Verify(Suite::kP256, key, msg, sig));
  CHECK_FALSE(Verify(Suite::kP256, key, FlipBit(msg, 127, 7), sig));
}

// GM/T 0003.5-2012 and GB/T 32918.5-2017 annex A: signature on the recommended curve sm2p256v1
// with the default ID "1234567812345678" over the message "message digest".
const char kSm2StdPx[] = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
const char kSm2StdPy[] = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const char kSm2StdR[] = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
const char kSm2StdS[] = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

TEST_CASE("sm verifies the GB/T 32918.5 annex A signature with the default ID", "[crypto]") {
  const PublicKey key = Spki(kSm2SpkiPrefix, kSm2StdPx, kSm2StdPy);
  REQUIRE(CheckPublicKey(Suite::kSm, key).ok());
  const Bytes sig = DerSig(kSm2StdR, kSm2StdS);
  const Bytes msg = ToBytes("message digest");
  CHECK(Verify(Suite::kSm, key, msg, sig));
  CHECK_FALSE(Verify(Suite::kSm, key, ToBytes("message digesT"), sig));
  CHECK_FALSE(Verify(Suite::kP256, key, msg, sig));  // an SM2 key is not a p256 key
  for (size_t i = sig.size() - 32; i < sig.size(); ++i) {
    CHECK_FALSE(Verify(Suite::kSm, key, msg, FlipBit(sig, i, static_cast<int>(i % 8))));
  }
  CHECK_FALSE(Verify(Suite::kSm, FlipBit(key, 80, 1), msg, sig));
}

TEST_CASE("the published SM2 key wrapped as a P-256 SPKI does not verify", "[crypto]") {
  // Same coordinates under the P-256 curve OID: not on P-256, so the key itself is rejected.
  const PublicKey key = Spki(kP256SpkiPrefix, kSm2StdPx, kSm2StdPy);
  CHECK_FALSE(CheckPublicKey(Suite::kP256, key).ok());
  CHECK_FALSE(Verify(Suite::kP256, key, ToBytes("message digest"), DerSig(kSm2StdR, kSm2StdS)));
}

TEST_CASE("sign and verify round trip in both suites", "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    CHECK(key->suite() == suite);
    CHECK(CheckPublicKey(suite, key->public_key()).ok());
    const Bytes msg = ToBytes("transfer 10 to alice");
    const Bytes sig = key->Sign(msg);
    CHECK(Verify(suite, key->public_key(), msg, sig));
    CHECK_FALSE(Verify(suite, key->public_key(), ToBytes("transfer 99 to alice"), sig));
    // Signing is randomised; both signatures are valid.
    const Bytes sig2 = key->Sign(msg);
    CHECK(sig2 != sig);
    CHECK(Verify(suite, key->public_key(), msg, sig2));
    // Another key of the same suite does not verify it.
    Result<PrivateKey> other = PrivateKey::Generate(suite);
    REQUIRE(other.ok());
    CHECK(other->public_key() != key->public_key());
    CHECK_FALSE(Verify(suite, other->public_key(), msg, sig));
    // Empty and large messages.
    CHECK(Verify(suite, key->public_key(), Bytes{}, key->Sign(Bytes{})));
    const Bytes big(1 << 20, 0x5a);
    CHECK(Verify(suite, key->public_key(), big, key->Sign(big)));
  }
}

TEST_CASE("a signature of one suite never verifies under the other", "[crypto]") {
  Result<PrivateKey> p256 = PrivateKey::Generate(Suite::kP256);
  Result<PrivateKey> sm = PrivateKey::Generate(Suite::kSm);
  REQUIRE(p256.ok());
  REQUIRE(sm.ok());
  const Bytes msg = ToBytes("m");
  CHECK_FALSE(Verify(Suite::kSm, p256->public_key(), msg, p256->Sign(msg)));
  CHECK_FALSE(Verify(Suite::kP256, sm->public_key(), msg, sm->Sign(msg)));
  CHECK(CheckPublicKey(Suite::kSm, p256->public_key()).code() == "wrong_key_type");
  CHECK(CheckPublicKey(Suite::kP256, sm->public_key()).code() == "wrong_key_type");
}

// Signs with SM2 through raw OpenSSL using an arbitrary distinguishing ID (or none: OpenSSL 3
// then uses an empty ID), to check that our Verify binds the default ID.
Bytes RawSm2Sign(const std::string& pem, const Bytes& msg, const std::string* id) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  REQUIRE(bio != nullptr);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pkey != nullptr);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  EVP_MD_CTX* mctx = EVP_MD_CTX_new();
  REQUIRE(pctx != nullptr);
  REQUIRE(mctx != nullptr);
  if (id != nullptr) {
    REQUIRE(EVP_PKEY_CTX_set1_id(pctx, id->data(), id->size()) == 1);
  }
  EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
  REQUIRE(EVP_DigestSignInit(mctx, nullptr, EVP_sm3(), nullptr, pkey) == 1);
  size_t len = 0;
  REQUIRE(EVP_DigestSign(mctx, nullptr, &len, msg.data(), msg.size()) == 1);
  Bytes sig(len);
  REQUIRE(EVP_DigestSign(mctx, sig.data(), &len, msg.data(), msg.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(mctx);
  EVP_PKEY_CTX_free(pctx);
  EVP_PKEY_free(pkey);
  return sig;
}

TEST_CASE("sm verify accepts only the default distinguishing ID", "[crypto]") {
  Result<PrivateKey> key = PrivateKey::Generate(Suite::kSm);
  REQUIRE(key.ok());
  const std::string pem = key->ToPem();
  const Bytes msg = ToBytes("message digest");
  const std::string default_id = "1234567812345678";
  const std::string other_id = "ALICE123@YAHOO.COM";
  // Control: the raw signer with the default ID is what our Verify accepts...
  CHECK(Verify(Suite::kSm, key->public_key(), msg, RawSm2Sign(pem, msg, &default_id)));
  // ...and a different ID, or OpenSSL's implicit empty ID, is rejected.
  CHECK_FALSE(Verify(Suite::kSm, key->public_key(), msg, RawSm2Sign(pem, msg, &other_id)));
  CHECK_FALSE(Verify(Suite::kSm, key->public_key(), msg, RawSm2Sign(pem, msg, nullptr)));
}

TEST_CASE("private key PEM round trip keeps the key in both suites", "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    const std::string pem = key->ToPem();
    CHECK(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);  // PKCS#8, unencrypted
    Result<PrivateKey> loaded = PrivateKey::FromPem(suite, pem);
    REQUIRE(loaded.ok());
    CHECK(loaded->public_key() == key->public_key());
    CHECK(loaded->ToPem() == pem);
    const Bytes msg = ToBytes("hello");
    CHECK(Verify(suite, key->public_key(), msg, loaded->Sign(msg)));
  }
}

TEST_CASE("moved private key still signs", "[crypto]") {
  Result<PrivateKey> key = PrivateKey::Generate(Suite::kSm);
  REQUIRE(key.ok());
  PrivateKey moved = std::move(*key);
  const Bytes msg = ToBytes("x");
  CHECK(Verify(Suite::kSm, moved.public_key(), msg, moved.Sign(msg)));
  Result<PrivateKey> other = PrivateKey::Generate(Suite::kSm);
  REQUIRE(other.ok());
  moved = std::move(*other);
  CHECK(Verify(Suite::kSm, moved.public_key(), msg, moved.Sign(msg)));
}

class TempDir {
 public:
  TempDir()
      : path_((std::filesystem::temp_directory_path() /
               ("govledger_sign_test_" + std::to_string(RandomU64())))
                  .string()) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

unsigned FileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST_CASE("SavePemFile writes mode 0600 and LoadPemFile reads it back", "[crypto]") {
  TempDir dir;
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    const std::string path = dir.File(SuiteName(suite) + ".pem");
    // A pre-existing world-readable file is replaced, not reused with its old mode.
    std::ofstream(path) << "old";
    ::chmod(path.c_str(), 0644);
    REQUIRE(key->SavePemFile(path).ok());
    CHECK(FileMode(path) == 0600);
    Result<PrivateKey> loaded = PrivateKey::LoadPemFile(suite, path);
    REQUIRE(loaded.ok());
    CHECK(loaded->public_key() == key->public_key());
  }
}

TEST_CASE("LoadPemFile refuses a key file readable by group or others unless overridden",
          "[crypto]") {
  TempDir dir;
  Result<PrivateKey> key = PrivateKey::Generate(Suite::kP256);
  REQUIRE(key.ok());
  const std::string path = dir.File("loose.pem");
  REQUIRE(key->SavePemFile(path).ok());
  for (unsigned mode : {0640u, 0604u, 0660u}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    Result<PrivateKey> loaded = PrivateKey::LoadPemFile(Suite::kP256, path);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == "key_permissions");
    CHECK_THAT(loaded.status().message(),
               Catch::Contains(path) && Catch::Contains("chmod 600"));
    KeyFileOptions opts;
    opts.allow_readable = true;
    CHECK(PrivateKey::LoadPemFile(Suite::kP256, path, opts).ok());
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(PrivateKey::LoadPemFile(Suite::kP256, path).ok());
}

TEST_CASE("an encrypted key file loads with its passphrase and only with it", "[crypto]") {
  TempDir dir;
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    const std::string path = dir.File(SuiteName(suite) + ".enc.pem");
    REQUIRE(key->SavePemFile(path, std::string("correct horse")).ok());
    CHECK(FileMode(path) == 0600);
    const std::string pem = ReadFile(path).value();
    CHECK(IsEncryptedPem(pem));
    CHECK(pem.find("BEGIN ENCRYPTED PRIVATE KEY") != std::string::npos);
    // No trace of the unencrypted encoding.
    CHECK(pem.find(key->ToPem().substr(28, 40)) == std::string::npos);

    KeyFileOptions good;
    good.passphrase = "correct horse";
    Result<PrivateKey> loaded = PrivateKey::LoadPemFile(suite, path, good);
    REQUIRE(loaded.ok());
    CHECK(loaded->public_key() == key->public_key());
    const Bytes msg{1, 2, 3};
    CHECK(Verify(suite, key->public_key(), msg, loaded->Sign(msg)));

    Result<PrivateKey> none = PrivateKey::LoadPemFile(suite, path);
    REQUIRE_FALSE(none.ok());
    CHECK(none.status().code() == "key_encrypted");
    CHECK_THAT(none.status().message(), Catch::Contains(path));

    KeyFileOptions wrong;
    wrong.passphrase = "correct horsf";
    Result<PrivateKey> bad = PrivateKey::LoadPemFile(suite, path, wrong);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == "bad_passphrase");
  }
}

TEST_CASE("LoadPemFile of a missing file is not_found", "[crypto]") {
  TempDir dir;
  Result<PrivateKey> key = PrivateKey::LoadPemFile(Suite::kP256, dir.File("nope.pem"));
  REQUIRE_FALSE(key.ok());
  CHECK(key.status().code() == "not_found");
}

TEST_CASE("loading a P-256 PEM as suite sm fails with a clear status", "[crypto]") {
  TempDir dir;
  Result<PrivateKey> p256 = PrivateKey::Generate(Suite::kP256);
  REQUIRE(p256.ok());
  const std::string path = dir.File("node.pem");
  REQUIRE(p256->SavePemFile(path).ok());
  Result<PrivateKey> as_sm = PrivateKey::LoadPemFile(Suite::kSm, path);
  REQUIRE_FALSE(as_sm.ok());
  CHECK(as_sm.status().code() == "wrong_key_type");
  // The message names the file, the expected key type and what was found.
  CHECK_THAT(as_sm.status().message(), Catch::Contains(path));
  CHECK_THAT(as_sm.status().message(), Catch::Contains("SM2"));
  CHECK_THAT(as_sm.status().message(), Catch::Contains("prime256v1"));

  Result<PrivateKey> sm = PrivateKey::Generate(Suite::kSm);
  REQUIRE(sm.ok());
  Result<PrivateKey> as_p256 = PrivateKey::FromPem(Suite::kP256, sm->ToPem());
  REQUIRE_FALSE(as_p256.ok());
  CHECK(as_p256.status().code() == "wrong_key_type");
  CHECK_THAT(as_p256.status().message(), Catch::Contains("P-256"));
}

TEST_CASE("garbage and encrypted private key PEMs without a passphrase are rejected without "
          "prompting",
          "[crypto]") {
  Result<PrivateKey> key = PrivateKey::Generate(Suite::kP256);
  REQUIRE(key.ok());
  const std::string pem = key->ToPem();
  std::vector<std::string> bad = {
      "",
      "hello",
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
      "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
      pem.substr(0, pem.size() / 2),
      std::string(100000, 'A'),
  };
  std::string corrupted = pem;
  corrupted[40] = corrupted[40] == 'A' ? 'B' : 'A';  // a base64 character in the key body
  bad.push_back(corrupted);
  // A public key PEM is not a private key.
  Result<std::string> pub_pem = PublicKeyToPem(key->public_key());
  REQUIRE(pub_pem.ok());
  bad.push_back(*pub_pem);
  for (const std::string& text : bad) {
    Result<PrivateKey> parsed = PrivateKey::FromPem(Suite::kP256, text);
    CHECK_FALSE(parsed.ok());
  }

  // Encrypted PKCS#8: OpenSSL would ask for a passphrase on the terminal if FromPem let it.
  BIO* bio = BIO_new(BIO_s_mem());
  EVP_PKEY* pkey = nullptr;
  {
    BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
  }
  REQUIRE(pkey != nullptr);
  char pass[] = "secret";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), pass, 6, nullptr, nullptr) ==
          1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  const std::string encrypted(data, static_cast<size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  REQUIRE(encrypted.find("ENCRYPTED PRIVATE KEY") != std::string::npos);
  Result<PrivateKey> parsed = PrivateKey::FromPem(Suite::kP256, encrypted);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == "key_encrypted");
  // The same file written by OpenSSL's own PKCS#8 writer opens with its passphrase.
  Result<PrivateKey> opened = PrivateKey::FromPem(Suite::kP256, encrypted, std::string("secret"));
  REQUIRE(opened.ok());
  CHECK(opened->public_key() == key->public_key());
}

TEST_CASE("malformed public keys are rejected by CheckPublicKey and Verify", "[crypto]") {
  const PublicKey good = Spki(kP256SpkiPrefix, kRfc6979Ux, kRfc6979Uy);
  const Bytes msg = ToBytes("sample");
  const Bytes sig = DerSig("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                           "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
  REQUIRE(Verify(Suite::kP256, good, msg, sig));

  std::vector<PublicKey> bad = {
      {},
      Bytes(91, 0),
      Bytes(good.begin(), good.end() - 1),
      Concat({good, Bytes{0x00}}),
      // Y replaced: the point is not on the curve.
      Spki(kP256SpkiPrefix, kRfc6979Ux,
           "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462298"),
      // The point at infinity's encoding is a single 0x00, not 0x04 || zeros.
      Spki(kP256SpkiPrefix, std::string(64, '0'), std::string(64, '0')),
      // The same point in compressed form: valid, but not the canonical encoding.
      Concat(
          {H("3039301306072a8648ce3d020106082a8648ce3d030107032200"), Bytes{0x03}, H(kRfc6979Ux)}),
      // Hybrid form (0x06/0x07 prefix) of the same point.
      Concat({H(kP256SpkiPrefix), Bytes{0x07}, H(kRfc6979Ux), H(kRfc6979Uy)}),
      // Just the raw point, without the SPKI wrapper.
      Concat({Bytes{0x04}, H(kRfc6979Ux), H(kRfc6979Uy)}),
  };
  // Non-minimal DER length (0x81 0x59 instead of 0x59): same content, not DER.
  PublicKey long_form = good;
  long_form.erase(long_form.begin(), long_form.begin() + 2);
  long_form.insert(long_form.begin(), {0x30, 0x81, 0x59});
  bad.push_back(long_form);

  for (size_t i = 0; i < bad.size(); ++i) {
    INFO("bad key #" << i);
    CHECK_FALSE(CheckPublicKey(Suite::kP256, bad[i]).ok());
    CHECK(CheckPublicKey(Suite::kP256, bad[i]).code() == "bad_public_key");
    CHECK_FALSE(Verify(Suite::kP256, bad[i], msg, sig));
    CHECK_FALSE(Verify(Suite::kSm, bad[i], msg, sig));
  }
}

TEST_CASE("malformed signatures are rejected without crashing", "[crypto]") {
  const PublicKey key = Spki(kP256SpkiPrefix, kRfc6979Ux, kRfc6979Uy);
  const Bytes msg = ToBytes("sample");
  const Bytes sig = DerSig("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
                           "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8");
  const std::string n = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
  std::vector<Bytes> bad = {
      {},
      Bytes{0x30, 0x00},
      Bytes(72, 0xff),
      Bytes(4096, 0x30),
      Concat({sig, Bytes{0x00}}),         // trailing garbage
      Bytes(sig.begin(), sig.end() - 1),  // truncated
      DerSig("00", "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),  // r = 0
      DerSig("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", "00"),  // s = 0
      DerSig(n, "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),     // r = n
      // Raw r || s (IEEE P1363) instead of DER.
      H("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
        "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    INFO("bad signature #" << i);
    CHECK_FALSE(Verify(Suite::kP256, key, msg, bad[i]));
  }
}

TEST_CASE("randomly mutated keys and signatures never verify and never crash", "[crypto]") {
  std::mt19937 rng(20261122);  // fixed seed: reproducible
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    const Bytes msg = ToBytes("fuzz");
    const Bytes sig = key->Sign(msg);
    for (int round = 0; round < 300; ++round) {
      Bytes k = key->public_key();
      Bytes s = sig;
      Bytes& target = (round % 2 == 0) ? k : s;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 3) {
          case 0:  // flip a byte
            target[rng() % target.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
            break;
          case 1:  // drop a byte
            if (target.size() > 1) target.erase(target.begin() + rng() % target.size());
            break;
          default:  // insert a byte
            target.insert(target.begin() + rng() % (target.size() + 1),
                          static_cast<uint8_t>(rng()));
            break;
        }
      }
      if (k == key->public_key() && s == sig) continue;
      CHECK_FALSE(Verify(suite, k, msg, s));
    }
  }
}

// OpenSSL's one-shot digest-and-verify, as the node used it before P-256 verification kept a
// key context per thread: the reference the fast path must agree with on every input.
bool ReferenceVerify(Suite suite, const PublicKey& key, const Bytes& msg, const Bytes& sig) {
  const uint8_t* p = key.data();
  EVP_PKEY* pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(key.size()));
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, suite == Suite::kSm ? EVP_sm3() : EVP_sha256(), nullptr,
                           pkey) == 1 &&
      EVP_DigestVerify(ctx, sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

TEST_CASE("p256 verification agrees with OpenSSL's digest-and-verify on valid, re-encoded and "
          "mutated signatures, across keys on one thread",
          "[crypto]") {
  std::mt19937 rng(20261206);  // fixed seed: reproducible
  const std::string n = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
  std::vector<PrivateKey> keys;
  for (int i = 0; i < 3; ++i) keys.push_back(PrivateKey::Generate(Suite::kP256).value());
  size_t valid = 0;
  for (int round = 0; round < 600; ++round) {
    const PrivateKey& signer = keys[rng() % keys.size()];
    const PrivateKey& checker = (round % 5 == 0) ? keys[rng() % keys.size()] : signer;
    Bytes msg(1 + rng() % 300);
    for (uint8_t& b : msg) b = static_cast<uint8_t>(rng());
    Bytes sig = signer.Sign(msg);
    switch (round % 6) {
      case 0:
      case 1:
        break;  // as signed
      case 2:
        sig[rng() % sig.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        break;
      case 3:
        sig.push_back(static_cast<uint8_t>(rng()));  // trailing byte
        break;
      case 4:
        msg[rng() % msg.size()] ^= 0x01;  // another message
        break;
      default: {
        // The same (r, n - s): valid ECDSA, a different DER; both paths must say the same.
        const uint8_t* p = sig.data();
        ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
        REQUIRE(es != nullptr);
        BIGNUM* order = nullptr;
        REQUIRE(BN_hex2bn(&order, n.c_str()) > 0);
        BIGNUM* r = BN_dup(ECDSA_SIG_get0_r(es));
        BIGNUM* neg = BN_new();
        REQUIRE(BN_sub(neg, order, ECDSA_SIG_get0_s(es)) == 1);
        REQUIRE(ECDSA_SIG_set0(es, r, neg) == 1);
        unsigned char* der = nullptr;
        const int len = i2d_ECDSA_SIG(es, &der);
        REQUIRE(len > 0);
        sig.assign(der, der + len);
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
        BN_free(order);
        break;
      }
    }
    const bool expected = ReferenceVerify(Suite::kP256, checker.public_key(), msg, sig);
    INFO("round " << round);
    CHECK(Verify(Suite::kP256, checker.public_key(), msg, sig) == expected);
    valid += expected ? 1 : 0;
  }
  CHECK(valid > 200);  // the comparison covered accepted signatures, not only rejections
}

TEST_CASE("public key PEM round trips and is checked against the suite", "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    Result<std::string> pem = PublicKeyToPem(key->public_key());
    REQUIRE(pem.ok());
    CHECK(pem->rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
    Result<PublicKey> back = PublicKeyFromPem(suite, *pem);
    REQUIRE(back.ok());
    CHECK(*back == key->public_key());
    const Suite other = suite == Suite::kSm ? Suite::kP256 : Suite::kSm;
    Result<PublicKey> wrong = PublicKeyFromPem(other, *pem);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.status().code() == "wrong_key_type");
  }
  CHECK_FALSE(PublicKeyToPem(Bytes{}).ok());
  CHECK_FALSE(PublicKeyToPem(Bytes(91, 0x04)).ok());
  CHECK_FALSE(PublicKeyFromPem(Suite::kP256, "").ok());
  CHECK_FALSE(PublicKeyFromPem(Suite::kP256,
                               "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC "
                               "KEY-----\n")
                  .ok());
  // A private key PEM is not a public key PEM.
  Result<PrivateKey> key = PrivateKey::Generate(Suite::kP256);
  REQUIRE(key.ok());
  CHECK_FALSE(PublicKeyFromPem(Suite::kP256, key->ToPem()).ok());
}

TEST_CASE("published public keys convert to PEM and back unchanged", "[crypto]") {
  const PublicKey p256 = Spki(kP256SpkiPrefix, kRfc6979Ux, kRfc6979Uy);
  const PublicKey sm2 = Spki(kSm2SpkiPrefix, kSm2StdPx, kSm2StdPy);
  Result<std::string> p256_pem = PublicKeyToPem(p256);
  Result<std::string> sm2_pem = PublicKeyToPem(sm2);
  REQUIRE(p256_pem.ok());
  REQUIRE(sm2_pem.ok());
  CHECK(PublicKeyFromPem(Suite::kP256, *p256_pem).value() == p256);
  CHECK(PublicKeyFromPem(Suite::kSm, *sm2_pem).value() == sm2);
  // The PEM body is the base64 of the DER bytes.
  CHECK(p256_pem->find(Base64Encode(p256).substr(0, 64)) != std::string::npos);
}

TEST_CASE("fingerprint is the hex of the first 8 bytes of the suite hash of the key", "[crypto]") {
  const PublicKey key = Spki(kSm2SpkiPrefix, kSm2StdPx, kSm2StdPy);
  const std::string fp = Fingerprint(Suite::kSm, key);
  CHECK(fp.size() == 16);
  CHECK(fp == DigestHex(Hash(Suite::kSm, key)).substr(0, 16));
  CHECK(Fingerprint(Suite::kSm, key) == fp);  // stable
  CHECK(Fingerprint(Suite::kP256, key) == DigestHex(Hash(Suite::kP256, key)).substr(0, 16));
}

// ------------------------------------------------------------------ the parsed-key cache

struct Signed {
  PrivateKey key;
  Bytes msg;
  Bytes sig;
};

std::vector<Signed> SignedByFreshKeys(Suite suite, size_t n) {
  std::vector<Signed> out;
  for (size_t i = 0; i < n; ++i) {
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    Bytes msg = ToBytes("tx " + std::to_string(i));
    Bytes sig = key->Sign(msg);
    out.push_back(Signed{std::move(*key), std::move(msg), std::move(sig)});
  }
  return out;
}

TEST_CASE("verify with many keys parses each once and then uses the cache", "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    std::vector<Signed> all = SignedByFreshKeys(suite, 64);
    const VerifyKeyCacheStats before = GetVerifyKeyCacheStats();
    for (const Signed& s : all) CHECK(Verify(suite, s.key.public_key(), s.msg, s.sig));
    const VerifyKeyCacheStats first = GetVerifyKeyCacheStats();
    CHECK(first.misses - before.misses == all.size());
    for (int round = 0; round < 3; ++round) {
      for (const Signed& s : all) CHECK(Verify(suite, s.key.public_key(), s.msg, s.sig));
    }
    const VerifyKeyCacheStats later = GetVerifyKeyCacheStats();
    CHECK(later.misses == first.misses);
    CHECK(later.hits - first.hits == 3 * all.size());
    CHECK(later.entries <= later.capacity);
  }
}

TEST_CASE("a cached key never lets a wrong key or suite or signature verify", "[crypto]") {
  std::vector<Signed> p256 = SignedByFreshKeys(Suite::kP256, 2);
  std::vector<Signed> sm = SignedByFreshKeys(Suite::kSm, 1);
  const Signed& a = p256[0];
  const Signed& b = p256[1];
  // Both keys are cached now.
  REQUIRE(Verify(Suite::kP256, a.key.public_key(), a.msg, a.sig));
  REQUIRE(Verify(Suite::kP256, b.key.public_key(), b.msg, b.sig));
  REQUIRE(Verify(Suite::kSm, sm[0].key.public_key(), sm[0].msg, sm[0].sig));
  for (int round = 0; round < 2; ++round) {
    CHECK_FALSE(Verify(Suite::kP256, b.key.public_key(), a.msg, a.sig));  // another key
    CHECK_FALSE(Verify(Suite::kP256, a.key.public_key(), b.msg, a.sig));  // another message
    CHECK_FALSE(Verify(Suite::kP256, a.key.public_key(), a.msg, FlipBit(a.sig, 10, 0)));
    // The cache is per suite: a key parsed for one suite is not a key of the other.
    CHECK_FALSE(Verify(Suite::kSm, a.key.public_key(), a.msg, a.sig));
    CHECK_FALSE(Verify(Suite::kP256, sm[0].key.public_key(), sm[0].msg, sm[0].sig));
    // A key that differs from a cached one in a single bit is parsed (and rejected) on its own.
    CHECK_FALSE(Verify(Suite::kP256, FlipBit(a.key.public_key(), 60, 3), a.msg, a.sig));
    CHECK_FALSE(Verify(Suite::kP256, FlipBit(a.key.public_key(), 5, 1), a.msg, a.sig));
    // And the right answers stay right.
    CHECK(Verify(Suite::kP256, a.key.public_key(), a.msg, a.sig));
    CHECK(Verify(Suite::kSm, sm[0].key.public_key(), sm[0].msg, sm[0].sig));
  }
}

TEST_CASE("malformed keys are not cached", "[crypto]") {
  std::vector<Signed> one = SignedByFreshKeys(Suite::kP256, 1);
  const PublicKey bad = FlipBit(one[0].key.public_key(), 60, 3);  // not a point on the curve
  const VerifyKeyCacheStats before = GetVerifyKeyCacheStats();
  for (int i = 0; i < 5; ++i) CHECK_FALSE(Verify(Suite::kP256, bad, one[0].msg, one[0].sig));
  const VerifyKeyCacheStats after = GetVerifyKeyCacheStats();
  CHECK(after.misses - before.misses == 5);
  CHECK(after.hits == before.hits);
  CHECK(after.entries == before.entries);
}

TEST_CASE("the key cache is bounded and forgets the oldest keys", "[crypto]") {
  const size_t capacity = GetVerifyKeyCacheStats().capacity;
  REQUIRE(capacity > 0);
  // Twice the capacity: every shard of the cache overflows, so the first keys are evicted. Only
  // the parsing matters here, so the keys verify a signature of the first key (and fail).
  std::vector<Signed> first = SignedByFreshKeys(Suite::kP256, 1);
  REQUIRE(Verify(Suite::kP256, first[0].key.public_key(), first[0].msg, first[0].sig));
  for (size_t i = 0; i < 2 * capacity; ++i) {
    Result<PrivateKey> key = PrivateKey::Generate(Suite::kP256);
    REQUIRE(key.ok());
    CHECK_FALSE(Verify(Suite::kP256, key->public_key(), first[0].msg, first[0].sig));
    CHECK(GetVerifyKeyCacheStats().entries <= capacity);
  }
  const VerifyKeyCacheStats full = GetVerifyKeyCacheStats();
  CHECK(full.entries <= capacity);
  CHECK(full.entries >= capacity / 2);
  // The first key was evicted: verifying with it again parses it again, and still verifies.
  CHECK(Verify(Suite::kP256, first[0].key.public_key(), first[0].msg, first[0].sig));
  CHECK(GetVerifyKeyCacheStats().misses == full.misses + 1);
}

TEST_CASE("verify from many threads at once while the cache evicts gives exact answers",
          "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    const std::vector<Signed> keys = SignedByFreshKeys(suite, 24);
    constexpr int kThreads = 4;
    constexpr int kIterations = 60;
    std::vector<int> wrong(kThreads + 1, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&keys, &wrong, suite, t] {
        for (int i = 0; i < kIterations; ++i) {
          const Signed& s = keys[static_cast<size_t>(i + t) % keys.size()];
          const Signed& other = keys[static_cast<size_t>(i + t + 1) % keys.size()];
          if (!Verify(suite, s.key.public_key(), s.msg, s.sig)) ++wrong[t];
          if (Verify(suite, other.key.public_key(), s.msg, s.sig)) ++wrong[t];
          if (Verify(suite, s.key.public_key(), other.msg, s.sig)) ++wrong[t];
        }
      });
    }
    // Meanwhile another thread pushes fresh keys through the cache (for P-256, more than it
    // holds), so that entries are evicted while other threads hold references to them.
    const size_t capacity = GetVerifyKeyCacheStats().capacity;
    const size_t churn = suite == Suite::kP256 ? capacity + capacity / 4 : 100;
    threads.emplace_back([&wrong, &keys, suite, churn] {
      for (size_t i = 0; i < churn; ++i) {
        Result<PrivateKey> key = PrivateKey::Generate(suite);
        if (!key.ok() || Verify(suite, key->public_key(), keys[0].msg, keys[0].sig)) {
          ++wrong[kThreads];
        }
      }
    });
    for (std::thread& th : threads) th.join();
    for (int t = 0; t <= kThreads; ++t) {
      INFO("thread " << t);
      CHECK(wrong[t] == 0);
    }
  }
}

TEST_CASE("public key PEM written again is identical, and a bad key is refused every time",
          "[crypto]") {
  // PublicKeyToPem remembers the PEM of keys it wrote (genesis hashing writes every key).
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    INFO("suite " << SuiteName(suite));
    Result<PrivateKey> key = PrivateKey::Generate(suite);
    REQUIRE(key.ok());
    Result<std::string> first = PublicKeyToPem(key->public_key());
    Result<std::string> second = PublicKeyToPem(key->public_key());
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first == *second);
    CHECK(PublicKeyFromPem(suite, *second).value() == key->public_key());
    // A key one byte off is not served from the cache of its neighbour.
    PublicKey bad = key->public_key();
    bad.back() ^= 0x01;
    for (int i = 0; i < 2; ++i) {
      Result<std::string> pem = PublicKeyToPem(bad);
      if (pem.ok()) CHECK(*pem != *first);  // a flipped y bit can still be a valid point
    }
  }
  for (int i = 0; i < 2; ++i) CHECK_FALSE(PublicKeyToPem(Bytes(91, 0x04)).ok());
}

}  // namespace
}  // namespace govledger::crypto

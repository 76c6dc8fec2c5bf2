#include "node/p2p_tls.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "crypto/sign.h"

namespace govledger::node::p2p_tls {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// Never prompts for a passphrase (a daemon has no terminal).
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

}  // namespace

// Pops OpenSSL's thread-local error queue into one line (and leaves it empty).
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// DER SubjectPublicKeyInfo, the form keys are pinned in; empty on failure.
Bytes PublicKeyDer(EVP_PKEY* pkey) {
  if (pkey == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes CertificateKeyDer(X509* cert) {
  return cert == nullptr ? Bytes{} : PublicKeyDer(X509_get0_pubkey(cert));
}

Result<PkeyPtr> ParsePrivateKey(const std::string& pem) {
  // crypto::PrivateKey gives the precise complaint (not PKCS#8, wrong curve); OpenSSL then parses
  // the same text into the EVP_PKEY the TLS context needs.
  auto checked = crypto::PrivateKey::FromPem(crypto::Suite::kP256, pem);
  if (!checked.ok()) {
    return Status::Error("bad_tls_key", "TLS key: " + checked.status().message());
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (key == nullptr) return Status::Error("bad_tls_key", "TLS key: " + OpenSslErrors());
  return key;
}

namespace {

// A self-signed certificate carrying the node's TLS key.
Result<X509Ptr> SelfSignedCertificate(EVP_PKEY* key) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return Status::Error("tls_setup_failed", OpenSslErrors());
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    return Status::Error("tls_setup_failed", "no randomness for the certificate serial");
  }
  serial[0] &= 0x7f;  // positive INTEGER
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  static const char kCommonName[] = "govledger validator";
  bool ok = X509_set_version(cert.get(), 2) == 1 && bn != nullptr &&
            BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600) != nullptr &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(kCommonName), -1, -1,
                                       0) == 1 &&
            X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key) == 1 &&
            X509_sign(cert.get(), key, EVP_sha256()) > 0;
  if (!ok) return Status::Error("tls_setup_failed", "self-signed certificate: " + OpenSslErrors());
  return cert;
}

}  // namespace

Status ConfigureTls(ssl::context& tls) {
  SSL_CTX* ctx = tls.native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return Status::Error("tls_setup_failed", OpenSslErrors());
  }
  // No session resumption: a resumed session skips the certificate, and with it the pin check.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  error_code ec;
  tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return Status::Error("tls_setup_failed", ec.message());
  return Status::Ok();
}

Result<Bytes> UseIdentity(ssl::context& tls, const std::string& pem) {
  auto key = ParsePrivateKey(pem);
  if (!key.ok()) return key.status();
  auto cert = SelfSignedCertificate(key->get());
  if (!cert.ok()) return cert.status();
  SSL_CTX* ctx = tls.native_handle();
  if (SSL_CTX_use_certificate(ctx, cert->get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return Status::Error("tls_setup_failed", OpenSslErrors());
  }
  return PublicKeyDer(key->get());
}

}  // namespace govledger::node::p2p_tls

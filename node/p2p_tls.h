// OpenSSL pieces of the peer transport (node/p2p.cc): key parsing, the self-signed certificate
// that carries a validator's pinned TLS key, and the TLS 1.3 context settings. Internal to the
// node module; kept out of p2p.h so that header stays free of OpenSSL types.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "util/bytes.h"
#include "util/status.h"

namespace govledger::node::p2p_tls {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Pops OpenSSL's thread-local error queue into one line (and leaves it empty).
std::string OpenSslErrors();
// DER SubjectPublicKeyInfo, the form keys are pinned in; empty on failure.
Bytes PublicKeyDer(EVP_PKEY* pkey);
Bytes CertificateKeyDer(X509* cert);
// A P-256 PKCS#8 PEM private key; "bad_tls_key" with the precise complaint.
Result<PkeyPtr> ParsePrivateKey(const std::string& pem);
// TLS 1.3 only, no session resumption, a peer certificate required. The identity comes apart
// (UseIdentity).
Status ConfigureTls(boost::asio::ssl::context& tls);
// Makes `pem` (a P-256 PKCS#8 PEM private key) the identity the context presents, in a
// self-signed certificate (nobody checks its names, dates or signature: peers trust the key in
// it because the genesis or governance pins that key), and returns the key's DER
// SubjectPublicKeyInfo. On a context in use, connections made from then on present it; live ones
// keep what they had.
Result<Bytes> UseIdentity(boost::asio::ssl::context& tls, const std::string& pem);

}  // namespace govledger::node::p2p_tls

// The suite's OpenSSL digest, for the crypto module's own sources (crypto/hash.cc, crypto/sign.cc):
// the public headers carry no OpenSSL type.
#pragma once

#include <openssl/evp.h>

#include "crypto/hash.h"

namespace govledger::crypto {

// SHA-256 or SM3, fetched from OpenSSL once and kept for the process's lifetime. The implicit
// fetch behind EVP_sha256()/EVP_sm3() runs a provider lookup on every use.
const EVP_MD* SuiteDigest(Suite suite);

}  // namespace govledger::crypto

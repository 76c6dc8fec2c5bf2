// Signed API requests (doc/api.md, "Authentication"): the endpoints that reveal usage logs and
// other non-public data answer only requests signed by a key the registry in force knows: a
// department's key, or a regulator's (a registry entry with the role "regulator").
//
// A signed request carries three headers:
//   X-Govledger-Key        base64 of the signer's public key (DER SubjectPublicKeyInfo)
//   X-Govledger-Time       the signing time, milliseconds since 1970 (UTC)
//   X-Govledger-Signature  base64 of the signature, under the network's suite, over
//                          RequestSigningBytes(chain id, method, target, time, body)
// The signed bytes bind the chain, the method, the exact request target (path and query as sent),
// the time and the hash of the body, so a captured signature cannot be replayed on another path,
// another query, another body or another chain; and it is accepted only within a freshness window
// around the node's clock, so it cannot be replayed later either.
//
// Pure functions over bytes and a clock value: usable by the node (verify) and the CLI (sign),
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "crypto/sign.h"
#include "util/status.h"

namespace govledger::node {

inline constexpr char kAuthKeyHeader[] = "x-govledger-key";
inline constexpr char kAuthTimeHeader[] = "x-govledger-time";
inline constexpr char kAuthSignatureHeader[] = "x-govledger-signature";

// "govledger-api-request/1\n" chain_id "\n" METHOD "\n" target "\n" time_ms "\n" hex(H(body)).
Bytes RequestSigningBytes(crypto::Suite suite, std::string_view chain_id, std::string_view method,
                          std::string_view target, int64_t time_ms, std::string_view body);

// The three headers (lowercase names as above) of a request signed with `key` at `time_ms`.
std::map<std::string, std::string> SignRequest(const crypto::PrivateKey& key,
                                               std::string_view chain_id, std::string_view method,
                                               std::string_view target, int64_t time_ms,
                                               std::string_view body);

// A verdict on a request's signature. ok: `key` signed exactly this request within the window.
// Otherwise http_status 401 and a reason code:
//   auth_required          none of the headers are present
//   bad_auth               a header is missing or malformed (which one is in the message)
//   stale_request          the time is further than window_ms from now_ms
//   bad_request_signature  the signature does not verify for this key and request
// Whether the key is registered is the caller's question (403 unregistered_key).
struct AuthCheck {
  Status status;
  int http_status = 200;
  crypto::PublicKey key;
};
AuthCheck CheckRequestSignature(crypto::Suite suite, std::string_view chain_id,
                                std::string_view method, std::string_view target,
                                std::string_view body,
                                const std::map<std::string, std::string>& headers, int64_t now_ms,
                                int64_t window_ms);

}  // namespace govledger::node

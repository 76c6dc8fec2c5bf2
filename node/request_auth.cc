#include "node/request_auth.h"

#include <charconv>

#include "crypto/hash.h"
#include "util/bytes.h"

namespace govledger::node {

namespace {

constexpr char kDomain[] = "govledger-api-request/1\n";

AuthCheck Fail(const std::string& code, const std::string& message) {
  AuthCheck c;
  c.status = Status::Error(code, message);
  c.http_status = 401;
  return c;
}

const std::string* Find(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

}  // namespace

Bytes RequestSigningBytes(crypto::Suite suite, std::string_view chain_id, std::string_view method,
                          std::string_view target, int64_t time_ms, std::string_view body) {
  std::string s = kDomain;
  s.append(chain_id).append("\n");
  s.append(method).append("\n");
  s.append(target).append("\n");
  s.append(std::to_string(time_ms)).append("\n");
  s.append(crypto::DigestHex(crypto::Hash(suite, body)));
  return ToBytes(s);
}

std::map<std::string, std::string> SignRequest(const crypto::PrivateKey& key,
                                               std::string_view chain_id, std::string_view method,
                                               std::string_view target, int64_t time_ms,
                                               std::string_view body) {
  Bytes msg = RequestSigningBytes(key.suite(), chain_id, method, target, time_ms, body);
  return {{kAuthKeyHeader, Base64Encode(key.public_key())},
          {kAuthTimeHeader, std::to_string(time_ms)},
          {kAuthSignatureHeader, Base64Encode(key.Sign(msg))}};
}

AuthCheck CheckRequestSignature(crypto::Suite suite, std::string_view chain_id,
                                std::string_view method, std::string_view target,
                                std::string_view body,
                                const std::map<std::string, std::string>& headers, int64_t now_ms,
                                int64_t window_ms) {
  const std::string* key_b64 = Find(headers, kAuthKeyHeader);
  const std::string* time_text = Find(headers, kAuthTimeHeader);
  const std::string* sig_b64 = Find(headers, kAuthSignatureHeader);
  if (!key_b64 && !time_text && !sig_b64) {
    return Fail("auth_required",
                "this endpoint needs a request signed by a registered department or regulator "
                "key (X-Govledger-Key, X-Govledger-Time, X-Govledger-Signature; doc/api.md; the "
                "CLI signs with --key)");
  }
  if (!key_b64) return Fail("bad_auth", "X-Govledger-Key header missing");
  if (!time_text) return Fail("bad_auth", "X-Govledger-Time header missing");
  if (!sig_b64) return Fail("bad_auth", "X-Govledger-Signature header missing");
  auto key = Base64Decode(*key_b64);
  if (!key.ok() || !crypto::CheckPublicKey(suite, *key).ok()) {
    return Fail("bad_auth", std::string("X-Govledger-Key is not a base64 public key of the ") +
                                crypto::SuiteName(suite) + " suite");
  }
  int64_t time_ms = 0;
  auto [end, ec] =
      std::from_chars(time_text->data(), time_text->data() + time_text->size(), time_ms);
  if (ec != std::errc() || end != time_text->data() + time_text->size() || time_ms <= 0) {
    return Fail("bad_auth", "X-Govledger-Time must be milliseconds since 1970");
  }
  // Overflow-safe |now - time| > window.
  const bool stale = time_ms > now_ms ? time_ms - now_ms > window_ms : now_ms - time_ms > window_ms;
  if (stale) {
    return Fail("stale_request", "the request was signed at " + std::to_string(time_ms) +
                                     " ms, more than " + std::to_string(window_ms / 1000) +
                                     " s from the node's clock (" + std::to_string(now_ms) +
                                     " ms): sign it again, and check the clock");
  }
  auto sig = Base64Decode(*sig_b64);
  if (!sig.ok()) return Fail("bad_auth", "X-Govledger-Signature is not base64");
  Bytes msg = RequestSigningBytes(suite, chain_id, method, target, time_ms, body);
  if (!crypto::Verify(suite, *key, msg, *sig)) {
    return Fail("bad_request_signature",
                "the signature does not verify for this key over this chain, method, target, "
                "time and body");
  }
  AuthCheck ok;
  ok.key = std::move(*key);
  return ok;
}

}  // namespace govledger::node

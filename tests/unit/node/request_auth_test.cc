#include "node/request_auth.h"

#include <catch2/catch.hpp>

#include "util/bytes.h"

using namespace govledger;
using node::CheckRequestSignature;
using node::SignRequest;

namespace {

constexpr char kChain[] = "test-chain";
constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kWindow = 300'000;

node::AuthCheck Check(const std::map<std::string, std::string>& headers,
                      const std::string& target = "/v1/report?from_ms=1&to_ms=2",
                      const std::string& body = "", const std::string& method = "GET",
                      int64_t now = kNow, crypto::Suite suite = crypto::Suite::kP256,
                      const std::string& chain = kChain) {
  return CheckRequestSignature(suite, chain, method, target, body, headers, now, kWindow);
}

crypto::PrivateKey NewKey(crypto::Suite suite = crypto::Suite::kP256) {
  auto k = crypto::PrivateKey::Generate(suite);
  REQUIRE(k.ok());
  return std::move(*k);
}

}  // namespace

TEST_CASE("a signed request verifies and names its key", "[node][auth]") {
  auto key = NewKey();
  auto h = SignRequest(key, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  auto c = Check(h);
  REQUIRE(c.status.ok());
  CHECK(c.key == key.public_key());
}

TEST_CASE("a signed request verifies under the sm suite", "[node][auth]") {
  auto key = NewKey(crypto::Suite::kSm);
  auto h = SignRequest(key, kChain, "GET", "/v1/stats", kNow, "");
  auto c = Check(h, "/v1/stats", "", "GET", kNow, crypto::Suite::kSm);
  REQUIRE(c.status.ok());
}

TEST_CASE("a request without signature headers is auth_required", "[node][auth]") {
  auto c = Check({});
  CHECK(c.http_status == 401);
  CHECK(c.status.code() == "auth_required");
}

TEST_CASE("a request missing one signature header is bad_auth naming it", "[node][auth]") {
  auto key = NewKey();
  auto h = SignRequest(key, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  h.erase(node::kAuthTimeHeader);
  auto c = Check(h);
  CHECK(c.status.code() == "bad_auth");
  CHECK(c.status.message().find("X-Govledger-Time") != std::string::npos);
}

TEST_CASE("a signature by another key than the one named is bad_request_signature",
          "[node][auth]") {
  auto signer = NewKey(), named = NewKey();
  auto h = SignRequest(signer, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  h[node::kAuthKeyHeader] = Base64Encode(named.public_key());
  auto c = Check(h);
  CHECK(c.http_status == 401);
  CHECK(c.status.code() == "bad_request_signature");
}

TEST_CASE("a key of the other suite is bad_auth", "[node][auth]") {
  auto sm = NewKey(crypto::Suite::kSm);
  auto h = SignRequest(sm, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  auto c = Check(h);  // the network is p256
  CHECK(c.status.code() == "bad_auth");
}

TEST_CASE("a request signed outside the freshness window is stale_request", "[node][auth]") {
  auto key = NewKey();
  const std::string target = "/v1/report?from_ms=1&to_ms=2";
  auto old = SignRequest(key, kChain, "GET", target, kNow - kWindow - 1, "");
  CHECK(Check(old).status.code() == "stale_request");
  auto future = SignRequest(key, kChain, "GET", target, kNow + kWindow + 1, "");
  CHECK(Check(future).status.code() == "stale_request");
  // At the window's edge it is still fresh.
  auto edge = SignRequest(key, kChain, "GET", target, kNow - kWindow, "");
  CHECK(Check(edge).status.ok());
}

TEST_CASE("a captured signature replayed on another path or query is refused", "[node][auth]") {
  auto key = NewKey();
  auto h = SignRequest(key, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  CHECK(Check(h, "/v1/stats").status.code() == "bad_request_signature");
  CHECK(Check(h, "/v1/report?from_ms=0&to_ms=2").status.code() == "bad_request_signature");
  CHECK(Check(h, "/v1/report?from_ms=1&to_ms=2", "", "POST").status.code() ==
        "bad_request_signature");
}

TEST_CASE("a captured signature replayed on another chain is refused", "[node][auth]") {
  auto key = NewKey();
  auto h = SignRequest(key, kChain, "GET", "/v1/report?from_ms=1&to_ms=2", kNow, "");
  auto c = Check(h, "/v1/report?from_ms=1&to_ms=2", "", "GET", kNow, crypto::Suite::kP256,
                 "other-chain");
  CHECK(c.status.code() == "bad_request_signature");
}

TEST_CASE("a tampered body or timestamp breaks the signature", "[node][auth]") {
  auto key = NewKey();
  auto h = SignRequest(key, kChain, "POST", "/v1/x", kNow, "{\"a\":1}");
  REQUIRE(Check(h, "/v1/x", "{\"a\":1}", "POST").status.ok());
  CHECK(Check(h, "/v1/x", "{\"a\":2}", "POST").status.code() == "bad_request_signature");
  auto moved = h;
  moved[node::kAuthTimeHeader] = std::to_string(kNow + 1);
  CHECK(Check(moved, "/v1/x", "{\"a\":1}", "POST").status.code() == "bad_request_signature");
}

TEST_CASE("malformed signature headers are bad_auth, never a crash", "[node][auth]") {
  auto key = NewKey();
  auto good = SignRequest(key, kChain, "GET", "/v1/stats", kNow, "");
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {node::kAuthKeyHeader, "%%%"},
           {node::kAuthKeyHeader, Base64Encode(ToBytes("not a key"))},
           {node::kAuthTimeHeader, "12abc"},
           {node::kAuthTimeHeader, "-5"},
           {node::kAuthTimeHeader, "99999999999999999999999"},
           {node::kAuthSignatureHeader, "!!"}}) {
    auto h = good;
    h[name] = value;
    auto c = Check(h, "/v1/stats");
    INFO(name << " = " << value);
    CHECK(c.http_status == 401);
    CHECK(c.status.code() == "bad_auth");
  }
  auto garbage = good;
  garbage[node::kAuthSignatureHeader] = Base64Encode(ToBytes("garbage signature"));
  CHECK(Check(garbage, "/v1/stats").status.code() == "bad_request_signature");
}

// A blocking HTTP/1.1 client for the node's API, used by the CLI and the integration tests.
// One connection per request; http:// only (the API is meant for loopback or a department's
// internal network behind its own TLS terminator).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "util/status.h"

namespace govledger::node {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

// url: "http://HOST:PORT" (a trailing slash is fine); target: "/v1/status".
// The default timeout is longer than the node's longest commit wait (max_wait_ms, 60 s), so a
// waiting submission gets the node's answer (committed, or 202 pending) rather than a timeout.
// Fails with "unreachable" when the node cannot be reached and "bad_url" for a malformed URL.
Result<HttpResult> HttpGet(const std::string& url, const std::string& target,
                           int64_t timeout_ms = 75'000);
// A GET with extra request headers (e.g. a request signature, node/request_auth.h).
Result<HttpResult> HttpGetWithHeaders(const std::string& url, const std::string& target,
                                      const std::map<std::string, std::string>& headers,
                                      int64_t timeout_ms = 75'000);
Result<HttpResult> HttpPost(const std::string& url, const std::string& target,
                            const std::string& body, int64_t timeout_ms = 75'000,
                            const std::string& content_type = "application/json");
// Sends raw bytes as the whole request (for tests of malformed HTTP); returns the raw response.
Result<std::string> HttpRaw(const std::string& url, const std::string& request_bytes,
                            int64_t timeout_ms = 10'000);

}  // namespace govledger::node

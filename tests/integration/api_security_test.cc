// The HTTP API against hostile and unauthorised clients, on a real dev chain: signed requests for
// the non-public endpoints (unsigned, department-signed, regulator-signed, unregistered, stale,
// replayed), per-client rate limits (429 with Retry-After), slowloris connections cut off while
// others are served, and a load of hundreds of slow and fast connections during which the node
// keeps serving and committing. Nothing asserts a timing: deadlines are for "eventually".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <thread>

#include "bench/api_load.h"
#include "crypto/sign.h"
#include "node/http_client.h"
#include "node/request_auth.h"
#include "tests/integration/harness.h"
#include "util/time.h"

namespace govledger::itest {
namespace {

using LimitedChain = ConfiguredDevChain;
using Settings = ConfiguredDevChain::Settings;

crypto::PrivateKey LoadKey(const std::string& path) {
  auto key = crypto::PrivateKey::LoadPemFile(crypto::Suite::kP256, path);
  REQUIRE(key.ok());
  return std::move(*key);
}

node::HttpResult SignedGetAt(const std::string& url, const std::string& target,
                             const crypto::PrivateKey& key, const std::string& chain_id,
                             int64_t time_ms = 0) {
  auto headers = node::SignRequest(key, chain_id, "GET", target, time_ms ? time_ms : NowMs(), "");
  auto r = node::HttpGetWithHeaders(url, target, headers, 30'000);
  REQUIRE(r.ok());
  return *r;
}

std::string ErrorCode(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

std::string ReportTarget() {
  return "/v1/report?from_ms=0&to_ms=" + std::to_string(NowMs() + 86'400'000);
}

}  // namespace

TEST_CASE("an unsigned usage report is refused with 401 auth_required", "[api][auth]") {
  LimitedChain chain;
  HttpReply r = Get(chain.node.url(), ReportTarget());
  CHECK(r.status == 401);
  CHECK(ErrorCode(r.body) == "auth_required");
  // The CLI without --key says what is missing.
  CliResult cli = chain.node.Cli({"audit", "report", "--from", "-1d"}, /*json=*/false);
  CHECK(cli.exit_code == 2);
  CHECK(cli.err.find("auth_required") != std::string::npos);
  CHECK(cli.err.find("--key") != std::string::npos);
}

TEST_CASE("a department-signed and a regulator-signed usage report are answered", "[api][auth]") {
  LimitedChain chain;
  // health: a provider department; dsj: the dev network's regulator (role "regulator").
  for (const char* dept : {"health", "dsj"}) {
    INFO(dept);
    CliResult cli = chain.node.Cli(
        {"audit", "report", "--key", chain.node.KeyPath(dept), "--from", "-1d", "--format", "json"},
        /*json=*/false);
    REQUIRE(cli.exit_code == 0);
    Json j = Json::parse(cli.out, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j.contains("rows"));
    CHECK(j.contains("totals"));
  }
  // The node logs who read the non-public data.
  CHECK(WaitFor(
      [&] {
        return chain.node.LogTail(20'000).find("api: dsj read /v1/report") != std::string::npos;
      },
      milliseconds(10'000)));
}

TEST_CASE("a request signed by a key outside the registry is refused with 403", "[api][auth]") {
  LimitedChain chain;
  auto stranger = crypto::PrivateKey::Generate(crypto::Suite::kP256);
  REQUIRE(stranger.ok());
  auto r = SignedGetAt(chain.node.url(), ReportTarget(), *stranger, chain.chain_id());
  CHECK(r.status == 403);
  CHECK(ErrorCode(r.body) == "unregistered_key");
}

TEST_CASE("stale, replayed and tampered signatures are refused with 401 and a reason",
          "[api][auth]") {
  LimitedChain chain;
  const auto key = LoadKey(chain.node.KeyPath("dsj"));
  const std::string id = chain.chain_id(), url = chain.node.url();
  // Ten minutes old: outside the default five-minute window.
  auto stale = SignedGetAt(url, ReportTarget(), key, id, NowMs() - 600'000);
  CHECK(stale.status == 401);
  CHECK(ErrorCode(stale.body) == "stale_request");
  // Signed for /v1/stats, sent to /v1/report.
  auto headers = node::SignRequest(key, id, "GET", "/v1/stats", NowMs(), "");
  auto replayed = node::HttpGetWithHeaders(url, ReportTarget(), headers);
  REQUIRE(replayed.ok());
  CHECK(replayed->status == 401);
  CHECK(ErrorCode(replayed->body) == "bad_request_signature");
  // Signed for another chain.
  auto other = SignedGetAt(url, ReportTarget(), key, "some-other-chain");
  CHECK(other.status == 401);
  CHECK(ErrorCode(other.body) == "bad_request_signature");
  // The proper request is answered.
  CHECK(SignedGetAt(url, ReportTarget(), key, id).status == 200);
}

TEST_CASE("public endpoints answer unsigned and blocks hide their usage log unless signed",
          "[api][auth]") {
  LimitedChain chain;
  const std::string url = chain.node.url();
  REQUIRE(WaitFor([&] { return Status(url)["height"].get<uint64_t>() >= 1; },
                  milliseconds(30'000)));
  for (const char* target :
       {"/v1/status", "/v1/genesis", "/v1/registry", "/v1/validators", "/healthz", "/"}) {
    INFO(target);
    CHECK(Get(url, target).status == 200);
  }
  HttpReply pub = Get(url, "/v1/block/1");
  REQUIRE(pub.status == 200);
  Json p = pub.json();
  CHECK(p["redacted"] == true);
  CHECK(p.contains("hash"));
  CHECK(p.contains("commit"));
  CHECK_FALSE(p.contains("txs"));
  auto full =
      SignedGetAt(url, "/v1/block/1", LoadKey(chain.node.KeyPath("health")), chain.chain_id());
  REQUIRE(full.status == 200);
  Json f = Json::parse(full.body);
  CHECK(f.contains("txs"));
  CHECK(f["hash"] == p["hash"]);
  // Listings that enumerate a department's materials, grants, statistics and raw blocks are
  // signed-only; the listing by document digest (verification) is public.
  for (const char* target :
       {"/v1/materials?issuer=health", "/v1/stats", "/v1/block/1/raw", "/v1/grant/00"}) {
    INFO(target);
    HttpReply r = Get(url, target);
    CHECK(r.status == 401);
    CHECK(ErrorCode(r.body) == "auth_required");
  }
  CHECK(Get(url, "/v1/materials?digest=" + std::string(64, '0')).status == 200);
}

TEST_CASE(
    "a flood of reads from one client gets 429 with Retry-After while submissions keep "
    "their own budget",
    "[api][limits]") {
  LimitedChain chain(Settings{{"read_rate_per_s", "5"}, {"read_burst", "10"}});
  const std::string url = chain.node.url();
  std::map<int, int> statuses;
  std::string limited_answer;
  for (int i = 0; i < 60; ++i) {
    std::string raw =
        RawExchange(url, "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "");
    ++statuses[RawStatus(raw)];
    if (RawStatus(raw) == 429 && limited_answer.empty()) limited_answer = raw;
  }
  INFO(limited_answer);
  CHECK(statuses[200] >= 1);  // the burst (less what starting the node used)
  REQUIRE(statuses[429] > 0);
  CHECK(statuses[200] + statuses[429] == 60);  // nothing else: every request answered cleanly
  CHECK(limited_answer.find("Retry-After: ") != std::string::npos);
  CHECK(ErrorCode(RawBody(limited_answer)) == "rate_limited");
  // Submissions are counted apart: a department can still submit while its reads are limited.
  TxFactory factory(chain.node.home());
  HttpReply sub = Post(url, "/v1/tx", TxRequestBody(factory.Issue({}, 1000).tx.raw));
  CHECK((sub.status == 200 || sub.status == 202));
  // The node says so on /metrics, once the bucket has refilled enough to ask.
  std::string metrics;
  REQUIRE(WaitFor(
      [&] {
        HttpReply m = Get(url, "/metrics");
        metrics = m.body;
        return m.status == 200;
      },
      milliseconds(30'000), milliseconds(300)));
  CHECK(metrics.find("govledger_api_rate_limited_total{kind=\"read\"}") != std::string::npos);
}

TEST_CASE("a slowloris connection is closed by the node while other clients are served",
          "[api][limits]") {
  LimitedChain chain(Settings{{"header_timeout_ms", "1000"}});
  const uint16_t port =
      static_cast<uint16_t>(std::stoi(chain.node.url().substr(chain.node.url().rfind(':') + 1)));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto send = [fd](const std::string& s) {
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  };
  REQUIRE(send("GET /v1/status HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false, others_served = true;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!closed && std::chrono::steady_clock::now() < give_up) {
    if (!send("X-Drip: 1\r\n")) {
      closed = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[256];
      closed = ::recv(fd, buf, sizeof buf, 0) <= 0;
    }
    others_served = others_served && Get(chain.node.url(), "/v1/status").status == 200;
  }
  ::close(fd);
  CHECK(closed);
  CHECK(others_served);
  CHECK(Get(chain.node.url(), "/metrics")
            .body.find("govledger_api_timeouts_total{phase=\"header\"} 0") == std::string::npos);
}

TEST_CASE("under hundreds of slow and fast connections the node keeps serving and committing",
          "[api][load]") {
  bench::RaiseDescriptorLimit();
  LimitedChain chain(Settings{{"header_timeout_ms", "2000"},
                              {"max_connections_per_ip", "64"},
                              {"read_rate_per_s", "100"},
                              {"read_burst", "100"}});
  const std::string url = chain.node.url();
  bench::ApiLoadOptions o;
  o.port = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  o.fast_clients = 300;
  o.slow_clients = 300;
  o.source_addresses = 8;  // 75 connections per address: over the cap of 64
  o.drip_interval_ms = 500;
  std::atomic<bool> stop{false};
  bench::ApiLoadResult result;
  const uint64_t h0 = Status(url)["height"].get<uint64_t>();
  std::thread load([&] { result = bench::RunApiLoad(o, stop); });
  // Consensus keeps committing under the load, and this (separate) client is served throughout.
  uint64_t h = h0;
  bool served = WaitFor(
      [&] {
        auto r = node::HttpGet(url, "/v1/status", 10'000);
        if (!r.ok() || r->status != 200) return false;
        h = Json::parse(r->body)["height"].get<uint64_t>();
        return h >= h0 + 10;
      },
      milliseconds(90'000), milliseconds(200));
  // Long enough for the slowloris connections to hit their header deadline at least once.
  WaitFor([&] { return false; }, milliseconds(3'000), milliseconds(500));
  stop = true;
  load.join();
  INFO("height " << h0 << " -> " << h << "; fast connections " << result.fast_connections
                 << ", transport errors " << result.fast_transport_errors << ", slow "
                 << result.slow_connections << ", slow cut off " << result.slow_closed_by_server
                 << ", peak open " << result.peak_open);
  REQUIRE(served);
  CHECK(chain.node.running());
  // Every answer a fast client got is a clean one: served, rate limited or refused at a cap.
  uint64_t answered = 0;
  for (const auto& [status, n] : result.statuses) {
    INFO("status " << status << " x" << n);
    CHECK((status == 200 || status == 429 || status == 503));
    answered += n;
  }
  CHECK(result.statuses[200] > 0);
  CHECK(answered > 0);
  CHECK(result.slow_closed_by_server + result.slow_answered > 0);
  CHECK(Get(url, "/healthz").status == 200);
}

}  // namespace govledger::itest

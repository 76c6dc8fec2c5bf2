#include "node/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "node/http_client.h"

using namespace govledger;

namespace {

// Runs an HttpServer whose handler echoes the request on a background io thread.
class EchoServer {
 public:
  explicit EchoServer(node::HttpLimits limits) {
    server_ = std::make_unique<node::HttpServer>(
        io_, limits, [](node::HttpRequest req, node::Responder respond) {
          node::HttpResponse r;
          r.content_type = "text/plain";
          r.body = req.method + " " + req.path + " q=" +
                   (req.query.count("q") ? req.query.at("q") : "") + " body=" + req.body;
          respond(r);
        });
    REQUIRE(server_->Listen("127.0.0.1", 0).ok());
    port_ = server_->endpoint().port();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    boost::asio::post(io_, [this] {
      server_->Stop();
      io_.stop();
    });
    thread_.join();
  }
  const std::string& url() const { return url_; }
  uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<node::HttpServer> server_;
  std::thread thread_;
  std::string url_;
  uint16_t port_ = 0;
};

// A raw TCP client, to behave the way no well-written client does (drip bytes, never read).
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawClient() { ::close(fd_); }
  // False once the server has closed the connection (EPIPE / ECONNRESET).
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads what arrives within `wait_ms`; sets closed() when the server has closed.
  std::string Read(int wait_ms) {
    std::string out;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, wait_ms) > 0) {
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      wait_ms = 50;
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  int fd_;
  bool closed_ = false;
};

}  // namespace

TEST_CASE("http server closes a slowloris connection whose header never ends, serving others",
          "[node][limits]") {
  node::HttpLimits limits;
  limits.header_timeout_ms = 300;
  EchoServer s(limits);
  RawClient slow(s.port());
  REQUIRE(slow.Send("GET / HTTP/1.1\r\nHost: x\r\n"));
  // One header line every 50 ms keeps a per-read timeout alive forever; the deadline is for the
  // whole header. Meanwhile other clients are served.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool served_meanwhile = false;
  while (!slow.closed() && std::chrono::steady_clock::now() < give_up) {
    if (!slow.Send("X-Drip: 1\r\n")) break;
    slow.Read(50);
    if (!served_meanwhile) {
      auto r = node::HttpGet(s.url(), "/other");
      served_meanwhile = r.ok() && r->status == 200;
    }
  }
  CHECK(served_meanwhile);
  // Closed by the server: the next send or read fails.
  bool closed = slow.closed();
  for (int i = 0; i < 10 && !closed; ++i) {
    closed = !slow.Send("X-Drip: 1\r\n");
    slow.Read(50);
    closed = closed || slow.closed();
  }
  REQUIRE(closed);
}

TEST_CASE("http server closes a connection whose body never completes", "[node][limits]") {
  node::HttpLimits limits;
  limits.body_timeout_ms = 300;
  EchoServer s(limits);
  RawClient slow(s.port());
  REQUIRE(slow.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!slow.closed() && std::chrono::steady_clock::now() < give_up) {
    if (!slow.Send("x")) break;
    slow.Read(50);
  }
  bool closed = slow.closed() || !slow.Send("x");
  if (!closed) {
    slow.Read(200);
    closed = slow.closed() || !slow.Send("x");
  }
  REQUIRE(closed);
}

TEST_CASE("http server answers 100 Continue to a client that asks before sending its body",
          "[node][limits]") {
  EchoServer s({});
  RawClient client(s.port());
  REQUIRE(client.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                      "Expect: 100-continue\r\n\r\n"));
  std::string got;
  for (int i = 0; i < 300 && got.find("100 Continue") == std::string::npos; ++i) {
    got += client.Read(100);
  }
  REQUIRE(got.rfind("HTTP/1.1 100 Continue", 0) == 0);
  REQUIRE(client.Send("abcd"));
  for (int i = 0; i < 300 && got.find("body=abcd") == std::string::npos; ++i) {
    got += client.Read(100);
  }
  CHECK(got.find("HTTP/1.1 200") != std::string::npos);
  CHECK(got.find("POST /e q= body=abcd") != std::string::npos);
}

TEST_CASE("http server closes an idle kept-alive connection", "[node][limits]") {
  node::HttpLimits limits;
  limits.idle_timeout_ms = 200;
  EchoServer s(limits);
  RawClient client(s.port());
  REQUIRE(client.Send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string answer;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (answer.find("GET /first") == std::string::npos && !client.closed() &&
         std::chrono::steady_clock::now() < give_up) {
    answer += client.Read(100);
  }
  REQUIRE(answer.rfind("HTTP/1.1 200", 0) == 0);
  REQUIRE_FALSE(client.closed());  // kept alive after the answer
  while (!client.closed() && std::chrono::steady_clock::now() < give_up) client.Read(100);
  REQUIRE(client.closed());
}

TEST_CASE("http server answers 503 past the per-address connection cap and serves again after",
          "[node][limits]") {
  node::HttpLimits limits;
  limits.max_connections_per_ip = 2;
  EchoServer s(limits);
  auto a = std::make_unique<RawClient>(s.port());
  auto b = std::make_unique<RawClient>(s.port());
  // Both are accepted (and counted) once each has been answered once.
  for (auto* c : {a.get(), b.get()}) {
    REQUIRE(c->Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string got;
    for (int i = 0; i < 300 && got.find("GET /hold") == std::string::npos; ++i) got += c->Read(100);
    REQUIRE(got.rfind("HTTP/1.1 200", 0) == 0);
  }
  RawClient third(s.port());
  std::string refused;
  for (int i = 0; i < 300 && !third.closed(); ++i) refused += third.Read(100);
  INFO(refused);
  REQUIRE(refused.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(refused.find("too_many_connections") != std::string::npos);
  CHECK(refused.find("Retry-After") != std::string::npos);
  a.reset();
  // Once one closes, a new connection is served again (eventually: the server sees the close).
  bool served = false;
  for (int i = 0; i < 1500 && !served; ++i) {  // up to half a minute on a busy machine
    auto r = node::HttpGet(s.url(), "/again");
    served = r.ok() && r->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(served);
}

TEST_CASE("http server decodes path, query and body", "[node]") {
  EchoServer s({});
  auto r = node::HttpPost(s.url(), "/v1/x%20y?q=a%2Bb", "payload");
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
  REQUIRE(r->body == "POST /v1/x y q=a+b body=payload");
}

TEST_CASE("http server answers 413 to a body over the limit", "[node]") {
  node::HttpLimits limits;
  limits.max_body_bytes = 1024;
  EchoServer s(limits);
  auto r = node::HttpPost(s.url(), "/", std::string(4096, 'x'));
  REQUIRE(r.ok());
  REQUIRE(r->status == 413);
  REQUIRE(r->body.find("body_too_large") != std::string::npos);
  auto after = node::HttpGet(s.url(), "/ok");
  REQUIRE(after.ok());
  REQUIRE(after->status == 200);
}

TEST_CASE("http server answers 431 to oversized headers", "[node]") {
  node::HttpLimits limits;
  limits.max_header_bytes = 1024;
  EchoServer s(limits);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n";
  auto r = node::HttpRaw(s.url(), req);
  REQUIRE(r.ok());
  REQUIRE(r->rfind("HTTP/1.1 431", 0) == 0);
}

TEST_CASE("http server answers 400 to a malformed request and keeps serving", "[node]") {
  EchoServer s({});
  for (const char* garbage : {"\x01\x02\x03 nonsense\r\n\r\n", "GET / HTTP/9\r\n\r\n",
                              "POST / HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
    auto r = node::HttpRaw(s.url(), garbage);
    REQUIRE(r.ok());
    INFO(*r);
    REQUIRE(r->rfind("HTTP/1.1 400", 0) == 0);
  }
  auto bad_escape = node::HttpGet(s.url(), "/a%zz");
  REQUIRE(bad_escape.ok());
  REQUIRE(bad_escape->status == 400);
  auto after = node::HttpGet(s.url(), "/still-here");
  REQUIRE(after.ok());
  REQUIRE(after->status == 200);
}

TEST_CASE("url decoding rejects truncated escapes", "[node]") {
  std::string out;
  REQUIRE(node::UrlDecode("a%41+b", out));
  REQUIRE(out == "aA b");
  REQUIRE_FALSE(node::UrlDecode("%4", out));
  REQUIRE_FALSE(node::UrlDecode("%", out));
  REQUIRE_FALSE(node::UrlDecode("%g0", out));
}

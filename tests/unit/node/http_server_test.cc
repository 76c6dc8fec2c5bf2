#include "node/http_server.h"

#include <catch2/catch.hpp>
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
    url_ = "http://127.0.0.1:" + std::to_string(server_->endpoint().port());
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

 private:
  boost::asio::io_context io_;
  std::unique_ptr<node::HttpServer> server_;
  std::thread thread_;
  std::string url_;
};

}  // namespace

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

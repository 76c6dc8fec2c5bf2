#include "node/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace govledger::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Endpoint {
  std::string host;
  std::string port;
};

Result<Endpoint> ParseUrl(const std::string& url) {
  static const std::string kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return Status::Error("bad_url", "node URL must start with http://, got '" + url + "'");
  }
  std::string rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return Status::Error("bad_url", "node URL needs HOST:PORT, got '" + url + "'");
  }
  Endpoint ep{rest.substr(0, colon), rest.substr(colon + 1)};
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  return ep;
}

Result<HttpResult> Request(const std::string& url, http::verb verb, const std::string& target,
                           const std::string& body, const std::string& content_type,
                           int64_t timeout_ms,
                           const std::map<std::string, std::string>& headers = {}) {
  auto ep = ParseUrl(url);
  if (!ep.ok()) return ep.status();
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(ep->host, ep->port, ec);
  if (ec) return Status::Error("unreachable", "cannot resolve " + ep->host + ": " + ec.message());
  stream.expires_after(std::chrono::milliseconds(timeout_ms));

  HttpResult out;
  bool done = false;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, ep->host + ":" + ep->port);
  req.set(http::field::user_agent, "govledger");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (verb == http::verb::post) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);

  stream.async_connect(results, [&](beast::error_code cec, const tcp::endpoint&) {
    if (cec) {
      ec = cec;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code wec, size_t) {
      if (wec) {
        ec = wec;
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code rec, size_t) {
        if (rec) {
          ec = rec;
          return;
        }
        done = true;
      });
    });
  });
  io.run();
  if (!done) {
    std::string what = ec == beast::error::timeout ? "timed out after " + std::to_string(timeout_ms) + " ms"
                                                   : ec.message();
    return Status::Error("unreachable", "node at " + url + " did not answer: " + what);
  }
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  out.content_type = std::string(res[http::field::content_type]);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace

Result<HttpResult> HttpGet(const std::string& url, const std::string& target, int64_t timeout_ms) {
  return Request(url, http::verb::get, target, "", "", timeout_ms);
}

Result<HttpResult> HttpGetWithHeaders(const std::string& url, const std::string& target,
                                      const std::map<std::string, std::string>& headers,
                                      int64_t timeout_ms) {
  return Request(url, http::verb::get, target, "", "", timeout_ms, headers);
}

Result<HttpResult> HttpPost(const std::string& url, const std::string& target,
                            const std::string& body, int64_t timeout_ms,
                            const std::string& content_type) {
  return Request(url, http::verb::post, target, body, content_type, timeout_ms);
}

Result<std::string> HttpRaw(const std::string& url, const std::string& request_bytes,
                            int64_t timeout_ms) {
  auto ep = ParseUrl(url);
  if (!ep.ok()) return ep.status();
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(ep->host, ep->port, ec);
  if (ec) return Status::Error("unreachable", ec.message());
  stream.expires_after(std::chrono::milliseconds(timeout_ms));
  std::string response;
  std::array<char, 4096> chunk{};
  std::function<void()> read_more = [&] {
    stream.async_read_some(asio::buffer(chunk), [&](beast::error_code rec, size_t n) {
      response.append(chunk.data(), n);
      if (!rec) read_more();
    });
  };
  stream.async_connect(results, [&](beast::error_code cec, const tcp::endpoint&) {
    if (cec) {
      ec = cec;
      return;
    }
    asio::async_write(stream, asio::buffer(request_bytes), [&](beast::error_code wec, size_t) {
      if (wec) {
        ec = wec;
        return;
      }
      read_more();
    });
  });
  io.run();
  if (ec) return Status::Error("unreachable", ec.message());
  return response;
}

}  // namespace govledger::node

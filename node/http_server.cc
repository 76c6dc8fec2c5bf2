#include "node/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

#include "node/log.h"

namespace govledger::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool DecodeTarget(const std::string& target, HttpRequest& req, std::string& error) {
  std::string raw_path = target, raw_query;
  if (auto q = target.find('?'); q != std::string::npos) {
    raw_path = target.substr(0, q);
    raw_query = target.substr(q + 1);
  }
  if (!UrlDecode(raw_path, req.path)) {
    error = "malformed percent-encoding in path";
    return false;
  }
  size_t pos = 0;
  while (pos < raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string::npos) amp = raw_query.size();
    std::string pair = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    std::string k, v;
    size_t eq = pair.find('=');
    if (!UrlDecode(pair.substr(0, eq), k) ||
        !UrlDecode(eq == std::string::npos ? "" : pair.substr(eq + 1), v)) {
      error = "malformed percent-encoding in query";
      return false;
    }
    req.query[k] = v;
  }
  return true;
}

bool UrlDecode(const std::string& in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

namespace {

std::string ErrorJson(const std::string& code, const std::string& message) {
  // Messages here are fixed ASCII strings from this file; no escaping needed beyond quotes.
  std::string m;
  for (char c : message) {
    if (c == '"' || c == '\\') m.push_back('\\');
    m.push_back(c);
  }
  return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + m + "\"}}";
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_in, HttpLimits limits_in, HttpHandler handler_in)
      : io(io_in), limits(limits_in), handler(std::move(handler_in)), acceptor(io_in) {}

  void Accept();

  asio::io_context& io;
  HttpLimits limits;
  HttpHandler handler;
  tcp::acceptor acceptor;
  size_t connections = 0;
  bool stopped = false;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket)
      : server_(std::move(server)), stream_(std::move(socket)) {
    ++server_->connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() { --server_->connections; }

  void Read() {
    if (server_->stopped) return;
    parser_.emplace();
    parser_->body_limit(server_->limits.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->limits.max_header_bytes));
    stream_.expires_after(std::chrono::milliseconds(server_->limits.read_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec == http::error::body_limit) {
      WriteError(413, "body_too_large",
                 "request body exceeds " + std::to_string(server_->limits.max_body_bytes) + " bytes");
      return;
    }
    if (ec == http::error::header_limit) {
      WriteError(431, "headers_too_large", "request headers too large");
      return;
    }
    if (ec) {
      WriteError(400, "bad_request", "malformed HTTP request: " + ec.message());
      return;
    }
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.remote = remote_;
    if (std::string error; !DecodeTarget(std::string(msg.target()), req, error)) {
      WriteError(400, "bad_request", error);
      return;
    }
    req.body = std::move(msg.body());
    req.content_type = std::string(msg[http::field::content_type]);
    req.if_none_match = std::string(msg[http::field::if_none_match]);
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    // The handler may take long (waiting for a commit); its own deadline applies, not the read's.
    stream_.expires_never();
    auto answered = std::make_shared<bool>(false);
    server_->handler(std::move(req), [self = shared_from_this(), answered](HttpResponse r) {
      if (*answered) return;
      *answered = true;
      self->Write(std::move(r));
    });
  }

  void WriteError(int status, const std::string& code, const std::string& message) {
    keep_alive_ = false;
    HttpResponse r;
    r.status = status;
    r.body = ErrorJson(code, message);
    Write(std::move(r));
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "govledger-node");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_ && !server_->stopped);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::milliseconds(server_->limits.read_timeout_ms));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  std::shared_ptr<HttpServer::Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped) return;
    if (ec) {
      // Out of descriptors and the like: log, and keep accepting.
      GOVLEDGER_LOG(kWarn, "api accept failed: " << ec.message());
    } else if (self->connections >= self->limits.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(self, std::move(socket))->Read();
    }
    self->Accept();
  });
}

HttpServer::HttpServer(asio::io_context& io, HttpLimits limits, HttpHandler handler)
    : impl_(std::make_shared<Impl>(io, limits, std::move(handler))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Status::Error("bad_address", "cannot parse listen address '" + host + "'");
  tcp::endpoint ep(addr, port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error("listen_failed", "cannot listen on " + host + ":" + std::to_string(port) +
                                              ": " + ec.message());
  }
  impl_->Accept();
  return Status::Ok();
}

tcp::endpoint HttpServer::endpoint() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec);
}

void HttpServer::Stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

size_t HttpServer::open_connections() const { return impl_->connections; }

}  // namespace govledger::node

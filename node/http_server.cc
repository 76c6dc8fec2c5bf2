#include "node/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <unordered_map>

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
      : io(io_in),
        limits(limits_in),
        handler(std::move(handler_in)),
        acceptor(io_in),
        backoff(io_in) {}

  void Accept();
  void OnAccepted(beast::error_code ec, tcp::socket socket);

  asio::io_context& io;
  HttpLimits limits;
  HttpHandler handler;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;  // after an accept error (out of descriptors), before retrying
  size_t connections = 0;
  size_t refusing = 0;  // connections being answered 503 before they are closed
  std::unordered_map<std::string, size_t> per_ip;
  HttpServerStats stats;
  bool stopped = false;
};

namespace {

// Answers a connection refused for a cap with one 503 and closes it. Bounded in number
// (kMaxRefusing) and in time (a short write deadline): past that a refused socket is just closed.
constexpr size_t kMaxRefusing = 256;
constexpr int64_t kRefuseWriteMs = 2'000;
constexpr int64_t kAcceptBackoffMs = 50;

std::string IpOf(const tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return {};
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
  }
  return addr.to_string();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket, std::string ip,
          bool counted)
      : server_(std::move(server)), stream_(std::move(socket)), ip_(std::move(ip)),
        counted_(counted) {
    if (counted_) {
      ++server_->connections;
      ++server_->per_ip[ip_];
    } else {
      ++server_->refusing;
    }
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ip_ + ":" + std::to_string(ep.port());
  }
  ~Session() {
    if (!counted_) {
      --server_->refusing;
      return;
    }
    --server_->connections;
    auto it = server_->per_ip.find(ip_);
    if (it != server_->per_ip.end() && --it->second == 0) server_->per_ip.erase(it);
  }

  // The first request of a connection: its header deadline runs from the accept.
  void Start() { ReadHeader(); }

  void Refuse(int status, const std::string& code, const std::string& message) {
    keep_alive_ = false;
    HttpResponse r;
    r.status = status;
    r.body = ErrorJson(code, message);
    r.headers["Retry-After"] = "1";
    Write(std::move(r), kRefuseWriteMs);
  }

 private:
  // A kept-alive connection: wait (idle deadline) for the next request's first byte, unless a
  // pipelined request is already buffered.
  void WaitForNext() {
    if (server_->stopped) return Close();
    if (buffer_.size() > 0) return ReadHeader();
    stream_.expires_after(std::chrono::milliseconds(server_->limits.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](
                                                       beast::error_code ec, size_t n) {
      if (ec) {
        if (ec == beast::error::timeout) ++self->server_->stats.idle_closed;
        return self->Close();
      }
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    if (server_->stopped) return Close();
    parser_.emplace();
    parser_->body_limit(server_->limits.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->limits.max_header_bytes));
    stream_.expires_after(std::chrono::milliseconds(server_->limits.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == beast::error::timeout) ++server_->stats.header_timeouts;
    if (ec) return OnReadError(ec);
    if (parser_->is_done()) return Dispatch();
    stream_.expires_after(std::chrono::milliseconds(server_->limits.body_timeout_ms));
    // A client that asks first (curl does for bodies over 1 KiB) is told to go on, under the
    // body's deadline.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue),
                               [self = shared_from_this()](beast::error_code wec, size_t) {
                                 if (wec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code bec, size_t) {
                       if (bec == beast::error::timeout) ++self->server_->stats.body_timeouts;
                       if (bec) return self->OnReadError(bec);
                       self->Dispatch();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      // A deadline closes the socket (beast::tcp_stream); a slow client gets no answer.
      return Close();
    }
    if (ec == http::error::body_limit) {
      return WriteError(413, "body_too_large",
                        "request body exceeds " +
                            std::to_string(server_->limits.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return WriteError(431, "headers_too_large", "request headers too large");
    }
    WriteError(400, "bad_request", "malformed HTTP request: " + ec.message());
  }

  void Dispatch() {
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.remote = remote_;
    req.remote_ip = ip_;
    req.target = std::string(msg.target());
    if (std::string error; !DecodeTarget(req.target, req, error)) {
      WriteError(400, "bad_request", error);
      return;
    }
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name.rfind("x-govledger-", 0) == 0) req.auth_headers[name] = std::string(field.value());
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
      self->Write(std::move(r), self->server_->limits.write_timeout_ms);
    });
  }

  void WriteError(int status, const std::string& code, const std::string& message) {
    keep_alive_ = false;
    HttpResponse r;
    r.status = status;
    r.body = ErrorJson(code, message);
    Write(std::move(r), server_->limits.write_timeout_ms);
  }

  void Write(HttpResponse r, int64_t deadline_ms) {
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
    stream_.expires_after(std::chrono::milliseconds(deadline_ms));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec == beast::error::timeout) ++self->server_->stats.write_timeouts;
                        if (ec || !res->keep_alive()) {
                          self->Close();
                          return;
                        }
                        self->WaitForNext();
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
  std::string ip_;
  std::string remote_;
  bool counted_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->OnAccepted(ec, std::move(socket));
  });
}

void HttpServer::Impl::OnAccepted(beast::error_code ec, tcp::socket socket) {
  if (stopped) return;
  if (ec) {
    // Out of descriptors and the like: retrying at once would spin the io thread (the pending
    // connection stays in the backlog and fails again), so back off briefly and log once.
    if (stats.accept_errors++ == 0 || stats.accept_errors % 1000 == 0) {
      GOVLEDGER_LOG(kWarn, "api accept failed (" << stats.accept_errors
                                                 << " times so far): " << ec.message());
    }
    backoff.expires_after(std::chrono::milliseconds(kAcceptBackoffMs));
    backoff.async_wait([self = shared_from_this()](beast::error_code wec) {
      if (!wec && !self->stopped) self->Accept();
    });
    return;
  }
  ++stats.accepted;
  std::string ip = IpOf(socket);
  auto it = per_ip.find(ip);
  const size_t from_ip = it == per_ip.end() ? 0 : it->second;
  if (connections >= limits.max_connections || from_ip >= limits.max_connections_per_ip) {
    const bool total = connections >= limits.max_connections;
    ++(total ? stats.refused_total_cap : stats.refused_per_ip_cap);
    if (refusing < kMaxRefusing) {
      std::make_shared<Session>(shared_from_this(), std::move(socket), ip, /*counted=*/false)
          ->Refuse(503, "too_many_connections",
                   total ? "the node has too many open API connections; retry later"
                         : "too many open API connections from " + ip + "; retry later");
    } else {
      beast::error_code ignored;
      socket.close(ignored);
    }
  } else {
    std::make_shared<Session>(shared_from_this(), std::move(socket), ip, /*counted=*/true)
        ->Start();
  }
  Accept();
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
  impl_->backoff.cancel();
}

size_t HttpServer::open_connections() const { return impl_->connections; }
const HttpServerStats& HttpServer::stats() const { return impl_->stats; }

}  // namespace govledger::node

// A small asynchronous HTTP/1.1 server on Boost.Beast for the node's API. It enforces header and
// body size limits; deadlines against slow clients (slowloris): one for the whole request header,
// one for the body, one for writing the answer and an idle limit between keep-alive requests; and
// connection caps, in total and per client address (past a cap a connection is answered 503 and
// closed). Malformed requests get a 400 with a reason and never reach the handler. Accepting never
// spins: when the process is out of descriptors the acceptor backs off.
//
// Handlers run on the io_context thread and may answer later (a client waiting for a commit):
// they receive a Responder they must call exactly once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "util/status.h"

namespace govledger::node {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query
  std::map<std::string, std::string> query;
  std::string body;
  std::string content_type;
  std::string target;  // the request target exactly as sent (path and query, still encoded)
  std::string remote;  // peer address "ip:port"
  std::string remote_ip;  // peer address without the port (the rate limits' client key)
  // Headers named x-govledger-* (request signatures, node/request_auth.h), lowercased names.
  std::map<std::string, std::string> auth_headers;
  std::string if_none_match;  // If-None-Match header (conditional GET of the web page)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpLimits {
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  size_t max_connections = 4096;         // open connections in total
  size_t max_connections_per_ip = 256;   // open connections from one client address
  int64_t header_timeout_ms = 10'000;    // from the request's first byte to its last header line
  int64_t body_timeout_ms = 30'000;      // from the end of the header to the end of the body
  int64_t write_timeout_ms = 30'000;     // to write one answer
  int64_t idle_timeout_ms = 30'000;      // a kept-alive connection waiting for its next request
};

// Counters of what the server refused or cut off (rendered on /metrics).
struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t refused_total_cap = 0;   // over max_connections
  uint64_t refused_per_ip_cap = 0;  // over max_connections_per_ip
  uint64_t header_timeouts = 0;
  uint64_t body_timeouts = 0;
  uint64_t write_timeouts = 0;
  uint64_t idle_closed = 0;
  uint64_t accept_errors = 0;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpLimits limits, HttpHandler handler);
  ~HttpServer();

  // Binds and starts accepting. Port 0 binds a free port; see endpoint().
  Status Listen(const std::string& host, uint16_t port);
  boost::asio::ip::tcp::endpoint endpoint() const;
  void Stop();
  size_t open_connections() const;
  const HttpServerStats& stats() const;

  struct Impl;  // opaque; public so the connection sessions in the .cc can share it

 private:
  std::shared_ptr<Impl> impl_;
};

// "%41b" → "Ab"; false on a malformed escape.
bool UrlDecode(const std::string& in, std::string& out);
// A request target ("/v1/x?a=1&b=%41") into req.path and req.query (percent-decoded; a repeated
// key keeps the last value). On a malformed escape, false with `error` saying where (the server
// answers 400 bad_request with it).
bool DecodeTarget(const std::string& target, HttpRequest& req, std::string& error);

}  // namespace govledger::node

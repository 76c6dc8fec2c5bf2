// A small asynchronous HTTP/1.1 server on Boost.Beast for the node's API. It enforces header and
// body size limits, a per-request read timeout (slow clients are dropped) and a connection cap;
// malformed requests get a 400 with a reason and never reach the handler.
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
  std::string remote;  // peer address
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
  size_t max_connections = 4096;
  int64_t read_timeout_ms = 30'000;
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

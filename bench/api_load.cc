#include "bench/api_load.h"

#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>

namespace govledger::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

uint64_t RaiseDescriptorLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

namespace {

struct Shared {
  const ApiLoadOptions& options;
  ApiLoadResult& result;
  asio::io_context& io;
  tcp::endpoint server;
  bool stopping = false;
  size_t open = 0;

  void Opened() {
    ++open;
    if (open > result.peak_open) result.peak_open = open;
  }
  tcp::endpoint Source(size_t i) const {
    const size_t n = options.source_addresses == 0 ? 1 : options.source_addresses;
    asio::ip::address_v4::bytes_type b = {127, 0, 0, static_cast<unsigned char>(2 + i % n)};
    return tcp::endpoint(asio::ip::address_v4(b), 0);
  }
};

// Opens a socket bound to the client's source address and connects it.
template <typename Done>
void Connect(Shared& s, size_t index, tcp::socket& socket, Done done) {
  beast::error_code ec;
  socket.open(tcp::v4(), ec);
  if (!ec) socket.bind(s.Source(index), ec);
  if (ec) {
    asio::post(s.io, [done, ec] { done(ec); });
    return;
  }
  socket.async_connect(s.server, done);
}

class FastClient : public std::enable_shared_from_this<FastClient> {
 public:
  FastClient(Shared& s, size_t index) : s_(s), index_(index), socket_(s.io), retry_(s.io) {}

  void Start() {
    if (s_.stopping) return;
    socket_ = tcp::socket(s_.io);
    ++s_.result.fast_connections;
    Connect(s_, index_, socket_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Failed();
      self->s_.Opened();
      self->connected_ = true;
      self->Send();
    });
  }

 private:
  void Send() {
    if (s_.stopping) return Close();
    const auto& targets = s_.options.targets;
    req_ = {http::verb::get, targets[next_++ % targets.size()], 11};
    req_.set(http::field::host, "node");
    req_.keep_alive(true);
    http::async_write(socket_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Failed();
      self->res_.emplace();
      self->res_->body_limit(64u << 20);
      http::async_read(self->socket_, self->buffer_, *self->res_,
                       [self](beast::error_code rec, size_t) {
                         if (rec) return self->Failed();
                         const auto& msg = self->res_->get();
                         ++self->s_.result.statuses[static_cast<int>(msg.result_int())];
                         if (!msg.keep_alive()) {
                           self->Close();
                           return self->Later(0);
                         }
                         // A refused client backs off as Retry-After asks (at most a second).
                         if (msg.result_int() == 429 || msg.result_int() == 503) {
                           return self->Pause(200);
                         }
                         self->Send();
                       });
    });
  }

  void Pause(int64_t ms) {
    retry_.expires_after(std::chrono::milliseconds(ms));
    retry_.async_wait([self = shared_from_this()](beast::error_code) { self->Send(); });
  }

  void Failed() {
    ++s_.result.fast_transport_errors;
    Close();
    Later(100);
  }

  void Later(int64_t ms) {
    retry_.expires_after(std::chrono::milliseconds(ms));
    retry_.async_wait([self = shared_from_this()](beast::error_code) { self->Start(); });
  }

  void Close() {
    beast::error_code ec;
    socket_.close(ec);
    buffer_.clear();
    if (connected_) --s_.open;
    connected_ = false;
  }

  Shared& s_;
  size_t index_;
  tcp::socket socket_;
  asio::steady_timer retry_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> req_;
  std::optional<http::response_parser<http::string_body>> res_;
  size_t next_ = 0;
  bool connected_ = false;
};

class SlowClient : public std::enable_shared_from_this<SlowClient> {
 public:
  SlowClient(Shared& s, size_t index) : s_(s), index_(index), socket_(s.io), timer_(s.io) {}

  void Start() {
    if (s_.stopping) return;
    socket_ = tcp::socket(s_.io);
    ++s_.result.slow_connections;
    Connect(s_, index_, socket_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Later(500);
      self->s_.Opened();
      self->connected_ = true;
      self->Watch();
      self->Drip("GET /v1/status HTTP/1.1\r\nHost: node\r\n");
    });
  }

 private:
  // Whatever the node sends (a 503 at a cap) or its close ends this connection.
  void Watch() {
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!self->connected_) return;
                              if (ec) {
                                ++self->s_.result.slow_closed_by_server;
                              } else {
                                ++self->s_.result.slow_answered;
                              }
                              self->Close();
                              self->Later(200);
                            });
  }

  void Drip(const std::string& text) {
    if (s_.stopping || !connected_) return;
    line_ = text;
    asio::async_write(
        socket_, asio::buffer(line_), [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec || !self->connected_) return;  // Watch() sees the close
          self->timer_.expires_after(std::chrono::milliseconds(self->s_.options.drip_interval_ms));
          self->timer_.async_wait([self](beast::error_code tec) {
            if (!tec) self->Drip("X-Slow: " + std::to_string(++self->lines_) + "\r\n");
          });
        });
  }

  void Later(int64_t ms) {
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Start();
    });
  }

  void Close() {
    beast::error_code ec;
    socket_.close(ec);
    timer_.cancel();
    if (connected_) --s_.open;
    connected_ = false;
  }

  Shared& s_;
  size_t index_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string line_;
  char scratch_[512];
  uint64_t lines_ = 0;
  bool connected_ = false;
};

}  // namespace

ApiLoadResult RunApiLoad(const ApiLoadOptions& options, const std::atomic<bool>& stop) {
  ApiLoadResult result;
  asio::io_context io;
  Shared s{options, result, io, tcp::endpoint(asio::ip::make_address(options.host), options.port)};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<FastClient>> fast;
  std::vector<std::shared_ptr<SlowClient>> slow;
  for (size_t i = 0; i < options.slow_clients; ++i) {
    slow.push_back(std::make_shared<SlowClient>(s, i));
    slow.back()->Start();
  }
  for (size_t i = 0; i < options.fast_clients; ++i) {
    fast.push_back(std::make_shared<FastClient>(s, i));
    fast.back()->Start();
  }
  asio::steady_timer watch(io);
  std::function<void()> check = [&] {
    if (stop.load()) {
      s.stopping = true;
      io.stop();
      return;
    }
    watch.expires_after(std::chrono::milliseconds(100));
    watch.async_wait([&](beast::error_code) { check(); });
  };
  check();
  io.run();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace govledger::bench

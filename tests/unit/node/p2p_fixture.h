// A harness for the peer transport's tests: P2p nodes on one io_context thread, as the node runs
// them, with pinned keys and loopback addresses (tests/unit/node/p2p_test.cc,
// p2p_rotation_test.cc).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sign.h"
#include "node/p2p.h"
#include "util/bytes.h"

namespace govledger::p2p_fixture {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Upper bound for anything a test waits for; loopback connects take milliseconds.
inline constexpr auto kWait = 20s;

// Runs P2p nodes on one io_context thread, as the node does. The test thread touches them only
// through Run(), which executes on that thread and returns the result.
class Net {
 public:
  struct Node {
    std::vector<std::pair<uint32_t, Bytes>> received;
    std::map<uint32_t, int> connects;
    std::unique_ptr<node::P2p> p2p;  // last: destroyed (stopped) before the vectors above
  };

  Net() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Net() {
    Run([this] { nodes_.clear(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  template <typename F>
  auto Run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Polls pred on the io thread until it holds or `timeout` passes.
  template <typename F>
  bool WaitUntil(F pred, std::chrono::steady_clock::duration timeout = kWait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!Run(pred)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  // Creates and starts a node; returns its handle.
  Status TryAdd(node::P2pConfig config, size_t& handle) {
    return Run([&]() -> Status {
      auto n = std::make_unique<Node>();
      Node* raw = n.get();
      n->p2p = std::make_unique<node::P2p>(
          io_, config,
          [raw](uint32_t peer, Bytes payload) {
            raw->received.emplace_back(peer, std::move(payload));
          },
          [raw](uint32_t peer) { ++raw->connects[peer]; });
      GOVLEDGER_RETURN_IF_ERROR(n->p2p->Start());
      handle = nodes_.size();
      nodes_.push_back(std::move(n));
      return Status::Ok();
    });
  }
  size_t Add(node::P2pConfig config) {
    size_t handle = 0;
    Status st = TryAdd(std::move(config), handle);
    INFO(st.ToString());
    REQUIRE(st.ok());
    return handle;
  }
  // Stops and destroys a node (its handle stays reserved).
  void Remove(size_t handle) {
    Run([&] { nodes_[handle].reset(); });
  }

  // Only on the io thread (inside Run / WaitUntil).
  Node& at(size_t handle) { return *nodes_[handle]; }
  node::P2p& p2p(size_t handle) { return *nodes_[handle]->p2p; }

  uint16_t Port(size_t handle) {
    return Run([&] { return p2p(handle).listen_port(); });
  }
  // Tells node `handle` where validator `peer` listens.
  void Point(size_t handle, uint32_t peer, uint16_t port) {
    Status st = Run([&] { return p2p(handle).SetPeerAddress(peer, Loopback(port)); });
    REQUIRE(st.ok());
  }
  static std::string Loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::thread thread_;
};

inline std::vector<crypto::PrivateKey> MakeKeys(size_t n) {
  std::vector<crypto::PrivateKey> keys;
  for (size_t i = 0; i < n; ++i) {
    auto k = crypto::PrivateKey::Generate(crypto::Suite::kP256);
    REQUIRE(k.ok());
    keys.push_back(std::move(*k));
  }
  return keys;
}

// Validators pinned with these keys; their addresses are unknown until the nodes have bound
// port 0, so they start as a port nothing listens on and are set with Net::Point.
inline std::vector<node::PeerInfo> Pinned(const std::vector<crypto::PrivateKey>& keys) {
  std::vector<node::PeerInfo> peers;
  for (size_t i = 0; i < keys.size(); ++i) {
    peers.push_back({"v" + std::to_string(i), "127.0.0.1:0", keys[i].public_key()});
  }
  return peers;
}

inline node::P2pConfig Config(uint32_t self, const std::vector<node::PeerInfo>& peers,
                       const crypto::PrivateKey& tls_key) {
  node::P2pConfig c;
  c.listen = "127.0.0.1:0";
  c.self = self;
  c.peers = peers;
  c.tls_key_pem = tls_key.ToPem();
  c.reconnect_min_ms = 20;
  c.reconnect_max_ms = 300;
  return c;
}

// Points every node at every other one. Handle i must be validator i.
inline void Mesh(Net& net, size_t n) {
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < n; ++i) ports.push_back(net.Port(i));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i != j) net.Point(i, static_cast<uint32_t>(j), ports[j]);
    }
  }
}

inline std::vector<Bytes> From(const Net::Node& n, uint32_t sender) {
  std::vector<Bytes> out;
  for (const auto& [peer, payload] : n.received) {
    if (peer == sender) out.push_back(payload);
  }
  return out;
}

inline bool HasPayload(const Net::Node& n, const Bytes& payload) {
  for (const auto& r : n.received) {
    if (r.second == payload) return true;
  }
  return false;
}

}  // namespace govledger::p2p_fixture

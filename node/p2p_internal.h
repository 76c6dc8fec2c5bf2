// The p2p transport's internals, shared by node/p2p.cc (Core: peers, queues, accept and dial)
// and node/p2p_conn.cc (Conn: one TLS connection). Not part of the node's interface: include
// node/p2p.h instead.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "node/p2p.h"
#include "util/bytes.h"

namespace govledger::node::p2p_internal {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr size_t kReadChunkBytes = 16 * 1024;  // one TLS record

class Conn;

// Everything P2p owns. Connections hold a shared_ptr to it, so it outlives every pending
// operation; Stop() closes them and sets `stopped` so late completions do nothing.
struct Core : std::enable_shared_from_this<Core> {
  struct Peer {
    explicit Peer(asio::io_context& io) : redial(io) {}
    std::string host;
    uint16_t port = 0;
    // Encoded frames not yet handed to a write; shared so a broadcast is encoded once.
    std::deque<std::shared_ptr<const Bytes>> queue;
    size_t queued_bytes = 0;
    bool overflowing = false;  // dropping since the queue last drained (logged once)
    std::weak_ptr<Conn> out;   // dialling or established
    std::weak_ptr<Conn> in;    // the authenticated inbound connection, at most one
    asio::steady_timer redial;
    std::chrono::milliseconds backoff{0};
    // Kind of the last dial failure logged; a failure is logged when its kind changes, so a
    // peer that stays down costs one line, not one per retry.
    std::string last_failure;
  };

  Core(asio::io_context& io_in, P2pConfig config_in, P2p::Handler on_message_in,
       P2p::ConnectHandler on_connect_in)
      : io(io_in),
        config(std::move(config_in)),
        on_message(std::move(on_message_in)),
        on_connect(std::move(on_connect_in)),
        tls(ssl::context::tls),
        acceptor(io_in),
        accept_retry(io_in) {
    for (size_t i = 0; i < config.peers.size(); ++i) {
      peers.push_back(std::make_unique<Peer>(io_in));
      peers.back()->backoff =
          std::chrono::milliseconds(std::max<int64_t>(1, config.reconnect_min_ms));
    }
  }

  Status Start();
  void Stop();
  Status SetPeerAddress(uint32_t p, const std::string& address);
  void Send(uint32_t p, const Bytes& payload);
  void Enqueue(uint32_t p, const std::shared_ptr<const Bytes>& frame);
  bool Connected(uint32_t p) const;

  void Accept();
  void Dial(uint32_t p);
  void ScheduleRedial(uint32_t p, bool was_stable);
  void OnOutboundUp(uint32_t p);
  void OnInboundUp(uint32_t p, const std::shared_ptr<Conn>& conn);
  void OnClosed(Conn& conn);
  void RemovePending(const std::string& address);
  // Whether to log a refusal for `key` now; if so, `suppressed` is how many were not logged.
  bool ShouldLogRefusal(const std::string& key, uint64_t& suppressed);
  // Index of the validator whose pinned TLS key this is (never self), or -1.
  int FindPinned(const Bytes& key) const;
  std::string Label(uint32_t p) const {
    return "validator " + std::to_string(p) + " (" + config.peers[p].name + ")";
  }
  std::string SelfLabel() const {
    return config.self == P2pConfig::kNoSelf ? std::string("this node (not yet a validator)")
                                             : Label(config.self);
  }
  Result<uint32_t> AddPeer(const PeerInfo& info);
  Status SetOwnTlsKey(const std::string& pem);
  // The entry pinning this node's own TLS key, or kNoSelf.
  uint32_t FindOwnEntry() const {
    for (uint32_t p = 0; p < config.peers.size(); ++p) {
      if (config.peers[p].tls_key == own_tls_key) return p;
    }
    return P2pConfig::kNoSelf;
  }
  // Entries that share a name are one validator under successive TLS keys (a governance
  // rotation pins the new key beside the old one). This node under another key is never
  // dialled; another validator's entries are all dialled (whichever key it presents now is
  // met), but once one of them is connected the others queue nothing.
  bool IsOwnOtherKey(uint32_t p) const {
    return config.self != P2pConfig::kNoSelf && p != config.self &&
           config.peers[p].name == config.peers[config.self].name;
  }
  bool SiblingConnected(uint32_t p) const {
    for (uint32_t q = 0; q < peers.size(); ++q) {
      if (q != p && config.peers[q].name == config.peers[p].name && Connected(q)) return true;
    }
    return false;
  }

  asio::io_context& io;
  P2pConfig config;
  P2p::Handler on_message;
  P2p::ConnectHandler on_connect;
  ssl::context tls;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::vector<std::unique_ptr<Peer>> peers;
  std::unordered_set<Conn*> conns;  // every live connection, to close them on Stop()
  size_t pending_inbound = 0;
  std::map<std::string, size_t> pending_by_address;
  struct RefusalLog {
    Clock::time_point last;
    uint64_t suppressed = 0;
  };
  std::map<std::string, RefusalLog> refusal_log;
  P2p::Stats stats;
  Bytes own_tls_key;  // DER SPKI of this node's TLS key, known once started
  bool started = false;
  bool stopped = false;
};

// One TCP+TLS connection. Outbound (we dialled `peer_`): sends the peer's queue, and keeps a read
// pending only to notice the peer closing. Inbound: learns `peer_` from the certificate key, then
// only reads frames. Kept alive by its pending operations; Close() is idempotent and final.
class Conn : public std::enable_shared_from_this<Conn> {
 public:
  // Inbound, just accepted from `address` (IP) : `port`.
  Conn(std::shared_ptr<Core> core, tcp::socket socket, std::string address, uint16_t port)
      : core_(std::move(core)),
        outbound_(false),
        stream_(std::move(socket), core_->tls),
        resolver_(core_->io),
        timer_(core_->io),
        remote_address_(std::move(address)),
        remote_(remote_address_ + ":" + std::to_string(port)),
        decoder_(core_->config.max_frame_bytes) {
    Init();
    pending_ = true;
    ++core_->pending_inbound;
    ++core_->pending_by_address[remote_address_];
  }
  // Outbound, to dial validator `peer`.
  Conn(std::shared_ptr<Core> core, uint32_t peer)
      : core_(std::move(core)),
        outbound_(true),
        peer_(peer),
        stream_(core_->io, core_->tls),
        resolver_(core_->io),
        timer_(core_->io),
        decoder_(core_->config.max_frame_bytes) {
    Init();
    const auto& p = *core_->peers[peer_];
    remote_ = p.host + ":" + std::to_string(p.port);
  }
  ~Conn() { core_->conns.erase(this); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void StartInbound();
  void StartOutbound();
  void Pump();
  void Close();

  bool outbound() const { return outbound_; }
  bool established() const { return established_; }
  bool pending() const { return pending_; }
  void clear_pending() { pending_ = false; }
  uint32_t peer() const { return peer_; }
  Clock::duration uptime() const {
    return established_ ? Clock::now() - up_since_ : Clock::duration{};
  }
  const std::string& remote() const { return remote_; }
  const std::string& remote_address() const { return remote_address_; }
  // Outbound only: why the dial failed, when it is more than "unreachable".
  const std::string& failure_kind() const { return failure_kind_; }
  const std::string& failure_detail() const { return failure_detail_; }

 private:
  void Init() {
    core_->conns.insert(this);
    read_buf_.resize(outbound_ ? 256 : kReadChunkBytes);
    error_code ec;
    // The stream owns the callback, so `this` outlives it.
    stream_.set_verify_callback(
        [this](bool preverified, ssl::verify_context& vctx) { return Verify(preverified, vctx); },
        ec);
    GOVLEDGER_CHECK(!ec);
  }
  bool Verify(bool preverified, ssl::verify_context& vctx);
  void OnConnect(const error_code& ec);
  // Socket options, the handshake deadline and the TLS handshake, either side.
  void StartHandshake(ssl::stream_base::handshake_type side);
  void OnHandshake(const error_code& ec);
  bool CheckPeerCertificate();
  void AwaitAccepted();
  void Refused();
  void ReadInbound();
  void OnInboundRead(const error_code& ec, size_t n);
  void ReadOutbound();
  void OnWrite(const error_code& ec, size_t n);
  void SetDeadline(Clock::duration d, const char* what);
  void ClearDeadline();
  std::string Who() const {
    return outbound_ || established_ ? core_->Label(peer_) + " at " + remote_ : remote_;
  }

  std::shared_ptr<Core> core_;
  const bool outbound_;
  uint32_t peer_ = 0;
  ssl::stream<tcp::socket> stream_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  const char* deadline_what_ = "";
  std::string remote_address_;  // IP only (inbound)
  std::string remote_;          // address:port
  bool pending_ = false;        // inbound, counted in Core::pending_inbound until authenticated
  bool established_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::string refusal_;  // why Verify() refused the peer's certificate
  std::string failure_kind_;
  std::string failure_detail_;
  Clock::time_point up_since_;
  FrameDecoder decoder_;
  std::vector<uint8_t> read_buf_;
  Bytes write_buf_;                         // a batch of small frames, copied together
  std::shared_ptr<const Bytes> write_one_;  // or one large frame, written from the queue's copy
  uint64_t write_frames_ = 0;
};

}  // namespace govledger::node::p2p_internal

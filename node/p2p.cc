#include "node/p2p.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_set>
#include <utility>

#include "crypto/hash.h"
#include "node/config.h"
#include "node/log.h"
#include "node/p2p_tls.h"
#include "util/bytes.h"

namespace govledger::node {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

using p2p_tls::CertificateKeyDer;

namespace {

constexpr size_t kFrameHeaderBytes = 4;
// In TLS 1.3 a client's handshake completes before the server has checked the client's
// certificate, so the dialler would believe itself connected (and send into the void) even when
// the server refuses it. The accepting side therefore writes this one byte once it has
// authenticated the dialler; the dialler counts as connected only when the byte arrives. It is the
// only byte an inbound connection ever writes.
constexpr uint8_t kAcceptedByte = 0x01;
// An unauthenticated connection must finish TCP connect + TLS handshake within this.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
// An authenticated inbound connection that sends nothing for this long is dropped (its sender
// redials). Validators rebroadcast their latest messages far more often than this.
constexpr auto kIdleReadTimeout = std::chrono::seconds(120);
// A write (at most one frame, or a batch of small ones) that makes no progress for this long
// means the peer is gone without a reset; drop and redial.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
// An outbound connection that stayed up this long resets the redial backoff; one that drops
// sooner (e.g. the peer refused our certificate after the handshake) keeps backing off.
constexpr auto kStableConnection = std::chrono::seconds(5);
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Inbound connections still in the handshake, in all and from one IP address; more are closed
// at once, so a flood from one address cannot lock the validators out.
constexpr size_t kMaxPendingInbound = 256;
constexpr size_t kMaxPendingPerAddress = 8;
// Refused handshakes are logged at most this often per remote address (or dialled validator);
// the next line says how many were refused in between.
constexpr auto kRefusalLogInterval = std::chrono::seconds(60);
constexpr size_t kReadChunkBytes = 16 * 1024;  // one TLS record
// Small frames queued together are written as one TLS record batch up to this size.
constexpr size_t kWriteBatchBytes = 64 * 1024;

// Consensus messages are small and latency-bound: no Nagle. Keepalive probes after 15 s of
// silence find a peer that vanished without a reset (power loss, partition) in about 30 s instead
// of the kernel default of two hours; best effort, failures ignored.
void TuneSocket(tcp::socket& socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  const int fd = socket.native_handle();
  for (auto [option, value] : {std::pair{TCP_KEEPIDLE, 15}, {TCP_KEEPINTVL, 5}, {TCP_KEEPCNT, 3}}) {
    (void)setsockopt(fd, IPPROTO_TCP, option, &value, sizeof value);
  }
#endif
}

// The server's view of a TLS client that sent no certificate.
bool IsMissingCertificate(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
             SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
}

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

// ----- Conn -----

bool Conn::Verify(bool /*preverified*/, ssl::verify_context& vctx) {
  // Chain errors (self-signed leaf, no issuer, dates) are ignored on purpose: the one trust
  // anchor is the pinned key, and TLS's CertificateVerify proves the peer holds its private half.
  X509* leaf = X509_STORE_CTX_get0_cert(vctx.native_handle());
  Bytes key = CertificateKeyDer(leaf);
  if (outbound_) {
    if (!key.empty() && key == core_->config.peers[peer_].tls_key) return true;
    int other = core_->FindPinned(key);
    refusal_ = other >= 0
                   ? "it presented the key pinned for " + core_->Label(static_cast<uint32_t>(other))
                   : "it presented a key that is not pinned in the genesis";
    return false;
  }
  int idx = core_->FindPinned(key);
  if (idx >= 0) {
    peer_ = static_cast<uint32_t>(idx);
    return true;
  }
  refusal_ = key.empty() ? "unreadable certificate key"
                         : "certificate key " + crypto::Fingerprint(crypto::Suite::kP256, key) +
                               " is not pinned in the genesis";
  return false;
}

void Conn::StartInbound() {
  TuneSocket(stream_.next_layer());
  SetDeadline(kHandshakeTimeout, "TLS handshake timed out");
  stream_.async_handshake(
      ssl::stream_base::server,
      [self = shared_from_this()](const error_code& e) { self->OnHandshake(e); });
}

void Conn::StartOutbound() {
  const auto& p = *core_->peers[peer_];
  SetDeadline(kHandshakeTimeout, "connect timed out");
  error_code ec;
  auto addr = asio::ip::make_address(p.host, ec);
  if (!ec) {
    stream_.lowest_layer().async_connect(
        tcp::endpoint(addr, p.port),
        [self = shared_from_this()](const error_code& e) { self->OnConnect(e); });
    return;
  }
  resolver_.async_resolve(
      p.host, std::to_string(p.port),
      [self = shared_from_this()](const error_code& e, const tcp::resolver::results_type& results) {
        if (e || self->closed_) {
          self->OnConnect(e);
          return;
        }
        asio::async_connect(
            self->stream_.lowest_layer(), results,
            [self](const error_code& e2, const tcp::endpoint&) { self->OnConnect(e2); });
      });
}

void Conn::OnConnect(const error_code& ec) {
  if (closed_) return;
  if (ec) {
    GOVLEDGER_LOG(kDebug, "p2p: cannot connect to " << Who() << ": " << ec.message());
    Close();
    return;
  }
  TuneSocket(stream_.next_layer());
  SetDeadline(kHandshakeTimeout, "TLS handshake timed out");
  stream_.async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this()](const error_code& e) { self->OnHandshake(e); });
}

void Conn::Refused() {
  ++core_->stats.handshakes_refused;
  failure_kind_ = "refused_peer";  // logged here, not as a dial failure
  uint64_t suppressed = 0;
  std::string key = outbound_ ? "peer " + std::to_string(peer_) : "address " + remote_address_;
  if (!core_->ShouldLogRefusal(key, suppressed)) return;
  std::string more =
      suppressed == 0 ? "" : " (" + std::to_string(suppressed) + " more refused since last logged)";
  if (outbound_) {
    GOVLEDGER_LOG(kWarn, "p2p: refused " << core_->Label(peer_) << " dialled at " << remote_ << ": "
                                         << refusal_ << more);
  } else {
    GOVLEDGER_LOG(kWarn,
                  "p2p: refused inbound connection from " << remote_ << ": " << refusal_ << more);
  }
}

// Verify() already decided during the handshake; this re-derives the identity from the
// certificate the session actually holds, so no path through OpenSSL can skip the pin.
bool Conn::CheckPeerCertificate() {
  Bytes key = CertificateKeyDer(SSL_get0_peer_certificate(stream_.native_handle()));
  if (outbound_) {
    if (!key.empty() && key == core_->config.peers[peer_].tls_key) return true;
    refusal_ = "its certificate key does not match the pinned key";
    return false;
  }
  int idx = core_->FindPinned(key);
  if (idx >= 0 && static_cast<uint32_t>(idx) == peer_) return true;
  refusal_ = "certificate key is not pinned in the genesis";
  return false;
}

void Conn::OnHandshake(const error_code& ec) {
  if (closed_) return;  // timed out, or Stop()
  if (ec) {
    if (!refusal_.empty()) {
      Refused();
    } else if (IsMissingCertificate(ec)) {
      refusal_ = "the client presented no certificate";
      Refused();
    } else {
      GOVLEDGER_LOG(kDebug, "p2p: TLS handshake with " << Who() << " failed: " << ec.message());
    }
    Close();
    return;
  }
  if (!CheckPeerCertificate()) {
    Refused();
    Close();
    return;
  }
  if (outbound_) {
    AwaitAccepted();  // the handshake deadline still runs
    return;
  }
  established_ = true;
  up_since_ = Clock::now();
  core_->OnInboundUp(peer_, shared_from_this());
  if (closed_) return;
  asio::async_write(stream_, asio::buffer(&kAcceptedByte, 1),
                    [self = shared_from_this()](const error_code& e, size_t) {
                      if (e && !self->closed_) {
                        GOVLEDGER_LOG(kDebug,
                                      "p2p: cannot accept " << self->Who() << ": " << e.message());
                        self->Close();
                      }
                    });
  SetDeadline(kIdleReadTimeout, "idle timeout");
  ReadInbound();
}

void Conn::AwaitAccepted() {
  stream_.async_read_some(
      asio::buffer(read_buf_), [self = shared_from_this()](const error_code& ec, size_t n) {
        if (self->closed_) return;
        if (ec) {
          if (ec.category() == asio::error::get_ssl_category()) {
            // The peer's refusal of our certificate arrives as a TLS alert.
            self->failure_kind_ = "refused_by_peer";
            self->failure_detail_ = self->Who() + " refused this node (" + ec.message() +
                                    "); is this node's TLS key the one the genesis pins?";
          } else {
            GOVLEDGER_LOG(kDebug,
                          "p2p: " << self->Who() << " closed before accepting: " << ec.message());
          }
          self->Close();
          return;
        }
        if (n != 1 || self->read_buf_[0] != kAcceptedByte) {
          self->failure_kind_ = "bad_answer";
          self->failure_detail_ = self->Who() + " answered the handshake with " +
                                  std::to_string(n) + " unexpected bytes";
          self->Close();
          return;
        }
        self->established_ = true;
        self->up_since_ = Clock::now();
        self->ClearDeadline();
        self->ReadOutbound();
        self->core_->OnOutboundUp(self->peer_);  // may call back into Send() or Stop()
        self->Pump();
      });
}

void Conn::ReadInbound() {
  stream_.async_read_some(
      asio::buffer(read_buf_),
      [self = shared_from_this()](const error_code& ec, size_t n) { self->OnInboundRead(ec, n); });
}

void Conn::OnInboundRead(const error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    GOVLEDGER_LOG(kInfo, "p2p: inbound connection from " << Who() << " closed: " << ec.message());
    Close();
    return;
  }
  SetDeadline(kIdleReadTimeout, "idle timeout");
  core_->stats.bytes_in += n;
  std::vector<Bytes> frames;
  Status st = decoder_.Feed(read_buf_.data(), n, frames);
  for (auto& f : frames) {
    if (closed_ || core_->stopped) return;  // the handler stopped us
    ++core_->stats.frames_in;
    if (core_->config.filter && !core_->config.filter->Incoming(peer_, f)) continue;
    if (core_->on_message) core_->on_message(peer_, std::move(f));
  }
  if (closed_ || core_->stopped) return;
  if (!st.ok()) {
    ++core_->stats.oversized_frames;
    GOVLEDGER_LOG(kWarn, "p2p: dropping connection from " << Who() << ": " << st.message());
    Close();
    return;
  }
  ReadInbound();
}

void Conn::ReadOutbound() {
  stream_.async_read_some(
      asio::buffer(read_buf_), [self = shared_from_this()](const error_code& ec, size_t) {
        if (self->closed_) return;
        if (!ec) {
          GOVLEDGER_LOG(kWarn, "p2p: " << self->Who() << " sent data on a send-only connection");
        } else {
          GOVLEDGER_LOG(kInfo, "p2p: connection to " << self->Who() << " lost: " << ec.message());
        }
        self->Close();
      });
}

void Conn::Pump() {
  if (!outbound_ || !established_ || closed_ || writing_) return;
  auto& p = *core_->peers[peer_];
  if (p.queue.empty()) return;
  write_frames_ = 0;
  write_buf_.clear();
  write_one_.reset();
  if (p.queue.size() == 1 || p.queue.front()->size() >= kWriteBatchBytes) {
    write_one_ = std::move(p.queue.front());
    p.queue.pop_front();
    p.queued_bytes -= write_one_->size();
    write_frames_ = 1;
  } else {
    while (!p.queue.empty() && (write_frames_ == 0 ||
                                write_buf_.size() + p.queue.front()->size() <= kWriteBatchBytes)) {
      const Bytes& f = *p.queue.front();
      write_buf_.insert(write_buf_.end(), f.begin(), f.end());
      p.queued_bytes -= f.size();
      p.queue.pop_front();
      ++write_frames_;
    }
  }
  if (p.queue.empty()) p.overflowing = false;
  writing_ = true;
  SetDeadline(kWriteTimeout, "write timed out");
  auto buf = write_one_ ? asio::buffer(*write_one_) : asio::buffer(write_buf_);
  asio::async_write(stream_, buf, [self = shared_from_this()](const error_code& ec, size_t n) {
    self->OnWrite(ec, n);
  });
}

void Conn::OnWrite(const error_code& ec, size_t n) {
  writing_ = false;
  write_one_.reset();
  if (write_buf_.capacity() > 2 * kWriteBatchBytes) Bytes().swap(write_buf_);
  if (closed_) return;
  if (ec) {
    GOVLEDGER_LOG(kInfo, "p2p: write to " << Who() << " failed: " << ec.message());
    Close();
    return;
  }
  ClearDeadline();
  core_->stats.frames_out += write_frames_;
  core_->stats.bytes_out += n;
  Pump();
}

void Conn::SetDeadline(Clock::duration d, const char* what) {
  deadline_what_ = what;
  timer_.expires_after(d);  // cancels the previous wait
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec == asio::error::operation_aborted || self->closed_) return;
    // A wait that completed just before the deadline moved is stale: the new expiry is ahead.
    if (self->timer_.expiry() > Clock::now()) return;
    // Before authentication anyone can cause this; only established connections log loudly.
    if (self->established_) {
      GOVLEDGER_LOG(kInfo,
                    "p2p: closing connection with " << self->Who() << ": " << self->deadline_what_);
    } else {
      GOVLEDGER_LOG(kDebug,
                    "p2p: closing connection with " << self->Who() << ": " << self->deadline_what_);
    }
    self->Close();
  });
}

void Conn::ClearDeadline() {
  // expires_at(max) rather than cancel(): a wait already completed but not yet run then sees an
  // expiry in the future and does nothing.
  timer_.expires_at(Clock::time_point::max());
}

void Conn::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  // No TLS close_notify: the peer learns from the TCP close, and a stuck peer cannot hold us.
  stream_.lowest_layer().close(ignored);
  core_->OnClosed(*this);
}

// ----- Core -----

void Core::RemovePending(const std::string& address) {
  --pending_inbound;
  auto it = pending_by_address.find(address);
  GOVLEDGER_CHECK(it != pending_by_address.end() && it->second > 0);
  if (--it->second == 0) pending_by_address.erase(it);
}

bool Core::ShouldLogRefusal(const std::string& key, uint64_t& suppressed) {
  auto now = Clock::now();
  if (refusal_log.size() > 4096) refusal_log.clear();  // many addresses: forget, log again
  auto [it, fresh] = refusal_log.try_emplace(key);
  if (!fresh && now - it->second.last < kRefusalLogInterval) {
    ++it->second.suppressed;
    return false;
  }
  suppressed = it->second.suppressed;
  it->second = RefusalLog{now, 0};
  return true;
}

int Core::FindPinned(const Bytes& key) const {
  if (key.empty()) return -1;
  for (size_t i = 0; i < config.peers.size(); ++i) {
    if (i != config.self && config.peers[i].tls_key == key) return static_cast<int>(i);
  }
  return -1;
}

Status Core::Start() {
  if (started || stopped) return Status::Error("bad_state", "p2p already started or stopped");
  if (config.self != P2pConfig::kNoSelf && config.self >= config.peers.size()) {
    return Status::Error("bad_config", "p2p: self index " + std::to_string(config.self) +
                                           " is not among " + std::to_string(config.peers.size()) +
                                           " peers");
  }
  if (config.max_frame_bytes == 0 || config.max_frame_bytes > UINT32_MAX) {
    return Status::Error("bad_config", "p2p: max_frame_bytes must be in 1..2^32-1");
  }
  if (config.reconnect_min_ms <= 0 || config.reconnect_max_ms < config.reconnect_min_ms) {
    return Status::Error("bad_config", "p2p: need 0 < reconnect_min_ms <= reconnect_max_ms");
  }
  for (size_t i = 0; i < config.peers.size(); ++i) {
    const auto& pi = config.peers[i];
    Status st = crypto::CheckPublicKey(crypto::Suite::kP256, pi.tls_key);
    if (!st.ok()) {
      return Status::Error("bad_config", "p2p: pinned TLS key of " +
                                             Label(static_cast<uint32_t>(i)) + ": " + st.message());
    }
    st = SplitHostPort(pi.address, peers[i]->host, peers[i]->port);
    if (!st.ok()) {
      return Status::Error(
          "bad_config", "p2p: address of " + Label(static_cast<uint32_t>(i)) + ": " + st.message());
    }
  }

  GOVLEDGER_RETURN_IF_ERROR(p2p_tls::ConfigureTls(tls));
  auto own = p2p_tls::UseIdentity(tls, config.tls_key_pem);
  if (!own.ok()) return own.status();
  own_tls_key = std::move(*own);
  if (config.self == P2pConfig::kNoSelf) config.self = FindOwnEntry();
  if (config.self != P2pConfig::kNoSelf && own_tls_key != config.peers[config.self].tls_key) {
    GOVLEDGER_LOG(kWarn, "p2p: this node's TLS key is not the one the genesis pins for "
                             << Label(config.self) << "; every peer will refuse it");
  }

  std::string host;
  uint16_t port = 0;
  GOVLEDGER_RETURN_IF_ERROR(SplitHostPort(config.listen, host, port));
  error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    return Status::Error("bad_address",
                         "p2p listen address must be an IP address, got '" + host + "'");
  }
  tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && config.filter && config.filter->ShareListenPort()) {  // Twins tests only
    acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  }
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return Status::Error("listen_failed",
                         "p2p cannot listen on " + config.listen + ": " + ec.message());
  }
  started = true;
  GOVLEDGER_LOG(kInfo, "p2p: " << SelfLabel() << " listening on " << host << ":"
                               << acceptor.local_endpoint(ec).port());
  Accept();
  for (uint32_t p = 0; p < peers.size(); ++p) {
    if (p != config.self) Dial(p);
  }
  return Status::Ok();
}

void Core::Stop() {
  if (stopped) return;
  stopped = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  for (auto& p : peers) {
    p->redial.cancel();
    p->queue.clear();
    p->queued_bytes = 0;
  }
  // Close() does not destroy a connection (its pending operations own it), so the set is stable;
  // copy anyway so the loop does not depend on that.
  std::vector<Conn*> all(conns.begin(), conns.end());
  for (Conn* c : all) c->Close();
}

Result<uint32_t> Core::AddPeer(const PeerInfo& info) {
  if (stopped) return Status::Error("bad_state", "p2p stopped");
  Status st = crypto::CheckPublicKey(crypto::Suite::kP256, info.tls_key);
  if (!st.ok()) return Status::Error("bad_peer", "p2p: TLS key of " + info.name + ": " + st.message());
  std::string host;
  uint16_t port = 0;
  st = SplitHostPort(info.address, host, port);
  if (!st.ok()) return Status::Error("bad_peer", "p2p: address of " + info.name + ": " + st.message());
  for (uint32_t p = 0; p < config.peers.size(); ++p) {
    if (config.peers[p].tls_key != info.tls_key) continue;
    if (config.peers[p].address != info.address) GOVLEDGER_RETURN_IF_ERROR(SetPeerAddress(p, info.address));
    return p;
  }
  const auto p = static_cast<uint32_t>(config.peers.size());
  config.peers.push_back(info);
  peers.push_back(std::make_unique<Peer>(io));
  peers.back()->backoff = std::chrono::milliseconds(std::max<int64_t>(1, config.reconnect_min_ms));
  peers.back()->host = host;
  peers.back()->port = port;
  if (!own_tls_key.empty() && info.tls_key == own_tls_key) {
    config.self = p;
    GOVLEDGER_LOG(kInfo, "p2p: this node is now " << Label(p));
    return p;
  }
  GOVLEDGER_LOG(kInfo, "p2p: pinned " << Label(p) << " at " << info.address);
  if (started) Dial(p);
  return p;
}

Status Core::SetOwnTlsKey(const std::string& pem) {
  if (stopped) return Status::Error("bad_state", "p2p stopped");
  auto own = p2p_tls::UseIdentity(tls, pem);
  if (!own.ok()) return own.status();
  own_tls_key = std::move(*own);
  config.self = FindOwnEntry();
  if (config.self == P2pConfig::kNoSelf) {
    GOVLEDGER_LOG(kWarn, "p2p: this node's new TLS key is not pinned yet; peers refuse it until "
                         "governance records it");
  } else {
    auto& me = *peers[config.self];
    me.redial.cancel();
    me.queue.clear();
    me.queued_bytes = 0;
    GOVLEDGER_LOG(kInfo, "p2p: now presenting the TLS key pinned for " << Label(config.self));
  }
  // Live connections were made under the old key: close them all, so every peer meets the new
  // one at once (outbound ones redial at the minimum backoff, keeping their queued frames).
  std::vector<Conn*> all(conns.begin(), conns.end());
  for (Conn* c : all) c->Close();
  return Status::Ok();
}

Status Core::SetPeerAddress(uint32_t p, const std::string& address) {
  if (p >= config.peers.size()) {
    return Status::Error("bad_peer", "p2p: no peer with index " + std::to_string(p));
  }
  std::string host;
  uint16_t port = 0;
  GOVLEDGER_RETURN_IF_ERROR(SplitHostPort(address, host, port));
  config.peers[p].address = address;
  peers[p]->host = host;
  peers[p]->port = port;
  if (!started || stopped || p == config.self) return Status::Ok();
  auto& peer = *peers[p];
  auto out = peer.out.lock();
  if (out && out->established()) return Status::Ok();
  if (out) {
    peer.out.reset();  // so its Close() schedules no redial
    out->Close();
  }
  peer.redial.cancel();
  peer.backoff = std::chrono::milliseconds(config.reconnect_min_ms);
  Dial(p);
  return Status::Ok();
}

void Core::Send(uint32_t p, const Bytes& payload) {
  if (stopped || p >= peers.size() || p == config.self) return;
  if (payload.size() > config.max_frame_bytes) {
    ++stats.dropped_frames;
    GOVLEDGER_LOG(kWarn, "p2p: not sending a " << payload.size() << "-byte frame to " << Label(p)
                                               << ": over max_frame_bytes");
    return;
  }
  auto frame = std::make_shared<Bytes>();
  frame->reserve(kFrameHeaderBytes + payload.size());
  AppendFrame(*frame, payload);
  Enqueue(p, frame);
}

void Core::Enqueue(uint32_t p, const std::shared_ptr<const Bytes>& frame) {
  if (IsOwnOtherKey(p) || (!Connected(p) && SiblingConnected(p))) return;
  auto& peer = *peers[p];
  peer.queue.push_back(frame);
  peer.queued_bytes += frame->size();
  while (peer.queued_bytes > config.max_queue_bytes && !peer.queue.empty()) {
    peer.queued_bytes -= peer.queue.front()->size();
    peer.queue.pop_front();
    ++stats.dropped_frames;
    if (!peer.overflowing) {
      peer.overflowing = true;
      GOVLEDGER_LOG(kWarn, "p2p: send queue to " << Label(p) << " is over "
                                                 << config.max_queue_bytes
                                                 << " bytes; dropping its oldest frames");
    }
  }
  if (auto c = peer.out.lock()) c->Pump();
}

bool Core::Connected(uint32_t p) const {
  if (p >= peers.size()) return false;
  auto c = peers[p]->out.lock();
  return c && c->established();
}

void Core::Accept() {
  acceptor.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    if (self->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and the like: pause briefly rather than spin.
      GOVLEDGER_LOG(kWarn, "p2p: accept failed: " << ec.message());
      self->accept_retry.expires_after(kAcceptRetry);
      self->accept_retry.async_wait([self](const error_code& e) {
        if (!e && !self->stopped) self->Accept();
      });
      return;
    }
    error_code ep_ec;
    tcp::endpoint ep = socket.remote_endpoint(ep_ec);
    std::string address = ep_ec ? "unknown" : ep.address().to_string();
    auto from_address = self->pending_by_address.find(address);
    if (ep_ec || self->pending_inbound >= kMaxPendingInbound ||
        (from_address != self->pending_by_address.end() &&
         from_address->second >= kMaxPendingPerAddress)) {
      GOVLEDGER_LOG(
          kDebug, "p2p: too many connections in the handshake; closing a new one from " << address);
      error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Conn>(self, std::move(socket), address, ep.port())->StartInbound();
    }
    self->Accept();
  });
}

void Core::Dial(uint32_t p) {
  if (stopped || !peers[p]->out.expired() || IsOwnOtherKey(p)) return;
  auto c = std::make_shared<Conn>(shared_from_this(), p);
  peers[p]->out = c;
  c->StartOutbound();
}

void Core::ScheduleRedial(uint32_t p, bool was_stable) {
  auto& peer = *peers[p];
  const std::chrono::milliseconds min_backoff(config.reconnect_min_ms);
  const std::chrono::milliseconds max_backoff(config.reconnect_max_ms);
  if (was_stable) peer.backoff = min_backoff;
  auto delay = std::clamp(peer.backoff, min_backoff, max_backoff);
  peer.backoff = std::min(delay * 2, max_backoff);
  peer.redial.expires_after(delay);
  peer.redial.async_wait([self = shared_from_this(), p](const error_code& ec) {
    if (ec || self->stopped) return;
    self->Dial(p);
  });
}

void Core::OnOutboundUp(uint32_t p) {
  auto& peer = *peers[p];
  peer.last_failure.clear();
  GOVLEDGER_LOG(kInfo, "p2p: connected to " << Label(p) << " at " << peer.host << ":" << peer.port);
  for (uint32_t q = 0; q < peers.size(); ++q) {  // its entries under other keys: nothing to send
    if (q == p || config.peers[q].name != config.peers[p].name) continue;
    peers[q]->queue.clear();
    peers[q]->queued_bytes = 0;
  }
  if (on_connect) on_connect(p);
}

void Core::OnInboundUp(uint32_t p, const std::shared_ptr<Conn>& conn) {
  conn->clear_pending();
  RemovePending(conn->remote_address());
  auto& peer = *peers[p];
  auto old = peer.in.lock();
  peer.in = conn;
  GOVLEDGER_LOG(kInfo, "p2p: inbound connection from " << Label(p) << " at " << conn->remote());
  // One inbound connection per validator: a redial replaces the old one, and a faulty validator
  // cannot pile up connections.
  if (old) old->Close();
}

void Core::OnClosed(Conn& conn) {
  if (conn.pending()) {
    conn.clear_pending();
    RemovePending(conn.remote_address());
  }
  if (!conn.outbound()) {
    if (!conn.established()) return;
    auto& peer = *peers[conn.peer()];
    if (peer.in.lock().get() == &conn) peer.in.reset();
    return;
  }
  auto& peer = *peers[conn.peer()];
  if (peer.out.lock().get() != &conn) return;  // superseded (SetPeerAddress)
  peer.out.reset();
  if (stopped) return;
  bool stable = conn.established() && conn.uptime() >= kStableConnection;
  if (!conn.established()) {
    std::string kind = conn.failure_kind().empty() ? "unreachable" : conn.failure_kind();
    if (kind != peer.last_failure) {
      peer.last_failure = kind;
      if (kind == "unreachable") {
        GOVLEDGER_LOG(kInfo, "p2p: cannot reach " << Label(conn.peer()) << " at " << conn.remote()
                                                  << "; retrying with backoff");
      } else if (!conn.failure_detail().empty()) {
        GOVLEDGER_LOG(kWarn, "p2p: " << conn.failure_detail());
      }
    }
  }
  ScheduleRedial(conn.peer(), stable);
}

}  // namespace

// ----- public API -----

struct P2p::Impl : Core {
  using Core::Core;
};

P2p::P2p(asio::io_context& io, P2pConfig config, Handler on_message, ConnectHandler on_connect)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(on_message),
                                   std::move(on_connect))) {}

P2p::~P2p() {
  if (impl_) impl_->Stop();
}

Status P2p::Start() { return impl_->Start(); }
void P2p::Stop() { impl_->Stop(); }
Status P2p::SetPeerAddress(uint32_t peer, const std::string& address) {
  return impl_->SetPeerAddress(peer, address);
}
Result<uint32_t> P2p::AddPeer(const PeerInfo& info) { return impl_->AddPeer(info); }
Status P2p::SetOwnTlsKey(const std::string& pem) { return impl_->SetOwnTlsKey(pem); }
size_t P2p::peer_count() const { return impl_->peers.size(); }
void P2p::Send(uint32_t peer, const Bytes& payload) {
  if (impl_->config.filter) return Filtered(peer, payload);
  impl_->Send(peer, payload);
}

void P2p::Filtered(uint32_t peer, const Bytes& payload) {
  Core& c = *impl_;
  if (c.stopped || peer >= c.peers.size() || peer == c.config.self) return;
  std::weak_ptr<Impl> weak = impl_;
  c.config.filter->Outgoing(c.io, peer, payload, [weak, peer](Bytes out) {
    if (auto impl = weak.lock()) impl->Send(peer, out);
  });
}

void P2p::Broadcast(const Bytes& payload) {
  Core& c = *impl_;
  if (c.stopped) return;
  if (c.config.filter) {
    for (uint32_t p = 0; p < c.peers.size(); ++p) Filtered(p, payload);
    return;
  }
  if (payload.size() > c.config.max_frame_bytes) {
    for (uint32_t p = 0; p < c.peers.size(); ++p) {
      if (p != c.config.self) c.Send(p, payload);  // counts and logs each drop
    }
    return;
  }
  auto frame = std::make_shared<Bytes>();
  frame->reserve(kFrameHeaderBytes + payload.size());
  AppendFrame(*frame, payload);
  for (uint32_t p = 0; p < c.peers.size(); ++p) {
    if (p != c.config.self) c.Enqueue(p, frame);
  }
}

bool P2p::Connected(uint32_t peer) const { return impl_->Connected(peer); }

uint16_t P2p::listen_port() const {
  error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

const P2p::Stats& P2p::stats() const { return impl_->stats; }

// ----- framing -----

void AppendFrame(Bytes& out, const Bytes& payload) {
  GOVLEDGER_CHECK(payload.size() <= UINT32_MAX);
  AppendU32BE(out, static_cast<uint32_t>(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

Status FrameDecoder::Feed(const uint8_t* data, size_t size, std::vector<Bytes>& frames) {
  if (failed_) return Status::Error("frame_too_large", "frame stream already failed");
  if (size > 0) buf_.insert(buf_.end(), data, data + size);
  size_t pos = 0;
  Status st;
  while (buf_.size() - pos >= kFrameHeaderBytes) {
    size_t len = ReadU32BE(buf_.data() + pos);
    if (len > max_) {
      failed_ = true;
      st = Status::Error("frame_too_large", "frame of " + std::to_string(len) +
                                                " bytes is over the " + std::to_string(max_) +
                                                "-byte limit");
      break;
    }
    if (buf_.size() - pos - kFrameHeaderBytes < len) break;
    auto begin = buf_.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeaderBytes);
    frames.emplace_back(begin, begin + static_cast<std::ptrdiff_t>(len));
    pos += kFrameHeaderBytes + len;
  }
  if (failed_) {
    Bytes().swap(buf_);
  } else {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
  }
  return st;
}

}  // namespace govledger::node

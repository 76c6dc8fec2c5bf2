// One TCP+TLS connection of the p2p transport (node/p2p_internal.h): handshake and certificate
// pinning, the accepted byte, reads, batched writes and deadlines.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "crypto/hash.h"
#include "node/log.h"
#include "node/p2p_internal.h"
#include "node/p2p_tls.h"

namespace govledger::node::p2p_internal {

using p2p_tls::CertificateKeyDer;

namespace {

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

}  // namespace

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

void Conn::StartInbound() { StartHandshake(ssl::stream_base::server); }

void Conn::StartHandshake(ssl::stream_base::handshake_type side) {
  TuneSocket(stream_.next_layer());
  SetDeadline(kHandshakeTimeout, "TLS handshake timed out");
  stream_.async_handshake(
      side, [self = shared_from_this()](const error_code& e) { self->OnHandshake(e); });
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
  StartHandshake(ssl::stream_base::client);
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

}  // namespace govledger::node::p2p_internal

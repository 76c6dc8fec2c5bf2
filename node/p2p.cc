#include "node/p2p.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_set>
#include <utility>

#include "crypto/hash.h"
#include "node/config.h"
#include "node/log.h"
#include "node/p2p_internal.h"
#include "node/p2p_tls.h"
#include "util/bytes.h"

namespace govledger::node {

namespace {

constexpr size_t kFrameHeaderBytes = 4;

}  // namespace

namespace p2p_internal {

using p2p_tls::CertificateKeyDer;

namespace {

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

}  // namespace

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

}  // namespace p2p_internal

using p2p_internal::Core;
using p2p_internal::error_code;
namespace asio = boost::asio;

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

// Peer transport between validators: TCP with mutual TLS 1.3, each validator's TLS public key
// pinned in the genesis (a peer whose certificate key is not the pinned key for the validator it
// claims to be, or any unknown key, is refused at the handshake). Messages are frames of a 4-byte
// big-endian length and that many payload bytes, at most max_frame_bytes (larger → the
// connection is dropped). Each node dials every other validator and sends on its outbound
// connections only; inbound connections are only read. Dropped connections are redialled with
// exponential backoff (capped). Runs on the node's io_context; callbacks come on that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "node/frame_filter.h"
#include "util/status.h"

namespace govledger::node {

struct PeerInfo {
  std::string name;
  std::string address;         // host:port to dial
  crypto::PublicKey tls_key;   // pinned P-256 key (DER SPKI)
};

struct P2pConfig {
  static constexpr uint32_t kNoSelf = UINT32_MAX;
  std::string listen;                   // host:port
  // Index of this node in `peers`, or kNoSelf for a node not (yet) among them: one that joins
  // by governance dials every peer and is accepted once they have pinned its key (AddPeer).
  uint32_t self = kNoSelf;
  std::vector<PeerInfo> peers;          // all known validators, self included
  std::string tls_key_pem;              // this node's TLS private key (PKCS#8 PEM, P-256)
  size_t max_frame_bytes = 16u << 20;
  size_t max_queue_bytes = 64u << 20;   // per peer; oldest frames dropped beyond it
  int64_t reconnect_min_ms = 100;
  int64_t reconnect_max_ms = 5000;
  // Tests only (node/frame_filter.h): every frame sent and received passes through it. Null in
  // the production daemon.
  std::shared_ptr<FrameFilter> filter;
};

class P2p {
 public:
  // Called with (peer index, frame payload) for every frame received from an authenticated peer.
  using Handler = std::function<void(uint32_t peer, Bytes payload)>;
  // Called when the outbound connection to a peer comes up (e.g. to resend latest messages).
  using ConnectHandler = std::function<void(uint32_t peer)>;

  P2p(boost::asio::io_context& io, P2pConfig config, Handler on_message,
      ConnectHandler on_connect = nullptr);
  ~P2p();

  // Binds the listener and starts dialling. Fails on a bad key or address.
  Status Start();
  void Stop();
  // Changes where a peer is dialled (the genesis address is only the initial one), e.g. once a
  // test has learnt a port bound as 0. A live outbound connection is kept; a dial in progress is
  // abandoned and the new address dialled at once. Fails on a bad peer index or address.
  Status SetPeerAddress(uint32_t peer, const std::string& address);
  // Pins and dials one more node (a validator added by governance); returns its peer index. If
  // `info.tls_key` is this node's own key, it becomes `self` and is not dialled. Fails on a bad
  // key or address; a key already known returns the existing index (its address updated).
  Result<uint32_t> AddPeer(const PeerInfo& info);
  // Key rotation: this node presents the TLS key `pem` (P-256 PKCS#8 PEM) from now on, and
  // `self` becomes the entry pinning it. Every live connection is closed, so peers meet the new
  // key at once. Entries sharing a name are one validator under successive keys: this node's
  // other entries are never dialled; of another validator's, all are dialled (whichever key it
  // presents is met) and, once one is connected, only that one is sent to.
  Status SetOwnTlsKey(const std::string& pem);
  size_t peer_count() const;
  // Queue a frame to one peer / to every other peer. Never blocks; drops if the peer's queue is
  // over max_queue_bytes.
  void Send(uint32_t peer, const Bytes& payload);
  void Broadcast(const Bytes& payload);
  bool Connected(uint32_t peer) const;  // outbound connection up
  uint16_t listen_port() const;

  struct Stats {
    uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    uint64_t handshakes_refused = 0, oversized_frames = 0, dropped_frames = 0;
  };
  const Stats& stats() const;

 private:
  struct Impl;
  // Send through config.filter.
  void Filtered(uint32_t peer, const Bytes& payload);
  std::shared_ptr<Impl> impl_;
};

// Frame helpers (used by P2p, exposed for tests and fuzzing). Appends a frame to `out`.
void AppendFrame(Bytes& out, const Bytes& payload);
// Incremental decoder: feed bytes, take complete frames. After an oversized length it reports
// an error and stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes) : max_(max_frame_bytes) {}
  Status Feed(const uint8_t* data, size_t size, std::vector<Bytes>& frames);

 private:
  size_t max_;
  Bytes buf_;
  bool failed_ = false;
};

}  // namespace govledger::node

// A seam in the peer transport for fault-injection tests: every frame this node sends to a peer
// and every frame it receives from one passes through a FrameFilter when one is installed
// (P2pConfig::filter, set from NodeConfig::frame_filter). The production daemon never installs
// one (cli/node_main.cc leaves it null, and nothing in node.toml sets it): the implementations
// live in tests/faults/ and are linked only into the test-only `govledger-node-faulty`.
//
// Thread-safety: every call comes on the node's io thread; `send` must be called on it too (for
// a delay, through a timer on `io`). A `send` outliving the transport is a no-op.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>

#include "util/bytes.h"

namespace govledger::node {

class FrameFilter {
 public:
  using Deliver = std::function<void(Bytes payload)>;
  virtual ~FrameFilter() = default;
  // A frame for `peer` (a validator index of the transport). Queue it by calling `send` zero
  // (drop), one or several (duplicate) times, now or later (delay, reorder), with this payload
  // or any other (a Byzantine validator).
  virtual void Outgoing(boost::asio::io_context& io, uint32_t peer, Bytes payload,
                        const Deliver& send) = 0;
  // A frame received from `peer`: false drops it before the node sees it.
  virtual bool Incoming(uint32_t peer, const Bytes& payload) = 0;
  // True: the p2p listener sets SO_REUSEPORT, so that two processes holding one validator's
  // keys (Twins) can listen on its one address and peers' dials reach either of them.
  virtual bool ShareListenPort() const { return false; }
};

}  // namespace govledger::node

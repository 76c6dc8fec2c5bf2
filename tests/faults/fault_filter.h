// The fault layer of the test-only `govledger-node-faulty`: a node::FrameFilter that the test
// harness steers at run time through a control file (JSON, replaced atomically by the test and
// re-read whenever it changes). Per peer, for frames sent and frames received:
//
//   {"peers": {"<validator index>" | "*": {"send":    {"block": true, "drop": 0.1,
//                                                      "duplicate": 0.05, "reorder": 0.1,
//                                                      "delay_ms": 20, "jitter_ms": 30},
//                                          "receive": {"block": true, "drop": 0.1}}},
//    "clock_skew_ms": 3000,
//    "byzantine": ["equivocate", "double_vote", "garbage", "far_future", "forge_sync"],
//    "seed": 7}
//
// "block" is a partition (one-way when given for one direction only), "drop"/"duplicate"/
// "reorder" are probabilities per frame, "delay_ms" + uniform "jitter_ms" delay each frame
// (a reordered frame is held back by an extra delay_ms + jitter_ms + 50 ms, so later frames
// overtake it). "*" applies to every peer without its own entry. The Byzantine behaviours are
// in tests/faults/byzantine.h. A control file that does not parse is reported in the log and
// the previous settings stay.
//
// Thread-safety: io thread only (FrameFilter's contract), except clock_skew_ms(), which any
// thread may read.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "node/frame_filter.h"
#include "util/status.h"
#include "tests/faults/byzantine.h"

namespace govledger::faults {

struct LinkFaults {
  bool block = false;
  double drop = 0, duplicate = 0, reorder = 0;
  int64_t delay_ms = 0, jitter_ms = 0;
};

struct PeerFaults {
  LinkFaults send, receive;
};

struct FaultSettings {
  std::map<uint32_t, PeerFaults> peers;
  std::optional<PeerFaults> all;  // "*"
  int64_t clock_skew_ms = 0;
  std::set<std::string> byzantine;
  const PeerFaults* For(uint32_t peer) const;
};

// Parses the control file's JSON; an error names what is wrong.
Result<FaultSettings> ParseFaultSettings(const std::string& json);

class FaultFilter : public node::FrameFilter {
 public:
  // `control_file`: re-read (when its mtime or size changed) at most every 50 ms, on frames.
  // `byzantine`: the behaviours to enable when the settings list them (may be null).
  FaultFilter(std::string control_file, std::unique_ptr<Byzantine> byzantine, bool twin);

  void Outgoing(boost::asio::io_context& io, uint32_t peer, Bytes payload,
                const Deliver& send) override;
  bool Incoming(uint32_t peer, const Bytes& payload) override;
  bool ShareListenPort() const override { return twin_; }

  // Re-reads the control file now if it changed (also called once before the node starts).
  void Poll(bool force = false);
  static int64_t clock_skew_ms() { return skew_ms_.load(std::memory_order_relaxed); }

 private:
  void SendLater(boost::asio::io_context& io, int64_t delay_ms, Bytes payload,
                 const Deliver& send);
  bool Chance(double p);

  std::string control_file_;
  std::unique_ptr<Byzantine> byzantine_;
  bool twin_;
  FaultSettings settings_;
  int64_t mtime_ns_ = -1;
  int64_t size_ = -1;
  std::chrono::steady_clock::time_point last_poll_{};
  std::mt19937_64 rng_{std::random_device{}()};
  static std::atomic<int64_t> skew_ms_;
};

}  // namespace govledger::faults

// Write-ahead log of consensus inputs, so a restarted validator replays exactly what it had seen
// in the current height, plus the durable SignGuard. Records are length-prefixed and checksummed;
// a torn tail (crash mid-write) is truncated on open. The node calls Sync() before any signed
// message leaves it, which makes every record appended before it and the sign guard durable: one
// fdatasync per file for a whole batch of inputs (group commit).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/core.h"
#include "util/status.h"

namespace govledger::consensus {

// Binary encoding of inputs for the WAL (and for the simulator's traces). Decode never crashes.
Bytes EncodeInput(const Input& in);
Result<Input> DecodeInput(const Bytes& bytes);

class Wal {
 public:
  ~Wal();
  static constexpr uint64_t kDefaultRotateBytes = 16u << 20;
  // Opens or creates DIR/wal and DIR/sign_guard. Truncates a torn tail, reporting how many
  // bytes were dropped in dropped_tail_bytes(). BeginHeight rewrites the file once it is past
  // `rotate_bytes` (0: at every height) and appends to it below that.
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir,
                                           uint64_t rotate_bytes = kDefaultRotateBytes);

  // Marks the start of a height: records before it are no longer needed (appended, or the file is
  // rotated past the rotation size). Not synced by itself.
  Status BeginHeight(uint64_t height);
  // Appends a record; with sync (the default) it is followed by Sync(). The node appends its
  // inputs without a sync and calls Sync() once before its signed messages leave it.
  Status Append(const Input& in, bool sync = true);
  // fdatasyncs every record appended since the last sync, and the sign guard if it moved.
  Status Sync();
  // Inputs recorded since the last BeginHeight, with that height.
  Result<std::pair<uint64_t, std::vector<Input>>> ReadCurrentHeight() const;
  size_t dropped_tail_bytes() const;

  // Persist() writes DIR/sign_guard in place; Sync() makes it durable. Nothing signed at a
  // persisted position may leave the node before the Sync that follows.
  SignGuard* guard();

 private:
  struct Impl;
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govledger::consensus

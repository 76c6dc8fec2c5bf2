// Write-ahead log of consensus inputs, so a restarted validator replays exactly what it had seen
// in the current height, plus the durable SignGuard. Records are length-prefixed and checksummed;
// a torn tail (crash mid-write) is truncated on open. Every append is fsync'd before the node
// acts on the input's effects (in particular before any signed message leaves the node).
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
  // Opens or creates DIR/wal and DIR/sign_guard. Truncates a torn tail, reporting how many
  // bytes were dropped in dropped_tail_bytes().
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir);

  // Marks the start of a height: records before it are no longer needed (the file is rotated).
  Status BeginHeight(uint64_t height);
  // Appends a record; with sync (the default) it is fdatasync'd, together with every unsynced
  // record before it. The node syncs before any signed message leaves it, so inputs that only
  // led to waiting may be appended without a sync of their own.
  Status Append(const Input& in, bool sync = true);
  // Inputs recorded since the last BeginHeight, with that height.
  Result<std::pair<uint64_t, std::vector<Input>>> ReadCurrentHeight() const;
  size_t dropped_tail_bytes() const;

  SignGuard* guard();  // durable: Persist() writes and fsyncs DIR/sign_guard

 private:
  struct Impl;
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace govledger::consensus

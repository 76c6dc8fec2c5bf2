// The consensus WAL and the durable SignGuard.
//
// DIR/wal is a sequence of records: u32 length, u32 CRC-32C of the payload, payload (both
// integers big-endian). A payload is u8 type then the body:
//   1 begin height: u64 height
//   2 input:        EncodeInput bytes
// BeginHeight appends a begin-height record and, after it, the messages for the new height that
// were received during the previous one (the core had buffered them and replays them on
// StartHeight); a reader keeps only what follows the last begin-height record. Once the file is
// past its rotation size, BeginHeight rewrites it instead (temp file, fsync, rename, fsync of the
// directory) so that it holds only the new height's records. Neither syncs by itself: the next
// Sync (before this node's next signed message leaves) makes them durable; losing them in a crash
// only makes the node replay an older height, which it discards by comparing with its store.
//
// On open, a damaged last record (short header, short payload, bad CRC, or a zero-filled tail)
// is a write torn by a crash: it is truncated. A damaged record (including a damaged length
// field, which hides where the next record starts) followed anywhere by an intact record is
// not something a crash produces, so Open fails with "corrupt_wal" rather than guess.
//
// DIR/sign_guard: "GLSG" || u64 height || u32 round || u8 step || u32 CRC-32C of the preceding,
// 21 bytes overwritten in place at offset 0 by every SignGuard::Persist and fdatasync'd by the
// next Sync, which the node calls before any message signed at that position leaves it (group
// commit: one fdatasync of the WAL and one of the guard for all the signatures of a batch of
// inputs, instead of a file write, an fsync, a rename and a directory fsync per signature). A
// 21-byte write in the first sector of a file is not torn by a crash; if it ever were, Open
// refuses the damaged guard ("corrupt_sign_guard") rather than sign from nothing. The guard file
// alone is what keeps the node from double-signing (a WAL moved aside after corruption loses
// nothing of it). Open creates it, at the zero position, with the WAL.
#include "consensus/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "util/crc32c.h"
#include "util/file.h"

namespace govledger::consensus {

namespace {

constexpr uint8_t kBeginHeight = 1;
constexpr uint8_t kInputRecord = 2;
constexpr size_t kHeaderSize = 8;
constexpr size_t kMaxCarriedRecords = 4096;
constexpr std::string_view kGuardMagic = "GLSG";
constexpr size_t kGuardSize = 4 + 8 + 4 + 1 + 4;

Status Errno(const std::string& what, const std::string& path) {
  return Status::Error("io_error", what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const uint8_t* data, size_t size, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open directory", dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("cannot fsync directory", dir);
  return Status::Ok();
}

void AppendRecord(Bytes& out, const Bytes& payload) {
  AppendU32BE(out, static_cast<uint32_t>(payload.size()));
  AppendU32BE(out, Crc32c(payload.data(), payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

Bytes BeginHeightPayload(uint64_t height) {
  Bytes p{kBeginHeight};
  AppendU64BE(p, height);
  return p;
}

Bytes EncodeGuard(const SignGuard::Position& p) {
  Bytes out(kGuardMagic.begin(), kGuardMagic.end());
  AppendU64BE(out, p.height);
  AppendU32BE(out, p.round);
  out.push_back(p.step);
  AppendU32BE(out, Crc32c(out.data(), out.size()));
  return out;
}

Result<SignGuard::Position> DecodeGuard(const std::string& text, const std::string& path) {
  const auto* b = reinterpret_cast<const uint8_t*>(text.data());
  if (text.size() != kGuardSize || text.compare(0, 4, kGuardMagic) != 0 ||
      ReadU32BE(b + kGuardSize - 4) != Crc32c(b, kGuardSize - 4)) {
    // Never fall back to "nothing signed": that is how a validator double-signs.
    return Status::Error("corrupt_sign_guard", path + " is damaged; refusing to sign from it");
  }
  SignGuard::Position p;
  p.height = ReadU64BE(b + 4);
  p.round = ReadU32BE(b + 12);
  p.step = b[16];
  return p;
}

class DurableGuard : public SignGuard {
 public:
  DurableGuard(std::string path, int fd, Position last)
      : path_(std::move(path)), fd_(fd), last_(last) {}
  ~DurableGuard() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Position Last() const override { return last_; }
  // Written in place, not yet synced: Wal::Sync makes it durable before any message signed at
  // `p` leaves the node.
  bool Persist(const Position& p) override {
    if (broken_ || !(last_ < p)) return false;
    const Bytes data = EncodeGuard(p);
    if (!WriteAll(fd_, data.data(), data.size(), 0, path_).ok()) {
      broken_ = true;  // what the file holds now is unknown: sign nothing more
      return false;
    }
    last_ = p;
    dirty_ = true;
    return true;
  }
  Status Sync() {
    if (broken_) return Status::Error("io_error", path_ + ": an earlier write failed");
    if (!dirty_) return Status::Ok();
    if (::fdatasync(fd_) != 0) {
      broken_ = true;
      return Errno("cannot fsync", path_);
    }
    dirty_ = false;
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
  Position last_;
  bool dirty_ = false;
  bool broken_ = false;
};

}  // namespace

struct Wal::Impl {
  std::string dir;
  std::string path;
  int fd = -1;
  uint64_t size = 0;
  uint64_t height = 0;
  uint64_t rotate_bytes = 0;
  bool unsynced = false;  // records appended since the last fdatasync
  std::vector<Bytes> inputs;  // EncodeInput bytes since the last BeginHeight
  size_t dropped = 0;
  bool broken = false;  // a failed fsync: what reached the disk is unknown
  std::unique_ptr<DurableGuard> guard;

  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  // Appends one record, unsynced.
  Status AppendPayload(const Bytes& payload) {
    if (broken) return Status::Error("io_error", path + ": an earlier write failed");
    Bytes record;
    AppendRecord(record, payload);
    Status st = WriteAll(fd, record.data(), record.size(), static_cast<off_t>(size), path);
    if (!st.ok()) {
      // Take the partial record back so later appends do not land behind garbage.
      if (::ftruncate(fd, static_cast<off_t>(size)) != 0) broken = true;
      return st;
    }
    size += record.size();
    unsynced = true;
    return Status::Ok();
  }

  // Parses the whole file; sets `good` to the length of the intact prefix.
  Status Parse(const Bytes& data, size_t& good) {
    size_t off = 0;
    while (off < data.size()) {
      const size_t left = data.size() - off;
      if (left < kHeaderSize) break;  // a header that never fully reached the disk
      const uint32_t len = ReadU32BE(data.data() + off);
      const uint32_t crc = ReadU32BE(data.data() + off + 4);
      const uint8_t* payload = data.data() + off + kHeaderSize;
      const bool intact = len > 0 && len <= left - kHeaderSize && Crc32c(payload, len) == crc;
      if (!intact) {
        // A crash tears only the last write, so nothing intact can follow a torn record. A
        // damaged length (too long, too short or zero) or payload with intact records after it
        // is corruption: dropping what follows would silently lose inputs the node acted on.
        if (std::optional<size_t> next = FindIntactRecord(data, off + 1)) {
          return CorruptAt(off, "a damaged record (length " + std::to_string(len) + ") with " +
                                    std::to_string(data.size() - *next) +
                                    " bytes of intact records from offset " +
                                    std::to_string(*next) + " after it");
        }
        break;
      }
      const size_t end = off + kHeaderSize + len;
      if (payload[0] == kBeginHeight && len == 9) {
        height = ReadU64BE(payload + 1);
        inputs.clear();
      } else if (payload[0] == kInputRecord) {
        Bytes in(payload + 1, payload + len);
        if (!DecodeInput(in).ok()) return CorruptAt(off, "an undecodable input");
        inputs.push_back(std::move(in));
      } else {
        return CorruptAt(off, "an unknown record type");
      }
      off = end;
    }
    good = off;
    return Status::Ok();
  }

  // The first offset at or after `from` where a whole record with a valid checksum and a known
  // type starts, if any. Only runs on a damaged record, so its cost does not matter in the
  // common case; the WAL holds one height's inputs.
  static std::optional<size_t> FindIntactRecord(const Bytes& data, size_t from) {
    for (size_t p = from; p + kHeaderSize < data.size(); ++p) {
      const uint32_t len = ReadU32BE(data.data() + p);
      if (len == 0 || len > data.size() - p - kHeaderSize) continue;
      const uint8_t* payload = data.data() + p + kHeaderSize;
      if (payload[0] != kBeginHeight && payload[0] != kInputRecord) continue;
      if (payload[0] == kBeginHeight && len != 9) continue;
      if (Crc32c(payload, len) == ReadU32BE(data.data() + p + 4)) return p;
    }
    return std::nullopt;
  }

  Status CorruptAt(size_t off, const std::string& what) const {
    return Status::Error(
        "corrupt_wal",
        "consensus WAL " + path + " is corrupt: " + what + " at offset " + std::to_string(off) +
            ". This is not a torn tail (a crash damages only the last record), so the node "
            "will not guess which inputs to drop and refuses to start. To recover: stop the "
            "node, move the file aside (mv " + path + " " + path + ".corrupt) and start it "
            "again; " + dir + "/sign_guard still prevents double-signing and the node "
            "re-learns the current height from its peers (doc/operator.md, \"Storage errors\")");
  }
};

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Wal::~Wal() = default;

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir, uint64_t rotate_bytes) {
  GOVLEDGER_RETURN_IF_ERROR(EnsureDir(dir, /*private_dir=*/true));
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->path = dir + "/wal";
  impl->rotate_bytes = rotate_bytes;

  const bool existed = PathExists(impl->path);
  impl->fd = ::open(impl->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (impl->fd < 0) return Errno("cannot open", impl->path);
  if (!existed) GOVLEDGER_RETURN_IF_ERROR(SyncDir(dir));

  Result<std::string> text = ReadFile(impl->path, size_t{1} << 31);
  if (!text.ok()) return text.status();
  const Bytes data(text->begin(), text->end());
  size_t good = 0;
  GOVLEDGER_RETURN_IF_ERROR(impl->Parse(data, good));
  if (good < data.size()) {
    if (::ftruncate(impl->fd, static_cast<off_t>(good)) != 0 || ::fsync(impl->fd) != 0) {
      return Errno("cannot truncate the torn tail of", impl->path);
    }
    impl->dropped = data.size() - good;
  }
  impl->size = good;

  const std::string guard_path = dir + "/sign_guard";
  SignGuard::Position last;
  if (PathExists(guard_path)) {
    Result<std::string> guard_text = ReadFile(guard_path, 1024);
    if (!guard_text.ok()) return guard_text.status();
    Result<SignGuard::Position> pos = DecodeGuard(*guard_text, guard_path);
    if (!pos.ok()) return pos.status();
    last = *pos;
  } else {
    // Created whole before anything is signed, so every later write is an in-place overwrite.
    const Bytes zero = EncodeGuard(last);
    GOVLEDGER_RETURN_IF_ERROR(WriteFileAtomic(
        guard_path, std::string_view(reinterpret_cast<const char*>(zero.data()), zero.size()),
        0600));
  }
  int guard_fd = ::open(guard_path.c_str(), O_RDWR | O_CLOEXEC);
  if (guard_fd < 0) return Errno("cannot open", guard_path);
  impl->guard = std::make_unique<DurableGuard>(guard_path, guard_fd, last);
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

Status Wal::BeginHeight(uint64_t height) {
  Impl& w = *impl_;
  if (w.broken) return Status::Error("io_error", w.path + ": an earlier write failed");
  std::vector<Bytes> carried;
  for (const Bytes& in : w.inputs) {
    if (carried.size() >= kMaxCarriedRecords) break;
    Result<Input> decoded = DecodeInput(in);
    if (!decoded.ok()) continue;
    const Input& x = *decoded;
    uint64_t h = 0;
    if (const auto* p = std::get_if<ProposalIn>(&x)) {
      h = p->proposal.height;
    } else if (const auto* v = std::get_if<VoteIn>(&x)) {
      h = v->vote.height;
    }
    if (h == height) carried.push_back(in);
  }
  Bytes content;
  AppendRecord(content, BeginHeightPayload(height));
  for (const Bytes& in : carried) {
    Bytes payload{kInputRecord};
    payload.insert(payload.end(), in.begin(), in.end());
    AppendRecord(content, payload);
  }

  if (w.size < w.rotate_bytes) {
    // Appended, not synced (see the top of this file).
    Status st = WriteAll(w.fd, content.data(), content.size(), static_cast<off_t>(w.size), w.path);
    if (!st.ok()) {
      if (::ftruncate(w.fd, static_cast<off_t>(w.size)) != 0) w.broken = true;
      return st;
    }
    w.size += content.size();
    w.unsynced = true;
    w.height = height;
    w.inputs = std::move(carried);
    return Status::Ok();
  }

  const std::string tmp = w.path + ".tmp";
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  Status st = WriteAll(fd, content.data(), content.size(), 0, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("cannot fsync", tmp);
  if (!st.ok()) {
    ::close(fd);
    return st;
  }
  if (::rename(tmp.c_str(), w.path.c_str()) != 0) {
    Status err = Errno("cannot rename to", w.path);
    ::close(fd);
    return err;
  }
  ::close(w.fd);
  w.fd = fd;
  w.size = content.size();
  w.unsynced = false;
  w.height = height;
  w.inputs = std::move(carried);
  // Until the directory is synced the old file may come back after a crash; it is a valid WAL
  // of the previous height, which the node discards by comparing heights with its store.
  return SyncDir(w.dir);
}

Status Wal::Append(const Input& in, bool sync) {
  Impl& w = *impl_;
  Bytes encoded = EncodeInput(in);
  Bytes payload{kInputRecord};
  payload.insert(payload.end(), encoded.begin(), encoded.end());
  GOVLEDGER_RETURN_IF_ERROR(w.AppendPayload(payload));
  w.inputs.push_back(std::move(encoded));
  if (sync) return Sync();
  return Status::Ok();
}

Status Wal::Sync() {
  Impl& w = *impl_;
  if (w.broken) return Status::Error("io_error", w.path + ": an earlier write failed");
  if (w.unsynced) {
    if (::fdatasync(w.fd) != 0) {
      w.broken = true;
      return Errno("cannot fsync", w.path);
    }
    w.unsynced = false;
  }
  return w.guard->Sync();
}

Result<std::pair<uint64_t, std::vector<Input>>> Wal::ReadCurrentHeight() const {
  std::vector<Input> out;
  out.reserve(impl_->inputs.size());
  for (const Bytes& in : impl_->inputs) {
    Result<Input> decoded = DecodeInput(in);
    if (!decoded.ok()) return Status::Error("corrupt_wal", decoded.status().message());
    out.push_back(std::move(decoded).value());
  }
  return std::make_pair(impl_->height, std::move(out));
}

size_t Wal::dropped_tail_bytes() const { return impl_->dropped; }

SignGuard* Wal::guard() { return impl_->guard.get(); }

}  // namespace govledger::consensus

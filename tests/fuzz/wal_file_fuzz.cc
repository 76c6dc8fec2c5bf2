// The consensus WAL as a restarted validator finds it on disk: consensus::Wal::Open over a
// DIR/wal (and DIR/sign_guard) holding the fuzzer's bytes, then ReadCurrentHeight.
// Input: u8 flags (bit 0: write a sign_guard, taking the next 21 bytes), then the wal file.
// Properties: Open either fails with a reason or keeps an intact prefix; opening again after a
// successful open drops nothing more and replays the same inputs (torn-tail repair is
// idempotent); the repaired WAL still accepts appends that the next open replays.
#include <filesystem>
#include <fstream>

#include "consensus/wal.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

void WriteRaw(const std::string& path, const Bytes& b) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint8_t flags = in.U8();
  const std::string dir = fuzz::ScratchDir() + "/wal";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (flags & 1) WriteRaw(dir + "/sign_guard", in.Take(21));
  const Bytes file = in.Rest();
  WriteRaw(dir + "/wal", file);

  size_t inputs = 0;
  uint64_t height = 0;
  {
    auto wal = consensus::Wal::Open(dir);
    if (!wal.ok()) return 0;
    FUZZ_CHECK((*wal)->dropped_tail_bytes() <= file.size());
    auto current = (*wal)->ReadCurrentHeight();
    FUZZ_CHECK(current.ok());
    height = current->first;
    inputs = current->second.size();
    (void)(*wal)->guard()->Last();
    if (flags & 2) {
      consensus::TimeoutIn t;
      t.height = height;
      FUZZ_CHECK((*wal)->Append(t, /*sync=*/false).ok());
      ++inputs;
    }
  }
  auto again = consensus::Wal::Open(dir);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK((*again)->dropped_tail_bytes() == 0);
  auto current = (*again)->ReadCurrentHeight();
  FUZZ_CHECK(current.ok());
  FUZZ_CHECK(current->first == height);
  FUZZ_CHECK(current->second.size() == inputs);
  return 0;
}

// Consensus WAL record payloads (consensus::DecodeInput), also the simulator's trace format.
// The layout is canonical, so the property is exact: whatever decodes re-encodes to the same
// bytes.
#include "consensus/wal.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes raw(data, data + size);
  auto in = consensus::DecodeInput(raw);
  if (!in.ok()) return 0;
  FUZZ_CHECK(consensus::EncodeInput(*in) == raw);
  return 0;
}

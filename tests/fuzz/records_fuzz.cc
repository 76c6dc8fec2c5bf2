// Stored state values read back from LevelDB (a flipped byte on disk must be refused, never
// crash the node or the offline auditor): materials, events, tx locations and the state-table
// records of ledger/codec.h. Property: whatever decodes re-encodes to bytes that decode again to
// the same encoding.
#include "ledger/codec.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

template <typename Decode, typename Encode>
void RoundTrip(const Bytes& raw, Decode decode, Encode encode) {
  auto v = decode(raw);
  if (!v.ok()) return;
  const Bytes once = encode(*v);
  auto again = decode(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Bytes raw(data + 1, data + size);
  using namespace ledger;
  switch (data[0] % 11) {
    case 0:
      RoundTrip(
          raw, [](const Bytes& b) { return DecodeMaterial(b); }, EncodeMaterial);
      break;
    case 1:
      RoundTrip(raw, DecodeEvent, EncodeEvent);
      break;
    case 2:
      RoundTrip(raw, DecodeEvents, EncodeEvents);
      break;
    case 3:
      RoundTrip(
          raw, [](const Bytes& b) { return DecodeTxLocation(b); }, EncodeTxLocation);
      break;
    case 4:
      RoundTrip(raw, DecodeGrant, EncodeGrant);
      break;
    case 5:
      RoundTrip(raw, DecodeContract, EncodeContract);
      break;
    case 6:
      RoundTrip(raw, DecodeProposal, EncodeProposal);
      break;
    case 7:
      RoundTrip(raw, DecodeValidatorChange, EncodeValidatorChange);
      break;
    case 8:
      RoundTrip(raw, DecodeDepartment, EncodeDepartment);
      break;
    case 9:
      RoundTrip(raw, DecodeMaterialType, EncodeMaterialType);
      break;
    default:
      RoundTrip(raw, DecodeU64, EncodeU64);
      break;
  }
  return 0;
}

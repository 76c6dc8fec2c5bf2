#include "util/crc32c.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace govledger {
namespace {

uint32_t Of(const std::string& s) {
  return Crc32c(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST_CASE("CRC-32C matches the standard check values", "[util][crc32c]") {
  CHECK(Of("") == 0x00000000u);
  CHECK(Of("123456789") == 0xE3069283u);  // the CRC catalogue's check value
  CHECK(Of("a") == 0xC1D04330u);
  // RFC 3720 (iSCSI) B.4: 32 bytes of zeros, of 0xFF, ascending and descending.
  std::vector<uint8_t> b(32, 0);
  CHECK(Crc32c(b.data(), b.size()) == 0x8A9136AAu);
  std::fill(b.begin(), b.end(), 0xFF);
  CHECK(Crc32c(b.data(), b.size()) == 0x62A8AB43u);
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(i);
  CHECK(Crc32c(b.data(), b.size()) == 0x46DD794Eu);
  for (size_t i = 0; i < 32; ++i) b[i] = static_cast<uint8_t>(31 - i);
  CHECK(Crc32c(b.data(), b.size()) == 0x113FDB5Cu);
}

TEST_CASE("CRC-32C is the same as the table version at every length and alignment",
          "[util][crc32c]") {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(4096 + 16);
  for (auto& x : data) x = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096}) {
      CHECK(Crc32c(data.data() + offset, len) == Crc32cPortable(data.data() + offset, len));
    }
  }
  CHECK(Crc32cPortable(reinterpret_cast<const uint8_t*>("123456789"), 9) == 0xE3069283u);
}

}  // namespace
}  // namespace govledger

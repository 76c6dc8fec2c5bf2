// Hex, base64 and big-endian packing: round trips, the RFC 4648 vectors, and rejection of
// malformed text.
#include "util/bytes.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

namespace govledger {
namespace {

Bytes AllByteValues() {
  Bytes b;
  for (int i = 0; i < 256; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

TEST_CASE("hex encodes lower case and decodes either case", "[util]") {
  CHECK(HexEncode(Bytes{}) == "");
  CHECK(HexEncode(Bytes{0x00, 0x0f, 0xa0, 0xff}) == "000fa0ff");
  CHECK(HexDecode("000fa0ff").value() == Bytes({0x00, 0x0f, 0xa0, 0xff}));
  CHECK(HexDecode("000FA0FF").value() == Bytes({0x00, 0x0f, 0xa0, 0xff}));
  CHECK(HexDecode("").value().empty());
}

TEST_CASE("hex round trips every byte value", "[util]") {
  const Bytes all = AllByteValues();
  const std::string hex = HexEncode(all);
  CHECK(hex.size() == 512);
  CHECK(HexDecode(hex).value() == all);
}

TEST_CASE("hex rejects odd length and non-hex characters", "[util]") {
  for (std::string_view bad : {"0", "abc", "0g", "g0", " 0", "00 ", "0x00", "zz", "-1", "0\n"}) {
    INFO("input '" << bad << "'");
    Result<Bytes> r = HexDecode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "bad_hex");
  }
  // A NUL byte inside the text is not a hex digit either.
  CHECK_FALSE(HexDecode(std::string("0\0", 2)).ok());
}

// RFC 4648 section 10.
TEST_CASE("base64 matches the RFC 4648 test vectors both ways", "[util]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO("plain '" << plain << "'");
    CHECK(Base64Encode(ToBytes(plain)) == encoded);
    Result<Bytes> decoded = Base64Decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(ToString(*decoded) == plain);
  }
}

TEST_CASE("base64 round trips random data of every length up to 100", "[util]") {
  std::mt19937 rng(42);
  for (size_t len = 0; len <= 100; ++len) {
    Bytes b(len);
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    const std::string text = Base64Encode(b);
    CHECK(text.size() == (len + 2) / 3 * 4);
    CHECK(Base64Decode(text).value() == b);
  }
  const Bytes all = AllByteValues();
  CHECK(Base64Decode(Base64Encode(all)).value() == all);
  // The whole alphabet including '+' and '/'.
  CHECK(Base64Encode(Bytes{0xfb, 0xff, 0xbf}) == "+/+/");
  CHECK(Base64Decode("+/+/").value() == Bytes({0xfb, 0xff, 0xbf}));
}

TEST_CASE("base64 rejects bad length, padding, whitespace and foreign alphabets", "[util]") {
  for (std::string_view bad : {
           "Z",
           "Zg",
           "Zg=",
           "Zm9vY",  // not a multiple of 4
           "====",
           "Z===",
           "=Zg=",
           "Zm=v",
           "Zg==Zg==",
           "Zg=a",  // padding in the wrong place
           "Zm9v\n",
           " Zm9",
           "Zm 9",
           "Zm9v\r\nZm9v",  // whitespace is not accepted
           "Zm-_",
           "Zm9*",
           "Zm9\x80",  // URL-safe alphabet and non-alphabet bytes
           // The same before the last quartet (Base64Decode's table-driven part).
           "Zm9=Zm9v",
           "Zm9vZg==Zm9v",
           "Zm_vYmFyZm9v",
           "Zm9vYm\x80yZm9v",
           "Zm9vYmFy\nm9v",
       }) {
    INFO("input '" << bad << "'");
    Result<Bytes> r = Base64Decode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "bad_base64");
  }
}

TEST_CASE("big-endian packing writes the most significant byte first and reads it back", "[util]") {
  Bytes b;
  AppendU32BE(b, 0x01020304u);
  AppendU64BE(b, 0x1122334455667788ull);
  CHECK(b == Bytes({0x01, 0x02, 0x03, 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}));
  CHECK(ReadU32BE(b.data()) == 0x01020304u);
  CHECK(ReadU64BE(b.data() + 4) == 0x1122334455667788ull);

  std::string s;
  AppendU64BE(s, 0xff00000000000001ull);
  REQUIRE(s.size() == 8);
  CHECK(static_cast<uint8_t>(s[0]) == 0xff);
  CHECK(static_cast<uint8_t>(s[7]) == 0x01);
  CHECK(ReadU64BE(reinterpret_cast<const uint8_t*>(s.data())) == 0xff00000000000001ull);

  for (uint64_t v : {uint64_t{0}, uint64_t{1}, UINT64_MAX, uint64_t{1} << 63}) {
    Bytes out;
    AppendU64BE(out, v);
    CHECK(ReadU64BE(out.data()) == v);
  }
  // Byte-wise order of the encoding is numeric order (what storage keys rely on).
  Bytes lo;
  Bytes hi;
  AppendU64BE(lo, 255);
  AppendU64BE(hi, 256);
  CHECK(lo < hi);
}

TEST_CASE("length-prefixed fields carry a 4-byte big-endian length", "[util]") {
  Bytes out;
  AppendLengthPrefixed(out, std::string_view("ab"));
  AppendLengthPrefixed(out, Bytes{0xff});
  AppendLengthPrefixed(out, std::string_view(""));
  CHECK(out == Bytes({0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 0xff, 0, 0, 0, 0}));
}

TEST_CASE("ToBytes and ToString round trip including NUL bytes", "[util]") {
  const std::string s("a\0b", 3);
  CHECK(ToBytes(s) == Bytes({'a', 0, 'b'}));
  CHECK(ToString(ToBytes(s)) == s);
}

TEST_CASE("ConstantTimeEqual compares content and length", "[util]") {
  CHECK(ConstantTimeEqual(Bytes{}, Bytes{}));
  CHECK(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{0, 2, 3}, Bytes{1, 2, 3}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2}));
  CHECK_FALSE(ConstantTimeEqual(Bytes{}, Bytes{0}));
}

}  // namespace
}  // namespace govledger

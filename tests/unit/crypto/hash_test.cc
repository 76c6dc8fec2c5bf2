// Known-answer tests for both suites' digests (published vectors only), plus the streaming and
// conversion helpers around them.
#include "crypto/hash.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace govledger::crypto {
namespace {

std::string HashHex(Suite suite, std::string_view s) { return DigestHex(Hash(suite, s)); }

// A scratch file removed at scope exit.
class TempFile {
 public:
  TempFile()
      : path_((std::filesystem::temp_directory_path() /
               ("govledger_hash_test_" + std::to_string(RandomU64())))
                  .string()) {}
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }
  void Write(const std::string& data) const {
    std::ofstream out(path_, std::ios::binary);
    out << data;
  }

 private:
  std::string path_;
};

// FIPS 180-2 appendix B / FIPS 180-4 examples (csrc.nist.gov "Examples with Intermediate
// Values"); the empty message is NIST CAVP SHA256ShortMsg.rsp, Len = 0.
TEST_CASE("sha256 of abc matches FIPS 180 example B.1", "[crypto]") {
  CHECK(HashHex(Suite::kP256, "abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 of the 448-bit message matches FIPS 180 example B.2", "[crypto]") {
  CHECK(HashHex(Suite::kP256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("sha256 of one million 'a' matches FIPS 180 example B.3", "[crypto]") {
  CHECK(HashHex(Suite::kP256, std::string(1'000'000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 of the empty message matches NIST CAVP ShortMsg Len 0", "[crypto]") {
  CHECK(HashHex(Suite::kP256, "") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(DigestHex(Hash(Suite::kP256, nullptr, 0)) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// The published "abc" vectors (FIPS 180 B.1, GB/T 32905 example 1), fed as a prefix and the rest.
TEST_CASE("HashPrefixed of a prefix and the rest matches the one-piece known answers", "[crypto]") {
  const std::string sha_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string sm3_abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
  const auto* abc = reinterpret_cast<const uint8_t*>("abc");
  for (const Suite suite : {Suite::kP256, Suite::kSm}) {
    const std::string& want = suite == Suite::kP256 ? sha_abc : sm3_abc;
    for (size_t split = 0; split <= 3; ++split) {
      INFO(SuiteName(suite) << ", prefix of " << split);
      CHECK(DigestHex(HashPrefixed(suite, abc, split, abc + split, 3 - split)) == want);
    }
  }
}

// Each suite keeps its own per-thread state (p256 its SHA-256 calls, sm an EVP context set up
// once): switching back and forth on one thread, and hashing on several threads at once, must
// give every input its own suite's digest.
TEST_CASE(
    "hashing alternates between the suites and runs on threads at once, each digest its "
    "suite's",
    "[crypto]") {
  const std::string sha_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::string sm3_abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
  for (int i = 0; i < 3; ++i) {
    CHECK(HashHex(Suite::kSm, "abc") == sm3_abc);
    CHECK(HashHex(Suite::kP256, "abc") == sha_abc);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2'000; ++i) {
        const Suite suite = (i + t) % 2 == 0 ? Suite::kP256 : Suite::kSm;
        if (HashHex(suite, "abc") != (suite == Suite::kP256 ? sha_abc : sm3_abc)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

// GB/T 32905-2016 (SM3) appendix A.
TEST_CASE("sm3 of abc matches GB/T 32905 example 1", "[crypto]") {
  CHECK(HashHex(Suite::kSm, "abc") ==
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST_CASE("sm3 of abcd repeated 16 times matches GB/T 32905 example 2", "[crypto]") {
  std::string msg;
  for (int i = 0; i < 16; ++i) msg += "abcd";
  REQUIRE(msg.size() == 64);
  CHECK(HashHex(Suite::kSm, msg) ==
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST_CASE("byte, string and vector overloads of Hash agree", "[crypto]") {
  const std::string s = "govledger";
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    Digest a = Hash(suite, s);
    Digest b = Hash(suite, ToBytes(s));
    Digest c = Hash(suite, reinterpret_cast<const uint8_t*>(s.data()), s.size());
    CHECK(a == b);
    CHECK(a == c);
  }
  CHECK(Hash(Suite::kP256, s) != Hash(Suite::kSm, s));
}

TEST_CASE("hasher fed in pieces matches one-shot hash at every split point", "[crypto]") {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    const Digest want = Hash(suite, msg);
    for (size_t split = 0; split <= msg.size(); ++split) {
      Hasher h(suite);
      h.Update(std::string_view(msg).substr(0, split));
      h.Update(std::string_view(msg).substr(split));
      CHECK(h.Final() == want);
    }
  }
}

TEST_CASE("hasher byte by byte matches the published sm3 vector", "[crypto]") {
  Hasher h(Suite::kSm);
  for (char c : std::string("abc")) h.Update(std::string_view(&c, 1));
  CHECK(DigestHex(h.Final()) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST_CASE("hasher starts a fresh message after Final", "[crypto]") {
  Hasher h(Suite::kP256);
  h.Update("garbage that must not leak into the next digest");
  (void)h.Final();
  h.Update("abc");
  CHECK(DigestHex(h.Final()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Final with no input is the empty-message digest.
  CHECK(DigestHex(h.Final()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("HashFile streams a file larger than its buffer to the FIPS 180 B.3 digest", "[crypto]") {
  TempFile f;
  f.Write(std::string(1'000'000, 'a'));  // about 15 read chunks of 64 KiB
  Result<Digest> d = HashFile(Suite::kP256, f.path());
  REQUIRE(d.ok());
  CHECK(DigestHex(*d) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HashFile of an empty file and of a small sm3 file", "[crypto]") {
  TempFile empty;
  empty.Write("");
  Result<Digest> d = HashFile(Suite::kP256, empty.path());
  REQUIRE(d.ok());
  CHECK(DigestHex(*d) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  TempFile abc;
  abc.Write("abc");
  Result<Digest> s = HashFile(Suite::kSm, abc.path());
  REQUIRE(s.ok());
  CHECK(DigestHex(*s) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

TEST_CASE("HashFile of a missing file is not_found", "[crypto]") {
  TempFile f;  // never written, so it does not exist
  Result<Digest> d = HashFile(Suite::kP256, f.path());
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().code() == "not_found");
}

TEST_CASE("HashFile of a directory is an io_error, not a crash", "[crypto]") {
  Result<Digest> d = HashFile(Suite::kP256, std::filesystem::temp_directory_path().string());
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().code() == "io_error");
}

TEST_CASE("suite names round trip and unknown names are rejected", "[crypto]") {
  CHECK(SuiteName(Suite::kP256) == "p256");
  CHECK(SuiteName(Suite::kSm) == "sm");
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    Result<Suite> parsed = ParseSuite(SuiteName(suite));
    REQUIRE(parsed.ok());
    CHECK(*parsed == suite);
  }
  for (std::string_view bad : {"", "P256", "SM", "sm2", "p-256", "p256 "}) {
    Result<Suite> parsed = ParseSuite(bad);
    CHECK_FALSE(parsed.ok());
    CHECK(parsed.status().code() == "unknown_suite");
  }
}

TEST_CASE("digest hex and bytes conversions round trip", "[crypto]") {
  const Digest d = Hash(Suite::kSm, "abc");
  CHECK(DigestBytes(d).size() == kDigestSize);
  Result<Digest> from_bytes = DigestFromBytes(DigestBytes(d));
  REQUIRE(from_bytes.ok());
  CHECK(*from_bytes == d);
  Result<Digest> from_hex = DigestFromHex(DigestHex(d));
  REQUIRE(from_hex.ok());
  CHECK(*from_hex == d);
  Result<Digest> upper =
      DigestFromHex("66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0");
  REQUIRE(upper.ok());
  CHECK(*upper == d);
}

TEST_CASE("digests of the wrong length or bad hex are rejected", "[crypto]") {
  CHECK(DigestFromBytes(Bytes{}).status().code() == "bad_digest");
  CHECK(DigestFromBytes(Bytes(31)).status().code() == "bad_digest");
  CHECK(DigestFromBytes(Bytes(33)).status().code() == "bad_digest");
  CHECK(DigestFromHex("").status().code() == "bad_digest");
  CHECK(DigestFromHex("abc").status().code() == "bad_digest");
  CHECK(DigestFromHex(std::string(62, 'a')).status().code() == "bad_digest");
  CHECK(DigestFromHex(std::string(66, 'a')).status().code() == "bad_digest");
  CHECK(DigestFromHex(std::string(63, 'a') + "g").status().code() == "bad_digest");
}

TEST_CASE("RandomBytes returns the requested length and does not repeat", "[crypto]") {
  CHECK(RandomBytes(0).empty());
  CHECK(RandomBytes(1).size() == 1);
  CHECK(RandomBytes(100000).size() == 100000);
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomBytes(16));
  CHECK(seen.size() == 100);
  std::set<uint64_t> u64s;
  for (int i = 0; i < 100; ++i) u64s.insert(RandomU64());
  CHECK(u64s.size() == 100);
}

}  // namespace
}  // namespace govledger::crypto

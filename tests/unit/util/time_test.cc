// Time and duration text forms: the formats users type in configs and on the CLI, and what must
// be rejected.
#include "util/time.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace govledger {
namespace {

// Epoch milliseconds, computed independently (Python calendar.timegm).
constexpr int64_t k20271231T1600Z = 1830268800000;  // 2027-12-31T16:00:00Z
constexpr int64_t k20261122T0215Z = 1795313700000;  // 2026-11-22T02:15:00Z
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kNow = 1'700'000'000'000;  // any fixed "now" for relative specs

int64_t Parse(std::string_view text, int64_t now = kNow) {
  return ParseTimeSpec(text, now).value();
}

TEST_CASE("a bare date means the end of that day in China Standard Time", "[util]") {
  // Valid through 2027-12-31 in Beijing, i.e. until 2028-01-01T00:00+08:00 = 2027-12-31T16:00Z.
  CHECK(Parse("2027-12-31") == k20271231T1600Z);
  CHECK(Parse("2027-12-30") == k20271231T1600Z - kDayMs);
  // Leap day, and the day after it.
  CHECK(Parse("2028-02-29") == 1835452800000);
  CHECK(Parse("2028-03-01") == 1835452800000 + kDayMs);
  // Independent of now.
  CHECK(Parse("2027-12-31", 0) == k20271231T1600Z);
}

TEST_CASE("RFC 3339 times with Z and with +08:00 name the same instant", "[util]") {
  CHECK(Parse("2027-12-31T16:00:00Z") == k20271231T1600Z);
  CHECK(Parse("2027-12-31T16:00:00z") == k20271231T1600Z);
  CHECK(Parse("2028-01-01T00:00:00+08:00") == k20271231T1600Z);
  CHECK(Parse("2027-12-31T11:00:00-05:00") == k20271231T1600Z);
  CHECK(Parse("2027-12-31T16:00:00+00:00") == k20271231T1600Z);
  CHECK(Parse("2027-12-31T08:00:00Z") == k20271231T1600Z - 8 * 3'600'000);
  // The examples from util/time.h.
  CHECK(Parse("2026-11-22T10:15:00+08:00") == k20261122T0215Z);
  CHECK(Parse("2026-11-22T02:15:00.000Z") == k20261122T0215Z);
}

TEST_CASE("RFC 3339 fractional seconds are read to the millisecond", "[util]") {
  CHECK(Parse("2027-12-31T16:00:00.5Z") == k20271231T1600Z + 500);
  CHECK(Parse("2027-12-31T16:00:00.05Z") == k20271231T1600Z + 50);
  CHECK(Parse("2027-12-31T16:00:00.123Z") == k20271231T1600Z + 123);
  CHECK(Parse("2027-12-31T16:00:00.123999Z") == k20271231T1600Z + 123);  // truncated
  CHECK(Parse("2028-01-01T00:00:00.250+08:00") == k20271231T1600Z + 250);
}

TEST_CASE("relative time specs count from now", "[util]") {
  CHECK(Parse("+30d") == kNow + 30 * kDayMs);
  CHECK(Parse("+12h") == kNow + 12 * 3'600'000);
  CHECK(Parse("+5m") == kNow + 5 * 60'000);
  CHECK(Parse("+90s") == kNow + 90'000);
  CHECK(Parse("+500ms") == kNow + 500);
  CHECK(Parse("+1d", 0) == kDayMs);
}

TEST_CASE("garbage time specs are rejected", "[util]") {
  for (std::string_view bad : {
           "",
           "garbage",
           "tomorrow",
           "2027",
           "2027-12",
           "27-12-31",
           "2027/12/31",
           "20271231",
           "2027-12-31x",
           "2027-12-31 ",
           " 2027-12-31",
           "2027-00-10",
           "2027-13-01",
           "2027-12-00",
           "2027-12-32",
           "2027-02-29",
           "2027-04-31",
           "1969-12-31",  // before the epoch
           "2027-12-31T",
           "2027-12-31T16:00",
           "2027-12-31T16:00:00",  // no zone
           "2027-12-31T24:00:00Z",
           "2027-12-31T16:60:00Z",
           "2027-12-31T16:00:61Z",
           "2027-12-31T16:00:00+0800",
           "2027-12-31T16:00:00+08",
           "2027-12-31T16:00:00 +08:00",
           "2027-12-31T16:00:00+08:00x",
           "2027-12-31T16:00:00ZZ",
           "2027-12-31T16:00:00.Z",
           "2027-12-31T1a:00:00Z",
           "+",
           "+d",
           "+30",
           "+30x",
           "+-5d",
           "+0d",
           "++5d",
           "+5 d",
           "-5d",
       }) {
    INFO("input '" << bad << "'");
    Result<int64_t> r = ParseTimeSpec(bad, kNow);
    CHECK_FALSE(r.ok());
  }
  CHECK(ParseTimeSpec("garbage", kNow).status().code() == "bad_time");
}

TEST_CASE("zone offsets outside RFC 3339 ranges are rejected", "[util]") {
  for (std::string_view bad :
       {"2027-12-31T16:00:00+24:00", "2027-12-31T16:00:00+99:99", "2027-12-31T16:00:00-08:60"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(ParseTimeSpec(bad, kNow).ok());
  }
  CHECK(Parse("2027-12-31T16:00:00+23:59") == k20271231T1600Z - (23 * 60 + 59) * 60'000);
}

TEST_CASE("durations parse into positive milliseconds", "[util]") {
  CHECK(ParseDurationMs("500ms").value() == 500);
  CHECK(ParseDurationMs("90s").value() == 90'000);
  CHECK(ParseDurationMs("5m").value() == 300'000);
  CHECK(ParseDurationMs("12h").value() == 43'200'000);
  CHECK(ParseDurationMs("30d").value() == 30 * kDayMs);
  CHECK(ParseDurationMs("1ms").value() == 1);
  CHECK(ParseDurationMs("007s").value() == 7000);
}

TEST_CASE("malformed, zero and overflowing durations are rejected", "[util]") {
  for (std::string_view bad :
       {"", "d", "ms", "5", "5x", "5 s", " 5s", "5s ", "-5s", "+5s", "0s", "0ms", "5D", "5sec",
        "1.5h", "5ss",
        // Would overflow int64 milliseconds.
        "99999999999999d", "10000000000009d", "9223372036854775807ms", "99999999999999999999s"}) {
    INFO("input '" << bad << "'");
    Result<int64_t> r = ParseDurationMs(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "bad_duration");
  }
}

TEST_CASE("a relative spec that would overflow the clock is rejected", "[util]") {
  CHECK_FALSE(ParseTimeSpec("+30d", INT64_MAX - 10).ok());
  CHECK_FALSE(ParseTimeSpec("+1ms", INT64_MAX).ok());
  CHECK(ParseTimeSpec("+10ms", INT64_MAX - 10).value() == INT64_MAX);
}

TEST_CASE("times format as RFC 3339 in China Standard Time and in UTC", "[util]") {
  CHECK(FormatTimeCst(k20271231T1600Z) == "2028-01-01T00:00:00+08:00");
  CHECK(FormatTimeUtc(k20271231T1600Z) == "2027-12-31T16:00:00.000Z");
  CHECK(FormatTimeCst(k20261122T0215Z) == "2026-11-22T10:15:00+08:00");
  CHECK(FormatTimeUtc(k20261122T0215Z) == "2026-11-22T02:15:00.000Z");
  CHECK(FormatTimeUtc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTimeCst(0) == "1970-01-01T08:00:00+08:00");
  CHECK(FormatTimeUtc(1234) == "1970-01-01T00:00:01.234Z");
  CHECK(FormatTimeCst(1999) == "1970-01-01T08:00:01+08:00");  // CST drops the milliseconds
  CHECK(FormatTimeUtc(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatTimeUtc(1835452800000) == "2028-02-29T16:00:00.000Z");
}

TEST_CASE("formatted times parse back to the same instant", "[util]") {
  for (int64_t ms = 0; ms < 4'000'000'000'000; ms += 97'654'321'987) {
    INFO("ms " << ms);
    CHECK(Parse(FormatTimeUtc(ms)) == ms);
    CHECK(Parse(FormatTimeCst(ms)) == ms / 1000 * 1000);
  }
}

TEST_CASE("NowMs is a plausible wall clock", "[util]") {
  const int64_t a = NowMs();
  const int64_t b = NowMs();
  CHECK(a > 1'600'000'000'000);  // after 2020-09
  CHECK(b >= a);
}

}  // namespace
}  // namespace govledger

#include "util/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

namespace govledger {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {
constexpr int64_t kCstOffsetMs = 8LL * 3600 * 1000;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Format(int64_t ms, int64_t offset_ms, bool with_millis, const char* zone) {
  int64_t local = ms + offset_ms;
  int64_t days = FloorDiv(local, 86400000);
  int64_t rem = local - days * 86400000;
  int64_t y;
  unsigned mo, d;
  CivilFromDays(days, y, mo, d);
  int hh = static_cast<int>(rem / 3600000), mi = static_cast<int>(rem / 60000 % 60);
  int ss = static_cast<int>(rem / 1000 % 60), mss = static_cast<int>(rem % 1000);
  char buf[64];
  if (with_millis) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%s",
                  static_cast<long long>(y), mo, d, hh, mi, ss, mss, zone);
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d%s", static_cast<long long>(y),
                  mo, d, hh, mi, ss, zone);
  }
  return buf;
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool ValidDate(int y, int m, int d) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}
}  // namespace

std::string FormatTimeCst(int64_t ms) { return Format(ms, kCstOffsetMs, false, "+08:00"); }
std::string FormatTimeUtc(int64_t ms) { return Format(ms, 0, true, "Z"); }

Result<int64_t> ParseDurationMs(std::string_view text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > 1'000'000'000'000LL) return Status::Error("bad_duration", "duration too large");
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return Status::Error("bad_duration", "expected a number, as in 30d, 12h, 5m, 90s");
  std::string_view unit = text.substr(i);
  int64_t mult;
  if (unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return Status::Error("bad_duration", "unknown unit '" + std::string(unit) + "' (use ms, s, m, h or d)");
  if (n <= 0) return Status::Error("bad_duration", "duration must be positive");
  if (n > std::numeric_limits<int64_t>::max() / mult) {
    return Status::Error("bad_duration", "duration too large");
  }
  return n * mult;
}

Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ms) {
  if (!text.empty() && text[0] == '+') {
    auto d = ParseDurationMs(text.substr(1));
    if (!d.ok()) return d.status();
    if (now_ms > 0 && *d > std::numeric_limits<int64_t>::max() - now_ms) {
      return Status::Error("bad_time", "'" + std::string(text) + "' is too far in the future");
    }
    return now_ms + *d;
  }
  int y, mo, d;
  if (text.size() < 10 || !ParseDigits(text, 0, 4, y) || text[4] != '-' ||
      !ParseDigits(text, 5, 2, mo) || text[7] != '-' || !ParseDigits(text, 8, 2, d) ||
      !ValidDate(y, mo, d)) {
    return Status::Error("bad_time", "expected YYYY-MM-DD, an RFC 3339 time, or +DURATION (e.g. +30d), got '" +
                                         std::string(text) + "'");
  }
  int64_t day_start = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400000;
  if (text.size() == 10) {
    // A bare date means "valid through that day" in China Standard Time.
    return day_start + 86400000 - kCstOffsetMs;
  }
  int hh, mi, ss;
  if (text.size() < 20 || (text[10] != 'T' && text[10] != ' ') || !ParseDigits(text, 11, 2, hh) ||
      text[13] != ':' || !ParseDigits(text, 14, 2, mi) || text[16] != ':' ||
      !ParseDigits(text, 17, 2, ss) || hh > 23 || mi > 59 || ss > 60) {
    return Status::Error("bad_time", "malformed time of day in '" + std::string(text) + "'");
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return Status::Error("bad_time", "empty fraction of a second");
    for (; digits < 3; ++digits) millis *= 10;
  }
  std::string_view zone = text.substr(pos);
  int64_t offset_ms;
  if (zone == "Z" || zone == "z") {
    offset_ms = 0;
  } else {
    int oh, om;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !ParseDigits(zone, 1, 2, oh) ||
        zone[3] != ':' || !ParseDigits(zone, 4, 2, om) || oh > 23 || om > 59) {
      return Status::Error("bad_time", "time needs a zone, Z or +08:00, in '" + std::string(text) + "'");
    }
    offset_ms = (oh * 60 + om) * 60000LL * (zone[0] == '-' ? -1 : 1);
  }
  return day_start + hh * 3600000LL + mi * 60000LL + ss * 1000LL + millis - offset_ms;
}

}  // namespace govledger

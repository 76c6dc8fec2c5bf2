// Wall-clock access and the text forms of times and durations used by configs and the CLI.
// Ledger rules never call NowMs(): they use block time (ARCHITECTURE.md section 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace govledger {

// Milliseconds since the Unix epoch.
int64_t NowMs();
// Milliseconds on the steady clock (arbitrary origin): for pacing retries and timeouts, which a
// wall clock stepped back (NTP, a skewed clock) would hold up for as long as the step.
int64_t SteadyMs();

// RFC 3339 in China Standard Time, e.g. "2026-11-22T10:15:00+08:00" (no DST in China).
std::string FormatTimeCst(int64_t ms);
// RFC 3339 in UTC with millisecond precision, e.g. "2026-11-22T02:15:00.000Z".
std::string FormatTimeUtc(int64_t ms);

// Parses a point in time as users write it:
//   "2027-12-31"                 end of that day in China Standard Time (valid through that day),
//   "2027-12-31T08:00:00Z", "2027-12-31T16:00:00+08:00"  RFC 3339,
//   "+30d", "+12h", "+5m", "+90s", "+500ms"  relative to now_ms.
Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ms);

// Parses "500ms", "90s", "5m", "12h", "30d" into milliseconds (positive).
Result<int64_t> ParseDurationMs(std::string_view text);

}  // namespace govledger

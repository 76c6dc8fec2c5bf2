// Usage statistics over a time range, for auditors and regulators (统计使用情况): how many
// materials each department issued, used, revoked, let expire, ... per material type and purpose,
// counted from the events of the blocks whose time lies in the range. The same code serves the
// node's /v1/report and `govledger audit report --data-dir` (a stopped node's data, offline).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/store.h"
#include "util/status.h"

namespace govledger::ledger {

struct ReportQuery {
  int64_t from_ms = 0;  // inclusive, block time
  int64_t to_ms = 0;    // exclusive
  // At most this many blocks are read; a longer range is cut there and reported as truncated
  // (the caller resumes from `last_height + 1`'s time).
  uint64_t max_blocks = 200'000;
};

// One count: events of `kind` ("ISSUE", "USE", "EXPIRE", ...) by `department` (the acting
// department; the consumer for AUTHORIZE, WITHDRAW and USE; the issuer for chain-emitted EXPIRE
// and cascades) on materials of `type`, for `purpose` (grants and uses only).
struct ReportRow {
  std::string kind;
  std::string department;
  std::string type;
  std::string purpose;
  uint64_t count = 0;
};

struct UsageReport {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  uint64_t first_height = 0;  // first block in the range (0: none)
  uint64_t last_height = 0;   // last block read
  uint64_t blocks = 0;
  uint64_t events = 0;        // material events counted (e-contract and governance events apart)
  uint64_t other_events = 0;  // e-contract and governance events
  bool truncated = false;
  int64_t next_from_ms = 0;   // when truncated: the from_ms that continues the report
  std::vector<ReportRow> rows;  // by kind, department, type, purpose
};

// Fails on a range with to_ms <= from_ms, or on a store that cannot be read ("corrupt_store").
Result<UsageReport> BuildUsageReport(const Store& store, const ReportQuery& query);

}  // namespace govledger::ledger

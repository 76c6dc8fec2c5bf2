#include "ledger/report.h"

#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

namespace govledger::ledger {

namespace {

// Block time of `h`; block times strictly increase with height (checked by every validator).
Result<int64_t> BlockTime(const Store& store, uint64_t h) {
  auto block = store.GetBlock(h);
  if (!block.ok()) {
    return Status::Error("corrupt_store", "block " + std::to_string(h) + ": " +
                                              block.status().ToString());
  }
  return block->header.time_ms;
}

// The first height whose block time is >= t (height() + 1 if none).
Result<uint64_t> FirstAtOrAfter(const Store& store, int64_t t) {
  uint64_t lo = 1, hi = store.height() + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    auto time = BlockTime(store, mid);
    if (!time.ok()) return time.status();
    if (*time < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool IsMaterialEvent(EventKind k) {
  switch (k) {
    case EventKind::kContractCreate:
    case EventKind::kContractSign:
    case EventKind::kContractComplete:
    case EventKind::kContractExpire:
    case EventKind::kContractSupersede:
    case EventKind::kPropose:
    case EventKind::kApprove:
    case EventKind::kEnact:
      return false;
    default:
      return true;
  }
}

bool CountsForConsumer(EventKind k) {
  return k == EventKind::kAuthorize || k == EventKind::kWithdraw || k == EventKind::kUse;
}

}  // namespace

Result<UsageReport> BuildUsageReport(const Store& store, const ReportQuery& query) {
  if (query.to_ms <= query.from_ms) {
    return Status::Error("bad_range", "the report's end must be after its start");
  }
  UsageReport report;
  report.from_ms = query.from_ms;
  report.to_ms = query.to_ms;
  auto first = FirstAtOrAfter(store, query.from_ms);
  if (!first.ok()) return first.status();

  // (kind, department, type, purpose) -> count; ordered for a stable report.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> counts;
  struct MaterialInfo {
    std::string type;
    std::string issuer;
  };
  std::unordered_map<std::string, MaterialInfo> materials;  // looked up once per material
  auto info = [&](const std::string& id) -> const MaterialInfo& {
    auto it = materials.find(id);
    if (it != materials.end()) return it->second;
    MaterialInfo m;
    if (auto found = store.GetMaterial(id)) m = {found->type_code, found->issuer};
    return materials.emplace(id, std::move(m)).first->second;
  };

  for (uint64_t h = *first; h <= store.height(); ++h) {
    auto time = BlockTime(store, h);
    if (!time.ok()) return time.status();
    if (*time >= query.to_ms) break;
    if (report.blocks >= query.max_blocks) {
      report.truncated = true;
      report.next_from_ms = *time;
      break;
    }
    auto events = store.GetBlockEvents(h);
    if (!events.ok()) {
      return Status::Error("corrupt_store", "events of block " + std::to_string(h) + ": " +
                                                events.status().ToString());
    }
    if (report.first_height == 0) report.first_height = h;
    report.last_height = h;
    ++report.blocks;
    for (const Event& e : *events) {
      if (!IsMaterialEvent(e.kind)) {
        ++report.other_events;
        continue;
      }
      ++report.events;
      const MaterialInfo& m = info(e.material_id);
      std::string department = CountsForConsumer(e.kind) ? e.counterparty : e.actor;
      if (department.empty()) department = m.issuer;  // chain-emitted: expiry, cascades
      std::string purpose = CountsForConsumer(e.kind) ? e.purpose : std::string();
      ++counts[{EventKindName(e.kind), department, m.type, purpose}];
    }
  }
  for (const auto& [key, n] : counts) {
    report.rows.push_back(
        ReportRow{std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), n});
  }
  return report;
}

}  // namespace govledger::ledger

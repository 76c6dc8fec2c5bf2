// `govledger audit report`: usage statistics for auditors and regulators (统计使用情况) over a
// time range — issuance, use, expiry, revocation ... counts per department, material type and
// purpose — from a node (/v1/report, fetched in slices) or offline from a stopped node's data.
// Rendered as a text table, JSON, CSV, or one self-contained HTML page with charts.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "cli/client.h"
#include "cli/commands.h"
#include "contracts/registry.h"
#include "ledger/genesis.h"
#include "ledger/report.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/views.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

namespace {

struct ReportOptions {
  std::string from = "-30d";
  std::string to = "+0s";
  std::string format = "text";
  std::string out;
  std::string home;
  std::string data_dir;
  std::string genesis;
  std::string key;  // online: signs the /v1/report reads
};

// --from / --to: a date (YYYY-MM-DD: the start of that day for --from, its end for --to, China
// Standard Time), an RFC 3339 time, or a duration relative to now (-30d, +0s).
Result<int64_t> ParseBound(const std::string& text, bool start, int64_t now_ms) {
  if (!text.empty() && text[0] == '-') {
    auto d = ParseDurationMs(text.substr(1));
    if (!d.ok()) return d.status();
    return now_ms - *d;
  }
  if (text == "+0s" || text == "now") return now_ms;
  auto t = ParseTimeSpec(text, now_ms);
  if (!t.ok()) return t.status();
  if (start && text.size() == 10) return *t - 86'400'000;  // a bare date: from its first moment
  return *t;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Str(const json& row, const char* key) {
  return row.contains(key) && row[key].is_string() ? row[key].get<std::string>() : std::string();
}

// Offline: the report straight from a stopped node's LevelDB.
Result<json> ReportFromStore(const ReportOptions& o, int64_t from_ms, int64_t to_ms) {
  std::string data_dir = o.data_dir, genesis_file = o.genesis;
  if (!o.home.empty()) {
    auto config = node::LoadNodeConfig(o.home);
    if (!config.ok()) return config.status();
    data_dir = config->Path(config->data_dir);
    genesis_file = config->Path(config->genesis_file);
  }
  if (data_dir.empty() || genesis_file.empty()) {
    return UsageError("offline, give --home NODE_HOME or --data-dir DIR with --genesis FILE");
  }
  auto genesis = ledger::LoadGenesisFile(genesis_file);
  if (!genesis.ok()) return genesis.status();
  if (!PathExists(data_dir)) {
    return Status::Error("no_store", "no chain data at " + data_dir + " (has the node ever run?)");
  }
  auto store = ledger::Store::Open(data_dir, *genesis);
  if (!store.ok()) return store.status();
  ledger::ReportQuery q{from_ms, to_ms, UINT64_MAX};
  auto report = ledger::BuildUsageReport(**store, q);
  if (!report.ok()) return report.status();
  contracts::Registry registry(*genesis);
  return node::ReportJson(*report, registry, **store, (*store)->height());
}

// Online: /v1/report in slices (the node caps each answer), merged.
Result<json> ReportFromNode(const Context& ctx, const std::string& key_file, int64_t from_ms,
                            int64_t to_ms) {
  auto reader = ReaderClient(ctx, key_file);
  if (!reader.ok()) return reader.status();
  const NodeClient& client = *reader;
  json merged;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, json> rows;
  int64_t from = from_ms;
  for (int slice = 0;; ++slice) {
    auto part = client.Get("/v1/report?from_ms=" + std::to_string(from) +
                           "&to_ms=" + std::to_string(to_ms));
    if (!part.ok()) return part.status();
    const json& p = *part;
    if (slice == 0) {
      merged = p;
      merged["from"] = FormatTimeCst(from_ms);
      merged["from_ms"] = from_ms;
    } else {
      for (const char* k : {"blocks", "events", "other_events"}) {
        merged[k] = merged.value(k, uint64_t{0}) + p.value(k, uint64_t{0});
      }
      if (merged.value("first_height", uint64_t{0}) == 0) merged["first_height"] = p["first_height"];
      if (p.value("last_height", uint64_t{0}) != 0) merged["last_height"] = p["last_height"];
    }
    for (const json& r : p.value("rows", json::array())) {
      auto key = std::make_tuple(Str(r, "kind"), Str(r, "department"), Str(r, "type"),
                                 Str(r, "purpose"));
      auto it = rows.find(key);
      if (it == rows.end()) {
        rows.emplace(key, r);
      } else {
        it->second["count"] = it->second.value("count", uint64_t{0}) + r.value("count", uint64_t{0});
      }
    }
    if (!p.value("truncated", false)) break;
    const int64_t next = p.value("next_from_ms", int64_t{0});
    if (next <= from) return Status::Error("bad_answer", "the node's report does not advance");
    from = next;
    std::cerr << "report: " << merged.value("blocks", uint64_t{0}) << " blocks read\n";
  }
  json all = json::array();
  std::map<std::string, uint64_t> totals;
  for (auto& [key, r] : rows) {
    totals[std::get<0>(key)] += r.value("count", uint64_t{0});
    all.push_back(r);
  }
  merged["rows"] = all;
  merged["totals"] = totals;
  merged["truncated"] = false;
  merged.erase("next_from_ms");
  return merged;
}

// Sums of `count` per value of `by`, over rows of `kind`, largest first.
std::vector<std::pair<std::string, uint64_t>> SumBy(const json& report, const std::string& kind,
                                                    const char* by, const char* name_key) {
  std::map<std::string, uint64_t> sums;
  for (const json& r : report["rows"]) {
    if (Str(r, "kind") != kind) continue;
    std::string label = Str(r, by);
    if (name_key && !Str(r, name_key).empty()) label = Str(r, name_key) + " (" + label + ")";
    if (label.empty()) label = "—";
    sums[label] += r.value("count", uint64_t{0});
  }
  std::vector<std::pair<std::string, uint64_t>> out(sums.begin(), sums.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

// A horizontal bar chart as inline SVG (no script, opens from a file anywhere).
std::string BarChart(const std::string& title,
                     const std::vector<std::pair<std::string, uint64_t>>& bars) {
  std::ostringstream o;
  o << "<section><h2>" << Escape(title) << "</h2>";
  if (bars.empty()) return o.str() + "<p class=\"none\">无 / none</p></section>";
  uint64_t max = 1;
  for (const auto& [label, n] : bars) max = std::max(max, n);
  const int row = 26, label_w = 330, bar_w = 420;
  o << "<svg role=\"img\" width=\"" << label_w + bar_w + 80 << "\" height=\""
    << row * static_cast<int>(bars.size()) + 6 << "\">";
  int y = 0;
  for (const auto& [label, n] : bars) {
    const int w = std::max<int>(2, static_cast<int>(bar_w * n / max));
    o << "<text x=\"" << label_w - 8 << "\" y=\"" << y + 17 << "\" text-anchor=\"end\">"
      << Escape(label) << "</text><rect x=\"" << label_w << "\" y=\"" << y + 4 << "\" width=\"" << w
      << "\" height=\"" << row - 8 << "\" rx=\"3\"/><text x=\"" << label_w + w + 6 << "\" y=\""
      << y + 17 << "\">" << n << "</text>";
    y += row;
  }
  o << "</svg></section>";
  return o.str();
}

std::string Html(const json& r, const std::string& chain) {
  std::ostringstream o;
  o << "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    << "<title>govledger 使用情况统计 usage report</title><style>"
    << "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:2rem;color:#1d2733}"
    << "h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}"
    << "rect{fill:#2f6fb3}svg text{font-size:13px}.none{color:#777}"
    << "table{border-collapse:collapse;margin-top:1rem}td,th{border:1px solid #ccd;padding:4px 8px;"
    << "text-align:left}td.n{text-align:right}.meta{color:#445}</style></head><body>";
  o << "<h1>使用情况统计 · Usage report — " << Escape(chain) << "</h1>";
  o << "<p class=\"meta\">" << Escape(Str(r, "from")) << " — " << Escape(Str(r, "to"))
    << " · blocks " << r.value("first_height", uint64_t{0}) << "–"
    << r.value("last_height", uint64_t{0}) << " (" << r.value("blocks", uint64_t{0})
    << ") · material events " << r.value("events", uint64_t{0}) << "</p>";
  o << "<table><tr><th>事件 event</th><th>次数 count</th></tr>";
  for (const auto& [kind, n] : r["totals"].items()) {
    o << "<tr><td>" << Escape(kind) << "</td><td class=\"n\">" << n.get<uint64_t>() << "</td></tr>";
  }
  o << "</table>";
  o << BarChart("签发 Issued, by department", SumBy(r, "ISSUE", "department", "department_name"));
  o << BarChart("签发 Issued, by material type", SumBy(r, "ISSUE", "type", "type_name"));
  o << BarChart("使用 Used, by consumer department", SumBy(r, "USE", "department", "department_name"));
  o << BarChart("使用 Used, by purpose", SumBy(r, "USE", "purpose", nullptr));
  o << BarChart("授权 Authorized, by consumer department",
                SumBy(r, "AUTHORIZE", "department", "department_name"));
  o << BarChart("到期注销 Expired, by material type", SumBy(r, "EXPIRE", "type", "type_name"));
  o << BarChart("撤销 Revoked, by department", SumBy(r, "REVOKE", "department", "department_name"));
  o << "<h2>明细 All counts</h2><table><tr><th>event</th><th>department</th><th>type</th>"
    << "<th>purpose</th><th>count</th></tr>";
  for (const json& row : r["rows"]) {
    o << "<tr><td>" << Escape(Str(row, "kind")) << "</td><td>" << Escape(Str(row, "department"))
      << " " << Escape(Str(row, "department_name")) << "</td><td>" << Escape(Str(row, "type"))
      << " " << Escape(Str(row, "type_name")) << "</td><td>" << Escape(Str(row, "purpose"))
      << "</td><td class=\"n\">" << row.value("count", uint64_t{0}) << "</td></tr>";
  }
  o << "</table></body></html>\n";
  return o.str();
}

std::string Csv(const json& r) {
  std::ostringstream o;
  o << "kind,department,department_name,type,type_name,purpose,count\n";
  for (const json& row : r["rows"]) {
    o << CsvField(Str(row, "kind")) << "," << CsvField(Str(row, "department")) << ","
      << CsvField(Str(row, "department_name")) << "," << CsvField(Str(row, "type")) << ","
      << CsvField(Str(row, "type_name")) << "," << CsvField(Str(row, "purpose")) << ","
      << row.value("count", uint64_t{0}) << "\n";
  }
  return o.str();
}

std::string Text(const json& r) {
  std::ostringstream o;
  o << "usage report " << Str(r, "from") << " — " << Str(r, "to") << "\n"
    << "blocks " << r.value("first_height", uint64_t{0}) << ".." << r.value("last_height", uint64_t{0})
    << " (" << r.value("blocks", uint64_t{0}) << "), " << r.value("events", uint64_t{0})
    << " material events\n\n";
  for (const json& row : r["rows"]) {
    std::string purpose = Str(row, "purpose");
    o << "  " << Str(row, "kind") << "  " << Str(row, "department") << "  " << Str(row, "type")
      << (purpose.empty() ? "" : "  " + purpose) << "  " << row.value("count", uint64_t{0}) << "\n";
  }
  if (r["rows"].empty()) o << "  (no material events in this range)\n";
  return o.str();
}

int RunReport(const Context& ctx, const ReportOptions& o) {
  Output out(ctx.json);
  const int64_t now = NowMs();
  auto from = ParseBound(o.from, true, now);
  if (!from.ok()) return out.Fail(UsageError("--from: " + from.status().message()));
  auto to = ParseBound(o.to, false, now);
  if (!to.ok()) return out.Fail(UsageError("--to: " + to.status().message()));
  if (*to <= *from) return out.Fail(UsageError("--to must be after --from"));
  const bool offline = !o.home.empty() || !o.data_dir.empty() || !o.genesis.empty();
  auto report = offline ? ReportFromStore(o, *from, *to) : ReportFromNode(ctx, o.key, *from, *to);
  if (!report.ok()) return out.Fail(report.status());
  if (ctx.json) return out.Finish(*report);

  std::string chain;
  if (!offline) {
    NodeClient client(NodeUrl(ctx));
    if (auto c = client.ChainStatus(); c.ok()) chain = c->chain_id;
  } else {
    chain = "offline " + (o.home.empty() ? o.data_dir : o.home);
  }
  std::string text;
  if (o.format == "json") {
    text = report->dump(2) + "\n";
  } else if (o.format == "csv") {
    text = Csv(*report);
  } else if (o.format == "html") {
    text = Html(*report, chain);
  } else {
    text = Text(*report);
  }
  if (o.out.empty()) {
    std::cout << text;
    return kExitOk;
  }
  if (Status st = WriteFileAtomic(o.out, text, 0644); !st.ok()) return out.Fail(st);
  std::cerr << "wrote " << o.format << " report to " << o.out << " ("
            << report->value("blocks", uint64_t{0}) << " blocks, "
            << report->value("events", uint64_t{0}) << " events)\n";
  return kExitOk;
}

}  // namespace

void AddAuditReport(CLI::App& audit_group, Context& ctx) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = AddCommand(
      audit_group, ctx, "report",
      "Usage statistics over a time range: issuance, use, authorization, expiry, revocation ... "
      "per department, material type and purpose; from a node, or offline from a node's data",
      "  govledger audit report --key regulator.pem --from 2026-11-01 --to 2026-11-30 "
      "--format html --out nov.html\n"
      "  govledger audit report --key keys/health.pem --from -7d --format csv > week.csv\n"
      "  govledger audit report --home net/node0 --from 2026-01-01 --to 2026-12-31 --json");
  cmd->add_option("--from", o->from,
                  "Start: YYYY-MM-DD (that day's first moment, CST), RFC 3339, or -DURATION")
      ->capture_default_str();
  cmd->add_option("--to", o->to, "End (exclusive): YYYY-MM-DD (through that day), RFC 3339, now")
      ->capture_default_str();
  cmd->add_option("--format", o->format, "text, json, csv or html")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}))
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Write to this file instead of stdout");
  cmd->add_option("--key", o->key,
                  std::string(kReadKeyHelp) + ". Needed online: the node answers reports only to "
                  "signed requests");
  cmd->add_option("--home", o->home, "Offline: a stopped node's home");
  cmd->add_option("--data-dir", o->data_dir, "Offline: chain data directory (with --genesis)");
  cmd->add_option("--genesis", o->genesis, "Offline: the network's genesis.json");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return RunReport(ctx, *o); }; });
}

}  // namespace govledger::cli

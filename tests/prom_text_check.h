// A checker of Prometheus text exposition (format 0.0.4) for tests of GET /metrics: every sample
// belongs to a family declared before it by one HELP and one TYPE line, a family's samples are
// together, names and labels are well formed, values parse as numbers, and no sample repeats.
#pragma once

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace govledger::testing {

// "" when `text` is well formed, else the first problem and its line.
inline std::string PromTextProblem(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex kType(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (\S+))");
  std::set<std::string> helped, typed, closed, samples;
  std::string current, current_type;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  auto problem = [&](const std::string& what) {
    return "line " + std::to_string(n) + ": " + what + ": " + line;
  };
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, m, kHelp)) return problem("malformed HELP");
      if (!helped.insert(m[1]).second) return problem("second HELP of a family");
      if (!current.empty() && current != m[1]) closed.insert(current);
      current = m[1];
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, kType)) return problem("malformed TYPE");
      if (!typed.insert(m[1]).second) return problem("second TYPE of a family");
      if (m[1] != current) return problem("TYPE without the family's HELP just before it");
      current_type = m[2];
      continue;
    }
    if (line.empty() || line[0] == '#') return problem("unexpected line");
    if (!std::regex_match(line, m, kSample)) return problem("malformed sample");
    std::string family = m[1];
    for (const char* suffix : {"_sum", "_count", "_bucket"}) {
      const std::string s = suffix;
      if ((current_type == "summary" || current_type == "histogram") && family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          family.substr(0, family.size() - s.size()) == current) {
        family = current;
      }
    }
    if (family != current || !typed.count(family)) {
      return problem("sample outside its family's HELP and TYPE");
    }
    if (closed.count(family)) return problem("family's samples are not together");
    const std::string value = m[7];
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    if (end != value.c_str() + value.size()) return problem("value is not a number");
    if (!samples.insert(m[1].str() + m[2].str()).second) return problem("sample repeated");
  }
  return "";
}

}  // namespace govledger::testing

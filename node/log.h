// Minimal structured logging to stderr: "2026-11-22T02:15:00.000Z INFO  message key=value".
// Thread-safe (one write per line). Verbosity is set once at start-up.
#pragma once

#include <sstream>
#include <string>

namespace govledger::node {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, const std::string& message);

}  // namespace govledger::node

#define GOVLEDGER_LOG(level, expr)                                            \
  do {                                                                        \
    if (::govledger::node::LogEnabled(::govledger::node::LogLevel::level)) {  \
      std::ostringstream _os;                                                 \
      _os << expr;                                                            \
      ::govledger::node::LogLine(::govledger::node::LogLevel::level, _os.str()); \
    }                                                                         \
  } while (0)

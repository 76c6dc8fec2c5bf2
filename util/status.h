// Status and Result<T>: how every expected failure (I/O, parsing, peer or user input, contract
// rejection) travels across module boundaries. A Status carries a machine-readable code (a short
// snake_case word a user and a script can both read, e.g. "issuer_not_allowed") and a human message.
#pragma once

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace govledger {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string code, std::string message) {
    return Status(std::move(code), std::move(message));
  }

  bool ok() const { return code_.empty(); }
  // Empty for OK; otherwise a stable snake_case reason code.
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", or "ok".
  std::string ToString() const;

 private:
  Status(std::string code, std::string message)
      : code_(std::move(code)), message_(std::move(message)) {}
  std::string code_;
  std::string message_;
};

// A value or the Status that explains why there is none. Never holds an OK status without a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) {
      std::cerr << "Result constructed from an OK Status without a value\n";
      std::abort();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }

 private:
  T& Checked() {
    if (!ok()) {
      std::cerr << "Result::value() on error: " << std::get<Status>(v_).ToString() << "\n";
      std::abort();
    }
    return std::get<T>(v_);
  }
  std::variant<T, Status> v_;
};

// Always-on invariant check: for programming errors only, never for input.
#define GOVLEDGER_CHECK(cond)                                                         \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::cerr << __FILE__ << ":" << __LINE__ << ": invariant failed: " #cond "\n"; \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

#define GOVLEDGER_RETURN_IF_ERROR(expr)      \
  do {                                       \
    ::govledger::Status _st = (expr);        \
    if (!_st.ok()) return _st;               \
  } while (0)

}  // namespace govledger

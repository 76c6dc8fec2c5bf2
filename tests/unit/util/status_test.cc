// Status and Result: the error-passing contract every module relies on.
#include "util/status.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace govledger {
namespace {

TEST_CASE("default status is ok and prints as ok", "[util]") {
  Status st;
  CHECK(st.ok());
  CHECK(st.code().empty());
  CHECK(st.message().empty());
  CHECK(st.ToString() == "ok");
  CHECK(Status::Ok().ok());
}

TEST_CASE("error status carries its code and message", "[util]") {
  Status st = Status::Error("issuer_not_allowed", "issuer x may not issue licences");
  CHECK_FALSE(st.ok());
  CHECK(st.code() == "issuer_not_allowed");
  CHECK(st.message() == "issuer x may not issue licences");
  CHECK(st.ToString() == "issuer_not_allowed: issuer x may not issue licences");
  CHECK(Status::Error("io_error", "").ToString() == "io_error");
}

TEST_CASE("result holds a value or an error status", "[util]") {
  Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(good.value() == 42);
  CHECK(*good == 42);
  CHECK(good.status().ok());

  Result<int> bad = Status::Error("not_found", "no such key");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == "not_found");
  CHECK(bad.status().message() == "no such key");
}

TEST_CASE("result gives access to and moves out its value", "[util]") {
  Result<std::string> s = std::string("hello");
  CHECK(s->size() == 5);
  s.value() += "!";
  CHECK(*s == "hello!");
  std::string moved = std::move(s).value();
  CHECK(moved == "hello!");

  Result<std::unique_ptr<int>> p = std::make_unique<int>(7);
  REQUIRE(p.ok());
  std::unique_ptr<int> owned = std::move(*p);
  CHECK(*owned == 7);

  const Result<std::string> c = std::string("const");
  CHECK(c.value() == "const");
  CHECK(c->front() == 'c');
}

Status FailsWhen(bool fail) {
  return fail ? Status::Error("bad_input", "asked to fail") : Status::Ok();
}

Status Chain(bool fail_first, bool fail_second, int* reached) {
  GOVLEDGER_RETURN_IF_ERROR(FailsWhen(fail_first));
  *reached = 1;
  GOVLEDGER_RETURN_IF_ERROR(FailsWhen(fail_second));
  *reached = 2;
  return Status::Ok();
}

TEST_CASE("RETURN_IF_ERROR returns the first error and continues on ok", "[util]") {
  int reached = 0;
  CHECK(Chain(false, false, &reached).ok());
  CHECK(reached == 2);

  reached = 0;
  Status st = Chain(true, false, &reached);
  CHECK(st.code() == "bad_input");
  CHECK(reached == 0);

  reached = 0;
  st = Chain(false, true, &reached);
  CHECK(st.code() == "bad_input");
  CHECK(reached == 1);
}

Result<int> ParsePositive(int v) {
  GOVLEDGER_RETURN_IF_ERROR(v > 0 ? Status::Ok() : Status::Error("not_positive", "v <= 0"));
  return v;
}

TEST_CASE("RETURN_IF_ERROR works in functions returning Result", "[util]") {
  CHECK(ParsePositive(3).value() == 3);
  CHECK(ParsePositive(0).status().code() == "not_positive");
}

TEST_CASE("CHECK that holds does not abort", "[util]") {
  int evaluated = 0;
  GOVLEDGER_CHECK(++evaluated == 1);
  CHECK(evaluated == 1);  // the condition is evaluated exactly once
}

}  // namespace
}  // namespace govledger

#include "node/metrics.h"

#include <catch2/catch.hpp>

#include "tests/prom_text_check.h"

namespace govledger::node {
namespace {

using testing::PromTextProblem;

TEST_CASE("PromText writes a family's HELP and TYPE once and then its samples", "[node][metrics]") {
  std::string out;
  PromText o(&out);
  o.Counter("a_total", "Things counted.", 3);
  o.Family("b_total", "counter", "Things by kind.");
  o.Sample("b_total", "{kind=\"x\"}", uint64_t{1});
  o.Sample("b_total", "{kind=\"y\"}", uint64_t{18446744073709551615u});
  o.Family("c_seconds", "summary", "Time taken.");
  o.Sample("c_seconds_sum", "", 0.125);
  o.Sample("c_seconds_count", "", uint64_t{2});
  CHECK(out ==
        "# HELP a_total Things counted.\n# TYPE a_total counter\na_total 3\n"
        "# HELP b_total Things by kind.\n# TYPE b_total counter\n"
        "b_total{kind=\"x\"} 1\nb_total{kind=\"y\"} 18446744073709551615\n"
        "# HELP c_seconds Time taken.\n# TYPE c_seconds summary\n"
        "c_seconds_sum 0.125\nc_seconds_count 2\n");
  CHECK(PromTextProblem(out).empty());
}

TEST_CASE("the node's metrics render as well-formed Prometheus text with every family declared",
          "[node][metrics]") {
  Metrics m;
  m.blocks_committed = 7;
  m.txs_rejected["bad_signature"] = 2;
  m.txs_rejected["unknown_department"] = 1;
  m.http_responses[200] = 40;
  m.http_responses[429] = 3;
  m.block_commit_seconds_sum = 0.0625;
  m.block_commit_count = 7;
  const std::string text = m.Render(7, 12, 4096, 3);
  CHECK(PromTextProblem(text) == "");
  CHECK(text.find("govledger_txs_rejected_total{reason=\"bad_signature\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("govledger_http_responses_total{code=\"429\"} 3\n") != std::string::npos);
  CHECK(text.find("govledger_block_commit_seconds_sum 0.0625\n") != std::string::npos);
  CHECK(text.find("govledger_mempool_bytes 4096\n") != std::string::npos);
}

TEST_CASE("the exposition check finds samples without HELP and TYPE, repeats and bad values",
          "[node][metrics]") {
  const std::string good = "# HELP a Things.\n# TYPE a gauge\na 1\n";
  CHECK(PromTextProblem(good).empty());
  CHECK_FALSE(PromTextProblem("a 1\n").empty());                    // no family
  CHECK_FALSE(PromTextProblem("# TYPE a gauge\na 1\n").empty());    // no HELP
  CHECK_FALSE(PromTextProblem("# HELP a Things.\na 1\n").empty());  // no TYPE
  CHECK_FALSE(PromTextProblem(good + "a 2\n").empty());             // repeated sample
  CHECK_FALSE(PromTextProblem("# HELP a T.\n# TYPE a gauge\na one\n").empty());
  CHECK_FALSE(PromTextProblem("# HELP a T.\n# TYPE a gauge\na{k=\"v} 1\n").empty());
  CHECK_FALSE(PromTextProblem(good + "# HELP b T.\n# TYPE b gauge\nb 1\na{x=\"1\"} 1\n").empty());
}

}  // namespace
}  // namespace govledger::node

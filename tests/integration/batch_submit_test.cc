// POST /v1/txs on a real dev chain: a department back-office system submitting many signed
// transactions in one request. Each entry is admitted as POST /v1/tx would admit it (and later
// committed); a bad entry refuses only itself; the batch limits ([api] max_batch_txs, the
// submission burst, the mempool's backpressure) and a malformed or waiting batch are refused
// with a reason; and the proposer's wait for fuller blocks (block_fill_ms).
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "tests/integration/harness.h"

namespace govledger::itest {
namespace {

std::string BatchBody(const std::vector<std::string>& b64) {
  Json j = {{"txs", b64}};
  return j.dump();
}

// GET /v1/tx/{hash}: the transaction's JSON, or null for one the node does not know.
Json TxOf(const std::string& url, const std::string& tx_hash) {
  HttpReply r = Get(url, "/v1/tx/" + tx_hash);
  Json j = r.json();
  return r.status == 200 && j.is_object() ? j : Json();
}

// "pending", "committed", or "" for a transaction the node does not know.
std::string TxStatusOf(const std::string& url, const std::string& tx_hash) {
  Json j = TxOf(url, tx_hash);
  return j.is_object() ? j.value("status", "") : "";
}

// Waits (required) until the transaction is committed; its JSON then.
Json WaitCommitted(const std::string& url, const std::string& tx_hash) {
  Json tx;
  REQUIRE(WaitFor(
      [&] {
        tx = TxOf(url, tx_hash);
        return tx.is_object() && tx.value("status", "") == "committed";
      },
      milliseconds(60'000), milliseconds(50)));
  return tx;
}

// `n` material issues signed by the node's departments, valid for the next 1,000 heights: in
// base64 for a batch body, and their hashes.
struct Signed {
  std::vector<std::string> b64;
  std::vector<std::string> hashes;
};
Signed SignIssues(const DevNode& node, const TxFactory& factory, int n) {
  const uint64_t until = Status(node.url()).value("height", uint64_t{0}) + 1000;
  Signed out;
  for (int i = 0; i < n; ++i) {
    TxFactory::Built built = factory.Issue({}, until);
    out.b64.push_back(Base64Encode(built.tx.raw));
    out.hashes.push_back(crypto::DigestHex(built.tx.hash));
  }
  return out;
}

std::string ErrorCodeOf(const HttpReply& r) {
  Json j = r.json();
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

}  // namespace

TEST_CASE("a batch on POST /v1/txs is admitted in order and every transaction in it commits",
          "[api][batch]") {
  ConfiguredDevChain chain;
  TxFactory factory(chain.node.home());
  const auto [b64, hashes] = SignIssues(chain.node, factory, 25);
  HttpReply r = Post(chain.node.url(), "/v1/txs", BatchBody(b64));
  INFO(r.body);
  REQUIRE(r.status == 200);
  Json j = r.json();
  CHECK(j.value("admitted", 0) == 25);
  CHECK(j.value("rejected", -1) == 0);
  REQUIRE(j["results"].size() == 25);
  for (size_t i = 0; i < hashes.size(); ++i) {
    CHECK(j["results"][i].value("tx_hash", "") == hashes[i]);
    CHECK(j["results"][i].value("status", "") == "pending");
  }
  // Admitted means what it means for one transaction: each is committed in time.
  for (const std::string& h : hashes) WaitCommitted(chain.node.url(), h);
  // The same batch again: every entry is a replay now, refused on its own line.
  HttpReply again = Post(chain.node.url(), "/v1/txs", BatchBody(b64));
  REQUIRE(again.status == 200);
  Json k = again.json();
  CHECK(k.value("admitted", -1) == 0);
  CHECK(k.value("rejected", 0) == 25);
  CHECK(k["results"][0]["error"].value("code", "") == "replayed_tx");
}

TEST_CASE("one bad entry in a batch refuses only itself, with its reason", "[api][batch]") {
  ConfiguredDevChain chain;
  TxFactory factory(chain.node.home());
  const uint64_t until = Status(chain.node.url()).value("height", uint64_t{0}) + 1000;
  TxFactory::Built good = factory.Issue({}, until);
  TxFactory::Built forged = factory.Issue({}, until);
  Bytes tampered = forged.tx.raw;
  tampered[tampered.size() - 3] ^= 0x01;  // inside the signature
  TxFactory::Built last = factory.Issue({}, until);
  Json body = {{"txs",
                {Base64Encode(good.tx.raw), "not base64!", 42, Base64Encode(tampered),
                 Base64Encode(Bytes{1, 2, 3}), Base64Encode(last.tx.raw)}}};
  HttpReply r = Post(chain.node.url(), "/v1/txs", body.dump());
  INFO(r.body);
  REQUIRE(r.status == 200);
  Json j = r.json();
  CHECK(j.value("admitted", 0) == 2);
  CHECK(j.value("rejected", 0) == 4);
  const Json& res = j["results"];
  REQUIRE(res.size() == 6);
  CHECK(res[0].value("status", "") == "pending");
  CHECK(res[1]["error"].value("code", "") == "bad_request");
  CHECK(res[1]["error"].value("message", "").find("txs[1]") != std::string::npos);
  CHECK(res[2]["error"].value("code", "") == "bad_request");
  CHECK(res[3]["error"].value("code", "") == "bad_signature");
  CHECK(res[4]["error"].value("code", "") == "malformed_tx");
  CHECK(res[5].value("status", "") == "pending");
  CHECK(res[5].value("tx_hash", "") == crypto::DigestHex(last.tx.hash));
  for (const auto* b : {&good, &last}) WaitCommitted(chain.node.url(), crypto::DigestHex(b->tx.hash));
  CHECK(TxStatusOf(chain.node.url(), crypto::DigestHex(forged.tx.hash)) != "committed");
}

TEST_CASE("batches over max_batch_txs, empty, malformed or waiting ones are refused with a reason "
          "and admit nothing",
          "[api][batch]") {
  ConfiguredDevChain chain(ConfiguredDevChain::Settings{{"max_batch_txs", "3"}});
  const std::string url = chain.node.url();
  TxFactory factory(chain.node.home());
  const auto [four, hashes] = SignIssues(chain.node, factory, 4);
  HttpReply big = Post(url, "/v1/txs", BatchBody(four));
  CHECK(big.status == 413);
  CHECK(ErrorCodeOf(big) == "batch_too_large");
  CHECK(big.body.find("max_batch_txs") != std::string::npos);

  CHECK(ErrorCodeOf(Post(url, "/v1/txs", "{\"txs\": []}")) == "bad_request");
  CHECK(ErrorCodeOf(Post(url, "/v1/txs", "{\"tx\": \"abc\"}")) == "bad_request");
  CHECK(ErrorCodeOf(Post(url, "/v1/txs", "[1, 2")) == "bad_request");
  HttpReply waiting = Post(url, "/v1/txs?wait=1", BatchBody({four[0]}));
  CHECK(waiting.status == 400);
  CHECK(waiting.body.find("GET /v1/tx/") != std::string::npos);
  CHECK(Get(url, "/v1/txs").status == 405);
  for (const std::string& h : hashes) {
    const std::string status = TxStatusOf(url, h);
    CHECK(status != "pending");
    CHECK(status != "committed");
  }
}

TEST_CASE("a batch costs one submission token per transaction, and one larger than the burst "
          "is refused as such",
          "[api][batch][limits]") {
  // 1 token a second: the bucket cannot refill between the requests below unless the machine
  // stalls for seconds (9 of them for the last check to pass wrongly).
  ConfiguredDevChain chain(ConfiguredDevChain::Settings{{"submit_rate_per_s", "1"}, {"submit_burst", "10"}});
  const std::string url = chain.node.url();
  TxFactory factory(chain.node.home());
  auto batch = [&](int n) { return BatchBody(SignIssues(chain.node, factory, n).b64); };
  HttpReply over = Post(url, "/v1/txs", batch(11));  // takes the request's token: 9 left
  CHECK(over.status == 413);
  CHECK(over.body.find("submit_burst") != std::string::npos);
  HttpReply paid = Post(url, "/v1/txs", batch(9));  // 1 + 8 tokens: none left
  INFO(paid.body);
  CHECK(paid.status == 200);
  CHECK(paid.json().value("admitted", 0) == 9);
  HttpReply limited = Post(url, "/v1/txs", batch(9));
  CHECK(limited.status == 429);
  CHECK(ErrorCodeOf(limited) == "rate_limited");
}

TEST_CASE("under load the proposer waits block_fill_ms for fuller blocks, and a lone "
          "transaction still commits",
          "[api][batch][consensus]") {
  // A long window, so that its effect cannot be mistaken: every block with transactions starts
  // at least 1 s after the previous one (heartbeats every 200 ms do not wait).
  ConfiguredDevChain chain(ConfiguredDevChain::Settings{{"block_fill_ms", "1000"}});
  const std::string url = chain.node.url();
  TxFactory factory(chain.node.home());
  const uint64_t until = Status(url).value("height", uint64_t{0}) + 1000;
  HttpReply lone = Post(url, "/v1/tx?wait=1&timeout_ms=30000",
                        TxRequestBody(factory.Issue({}, until).tx.raw));
  INFO(lone.body);
  REQUIRE(lone.status == 200);
  CHECK(lone.json().value("status", "") == "committed");
  // The lone transaction arrived less than 1 s after a heartbeat block: its proposal waited.
  CHECK(Status(url)["consensus"].value("fill_waits", uint64_t{0}) >= 1);
  // block_fill_max_ms (25 by default) below block_fill_ms: the window is block_fill_ms, however
  // busy the host.
  CHECK(Status(url)["consensus"].value("fill_window_ms", int64_t{0}) == 1000);

  const auto [b64, hashes] = SignIssues(chain.node, factory, 150);
  HttpReply r = Post(url, "/v1/txs", BatchBody(b64));
  REQUIRE(r.status == 200);
  REQUIRE(r.json().value("admitted", 0) == 150);
  std::set<uint64_t> heights;
  for (const std::string& h : hashes) {
    heights.insert(WaitCommitted(url, h).value("height", uint64_t{0}));
  }
  // The window never splits what arrived together: the 150 share a few blocks (one, as a rule;
  // the bound leaves room for a machine that stalls for seconds while they are admitted).
  INFO("heights: " << heights.size());
  CHECK(heights.size() <= 10);
}

TEST_CASE("a batch passes the mempool's backpressure only as far as three blocks' worth, counting "
          "transactions still being verified",
          "[api][batch]") {
  // Blocks of 10: the node takes client submissions while fewer than 30 wait. The batch is
  // checked entry by entry in one turn of the io thread, before any of its signatures is
  // verified, so only a count of those being verified keeps the 100 from all passing.
  ConfiguredDevChain chain({}, {{"max_block_txs", "10"}});
  TxFactory factory(chain.node.home());
  HttpReply r = Post(chain.node.url(), "/v1/txs",
                     BatchBody(SignIssues(chain.node, factory, 100).b64));
  REQUIRE(r.status == 200);
  Json j = r.json();
  INFO(j.dump().substr(0, 2000));
  CHECK(j.value("admitted", 0) == 30);
  CHECK(j.value("rejected", 0) == 70);
  CHECK(j["results"][29].value("status", "") == "pending");
  CHECK(j["results"][30]["error"].value("code", "") == "mempool_full");
  CHECK(j["results"][30]["error"].value("message", "").find("being verified") != std::string::npos);
}

}  // namespace govledger::itest

#include "node/verifier.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "ledger/codec.h"

using namespace govledger;

namespace {

constexpr crypto::Suite kSuite = crypto::Suite::kP256;

ledger::Tx SignedIssue(const crypto::PrivateKey& key, int n) {
  ledger::IssueMaterial m;
  m.material_id = "M" + std::to_string(n);
  m.type_code = "BIZLIC";
  ledger::TxBody body;
  body.chain_id = "verifier-test";
  body.nonce = static_cast<uint64_t>(n);
  body.valid_until_height = 100;
  body.payload = m;
  return ledger::SignTx(key, body);
}

// Runs VerifyRaw to completion on a real pool; returns the hashes it reported as verified.
std::set<crypto::Digest> VerifyAll(std::vector<Bytes> raws, unsigned threads) {
  boost::asio::io_context io;
  node::SignatureVerifier verifier(io, kSuite, threads);
  bool called = false;
  std::set<crypto::Digest> got;
  verifier.VerifyRaw(std::make_shared<const std::vector<Bytes>>(std::move(raws)), 64 * 1024,
                     [&](std::vector<crypto::Digest> verified) {
                       called = true;
                       got.insert(verified.begin(), verified.end());
                     });
  // The answer is posted from a worker: keep the io_context waiting for it.
  auto work = boost::asio::make_work_guard(io);
  while (!called) io.run_one();
  return got;
}

}  // namespace

TEST_CASE("VerifyRaw reports exactly the well-signed transactions of a batch, whatever the "
          "chunking",
          "[node]") {
  const crypto::PrivateKey key = crypto::PrivateKey::Generate(kSuite).value();
  std::vector<Bytes> raws;
  std::set<crypto::Digest> good;
  for (int i = 0; i < 45; ++i) {  // several chunks of 16 and a partial one
    ledger::Tx tx = SignedIssue(key, i);
    if (i % 7 == 3) {
      tx.raw.back() ^= 0x01;  // the signature's last byte: decodes, does not verify
    } else if (i % 11 == 5) {
      tx.raw = Bytes{0xde, 0xad, 0xbe, 0xef};  // undecodable
    } else {
      good.insert(crypto::Hash(kSuite, tx.raw));
    }
    raws.push_back(tx.raw);
  }
  REQUIRE(good.size() < raws.size());
  for (unsigned threads : {1u, 2u, 4u}) {
    INFO("threads " << threads);
    REQUIRE(VerifyAll(raws, threads) == good);
  }
}

TEST_CASE("VerifyRaw of an empty batch still answers on the io thread", "[node]") {
  REQUIRE(VerifyAll({}, 2).empty());
}

TEST_CASE("RunOnWorkers runs every index once off the io thread, then done on the io thread",
          "[node]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{37}}) {
    for (unsigned threads : {1u, 3u}) {
      INFO("n " << n << ", threads " << threads);
      boost::asio::io_context io;
      node::SignatureVerifier verifier(io, kSuite, threads);
      const std::thread::id io_thread = std::this_thread::get_id();
      std::vector<int> runs(n, 0);  // each index written by the one worker that runs it
      std::atomic<int> on_io_thread{0};
      bool done = false;
      verifier.RunOnWorkers(
          n,
          [&](size_t i) {
            ++runs[i];
            if (std::this_thread::get_id() == io_thread) ++on_io_thread;
          },
          [&] {
            REQUIRE(std::this_thread::get_id() == io_thread);
            done = true;
          });
      auto work = boost::asio::make_work_guard(io);
      while (!done) io.run_one();
      CHECK(on_io_thread == 0);
      CHECK(std::all_of(runs.begin(), runs.end(), [](int r) { return r == 1; }));
    }
  }
}

TEST_CASE("Verify answers each queued transaction once, on the io thread, with its verdict",
          "[node]") {
  const crypto::PrivateKey key = crypto::PrivateKey::Generate(kSuite).value();
  boost::asio::io_context io;
  node::SignatureVerifier verifier(io, kSuite, 2);
  const std::thread::id io_thread = std::this_thread::get_id();
  constexpr int kTxs = 200;  // queued in bursts of 50, answers taken between them
  std::vector<int> answers(kTxs, 0);
  std::vector<std::optional<crypto::Digest>> verdicts(kTxs);
  std::vector<std::optional<crypto::Digest>> expected(kTxs);
  bool off_io_thread = false;
  int answered = 0;
  auto work = boost::asio::make_work_guard(io);  // poll() below must not stop the io_context
  for (int i = 0; i < kTxs; ++i) {
    ledger::Tx tx = SignedIssue(key, i);
    if (i % 5 == 2) tx.signature.back() ^= 0x01;  // does not verify
    if (i % 5 != 2) expected[i] = crypto::Hash(kSuite, tx.raw);
    verifier.Verify(std::make_shared<const ledger::Tx>(std::move(tx)),
                    [&, i](std::optional<crypto::Digest> raw_hash) {
                      if (std::this_thread::get_id() != io_thread) off_io_thread = true;
                      ++answers[i];
                      verdicts[i] = raw_hash;
                      ++answered;
                    });
    if (i % 50 == 49) io.poll();  // some answers arrive while more are queued
  }
  while (answered < kTxs) io.run_one();
  CHECK_FALSE(off_io_thread);
  for (int i = 0; i < kTxs; ++i) {
    INFO("transaction " << i);
    CHECK(answers[i] == 1);
    CHECK(verdicts[i] == expected[i]);
  }
}

TEST_CASE("Stop returns promptly with transactions still queued, and answers none after it",
          "[node]") {
  const crypto::PrivateKey key = crypto::PrivateKey::Generate(kSuite).value();
  boost::asio::io_context io;
  node::SignatureVerifier verifier(io, kSuite, 2);
  const auto tx = std::make_shared<const ledger::Tx>(SignedIssue(key, 1));
  std::atomic<int> answered{0};
  for (int i = 0; i < 5'000; ++i) {  // ~0.3 s of verification on one core if it all ran
    verifier.Verify(tx, [&](std::optional<crypto::Digest>) { ++answered; });
  }
  verifier.Stop();
  io.poll();
  const int after_stop = answered.load();
  CHECK(after_stop < 5'000);
  verifier.Verify(tx, [&](std::optional<crypto::Digest>) { ++answered; });
  io.poll();
  CHECK(answered.load() == after_stop);
}

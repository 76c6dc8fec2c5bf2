#include "node/verifier.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <mutex>

#include "ledger/codec.h"

namespace govledger::node {

SignatureVerifier::SignatureVerifier(boost::asio::io_context& io, crypto::Suite suite,
                                     unsigned threads)
    : io_(io), suite_(suite), pool_(threads) {}

SignatureVerifier::~SignatureVerifier() { Stop(); }

std::optional<crypto::Digest> SignatureVerifier::VerifiedRawHash(const ledger::Tx& tx) const {
  if (!crypto::Verify(suite_, tx.signer, tx.body_bytes, tx.signature)) return std::nullopt;
  return crypto::Hash(suite_, tx.raw);
}

void SignatureVerifier::Verify(std::shared_ptr<const ledger::Tx> tx,
                               std::function<void(std::optional<crypto::Digest>)> done) {
  boost::asio::post(pool_, [this, tx = std::move(tx), done = std::move(done)]() mutable {
    std::optional<crypto::Digest> raw_hash = VerifiedRawHash(*tx);
    boost::asio::post(io_, [raw_hash, done = std::move(done)] { done(raw_hash); });
  });
}

void SignatureVerifier::VerifyRaw(std::shared_ptr<const std::vector<Bytes>> raws,
                                  size_t max_tx_bytes,
                                  std::function<void(std::vector<crypto::Digest>)> done) {
  // Chunks big enough that posting costs little, small enough that every worker gets some.
  constexpr size_t kChunk = 16;
  struct Batch {
    std::mutex mu;
    std::vector<crypto::Digest> verified;
    std::atomic<size_t> chunks_left{0};
    std::function<void(std::vector<crypto::Digest>)> done;
  };
  auto batch = std::make_shared<Batch>();
  batch->done = std::move(done);
  const size_t chunks = (raws->size() + kChunk - 1) / kChunk;
  if (chunks == 0) {
    boost::asio::post(io_, [batch] { batch->done({}); });
    return;
  }
  batch->chunks_left = chunks;
  for (size_t c = 0; c < chunks; ++c) {
    boost::asio::post(pool_, [this, raws, max_tx_bytes, batch, c] {
      std::vector<crypto::Digest> ok;
      const size_t end = std::min(raws->size(), (c + 1) * kChunk);
      for (size_t i = c * kChunk; i < end; ++i) {
        const Bytes& raw = (*raws)[i];
        auto tx = ledger::DecodeTx(suite_, raw, max_tx_bytes);
        if (!tx.ok()) continue;
        if (auto raw_hash = VerifiedRawHash(*tx)) ok.push_back(*raw_hash);
      }
      {
        std::lock_guard<std::mutex> lock(batch->mu);
        batch->verified.insert(batch->verified.end(), ok.begin(), ok.end());
      }
      if (batch->chunks_left.fetch_sub(1) == 1) {
        boost::asio::post(io_, [batch] { batch->done(std::move(batch->verified)); });
      }
    });
  }
}

void SignatureVerifier::RunOnWorkers(size_t n, std::function<void(size_t)> work,
                                     std::function<void()> done) {
  struct Run {
    std::function<void(size_t)> work;
    std::function<void()> done;
    std::atomic<size_t> left{0};
  };
  auto run = std::make_shared<Run>();
  run->work = std::move(work);
  run->done = std::move(done);
  run->left = n;
  if (n == 0) {
    boost::asio::post(io_, [run] { run->done(); });
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    boost::asio::post(pool_, [this, run, i] {
      run->work(i);
      // The last to finish hands over to the io thread; fetch_sub orders every work before it.
      if (run->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        boost::asio::post(io_, [run] { run->done(); });
      }
    });
  }
}

void SignatureVerifier::Stop() {
  pool_.stop();
  pool_.join();
}

}  // namespace govledger::node

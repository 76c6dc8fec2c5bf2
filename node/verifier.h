// Signature verification off the io thread: transactions are checked on a worker pool and the
// verdict is posted back to the io_context, so node state stays single-threaded.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "ledger/types.h"

namespace govledger::node {

class SignatureVerifier {
 public:
  SignatureVerifier(boost::asio::io_context& io, crypto::Suite suite, unsigned threads);
  ~SignatureVerifier();

  // Calls done on the io thread with the hash of the full SignedTx bytes (Executor's
  // verified-signature key, computed on the worker) if the signature verifies, else nullopt.
  void Verify(std::shared_ptr<const ledger::Tx> tx,
              std::function<void(std::optional<crypto::Digest>)> done);
  // Decodes and verifies many serialized transactions (a synced batch of blocks) on every worker,
  // then calls done on the io thread with the hashes of the full SignedTx bytes of those whose
  // signature verifies (Executor::MarkVerifiedRaw's key). An undecodable or badly signed one is
  // left out: block execution checks it again and names it.
  void VerifyRaw(std::shared_ptr<const std::vector<Bytes>> raws, size_t max_tx_bytes,
                 std::function<void(std::vector<crypto::Digest>)> done);
  // Runs work(0) ... work(n - 1) on the workers, then done on the io thread (done is posted even
  // when n is 0). For other checks of a synced batch (its certificates).
  void RunOnWorkers(size_t n, std::function<void(size_t)> work, std::function<void()> done);
  void Stop();

 private:
  // On a worker: the transaction's SignedTx hash if its signature verifies.
  std::optional<crypto::Digest> VerifiedRawHash(const ledger::Tx& tx) const;

  boost::asio::io_context& io_;
  crypto::Suite suite_;
  boost::asio::thread_pool pool_;
};

}  // namespace govledger::node

#include "node/verifier.h"

#include <boost/asio/post.hpp>

namespace govledger::node {

SignatureVerifier::SignatureVerifier(boost::asio::io_context& io, crypto::Suite suite,
                                     unsigned threads)
    : io_(io), suite_(suite), pool_(threads) {}

SignatureVerifier::~SignatureVerifier() { Stop(); }

void SignatureVerifier::Verify(std::shared_ptr<const ledger::Tx> tx, std::function<void(bool)> done) {
  boost::asio::post(pool_, [this, tx = std::move(tx), done = std::move(done)]() mutable {
    bool ok = crypto::Verify(suite_, tx->signer, tx->body_bytes, tx->signature);
    boost::asio::post(io_, [ok, done = std::move(done)] { done(ok); });
  });
}

void SignatureVerifier::Stop() {
  pool_.stop();
  pool_.join();
}

}  // namespace govledger::node

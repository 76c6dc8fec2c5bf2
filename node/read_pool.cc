#include "node/read_pool.h"

#include <boost/asio/post.hpp>

#include "node/log.h"

namespace govledger::node {

ReadPool::ReadPool(boost::asio::io_context& io, unsigned threads, size_t max_queued)
    : io_(io), pool_(threads == 0 ? 1 : threads), max_queued_(max_queued == 0 ? 1 : max_queued) {}

ReadPool::~ReadPool() { Stop(); }

bool ReadPool::Run(std::function<std::function<void()>()> job) {
  if (stopped_.load()) return false;
  if (in_flight_.fetch_add(1) >= max_queued_) {
    in_flight_.fetch_sub(1);
    return false;
  }
  boost::asio::post(pool_, [this, job = std::move(job)]() mutable {
    std::function<void()> then;
    try {
      then = job();
    } catch (const std::exception& e) {
      GOVLEDGER_LOG(kError, "read worker: a job failed: " << e.what());
    }
    // The job travels back with its continuation: a capture that was copied rather than moved
    // into the continuation (a const one cannot be moved) must not be released here. A client
    // session released on a worker once raced the io thread over the server's per-address
    // connection table and crashed the node (doc/testing.md, finding 3).
    boost::asio::post(io_, [this, job = std::move(job), then = std::move(then)] {
      in_flight_.fetch_sub(1);
      if (then) then();
    });
  });
  return true;
}

void ReadPool::Stop() {
  stopped_.store(true);
  pool_.stop();
  pool_.join();
}

}  // namespace govledger::node

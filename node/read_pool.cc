#include "node/read_pool.h"

#include <boost/asio/post.hpp>

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
    std::function<void()> then = job();
    boost::asio::post(io_, [this, then = std::move(then)] {
      in_flight_.fetch_sub(1);
      then();
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

// Heavy API reads off the io thread: a small worker pool runs a job that reads only a store
// snapshot (ledger::Store::Snapshot) and the immutable genesis registry, and posts its answer back
// to the io_context, so node and consensus state stay owned by the one io thread. The queue is
// bounded: past `max_queued` waiting jobs Run refuses (the API answers 503 busy) instead of letting
// a flood of reports pile up.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>

namespace govledger::node {

class ReadPool {
 public:
  ReadPool(boost::asio::io_context& io, unsigned threads, size_t max_queued);
  ~ReadPool();

  // Runs `job` on a worker; the continuation it returns then runs on the io thread. False, and
  // nothing runs, when max_queued jobs are already queued or running. The job object itself (and
  // so everything it captured: a client's HTTP session, typically) is destroyed on the io thread
  // too, after the continuation — never on the worker, whatever the job moved or copied. A job
  // that throws is logged; its continuation is then empty and its captures still die on the io
  // thread (the client's connection closes without an answer).
  bool Run(std::function<std::function<void()>()> job);
  void Stop();
  size_t in_flight() const { return in_flight_.load(); }

 private:
  boost::asio::io_context& io_;
  boost::asio::thread_pool pool_;
  size_t max_queued_;
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace govledger::node

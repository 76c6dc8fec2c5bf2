// node::ReadPool: jobs run on a worker, their continuations on the io thread, and everything a
// job captured is released on the io thread — a client's HTTP session released on a worker once
// raced the io thread over the server's connection table and crashed a validator.
#include "node/read_pool.h"

#include <boost/asio/io_context.hpp>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <thread>

namespace govledger::node {
namespace {

// Records the thread its last reference was released on.
struct Probe {
  explicit Probe(std::atomic<std::thread::id>* where) : released_on(where) {}
  ~Probe() { released_on->store(std::this_thread::get_id()); }
  std::atomic<std::thread::id>* released_on;
};

// Runs the io_context on this thread until `done` is set (the continuation sets it).
void RunUntil(boost::asio::io_context& io, const bool& done) {
  while (!done) {
    io.run_for(std::chrono::milliseconds(10));
    if (io.stopped()) io.restart();
  }
}

}  // namespace

TEST_CASE("read pool runs a job on a worker and its continuation on the io thread", "[read_pool]") {
  boost::asio::io_context io;
  ReadPool pool(io, 1, 4);
  std::thread::id job_thread, continuation_thread;
  bool done = false;
  REQUIRE(pool.Run([&]() -> std::function<void()> {
    job_thread = std::this_thread::get_id();
    return [&] {
      continuation_thread = std::this_thread::get_id();
      done = true;
    };
  }));
  RunUntil(io, done);
  CHECK(job_thread != std::this_thread::get_id());
  CHECK(continuation_thread == std::this_thread::get_id());
  CHECK(pool.in_flight() == 0);
}

TEST_CASE("read pool releases what a job captured on the io thread, even a capture it could not "
          "move into its continuation",
          "[read_pool]") {
  boost::asio::io_context io;
  ReadPool pool(io, 1, 4);
  std::atomic<std::thread::id> released_on{};
  bool done = false;
  {
    // A const capture: the job can only copy it, and here the continuation does not even take
    // it along, so the job object holds the last reference.
    const auto probe = std::make_shared<Probe>(&released_on);
    REQUIRE(pool.Run([probe, &done]() -> std::function<void()> {
      (void)probe;
      return [&done] { done = true; };
    }));
  }
  RunUntil(io, done);
  // The release is posted with the continuation and happens right after it.
  while (released_on.load() == std::thread::id{}) io.run_one_for(std::chrono::milliseconds(10));
  CHECK(released_on.load() == std::this_thread::get_id());
}

TEST_CASE("read pool logs a job that throws and still releases its captures on the io thread",
          "[read_pool]") {
  boost::asio::io_context io;
  ReadPool pool(io, 1, 4);
  std::atomic<std::thread::id> released_on{};
  {
    auto probe = std::make_shared<Probe>(&released_on);
    REQUIRE(pool.Run([probe]() -> std::function<void()> {
      (void)probe;
      throw std::runtime_error("a read that failed");
    }));
  }
  while (released_on.load() == std::thread::id{}) {
    io.run_for(std::chrono::milliseconds(10));
    if (io.stopped()) io.restart();
  }
  CHECK(released_on.load() == std::this_thread::get_id());
  CHECK(pool.in_flight() == 0);
}

TEST_CASE("read pool refuses a job past its queue bound and runs nothing of it", "[read_pool]") {
  boost::asio::io_context io;
  ReadPool pool(io, 1, 1);
  std::atomic<bool> release{false};
  bool first_done = false, second_ran = false;
  REQUIRE(pool.Run([&]() -> std::function<void()> {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return [&] { first_done = true; };
  }));
  CHECK_FALSE(pool.Run([&]() -> std::function<void()> {
    second_ran = true;
    return [] {};
  }));
  release = true;
  RunUntil(io, first_done);
  CHECK_FALSE(second_ran);
}

}  // namespace govledger::node

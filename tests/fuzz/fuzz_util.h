// Small helpers shared by the fuzz targets: a reader that splits the fuzzer's bytes into typed
// pieces, an always-on check for the properties a target asserts (round trips), and a private
// scratch directory for the targets that must go through a file (WAL, node.toml).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "util/bytes.h"

namespace govledger::fuzz {

// A property the decoder promises does not hold: report and abort, which libFuzzer (and the
// replay driver) treats as a crash.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

// Consumes the input from the front; past the end every read yields zeros / empty.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t left() const { return size_ - pos_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  // Up to `max` bytes, length taken from one byte of input.
  Bytes Chunk(size_t max) {
    size_t n = U8();
    if (n > max) n = max;
    return Take(n);
  }
  Bytes Take(size_t n) {
    if (n > left()) n = left();
    Bytes out(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
    return out;
  }
  Bytes Rest() { return Take(left()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A directory of this process, on tmpfs when there is one (the WAL fsyncs on every open),
// removed at exit. Never destroyed itself: the exit handler still needs it.
inline const std::string& ScratchDir() {
  static const std::string* const dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                     ? std::filesystem::path("/dev/shm")
                                     : std::filesystem::temp_directory_path();
    auto p = base / ("govledger-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p, ec);
    auto* path = new std::string(p.string());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(std::filesystem::path(ScratchDir()), ignored);
    });
    return path;
  }();
  return *dir;
}

}  // namespace govledger::fuzz

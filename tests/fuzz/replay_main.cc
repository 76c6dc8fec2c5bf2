// Corpus replay driver for builds without libFuzzer: runs LLVMFuzzerTestOneInput once on every
// file named on the command line, or in a directory named there (sorted, not recursive). A crash,
// sanitizer report or failed check fails the run; ctest runs one per target (fuzz_replay_<name>).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes, so that ASan sees reads past the end as libFuzzer would.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  auto* heap = new uint8_t[data.size() + 1];
  std::copy(data.begin(), data.end(), heap);
  LLVMFuzzerTestOneInput(data.empty() ? nullptr : heap, data.size());
  delete[] heap;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t runs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (!arg.empty() && arg.filename().string().rfind('-', 0) == 0) continue;  // libFuzzer flags
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::fprintf(stderr, "%s: empty corpus\n", arg.c_str());
        ok = false;
      }
    } else {
      files.push_back(arg);
    }
    for (const auto& f : files) {
      ok = RunFile(f) && ok;
      ++runs;
    }
  }
  std::printf("replayed %zu inputs\n", runs);
  return ok && runs > 0 ? 0 : 1;
}

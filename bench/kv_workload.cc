// govledger-kvbench: the main database's write pattern, replayed into a key-value engine without
// the node around it, to see what the engine's compaction costs as the ledger grows (doc/
// performance.md, "A ledger of a million materials"). Benchmark-only; the node's store is
// ledger/store.cc on LevelDB.
//
// Each simulated material issue writes the rows the store writes for one (sizes from the scale
// benchmark's per-table figures): its state 'S' (387 B, half of it incompressible hashes), two
// state-tree nodes 'A' (65 B, keyed by a hash path), the digest, holder, issuer and type index
// rows, its transaction 'T', its first event 'V', an expiry row 'X' for every other material and
// two Merkle log nodes 'L' (keyed in append order). A block of --block-txs issues is one synced
// batch; before each batch state-tree nodes written earlier are read back, two per issue, as the
// block build reads the tree below its in-memory top (--reads). CPU is the whole process's (the
// engine's background compaction included), bytes written are the process's write() bytes (log,
// flushes and compactions), both per issue and per interval, so the growth with the ledger shows.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifdef GOVLEDGER_KVBENCH_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#endif

#include "util/bytes.h"

namespace {

using Rows = std::vector<std::pair<std::string, std::string>>;

class Engine {
 public:
  virtual ~Engine() = default;
  // One synced batch; false (with a message on stderr) on failure.
  virtual bool Write(const Rows& rows) = 0;
  virtual bool Get(const std::string& key, std::string* value) = 0;
  // Reads through one iterator per batch (BeginReads .. EndReads) instead of Get: LevelDB charges
  // iterators' reads only by sampling, so they do not trigger its read-driven compactions.
  virtual void BeginReads() = 0;
  virtual bool Seek(const std::string& key, std::string* value) = 0;
  virtual void EndReads() = 0;
};

// Batches, point reads and iterator reads, the same for both engines (their APIs have one shape).
template <typename Db, typename Batch, typename WriteOptions, typename ReadOptions,
          typename Iterator>
class EngineOf : public Engine {
 public:
  bool Write(const Rows& rows) override {
    Batch batch;
    for (const auto& [k, v] : rows) batch.Put(k, v);
    WriteOptions wo;
    wo.sync = true;
    const auto s = db_->Write(wo, &batch);
    if (!s.ok()) std::fprintf(stderr, "kvbench: write failed: %s\n", s.ToString().c_str());
    return s.ok();
  }
  bool Get(const std::string& key, std::string* value) override {
    return db_->Get(ReadOptions(), key, value).ok();
  }
  void BeginReads() override { it_.reset(db_->NewIterator(ReadOptions())); }
  bool Seek(const std::string& key, std::string* value) override {
    it_->Seek(key);
    if (!it_->Valid() || it_->key() != key) return false;
    value->assign(it_->value().data(), it_->value().size());
    return true;
  }
  void EndReads() override { it_.reset(); }
  ~EngineOf() override { Close(); }

 protected:
  void Close() {
    it_.reset();
    db_.reset();
  }
  // Takes the opened database, or reports why it did not open.
  template <typename Status>
  bool Opened(const Status& s, Db* db, const std::string& dir) {
    if (!s.ok()) {
      std::fprintf(stderr, "kvbench: cannot open %s: %s\n", dir.c_str(), s.ToString().c_str());
      return false;
    }
    db_.reset(db);
    return true;
  }

 private:
  std::unique_ptr<Db> db_;
  std::unique_ptr<Iterator> it_;
};

// The node's options (ledger/store.cc): 16 MiB write buffer, 10-bit Bloom filters, 64 MiB block
// cache, Snappy, paranoid checks.
class LevelEngine : public EngineOf<leveldb::DB, leveldb::WriteBatch, leveldb::WriteOptions,
                                    leveldb::ReadOptions, leveldb::Iterator> {
 public:
  static std::unique_ptr<Engine> Open(const std::string& dir, size_t write_buffer_mb,
                                      size_t max_file_mb) {
    auto e = std::unique_ptr<LevelEngine>(new LevelEngine);
    e->filter_.reset(leveldb::NewBloomFilterPolicy(10));
    e->cache_.reset(leveldb::NewLRUCache(64u << 20));
    leveldb::Options o;
    o.create_if_missing = true;
    o.paranoid_checks = true;
    o.filter_policy = e->filter_.get();
    o.block_cache = e->cache_.get();
    o.write_buffer_size = write_buffer_mb << 20;
    o.max_file_size = max_file_mb << 20;
    leveldb::DB* db = nullptr;
    const leveldb::Status s = leveldb::DB::Open(o, dir, &db);
    if (!e->Opened(s, db, dir)) return nullptr;
    return e;
  }
  // The database closes before the filter policy and the cache it uses.
  ~LevelEngine() override { Close(); }

 private:
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
};

#ifdef GOVLEDGER_KVBENCH_ROCKSDB
// RocksDB with the same budget (16 MiB write buffers, 10-bit Bloom filters, 64 MiB block cache)
// and either leveled compaction with dynamic level sizes (the levels sized from the bottom, so
// that ~90 % of the data is in the last level whatever the size) or universal (tiered)
// compaction. LZ4 above the last level, Zstandard in it (leveled).
class RocksEngine : public EngineOf<rocksdb::DB, rocksdb::WriteBatch, rocksdb::WriteOptions,
                                    rocksdb::ReadOptions, rocksdb::Iterator> {
 public:
  static std::unique_ptr<Engine> Open(const std::string& dir, bool universal) {
    auto e = std::unique_ptr<RocksEngine>(new RocksEngine);
    rocksdb::Options o;
    o.create_if_missing = true;
    o.paranoid_checks = true;
    o.write_buffer_size = 16u << 20;
    o.max_background_jobs = 2;
    o.bytes_per_sync = 1u << 20;
    rocksdb::BlockBasedTableOptions t;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.block_cache = rocksdb::NewLRUCache(64u << 20);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    if (universal) {
      o.compaction_style = rocksdb::kCompactionStyleUniversal;
      o.compression = rocksdb::kLZ4Compression;
    } else {
      o.level_compaction_dynamic_level_bytes = true;
      o.max_bytes_for_level_base = 64u << 20;
      o.compression = rocksdb::kLZ4Compression;
      o.bottommost_compression = rocksdb::kZSTD;
    }
    rocksdb::DB* db = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(o, dir, &db);
    if (!e->Opened(s, db, dir)) return nullptr;
    return e;
  }
};
#endif

// splitmix64: reproducible runs without a crypto RNG in the loop.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::string Bytes(size_t n) {
    std::string out(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      const uint64_t v = Next();
      for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
    }
    return out;
  }
};

std::string U64BE(uint64_t v) {
  std::string s;
  govledger::AppendU64BE(s, v);
  return s;
}

// The rows of material issue number `n`; `tree_key` receives one of its 'A' keys. The event row
// 'V' has a value of `event_bytes` (150: a copy of the event, as the store writes it).
void IssueRows(Rng& rng, uint64_t n, size_t event_bytes, Rows& out, std::string& tree_key) {
  static const std::string kFields =
      "name;id_number;address;business_scope;registered_capital;legal_representative;";
  char id[40];
  std::snprintf(id, sizeof id, "BL-D%02u-%016llu-001", static_cast<unsigned>(n % 37),
                static_cast<unsigned long long>(rng.Next() % 10'000'000'000'000'000ull));
  const std::string mid(id);
  out.emplace_back("S" + mid, rng.Bytes(190) + kFields + kFields + kFields.substr(0, 7));
  for (int a = 0; a < 2; ++a) {
    std::string key = "A";
    key += static_cast<char>(0);
    key += static_cast<char>(19 + a);
    key += rng.Bytes(32);
    if (a == 0) tree_key = key;
    out.emplace_back(std::move(key), rng.Bytes(65));
  }
  out.emplace_back("D" + rng.Bytes(32) + mid, std::string());
  out.emplace_back("O" + rng.Bytes(32) + mid, std::string());
  out.emplace_back("I" + std::string("dept-") + std::to_string(n % 37) + '\0' + mid, std::string());
  out.emplace_back("Y" + std::string("type-") + std::to_string(n % 11) + '\0' + mid, std::string());
  out.emplace_back("T" + rng.Bytes(32), U64BE(n / 400) + std::string(1, '\0'));
  std::string event = rng.Bytes(std::min<size_t>(event_bytes, 96));
  if (event_bytes > 96) event += (kFields + kFields).substr(0, event_bytes - 96);
  out.emplace_back("V" + mid + '\0' + std::string(4, '\0'), std::move(event));
  if (n % 2 == 0)
    out.emplace_back("X" + U64BE(1'800'000'000'000ull + rng.Next() % 1'000'000'000'000ull) + mid,
                     std::string());
  out.emplace_back("L" + std::string(1, '\0') + U64BE(n), rng.Bytes(32));
  if (n % 2 == 1) out.emplace_back("L" + std::string(1, '\1') + U64BE(n / 2), rng.Bytes(32));
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Bytes this process passed to write() (the engine's log, flushes and compactions).
uint64_t WrittenBytes() {
  std::ifstream io("/proc/self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value) {
    if (name == "wchar:") return value;
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (f.is_regular_file(ec)) total += f.file_size(ec);
  }
  return total;
}

// A scratch directory under $TMPDIR, removed when the run ends.
class TempDirOwner {
 public:
  std::string Make() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/govledger-kvbench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "kvbench: cannot make a directory like %s\n", pattern.c_str());
      return {};
    }
    path_ = pattern + "/db";
    return path_;
  }
  ~TempDirOwner() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(path_).parent_path(), ec);
  }

 private:
  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "govledger-kvbench: the main database's write pattern (material issues in synced blocks)\n"
      "replayed into LevelDB or RocksDB; CPU, bytes written and disk per issue as the data grows.\n"
      "Example: govledger-kvbench --engine leveldb --txs 1000000 --dir /tmp/kv"};
  std::string engine = "leveldb";
  uint64_t txs = 1'000'000;
  uint64_t block_txs = 400;
  uint64_t every = 100'000;
  size_t write_buffer_mb = 16;
  size_t max_file_mb = 2;
  size_t event_bytes = 150;
  int reads_per_issue = 2;
  bool iterator_reads = false;
  double rate = 0;
  uint64_t fill = 0;
  std::string dir;
  app.add_option("--engine", engine, "leveldb, rocksdb-leveled or rocksdb-universal")
      ->check(CLI::IsMember({"leveldb", "rocksdb-leveled", "rocksdb-universal"}));
  app.add_option("--txs", txs, "Material issues to write (default 1,000,000)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--block-txs", block_txs, "Issues per synced batch (default 400)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000}));
  app.add_option("--every", every, "Report every this many issues (default 100,000)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  app.add_option("--leveldb-write-buffer-mb", write_buffer_mb,
                 "LevelDB's write buffer in MiB (the node uses 16)")
      ->check(CLI::Range(size_t{1}, size_t{1024}));
  app.add_option("--leveldb-max-file-mb", max_file_mb,
                 "LevelDB's table file size in MiB (the node uses LevelDB's default, 2)")
      ->check(CLI::Range(size_t{1}, size_t{1024}));
  app.add_option("--event-bytes", event_bytes,
                 "Bytes of the value of an issue's event row 'V' (default 150: a copy of the "
                 "event, as the store writes it; 13: a pointer into the block store)")
      ->check(CLI::Range(size_t{1}, size_t{212}));
  app.add_option("--reads", reads_per_issue,
                 "Point reads of earlier state-tree rows per issue (default 2; LevelDB charges a "
                 "read that probes two files to the first, and compacts a file charged too often)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--rate", rate,
                 "Issues per second after --fill (default: as fast as the engine takes them); a "
                 "node's load is a rate, and LevelDB compacts differently below its limit")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--fill", fill, "Issues written at full speed before --rate applies")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100'000'000}));
  app.add_flag("--iterator-reads", iterator_reads,
               "Read through one iterator per block instead of point reads");
  app.add_option("--dir", dir,
                 "Empty or absent directory for the database, kept afterwards (default: a new "
                 "directory under $TMPDIR, deleted afterwards)");
  CLI11_PARSE(app, argc, argv);

  std::error_code ec;
  TempDirOwner temp;
  if (dir.empty()) {
    dir = temp.Make();
    if (dir.empty()) return 1;
  } else if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    std::fprintf(stderr, "kvbench: %s is not empty; give an empty or absent directory\n",
                 dir.c_str());
    return 2;
  }
  std::unique_ptr<Engine> db;
  if (engine == "leveldb") {
    db = LevelEngine::Open(dir, write_buffer_mb, max_file_mb);
  } else {
#ifdef GOVLEDGER_KVBENCH_ROCKSDB
    db = RocksEngine::Open(dir, engine == "rocksdb-universal");
#else
    std::fprintf(stderr, "kvbench: built without RocksDB (install librocksdb-dev, reconfigure)\n");
    return 2;
#endif
  }
  if (!db) return 1;

  Rng rng{20261207};
  Rng pick{7};
  std::vector<std::string> tree_keys;  // one 'A' key per issue, read back later
  tree_keys.reserve(static_cast<size_t>(txs));
  Rows rows;
  std::string value;
  uint64_t reads = 0, found = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  const uint64_t written0 = WrittenBytes();
  double cpu_mark = cpu0;
  uint64_t written_mark = written0;
  uint64_t done_mark = 0;
  std::chrono::steady_clock::time_point paced_from{};
  for (uint64_t done = 0; done < txs;) {
    const uint64_t n = std::min(block_txs, txs - done);
    rows.clear();
    const size_t stored = tree_keys.size();  // the keys of earlier, written blocks
    if (iterator_reads) db->BeginReads();
    for (uint64_t i = 0; i < n; ++i) {
      if (stored > 1000) {
        for (int r = 0; r < reads_per_issue; ++r) {
          ++reads;
          const std::string& key = tree_keys[pick.Next() % stored];
          if (iterator_reads ? db->Seek(key, &value) : db->Get(key, &value)) ++found;
        }
      }
      std::string tree_key;
      IssueRows(rng, done + i, event_bytes, rows, tree_key);
      tree_keys.push_back(std::move(tree_key));
    }
    if (iterator_reads) db->EndReads();
    if (!db->Write(rows)) return 1;
    done += n;
    if (rate > 0 && done > fill) {
      // Paced from the end of the fill: the batch's due time.
      if (paced_from.time_since_epoch().count() == 0) paced_from = std::chrono::steady_clock::now();
      const auto due = paced_from + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(
                                            static_cast<double>(done - fill) / rate));
      std::this_thread::sleep_until(due);
    }
    if (done - done_mark >= every || done == txs) {
      const double cpu = CpuSeconds();
      const uint64_t written = WrittenBytes();
      const double issues = static_cast<double>(done - done_mark);
      std::printf(
          "kvbench %s: %llu issues: %.1f us CPU per issue, %.1f KB written per issue "
          "(last %llu); %.0f MB on disk\n",
          engine.c_str(), static_cast<unsigned long long>(done), (cpu - cpu_mark) * 1e6 / issues,
          static_cast<double>(written - written_mark) / 1e3 / issues,
          static_cast<unsigned long long>(done - done_mark),
          static_cast<double>(DirBytes(dir)) / 1e6);
      std::fflush(stdout);
      cpu_mark = cpu;
      written_mark = written;
      done_mark = done;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "kvbench %s: total %llu issues in %.1f s (%.0f issues/s): %.1f us CPU per issue, "
      "%.1f KB written per issue, %.0f B on disk per issue; %llu of %llu reads found\n",
      engine.c_str(), static_cast<unsigned long long>(txs), secs, static_cast<double>(txs) / secs,
      cpu * 1e6 / static_cast<double>(txs),
      static_cast<double>(WrittenBytes() - written0) / 1e3 / static_cast<double>(txs),
      static_cast<double>(DirBytes(dir)) / static_cast<double>(txs),
      static_cast<unsigned long long>(found), static_cast<unsigned long long>(reads));
  if (found != reads) {
    std::fprintf(stderr, "kvbench: %llu reads of written keys found nothing\n",
                 static_cast<unsigned long long>(reads - found));
    return 1;
  }
  return 0;
}

// Internal to the Store (ledger/store.cc, store_scans.cc, store_blocks.cc, store_check.cc; use
// ledger/store.h): the key layout of its LevelDB tables, the helpers that build and read those
// keys, and the Store's private state.
#pragma once

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "ledger/codec.h"
#include "ledger/store.h"
#include "ledger/store_state_tree.h"
#include "util/bloom.h"

namespace govledger::ledger {

namespace store_internal {

// Table prefixes; see the key layout at the top of store.h.
inline constexpr char kMeta = 'M';
inline constexpr char kBlock = 'B';
inline constexpr char kCommit = 'C';
inline constexpr char kBlockHash = 'H';
inline constexpr char kTxLoc = 'T';
inline constexpr char kState = 'S';
inline constexpr char kMaterialEvent = 'V';
inline constexpr char kBlockEvents = 'W';
inline constexpr char kDigestIndex = 'D';
inline constexpr char kHolderIndex = 'O';
inline constexpr char kIssuerIndex = 'I';
inline constexpr char kTypeIndex = 'Y';
inline constexpr char kExpiryIndex = 'X';
inline constexpr char kLogNode = 'L';

// Metadata names. The tip is kept in metadata (written in every block's batch) so Open is O(1).
inline constexpr std::string_view kMetaGenesis = "genesis";
inline constexpr std::string_view kMetaHeight = "height";
inline constexpr std::string_view kMetaTipHash = "tip_hash";
inline constexpr std::string_view kMetaLogSize = "log_size";
inline constexpr std::string_view kMetaTipTime = "tip_time";
// Layout version of the state tree ('A') and journal ('J'). A store without it was written before
// blocks carried a state_root and cannot serve one. "smt-v1" wrote every node; "smt-v2" kept the
// top 16 levels in memory; "smt-v3" keeps the top 18 (ledger/store_state_tree.h) and is what the
// older two are migrated to on open.
inline constexpr std::string_view kMetaStateTree = "state_tree";
inline constexpr std::string_view kStateTreeVersion = "smt-v3";
inline constexpr std::string_view kStateTreeV2 = "smt-v2";
inline constexpr std::string_view kStateTreeV1 = "smt-v1";
// Where the height-keyed rows ('B', 'C', 'W', 'J') live. A store without it keeps them in the
// main database, as every store did before 7 Dec 2026, and is migrated on open.
inline constexpr std::string_view kMetaBlockStore = "block_store";
inline constexpr std::string_view kBlockStoreVersion = "blocks-v1";

// The tables of the block store (the second LevelDB, BlockStoreDir), keyed by height, and the
// size of their keys there (BlockRowKey: u64 height, table byte).
inline constexpr std::array<char, 4> kHeightTables = {kBlock, kCommit, kBlockEvents,
                                                      LevelStateTree::kJournalTable};
inline constexpr size_t kBlockRowKeySize = 9;
inline bool IsHeightTable(char table) {
  return std::find(kHeightTables.begin(), kHeightTables.end(), table) != kHeightTables.end();
}

// The main database, counting its point reads by table (the key's first byte). LevelDB charges a
// Get that probes two table files to the first one and compacts a file charged too often, so on a
// large store point reads drive much of the compaction (doc/performance.md, "A ledger of a
// million materials"); the counts are on /metrics. Everything else is passed through.
class CountingDB : public leveldb::DB {
 public:
  explicit CountingDB(std::unique_ptr<leveldb::DB> base) : base_(std::move(base)) {}

  leveldb::Status Get(const leveldb::ReadOptions& options, const leveldb::Slice& key,
                      std::string* value) override {
    if (!key.empty()) reads_[static_cast<uint8_t>(key[0])].fetch_add(1, std::memory_order_relaxed);
    return base_->Get(options, key, value);
  }
  leveldb::Status Put(const leveldb::WriteOptions& o, const leveldb::Slice& k,
                      const leveldb::Slice& v) override {
    return base_->Put(o, k, v);
  }
  leveldb::Status Delete(const leveldb::WriteOptions& o, const leveldb::Slice& k) override {
    return base_->Delete(o, k);
  }
  leveldb::Status Write(const leveldb::WriteOptions& o, leveldb::WriteBatch* b) override {
    return base_->Write(o, b);
  }
  leveldb::Iterator* NewIterator(const leveldb::ReadOptions& o) override {
    return base_->NewIterator(o);
  }
  const leveldb::Snapshot* GetSnapshot() override { return base_->GetSnapshot(); }
  void ReleaseSnapshot(const leveldb::Snapshot* s) override { base_->ReleaseSnapshot(s); }
  bool GetProperty(const leveldb::Slice& property, std::string* value) override {
    return base_->GetProperty(property, value);
  }
  void GetApproximateSizes(const leveldb::Range* r, int n, uint64_t* sizes) override {
    base_->GetApproximateSizes(r, n, sizes);
  }
  void CompactRange(const leveldb::Slice* begin, const leveldb::Slice* end) override {
    base_->CompactRange(begin, end);
  }

  // (table, point reads) for every table read at least once, in table order.
  std::vector<std::pair<char, uint64_t>> reads() const {
    std::vector<std::pair<char, uint64_t>> out;
    for (size_t t = 0; t < reads_.size(); ++t) {
      const uint64_t n = reads_[t].load(std::memory_order_relaxed);
      if (n > 0) out.emplace_back(static_cast<char>(t), n);
    }
    return out;
  }

 private:
  std::unique_ptr<leveldb::DB> base_;
  std::array<std::atomic<uint64_t>, 256> reads_{};
};

// Releases a LevelDB snapshot on scope exit (a store snapshot's view releases nothing).
class SnapshotGuard {
 public:
  SnapshotGuard(leveldb::DB* db, const leveldb::Snapshot* snapshot)
      : db_(db), snapshot_(snapshot) {}
  ~SnapshotGuard() { db_->ReleaseSnapshot(snapshot_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  const leveldb::Snapshot* get() const { return snapshot_; }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_;
};

inline std::string Key(char table, std::string_view rest) {
  std::string k(1, table);
  k.append(rest);
  return k;
}
inline std::string Key(char table, const Bytes& rest) {
  std::string k(1, table);
  k.append(rest.begin(), rest.end());
  return k;
}
inline std::string Key(char table, const Digest& d) {
  std::string k(1, table);
  k.append(d.begin(), d.end());
  return k;
}
inline std::string U64Key(char table, uint64_t v) {
  std::string k(1, table);
  AppendU64BE(k, v);
  return k;
}
inline std::string U64String(uint64_t v) {
  std::string s;
  AppendU64BE(s, v);
  return s;
}
// 'I' issuer 0x00 id and 'Y' type 0x00 id: the separator keeps "ab"+"c" apart from "a"+"bc".
inline std::string SeparatedPrefix(char table, std::string_view name) {
  std::string k = Key(table, name);
  k.push_back('\0');
  return k;
}
inline std::string EventKey(std::string_view material_id, uint32_t seq) {
  std::string k = SeparatedPrefix(kMaterialEvent, material_id);
  for (int s = 24; s >= 0; s -= 8) k.push_back(static_cast<char>(static_cast<uint8_t>(seq >> s)));
  return k;
}
// Only positive expiries are indexed, so the u64 cast preserves order.
inline std::string ExpiryKey(int64_t until_ms, std::string_view id) {
  std::string k = U64Key(kExpiryIndex, static_cast<uint64_t>(until_ms));
  k.append(id);
  return k;
}
inline std::string LogNodeKey(uint32_t level, uint64_t index) {
  std::string k(1, kLogNode);
  k.push_back(static_cast<char>(static_cast<uint8_t>(level)));
  AppendU64BE(k, index);
  return k;
}

inline Bytes ToBytesS(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline leveldb::Slice AsSlice(const Bytes& b) {
  return leveldb::Slice(reinterpret_cast<const char*>(b.data()), b.size());
}
inline bool StartsWith(const leveldb::Slice& s, const std::string& prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Record tables are written by contracts; a prefix that collides with a store table would corrupt
// the store, so the two sets are checked against each other once.
// The record tables are the state map's tables other than the materials' (ledger/state_tree.h).
inline bool IsRecordTable(char c) { return c != kState && InStateMap(c); }

inline leveldb::ReadOptions Checked() {
  leveldb::ReadOptions o;
  o.verify_checksums = true;
  return o;
}

// The StateReader interface has no error channel, and its answers drive consensus: a node that
// cannot read its own committed state must stop rather than execute blocks on a wrong view.
[[noreturn]] inline void FatalStateRead(const std::string& what) {
  std::cerr << "govledger: fatal: cannot read committed state: " << what
            << " (run `govledger audit chain` on this data directory)\n";
  std::abort();
}

inline Status CorruptStore(const std::string& what) {
  return Status::Error("corrupt_store", what);
}

// LevelDB's NodeStore view of the committed Merkle log ('L' keys), answering from the log's right
// frontier first (crypto::FrontierNodeStore), which it fills with the nodes of every committed
// block (Committed, after Store::CommitBlocks' write succeeded) and with what it reads. A block's
// appends and its log root read only frontier nodes; without it they were ~20 LevelDB point reads
// per block of keys written long ago, probing table files down the levels, and LevelDB charges
// such probes until it compacts the file (doc/performance.md, "The Merkle log's frontier"). A
// committed node never changes, so whatever the frontier holds is right for every later tip;
// older nodes (proofs) are read from LevelDB. Thread-safe.
class LevelNodeStore : public crypto::NodeStore {
 public:
  void set_db(leveldb::DB* db) { db_ = db; }
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override {
    {
      std::lock_guard<std::mutex> lock(frontier_mu_);
      if (std::optional<Digest> kept = frontier_.GetNode(level, index)) return kept;
    }
    std::string value;
    leveldb::Status s = db_->Get(Checked(), LogNodeKey(level, index), &value);
    if (!s.ok() || value.size() != crypto::kDigestSize) return std::nullopt;
    Digest d;
    std::copy(value.begin(), value.end(), d.begin());
    std::lock_guard<std::mutex> lock(frontier_mu_);
    frontier_.PutNode(level, index, d);
    return d;
  }
  void PutNode(uint32_t, uint64_t, const Digest&) override {
    // Committed nodes are only written by Store::CommitBlock, through PendingLogNodes.
    GOVLEDGER_CHECK(false && "the committed log is read-only; use PendingLogNodes");
  }
  // After CommitBlock's write of these nodes succeeded.
  void Committed(const std::vector<std::tuple<uint32_t, uint64_t, Digest>>& nodes) {
    std::lock_guard<std::mutex> lock(frontier_mu_);
    for (const auto& [level, index, hash] : nodes) frontier_.PutNode(level, index, hash);
  }

 private:
  leveldb::DB* db_ = nullptr;
  mutable std::mutex frontier_mu_;
  mutable crypto::FrontierNodeStore frontier_;
};

// The newest committed rows of the material ('S') and transaction ('T') tables that were read,
// present or absent. A transaction's material and hash are looked up when it is admitted
// (Node::Admit, Executor::Check), again when its block is built and once more when it is
// committed; these are LevelDB reads of keys mostly absent (new materials, new transactions),
// ~3 us each, a fifth of a loaded validator's io thread. Exact, not a hint: every commit calls
// Forget with the keys it wrote before its tip moves, and a read that overlapped a commit (Find
// before it, Keep after it) is not kept. Bounded by rows and by bytes (a material record can be
// kilobytes): full, it starts again empty. Thread-safe.
class LatestRows {
 public:
  using Row = std::optional<std::string>;  // nullopt: the store has no such row
  static constexpr size_t kMaxRows = 32768;
  static constexpr size_t kMaxBytes = 8u << 20;
  explicit LatestRows(size_t max_rows = kMaxRows, size_t max_bytes = kMaxBytes)
      : max_rows_(max_rows), max_bytes_(max_bytes) {}

  // The row kept for `key`; when none is, nullopt and *generation set for Keep.
  std::optional<Row> Find(const std::string& key, uint64_t* generation) const;
  // Keeps a row read from the store after Find set `generation`, unless a commit came since.
  void Keep(const std::string& key, const Row& row, uint64_t generation);
  // A commit wrote these keys (called whether or not its write succeeded).
  void Forget(const std::vector<std::string>& keys);
  size_t rows() const;
  size_t bytes() const;

 private:
  static size_t Cost(const std::string& key, const Row& row) {
    return key.size() + (row ? row->size() : 0) + 64;  // 64: the entry's own overhead
  }
  const size_t max_rows_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;
  size_t bytes_ = 0;
  std::unordered_map<std::string, Row> rows_;
};

}  // namespace store_internal

struct Store::Impl {
  using LevelNodeStore = store_internal::LevelNodeStore;
  using SnapshotGuard = store_internal::SnapshotGuard;

  std::string dir;
  crypto::Suite suite = crypto::Suite::kP256;
  Digest genesis_hash{};
  int64_t genesis_time_ms = 0;

  // Declared before db so that they outlive it.
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<leveldb::DB> db;  // a CountingDB over LevelDB (a SnapshotDB in a snapshot)
  store_internal::CountingDB* counting = nullptr;  // db, when it is the counting one
  // The block store: blocks, certificates, block events and state journals, keyed by height
  // first (BlockRowKey) so that every write appends at its end and LevelDB moves its tables down
  // the levels without rewriting them (ledger/store_blocks.cc). Reads above the reader's tip are
  // refused (GetAt): a crash, or a failed write of the main database, can leave rows there.
  std::unique_ptr<leveldb::DB> blocks;
  LevelNodeStore nodes;
  LevelStateTree state_tree;

  // Held by CommitBlock from its LevelDB write until the state tree's top has moved to the new
  // tip, and by whoever pairs a LevelDB snapshot with that top (proofs, Snapshot()).
  mutable std::mutex commit_mu;
  // The tip; readers may run on other threads while CommitBlock advances it.
  mutable std::mutex mu;
  uint64_t height = 0;
  Digest tip_hash{};
  uint64_t log_size = 0;
  int64_t tip_time_ms = 0;

  // Reads a key: OK with the value, "not_found", or "corrupt_store".
  Result<std::string> Get(const std::string& key, const std::string& what) const;
  // Reads a height-keyed row from the block store; "not_found" above `tip` (a row written for a
  // block whose state is not committed yet, or by a write that a crash interrupted).
  Result<std::string> GetAt(char table, uint64_t at, uint64_t tip, const std::string& what) const;

  // A LevelDB snapshot and the state tree's top of the same tip.
  struct Pinned {
    std::unique_ptr<SnapshotGuard> snapshot;
    TopTree top;
  };
  Pinned PinTip() const;

  // Reads the tip (height, log size, time, hash) from the metadata into the fields above.
  Status LoadTip();

  // The block store (ledger/store_blocks.cc). OpenBlocks opens it (created for a new store and
  // for one written before it existed, whose height-keyed rows MigrateBlocks moves into it and
  // DropOldBlockRows then deletes from the main database) and deletes rows above the tip that a
  // crash between CommitBlocks' two writes left (TrimBlocks). After LoadTip.
  Status OpenBlocks(const leveldb::Options& main_options);
  Status MigrateBlocks();
  Status DropOldBlockRows();
  Status TrimBlocks();

  // The registry table ('R') in memory. It holds governance's changes (departments, material
  // types, validator changes, added keys): few rows, rarely written, and read by every
  // transaction's contract (RegistryView: the signer's department, the material's type) and by
  // every block's validator-set lookup. Served from LevelDB those reads were an iterator each, 9 %
  // of a loaded validator's io thread. Loaded on open; CommitBlocks replaces it (copy on write)
  // under commit_mu, after the write, when a block writes registry rows. Keys without the
  // table byte.
  using RecordMap = std::map<std::string, Bytes, std::less<>>;
  mutable std::mutex registry_mu;
  std::shared_ptr<const RecordMap> registry = std::make_shared<const RecordMap>();
  std::shared_ptr<const RecordMap> Registry() const {
    std::lock_guard<std::mutex> lock(registry_mu);
    return registry;
  }
  Status LoadRegistry();

  // The material and transaction rows read (LatestRows, below), for ReadMaterial, FindTx and
  // HasTx; CommitBlocks forgets the ones it writes.
  mutable store_internal::LatestRows latest;
  // An 'S' or 'T' row through the key filter and `latest`: its value, nullopt when absent, or
  // corrupt_store.
  Result<std::optional<std::string>> GetLatest(const std::string& key) const;

  // The key filter (Store::StartKeyFilter; ledger/store_filter.cc). `filter_ready` holds every
  // 'S' and 'T' key of the store; `filter_building` is being filled by `filter_thread` from a
  // snapshot, and receives the keys of the commits after that snapshot. CommitBlocks hands its
  // keys to both (FilterAdd) under commit_mu before its write; builds start under commit_mu.
  mutable std::mutex filter_mu;  // guards the two pointers and the two flags after them
  std::shared_ptr<ConcurrentBloom> filter_ready;
  std::shared_ptr<ConcurrentBloom> filter_building;
  bool filter_scanning = false;            // a build's thread is running
  bool filter_failed = false;              // a build's scan failed: no more builds
  Store::KeyFilterOptions filter_options;  // set once, by the first StartKeyFilter
  bool filter_started = false;             // under commit_mu
  std::thread filter_thread;
  std::atomic<bool> filter_stop{false};
  mutable std::atomic<uint64_t> filter_answers{0};
  ~Impl();
  // True when the filter is built and does not hold `key` (an 'S' or 'T' key).
  bool FilterSaysAbsent(const std::string& key) const;
  // Under commit_mu, before the write of the rows these keys name.
  void FilterAdd(const std::vector<std::string>& keys);
  // Under commit_mu, after a write: a filter past its capacity is rebuilt.
  void FilterRebuildIfFull();
  // Under commit_mu: the thread that makes a new filter, installs it and takes its snapshot
  // (under commit_mu itself), then scans.
  void StartFilterBuild(uint64_t capacity);
  void BuildFilter(std::shared_ptr<ConcurrentBloom> bloom, const leveldb::Snapshot* snapshot);

  // Committed material state, for CommitBlock's index maintenance (errors are reported there).
  Result<std::optional<Material>> ReadMaterial(std::string_view id) const;

  // Material ids from an index whose keys are prefix || id, in id order, after q.after.
  std::vector<std::string> ScanIds(const std::string& prefix, const ListQuery& q) const;

  // Ids from the expiry index in [from_ms, to_ms], ordered by (expiry, id), starting at `start`.
  std::vector<std::string> ScanExpiry(const std::string& start, bool skip_start, int64_t to_ms,
                                      size_t limit) const;
};

}  // namespace govledger::ledger

// The store's key filter (Store::StartKeyFilter): a Bloom filter of every material id ('S') and
// transaction hash ('T') the store holds, so that reads of keys it does not hold skip LevelDB.
//
// Why it is never wrong about a key the store holds. Only CommitBlocks writes 'S' and 'T' rows,
// and it hands their keys to the built filter and to the one being built (FilterAdd) before its
// LevelDB write, under commit_mu. A build's thread takes commit_mu too to install its new filter
// and take a LevelDB snapshot, so that every commit is either wholly before the snapshot
// (its rows are in what the scan reads) or wholly after (its keys go to the new filter). The scan
// then adds every 'S' and 'T' key of the snapshot, and only a scan that read all of them without
// error makes its filter the one reads consult. A write that fails after FilterAdd leaves keys in
// the filter that the store does not hold: a false "maybe", which costs a LevelDB read.
#include <leveldb/db.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ledger/store_internal.h"
#include "util/status.h"
#include "util/time.h"

namespace govledger::ledger {

using store_internal::Checked;
using store_internal::kState;
using store_internal::kTxLoc;

namespace {
constexpr uint64_t kMinCapacity = 1u << 20;
constexpr uint64_t kKeysPerTx = 3;  // a 'T' row each and at most one 'S', with room to grow
constexpr uint64_t kStopCheckEvery = 4096;
// The scan yields to the node's own threads: at nice 10 a core they keep busy gives it about a
// tenth of its time (it is a background job of a second or so per million materials).
constexpr int kScanNice = 10;
}  // namespace

Store::Impl::~Impl() {
  filter_stop = true;
  if (filter_thread.joinable()) filter_thread.join();
}

bool Store::Impl::FilterSaysAbsent(const std::string& key) const {
  GOVLEDGER_CHECK(!key.empty() && (key[0] == kState || key[0] == kTxLoc));  // what it holds
  std::lock_guard<std::mutex> lock(filter_mu);
  if (!filter_ready || filter_ready->MayContain(key)) return false;
  filter_answers.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Store::Impl::FilterAdd(const std::vector<std::string>& keys) {
  std::shared_ptr<ConcurrentBloom> ready, building;
  {
    std::lock_guard<std::mutex> lock(filter_mu);
    ready = filter_ready;
    building = filter_building;
  }
  for (const std::string& key : keys) {
    if (ready) ready->Add(key);
    if (building) building->Add(key);
  }
}

void Store::Impl::FilterRebuildIfFull() {
  uint64_t added = 0;
  {
    std::lock_guard<std::mutex> lock(filter_mu);
    if (!filter_ready || filter_scanning || filter_failed) return;
    if (filter_ready->added() <= filter_ready->capacity()) return;
    added = filter_ready->added();
  }
  StartFilterBuild(2 * added);
}

void Store::Impl::StartFilterBuild(uint64_t capacity) {
  // The previous build has ended (filter_scanning was reset); its thread may still be returning.
  if (filter_thread.joinable()) filter_thread.join();
  {
    std::lock_guard<std::mutex> lock(filter_mu);
    filter_scanning = true;
  }
  // The filter is allocated (and its memory zeroed: tens of MB at 10 M materials) on the new
  // thread, not here under the commit lock; the thread then takes that lock to install it and
  // take its snapshot, the two steps that must not straddle a commit.
  filter_thread = std::thread([this, capacity] {
    auto bloom = std::make_shared<ConcurrentBloom>(capacity);
    std::shared_ptr<store_internal::SnapshotGuard> snapshot;
    {
      std::lock_guard<std::mutex> commit_lock(commit_mu);
      {
        std::lock_guard<std::mutex> lock(filter_mu);
        filter_building = bloom;
      }
      snapshot = std::make_shared<store_internal::SnapshotGuard>(db.get(), db->GetSnapshot());
    }
    BuildFilter(bloom, snapshot->get());
  });
}

void Store::Impl::BuildFilter(std::shared_ptr<ConcurrentBloom> bloom,
                              const leveldb::Snapshot* snapshot) {
  const int64_t started = SteadyMs();
  // Linux: a thread's own nice value (best effort; raising it needs no privilege).
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kScanNice);
  if (filter_options.before_scan) filter_options.before_scan();
  Store::KeyFilterReport report;
  report.capacity = bloom->capacity();
  report.bytes = bloom->bytes();
  bool stopped = false;
  {
    leveldb::ReadOptions ro = Checked();
    ro.snapshot = snapshot;
    ro.fill_cache = false;  // a scan of every row would evict the node's hot blocks
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
    for (const char table : {kState, kTxLoc}) {
      for (it->Seek(leveldb::Slice(&table, 1)); it->Valid() && it->key()[0] == table; it->Next()) {
        const leveldb::Slice key = it->key();
        bloom->Add(std::string_view(key.data(), key.size()));
        if (++report.keys % kStopCheckEvery == 0 && filter_stop) {
          stopped = true;
          break;
        }
      }
      if (stopped) break;
    }
    if (!it->status().ok()) report.error = "reading the store: " + it->status().ToString();
  }
  report.built = !stopped && report.error.empty();
  report.elapsed_ms = SteadyMs() - started;
  {
    std::lock_guard<std::mutex> lock(filter_mu);
    if (filter_building == bloom) filter_building.reset();
    filter_scanning = false;
    if (report.built) {
      filter_ready = bloom;
    } else if (!stopped) {
      filter_failed = true;
    }
  }
  if (!stopped && filter_options.on_built) filter_options.on_built(report);
}

void Store::StartKeyFilter(KeyFilterOptions options) {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> commit_lock(s.commit_mu);
  if (s.filter_started) return;
  s.filter_started = true;
  s.filter_options = std::move(options);
  uint64_t capacity = s.filter_options.capacity;
  if (capacity == 0) capacity = std::max(kMinCapacity, kKeysPerTx * log_size());
  s.StartFilterBuild(capacity);
}

uint64_t Store::key_filter_answers() const {
  return impl_->filter_answers.load(std::memory_order_relaxed);
}

}  // namespace govledger::ledger

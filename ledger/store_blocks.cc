// The Store's block store (ledger/store.h): the second LevelDB, in the data directory's
// "blocks" subdirectory, that holds the rows keyed by height — blocks ('B'), certificates ('C'),
// block events ('W') and state journals ('J'). Opening it, moving the rows of a store written
// before it existed, dropping rows a crash left above the tip, and the reads by height.
//
// Why a database of its own (doc/design.md, decisions of 7 Dec 2026, afternoon): in one LevelDB
// with the randomly keyed state and indexes, every table file spans the whole key space, so the
// blocks were rewritten at every level of compaction like the random rows. Keyed height first in
// a database of their own, every write appends at the end: a flushed table overlaps nothing and
// LevelDB places it without rewriting it.
//
// Crash safety: CommitBlocks writes the block store (synced) before the main database (synced),
// whose tip metadata decides what is committed. A crash between the two leaves block-store rows
// above the tip: reads refuse them (GetAt) and the next open deletes them.
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "ledger/store.h"
#include "ledger/store_internal.h"
#include "ledger/store_state_tree.h"

namespace govledger::ledger {

using namespace store_internal;  // the key layout (ledger/store_internal.h)

std::string BlockStoreDir(const std::string& data_dir) { return data_dir + "/blocks"; }

std::string BlockRowKey(char table, uint64_t height) {
  std::string k;
  AppendU64BE(k, height);
  k.push_back(table);
  return k;
}

namespace {

// A migration writes the block store in batches of about this many bytes,
constexpr size_t kMigrateBatchBytes = 8u << 20;
// and deletes the moved rows in batches of this many.
constexpr size_t kDeleteBatchRows = 100000;

uint64_t RowHeight(const leveldb::Slice& key) {
  return ReadU64BE(reinterpret_cast<const uint8_t*>(key.data()));
}

Status WriteFailed(const std::string& what, const leveldb::Status& s) {
  return Status::Error("store_write_failed", what + ": " + s.ToString());
}

// Calls fn(table, height, key, value) for each row of the layout before the block store ('B',
// 'C', 'W', 'J' u64 height, in the main database) until fn fails. "corrupt_store" (`what` and
// LevelDB's error) when the scan cannot read them.
using OldRowFn = std::function<Status(char table, uint64_t height, const leveldb::Slice& key,
                                      const leveldb::Slice& value)>;
Status ForEachOldBlockRow(leveldb::DB* db, const std::string& what, const OldRowFn& fn) {
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;
  for (char table : kHeightTables) {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
    for (it->Seek(std::string(1, table)); it->Valid(); it->Next()) {
      const leveldb::Slice k = it->key();
      if (k.empty() || k[0] != table) break;
      if (k.size() != 1 + 8) continue;
      const uint64_t h = ReadU64BE(reinterpret_cast<const uint8_t*>(k.data()) + 1);
      GOVLEDGER_RETURN_IF_ERROR(fn(table, h, k, it->value()));
    }
    if (!it->status().ok()) return CorruptStore(what + ": " + it->status().ToString());
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> Store::Impl::GetAt(char table, uint64_t at, uint64_t tip,
                                       const std::string& what) const {
  if (at > tip) return Status::Error("not_found", what + " not found");
  std::string value;
  leveldb::Status s = blocks->Get(Checked(), BlockRowKey(table, at), &value);
  if (s.IsNotFound()) return Status::Error("not_found", what + " not found");
  if (!s.ok()) return CorruptStore("reading " + what + ": " + s.ToString());
  return value;
}

Status Store::Impl::OpenBlocks(const leveldb::Options& main_options) {
  auto layout = Get(Key(kMeta, kMetaBlockStore), "metadata block_store");
  if (!layout.ok() && layout.status().code() != "not_found") return layout.status();
  if (layout.ok() && *layout != kBlockStoreVersion) {
    return CorruptStore("unknown block store layout \"" + *layout + "\"");
  }
  const bool migrate = !layout.ok();

  leveldb::Options options;
  options.paranoid_checks = true;
  options.block_cache = main_options.block_cache;  // one cache budget for the whole store
  options.write_buffer_size = main_options.write_buffer_size;
  // Every read is a point read of a row that exists, or a scan: a Bloom filter would not help.
  // A store with blocks must find its block store: a missing one is reported below, never
  // recreated empty.
  options.create_if_missing = migrate || height == 0;
  const std::string path = BlockStoreDir(dir);
  struct stat st {};
  if (!options.create_if_missing && ::stat((path + "/CURRENT").c_str(), &st) != 0) {
    // (LevelDB would create the directory before finding it empty.)
    return CorruptStore("the block store " + path + " is missing (the store has " +
                        std::to_string(height) + " blocks)");
  }
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, path, &raw);
  if (!s.ok()) {
    if (s.IsIOError() && s.ToString().find("lock ") != std::string::npos) {
      return Status::Error("store_locked",
                           "data directory " + dir + " is in use by another process");
    }
    return CorruptStore("cannot open the block store " + path + ": " + s.ToString());
  }
  blocks.reset(raw);
  if (migrate) GOVLEDGER_RETURN_IF_ERROR(MigrateBlocks());
  GOVLEDGER_RETURN_IF_ERROR(DropOldBlockRows());
  return TrimBlocks();
}

// Copies the height-keyed rows of the main database into the block store, makes them durable,
// then records the layout. Rerun from the start if a crash interrupts it (the copies are
// rewritten with the same bytes); the old rows are deleted afterwards (DropOldBlockRows).
Status Store::Impl::MigrateBlocks() {
  leveldb::WriteBatch batch;
  uint64_t rows = 0;
  bool announced = false;
  Status st = ForEachOldBlockRow(
      db.get(), "reading the blocks of " + dir + " to move them",
      [&](char table, uint64_t h, const leveldb::Slice&, const leveldb::Slice& value) {
        if (h > height)
          return Status::Ok();  // never committed (a store does not write past its tip)
        batch.Put(BlockRowKey(table, h), value);
        ++rows;
        if (batch.ApproximateSize() < kMigrateBatchBytes) return Status::Ok();
        if (!announced) {
          std::cerr << "govledger: moving the blocks of " << dir << " into its block store (once; "
                    << height << " blocks)\n";
          announced = true;
        }
        leveldb::Status s = blocks->Write(leveldb::WriteOptions(), &batch);
        if (!s.ok()) return WriteFailed("moving blocks into " + BlockStoreDir(dir), s);
        batch.Clear();
        return Status::Ok();
      });
  GOVLEDGER_RETURN_IF_ERROR(st);
  leveldb::WriteOptions synced;
  synced.sync = true;
  // Synced even when empty: it makes every earlier unsynced batch of the block store durable.
  leveldb::Status s = blocks->Write(synced, &batch);
  if (!s.ok()) return WriteFailed("moving blocks into " + BlockStoreDir(dir), s);
  s = db->Put(synced, Key(kMeta, kMetaBlockStore), std::string(kBlockStoreVersion));
  if (!s.ok()) return WriteFailed("recording the block store of " + dir, s);
  if (announced) std::cerr << "govledger: moved " << rows << " rows into the block store\n";
  return Status::Ok();
}

// Deletes the height-keyed rows left in the main database by a migration (all of them once it
// has recorded the layout; what a crash during the deletion left, on the next open).
Status Store::Impl::DropOldBlockRows() {
  leveldb::WriteBatch batch;
  size_t pending = 0;
  Status st =
      ForEachOldBlockRow(db.get(), "reading the moved blocks of " + dir,
                         [&](char, uint64_t, const leveldb::Slice& key, const leveldb::Slice&) {
                           batch.Delete(key);
                           if (++pending < kDeleteBatchRows) return Status::Ok();
                           leveldb::Status s = db->Write(leveldb::WriteOptions(), &batch);
                           if (!s.ok())
                             return WriteFailed("deleting the moved blocks of " + dir, s);
                           batch.Clear();
                           pending = 0;
                           return Status::Ok();
                         });
  GOVLEDGER_RETURN_IF_ERROR(st);
  if (pending == 0) return Status::Ok();
  leveldb::WriteOptions synced;
  synced.sync = true;
  leveldb::Status s = db->Write(synced, &batch);
  if (!s.ok()) return WriteFailed("deleting the moved blocks of " + dir, s);
  return Status::Ok();
}

// Deletes the block-store rows above the tip (a crash between CommitBlocks' two writes).
Status Store::Impl::TrimBlocks() {
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(blocks->NewIterator(ro));
  leveldb::WriteBatch batch;
  bool any = false;
  std::string first;
  AppendU64BE(first, height + 1);
  for (it->Seek(first); it->Valid(); it->Next()) {
    batch.Delete(it->key());
    any = true;
  }
  if (!it->status().ok()) {
    return CorruptStore("reading the block store of " + dir + ": " + it->status().ToString());
  }
  if (!any) return Status::Ok();
  leveldb::WriteOptions synced;
  synced.sync = true;
  leveldb::Status s = blocks->Write(synced, &batch);
  if (!s.ok()) return WriteFailed("dropping uncommitted blocks of " + dir, s);
  return Status::Ok();
}

Status Store::ScanHeights(std::string_view tables, uint64_t from, uint64_t count,
                          std::map<char, HeightRows>* out) const {
  out->clear();
  for (char table : tables) {
    if (!IsHeightTable(table)) {
      return Status::Error("invalid_argument",
                           std::string("table '") + table + "' is not keyed by height");
    }
    HeightRows& rows = (*out)[table];
    rows.rows.assign(count, std::nullopt);
    rows.errors.assign(count, std::string());
  }
  if (count == 0 || out->empty()) return Status::Ok();
  const uint64_t tip = height();
  leveldb::ReadOptions ro = Checked();
  ro.fill_cache = false;  // a scan of the whole chain would only evict the node's hot entries
  std::unique_ptr<leveldb::Iterator> it(impl_->blocks->NewIterator(ro));
  std::string start;
  AppendU64BE(start, from);
  for (it->Seek(start); it->Valid(); it->Next()) {
    const leveldb::Slice k = it->key();
    if (k.size() != kBlockRowKeySize) continue;
    const uint64_t h = RowHeight(k);
    if (h >= from + count || h > tip) break;
    auto table = out->find(k[8]);
    if (table == out->end()) continue;
    const leveldb::Slice v = it->value();
    table->second.rows[h - from] = Bytes(reinterpret_cast<const uint8_t*>(v.data()),
                                         reinterpret_cast<const uint8_t*>(v.data()) + v.size());
  }
  if (!it->status().ok()) {
    // LevelDB skips a damaged block and reports it at the end: read what is missing one by one.
    for (auto& [table, rows] : *out) {
      for (uint64_t i = 0; i < count; ++i) {
        if (rows.rows[i]) continue;
        auto raw =
            impl_->GetAt(table, from + i, tip,
                         std::string(1, table) + " row of height " + std::to_string(from + i));
        if (raw.ok()) {
          rows.rows[i] = ToBytesS(*raw);
        } else if (raw.status().code() != "not_found") {
          rows.errors[i] = raw.status().ToString();
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace govledger::ledger

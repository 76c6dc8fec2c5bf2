// The block store and state store on LevelDB. One Store owns one data directory (LevelDB's lock
// keeps a second process out) holding two LevelDB databases: the main one (the state, its
// indexes, the Merkle log, the state tree, the tip) in the directory itself, and the block store
// (blocks, certificates, block events, state journals: the rows keyed by height) in its "blocks"
// subdirectory (ledger/store_blocks.cc). Every block is committed with one synced WriteBatch to
// each: the block store's first, then the main database's, whose tip metadata decides what is
// committed, so a crash (kill -9, power loss) leaves the store at the previous block or the new
// one, never between (block-store rows above the tip are never read and are deleted on open).
// (Block sync puts several consecutive blocks in one such pair of batches: CommitBlocks.)
//
// Key layout of the main database (one-byte table prefix, big-endian integers so LevelDB order
// is numeric order):
//   'M' name            metadata: "genesis", "height", "tip_hash", "log_size", "tip_time",
//                       "state_tree" (layout version of 'A'/'J', written when the store is
//                       created), "block_store" (written once the block store holds the blocks)
//   'H' block hash      u64 height
//   'T' tx hash         TxLocation
//   'S' material id     Material (latest state)
//   'V' id 0x00 u32 seq Event of a material
//   'D' digest id       doc-digest index        'O' holder-commitment id   holder index
//   'I' issuer 0x00 id  issuer index            'Y' type 0x00 id           type index
//   'X' u64 until id    expiry index of materials with an expiry that are ACTIVE, ISSUED or
//                       SUSPENDED (ledger::ExpiresInStatus)
//   'L' u8 level u64 i  Merkle log node (crypto::MerkleLog)
//   'A' u16 depth path  state tree node (crypto::SparseMerkleTree; position = crypto::SmtPosKey,
//                       value = crypto::EncodeSmtNode), newest version only (ledger/state_tree.h);
//                       internal nodes at depth <= 18 are kept in memory, not here ("smt-v3")
// Key layout of the block store (BlockRowKey: height first, so that every write appends):
//   u64 height 'B'      Block (pb::Block)
//   u64 height 'C'      Commit certificate of that block
//   u64 height 'W'      the block's events in order (BlockEvents)
//   u64 height 'J'      the block's state-map changes (EncodeStateChanges), for the chain audit
// (A store written before 7 Dec 2026 kept those four as 'B'/'C'/'W'/'J' u64 height rows of the
// main database; Open moves them into the block store once.)
// Record tables (ledger::Table), written by the contracts as RecordWrites (ledger/records.h):
//   'G' grant id                    Grant (pb::GrantRecord)
//   'g' material id 0x00 grant id   grants of a material
//   'U' type 0x00 dept 0x00 purpose u64 use count (statistics per type, consumer, purpose)
//   'c' parent root id 0x00 child   dependents of a material (root = its version 001 id)
//   'K' contract id                 EContract (pb::ContractRecord)
//   'k' doc digest contract id      e-contracts by document digest
//   'x' u64 deadline contract id    signing deadlines of PENDING e-contracts
//   'P' proposal id                 governance Proposal (pb::ProposalRecord)
//   'R' "d" id 0x00 u64 height      department as of that height (pb::DepartmentDef)
//   'R' "t" code 0x00 u64 height    material type rules from that height (pb::MaterialTypeDef)
//   'R' "v" u64 height name         validator joining/leaving at that height (ValidatorChange)
//   'R' "k" public key              department id of a key added by governance
//   'N' name                        u64 counter (e.g. "proposals")
//
// Thread-safety: reads may run concurrently with each other and with one commit; CommitBlock
// must not run concurrently with another CommitBlock (the node's consensus driver writes both
// decided and synced blocks on its commit thread, one write at a time).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "crypto/merkle.h"
#include "ledger/chain_view.h"
#include "ledger/genesis.h"
#include "ledger/state.h"
#include "ledger/state_tree.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

// Everything one block changes, committed atomically.
struct BlockWrite {
  Block block;
  Digest block_hash{};
  Commit commit;  // certificate of this block
  std::vector<Material> materials;   // new or updated states
  // When the Executor built it, previous[i] is materials[i]'s state before this block on the
  // chain it was executed on (nullopt: new), as its contracts read it. CommitBlocks maintains the
  // indexes from it instead of reading the store again; a write without it (hand-built) is
  // compared with the store's state, and must be the first of its batch.
  std::vector<std::optional<Material>> previous;
  std::vector<Event> events;         // in order
  std::vector<Digest> tx_hashes;     // in block order
  std::vector<std::tuple<uint32_t, uint64_t, Digest>> log_nodes;  // from PendingLogNodes
  // The block's state-map update (ComputeStateUpdate over this store's tip), whose root the
  // header's state_root carries. When absent, CommitBlock computes it from `materials` and the
  // events' record writes.
  std::optional<StateUpdate> state;
};

// A state entry at the tip and its proof against the tip's state root. The tree keeps only its
// newest version, so proofs are for the tip: "as of `height`". A verifier that holds an older
// proof asks again (online) or treats it as "valid as of" its height.
struct StateProof {
  uint64_t height = 0;                // the tip the proof is for
  Digest state_root{};                // the state_root of block `height` (zero before block 1)
  Digest key{};                       // the entry's state-map key (StateKey)
  std::optional<Digest> value;        // the committed value hash; nullopt: the entry is absent
  std::optional<Material> material;   // ProveMaterial: the record `value` is the hash of
  std::optional<Bytes> record;        // ProveRecord: the stored bytes `value` is the hash of
  crypto::SmtProof proof;
};

struct ListQuery {
  size_t limit = 100;
  std::string after;  // resume after this material id (pagination)
};

class Store : public ChainView {
 public:
  ~Store() override;

  // Opens or creates the store. A new store records the genesis hash; an existing one must have
  // been created for the same genesis ("genesis_mismatch" otherwise). Reports "corrupt_store"
  // when LevelDB or the tip metadata cannot be read.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const Genesis& genesis);

  // The key filter: a Bloom filter (util/bloom.h) of every material id and transaction hash the
  // store holds, kept up to date by the commits. Once built, a read of an id or hash the store
  // does not hold — a new material's, a new transaction's: most reads on the admission and
  // block-building paths — is answered without LevelDB (an absent key costs LevelDB a memtable
  // search and a Bloom probe per level, ~3 us). Never wrong about a key the store holds: a commit
  // adds its keys before its write, and a build scans a snapshot taken with the commits held
  // back, the commits after it adding to the filter being built. StartKeyFilter builds it on a
  // thread of its own from a scan of the material and transaction rows (seconds per million
  // materials); until it is built, and in a process that never starts it (the command-line
  // tools), reads go to LevelDB. A filter filled past its capacity is rebuilt the same way, twice
  // the size. Memory: 10 bits per key of capacity (~3.75 bytes per committed transaction).
  struct KeyFilterReport {
    bool built = false;     // false: the scan failed (error says why) and the filter is not used
    uint64_t keys = 0;      // rows the scan added (commits during the scan add theirs as well)
    uint64_t capacity = 0;  // keys it is sized for
    uint64_t bytes = 0;
    int64_t elapsed_ms = 0;
    std::string error;
  };
  struct KeyFilterOptions {
    // Keys to size the first filter for; 0: 3 per committed transaction, at least 1 M.
    uint64_t capacity = 0;
    // Called on the filter's thread when a build ends (not when the store closes first).
    std::function<void(const KeyFilterReport&)> on_built;
    // Tests: called on the filter's thread after the snapshot is taken, before the scan.
    std::function<void()> before_scan;
  };
  // Once per store; later calls change nothing.
  void StartKeyFilter(KeyFilterOptions options);
  // Reads the key filter answered without LevelDB so far.
  uint64_t key_filter_answers() const;
  // Point reads of the main database since the store opened, by table (the key's first byte),
  // for every table read at least once; empty for a snapshot. Each can make LevelDB compact
  // (doc/performance.md, "A ledger of a million materials").
  std::vector<std::pair<char, uint64_t>> point_reads() const;

  crypto::Suite suite() const override;
  const std::string& data_dir() const;  // the LevelDB directory
  const Digest& genesis_hash() const;
  uint64_t height() const override;      // 0 before the first block
  Digest tip_hash() const override;      // genesis hash at height 0
  uint64_t log_size() const override;    // transactions ever committed
  int64_t tip_time_ms() const override;  // genesis time at height 0

  Result<Block> GetBlock(uint64_t height) const;
  Result<Bytes> GetBlockBytes(uint64_t height) const;
  Result<Commit> GetCommit(uint64_t height) const override;
  // Height of the committed block with this hash (the 'H' index).
  std::optional<uint64_t> FindBlock(const Digest& block_hash) const;
  std::optional<TxLocation> FindTx(const Digest& tx_hash) const;
  // Every transaction index entry (tx hash -> location) in hash order, for the chain audit, read
  // without filling the block cache; entries that do not decode are passed over (FindTx finds
  // nothing for them either). "corrupt_store" when LevelDB reports damage: entries of a damaged
  // table block may then have been skipped.
  Status ForEachTxLocation(
      const std::function<void(const Digest& tx_hash, const TxLocation& loc)>& fn) const;
  Result<Bytes> GetTxBytes(const TxLocation& loc) const;
  std::vector<Event> GetEvents(std::string_view material_id) const;
  Result<std::vector<Event>> GetBlockEvents(uint64_t height) const;

  // StateReader
  std::optional<Material> GetMaterial(std::string_view id) const override;
  bool HasTx(const Digest& tx_hash) const override;
  std::vector<std::string> DueForExpiry(int64_t time_ms, size_t limit) const override;
  std::optional<Bytes> GetRecord(Table table, std::string_view key) const override;
  std::vector<std::pair<std::string, Bytes>> ScanRecords(Table table, std::string_view prefix,
                                                         std::string_view after,
                                                         size_t limit) const override;

  // Every state entry (materials, events, indexes, record tables; not blocks, certificates,
  // metadata, log nodes, state tree nodes or state journals) in key order, as (key, value)
  // bytes: what two replicas that executed the same blocks must agree on. For tests and offline
  // comparison; reads the whole table.
  void ForEachStateEntry(
      const std::function<void(const std::string& key, const std::string& value)>& fn) const;
  // The entries the state tree commits to — materials ('S') and the record tables, nothing else —
  // in key order, each key with its table byte first. Reads only those tables, without filling
  // the block cache (an audit's scan would evict a node's hot entries). The views are valid during
  // the call. "corrupt_store" when LevelDB reports damage.
  Status ForEachStateMapEntry(
      const std::function<void(std::string_view key, std::string_view value)>& fn) const;

  std::vector<std::string> MaterialsByDigest(const Bytes& doc_digest, const ListQuery& q) const;
  std::vector<std::string> MaterialsByHolder(const Bytes& holder_commitment,
                                             const ListQuery& q) const;
  std::vector<std::string> MaterialsByIssuer(std::string_view dept, const ListQuery& q) const;
  std::vector<std::string> MaterialsByType(std::string_view type_code, const ListQuery& q) const;
  // Materials that run towards an expiry (ExpiresInStatus) expiring in [from_ms, to_ms], by
  // expiry time.
  std::vector<std::string> MaterialsExpiringBetween(int64_t from_ms, int64_t to_ms,
                                                    const ListQuery& q) const;

  // The committed log's Merkle nodes, for building the next block's log and for proofs.
  const crypto::NodeStore& log_nodes() const override;

  // The committed state tree's nodes (read-only), for ComputeStateUpdate.
  const crypto::SmtNodeStore& state_nodes() const override;
  // The tree's top and one LevelDB iterator of the same tip (LevelStateTree::IteratorReader).
  std::unique_ptr<const crypto::SmtNodeStore> StateNodeReader() const override;
  // The same without the commit lock (see ChainView::StateNodeReaderUnderPending).
  std::unique_ptr<const crypto::SmtNodeStore> StateNodeReaderUnderPending() const override;
  // The state-map changes block `height` made ('J'). "not_found", "corrupt_store".
  Result<std::vector<crypto::SmtUpdate>> GetStateChanges(uint64_t height) const;
  // Every stored state tree node, in position order, for the chain audit. Stops at the first
  // undecodable entry and reports it ("corrupt_store").
  Status ForEachStateNode(
      const std::function<void(const crypto::SmtPos&, const crypto::SmtNode&)>& fn) const;
  // Proof of a material's state (or of its absence) at the tip, read under one LevelDB snapshot
  // so that the record, the proof and the height agree while blocks keep committing.
  // "corrupt_store" when the stored record does not hash to the tree's value.
  Result<StateProof> ProveMaterial(std::string_view material_id) const;
  // The same for a record-table entry.
  Result<StateProof> ProveRecord(Table table, std::string_view key) const;

  // Read-only bulk access for the chain audit and the benchmarks (not used by the node's paths).
  //
  // The stored rows of the height-keyed tables in `tables` ('B' blocks, 'C' certificates, 'W'
  // block events, 'J' state changes) for heights [from, from + count), read in one pass over the
  // block store rather than a point read per row: (*out)[table].rows[i] is the row of height
  // from + i, nullopt where none is stored, it is above the tip, or it cannot be read. When
  // LevelDB reports damage, every row the scan did not return is read on its own, so that the
  // damage is pinned to its heights: (*out)[table].errors[i] is then the read error of height
  // from + i ("corrupt_store ..."; empty when it read or is absent). "invalid_argument" for
  // another table.
  struct HeightRows {
    std::vector<std::optional<Bytes>> rows;
    std::vector<std::string> errors;
  };
  Status ScanHeights(std::string_view tables, uint64_t from, uint64_t count,
                     std::map<char, HeightRows>* out) const;
  // Rows and bytes per table prefix: a full scan counting each row's key and value bytes as
  // stored (before compression), and LevelDB's estimate of the bytes each prefix takes in its
  // files on disk (after compression; 0 for what is still only in the write buffer). The block
  // store's tables ('B', 'C', 'W', 'J') share its size on disk in proportion to their bytes.
  struct TableUsage {
    uint64_t rows = 0;
    uint64_t key_bytes = 0;
    uint64_t value_bytes = 0;
    uint64_t disk_bytes = 0;  // approximate
  };
  std::map<char, TableUsage> TableSizes() const;

  // Integrity checks (ledger/store_check.cc; CheckStoreOnStart runs them when a node starts).
  // Every live table file (.ldb) has the size LevelDB's manifest recorded for it: a truncated or
  // missing table is "corrupt_store" naming the file.
  Status VerifyTableFiles() const;
  // Reads every entry with checksum verification (without filling the block cache). A
  // checksum mismatch or unreadable table is "corrupt_store" naming the file and the last key
  // read before it (as a block height where it is one).
  Status VerifyAllChecksums() const;

  // Atomic, synced commit of block height()+1. Checks the height and the link to the tip.
  Status CommitBlock(const BlockWrite& w);
  // The same for consecutive blocks height()+1, height()+2, ... in one synced WriteBatch: all of
  // them or none (block sync executes fetched blocks on top of each other with PendingChain and
  // commits them together, one fsync for the lot). Each block is checked against the tip the
  // previous one leaves; every block after the first must carry its state update and its
  // materials' previous states (as the Executor's writes do).
  Status CommitBlocks(const std::vector<const BlockWrite*>& writes);

  // A read-only view of the store as committed now, pinned to a LevelDB snapshot: every read
  // (tip, blocks, state, indexes, log and state tree nodes, proofs) answers from that one tip
  // while blocks keep committing. Cheap: nothing is copied. For reads on another thread (the API's
  // heavy reads run on a worker). Must not outlive this Store; CommitBlock on it fails
  // ("read_only"). "corrupt_store" when the snapshot's tip metadata cannot be read.
  Result<std::shared_ptr<const Store>> Snapshot() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The block store's directory inside a store's data directory, and the key of a height-keyed
// row in it: the big-endian height, then the table byte ('B' block, 'C' certificate, 'W' block
// events, 'J' state changes). For tools and tests that read rows as stored.
std::string BlockStoreDir(const std::string& data_dir);
std::string BlockRowKey(char table, uint64_t height);

// Merkle node store for a block being built: reads fall through to the committed nodes, writes
// stay in memory until they are moved into a BlockWrite.
class PendingLogNodes : public crypto::NodeStore {
 public:
  explicit PendingLogNodes(const crypto::NodeStore& base) : base_(&base) {}
  void Rebase(const crypto::NodeStore& base) { base_ = &base; }  // see Overlay::Rebase
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override;
  void PutNode(uint32_t level, uint64_t index, const Digest& hash) override;
  std::vector<std::tuple<uint32_t, uint64_t, Digest>> TakeWrites();

 private:
  const crypto::NodeStore* base_;
  std::map<std::pair<uint32_t, uint64_t>, Digest> writes_;
};

}  // namespace govledger::ledger

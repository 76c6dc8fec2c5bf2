// Test helpers for the ledger suite: a genesis with freshly generated keys, a temporary data
// directory, and a ChainBuilder that signs transactions, builds headers (log root, state root,
// events hash, last commit), signs certificates with a quorum and commits blocks to a Store.
// Contracts are not involved: the builder writes the material states and events a contract would have produced.
// Validator-set changes recorded in the state (ValidatorChange records) are followed like the
// executor does: headers commit to the set of their height and the next, certificates are signed
// by the set in force.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "ledger/types.h"

namespace govledger::ledger::testing {

struct TestNetwork {
  Genesis genesis;
  std::vector<crypto::PrivateKey> validator_keys;   // parallel to genesis.validators
  std::vector<crypto::PrivateKey> department_keys;  // parallel to genesis.departments
};

// Departments: "civil" (provider, consumer), "market" (provider, regulator), "edu" (consumer).
// Material types: "LIC001" (license, issued by civil and market, 365 days), "CERT01" (certificate,
// civil, unlimited, parent type LIC001).
TestNetwork MakeNetwork(size_t validators = 4, crypto::Suite suite = crypto::Suite::kP256);

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The content of one block before it is built.
struct PendingBlock {
  std::vector<Tx> txs;
  std::vector<Material> materials;
  std::vector<Event> events;
};

// The state_root of the store's tip block (the empty map's root at height 0).
Digest TipStateRoot(const Store& store);

// LevelDB point reads the store has made of `table`'s rows (Store::point_reads).
uint64_t PointReads(const Store& store, char table);

// Every stored state tree node ('A' rows) of a data directory no store has open, in key order:
// fn(raw key, raw value, position, node).
void ForEachStoredNode(const std::string& dir,
                       const std::function<void(const std::string& key, const std::string& value,
                                                const crypto::SmtPos& pos,
                                                const crypto::SmtNode& node)>& fn);

class ChainBuilder {
 public:
  ChainBuilder(const TestNetwork& net, Store* store) : net_(net), store_(store) {}

  // Adds the ISSUE of a new material (signed by department `dept`) and returns its id.
  std::string Issue(PendingBlock& b, int64_t valid_until_ms, size_t dept = 0,
                    const std::string& type_code = "LIC001");
  // The same with the given fields_root and field names (for disclosure proofs).
  std::string IssueWithFields(PendingBlock& b, int64_t valid_until_ms, const Bytes& fields_root,
                              const std::vector<std::string>& field_names, size_t dept = 0,
                              const std::string& type_code = "LIC001");
  // Adds the REVOKE of a material issued earlier (committed or in `b`).
  void Revoke(PendingBlock& b, const std::string& material_id, size_t dept = 0);
  // Adds chain-emitted EXPIRE events (no tx).
  void Expire(PendingBlock& b, const std::string& material_id);

  // Builds the next block: header linked to the store's tip, certificate with a quorum.
  BlockWrite Build(const PendingBlock& b);
  Status Commit(const PendingBlock& b) { return store_->CommitBlock(Build(b)); }
  // Commits `n` blocks of `txs_per_block` issues each.
  void CommitBlocks(size_t n, size_t txs_per_block);
  // Commits `blocks` blocks of `per_block` materials each and no transactions (ids "M<serial>",
  // `serial` counting on): a large state map, quickly.
  void CommitMaterials(int blocks, int per_block, uint64_t& serial);

  // Private keys of validators added by governance (records in the state), so that blocks from
  // their effective height on are certified by the set then in force.
  void AddValidatorKey(const crypto::PrivateKey* key) { extra_validator_keys_.push_back(key); }

  int64_t block_interval_ms = 1000;

 private:
  const crypto::PrivateKey& KeyOf(const crypto::PublicKey& validator) const;
  Material Latest(const PendingBlock& b, const std::string& id) const;
  void Update(PendingBlock& b, Material m, EventKind kind, const Tx* tx, const std::string& actor,
              const std::string& reason);

  const TestNetwork& net_;
  Store* store_;
  std::vector<const crypto::PrivateKey*> extra_validator_keys_;
  uint64_t serial_ = 0;
};

}  // namespace govledger::ledger::testing

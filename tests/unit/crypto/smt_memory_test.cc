// MemorySmt against SparseMerkleTree: the same roots and the same nodes at the same positions
// after every batch of random inserts, changes and removals (including keys that share long
// prefixes, so that leaves move down and back up), the cursor's storage order, and a rejected
// batch that changes nothing.
#include "crypto/smt_memory.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <vector>

namespace govledger::crypto {
namespace {

Digest RandomKey(std::mt19937_64& rng, bool clustered) {
  Digest d{};
  for (auto& b : d) b = static_cast<uint8_t>(rng());
  // Clustered keys agree on their first 30 bits: deep paths, long single-child chains removed.
  if (clustered) {
    d[0] = 0xA5;
    d[1] = 0x5A;
    d[2] = 0x0F;
    d[3] = static_cast<uint8_t>((d[3] & 0x03) | 0xF0);
  }
  return d;
}

// Every node the cursor yields, checking that positions come in SmtPosKey order.
std::map<SmtPos, SmtNode> Walk(const MemorySmt& tree) {
  std::map<SmtPos, SmtNode> out;
  MemorySmt::Cursor cursor(tree);
  Bytes last;
  while (auto e = cursor.Next()) {
    const Bytes key = SmtPosKey(e->pos);
    if (!out.empty()) REQUIRE(last < key);
    last = key;
    out.emplace(e->pos, e->node);
  }
  return out;
}

void RequireSameTree(const MemorySmt& mem, const MemorySmtNodeStore& store) {
  const std::map<SmtPos, SmtNode> walked = Walk(mem);
  REQUIRE(walked.size() == store.nodes().size());
  REQUIRE(mem.node_count() == store.nodes().size());
  for (const auto& [pos, node] : store.nodes()) {
    auto it = walked.find(pos);
    REQUIRE(it != walked.end());
    REQUIRE(it->second == node);
  }
}

}  // namespace

TEST_CASE("memory smt gives the same roots and nodes as the stored tree over random batches",
          "[crypto][smt]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    for (bool clustered : {false, true}) {
      std::mt19937_64 rng(clustered ? 7 : 11);
      MemorySmt mem(suite);
      MemorySmtNodeStore store;
      SparseMerkleTree reference(suite, &store);
      std::vector<Digest> keys;
      for (int round = 0; round < 60; ++round) {
        std::map<Digest, std::optional<Digest>> batch;
        const int n = static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
          const uint64_t what = rng() % 10;
          if (what < 5 || keys.empty()) {  // a new key
            const Digest k = RandomKey(rng, clustered);
            keys.push_back(k);
            batch[k] = RandomKey(rng, false);
          } else if (what < 7) {  // a new value for a key that may be present
            batch[keys[rng() % keys.size()]] = RandomKey(rng, false);
          } else {  // a removal, of a present key or of one never inserted
            batch[what == 9 ? RandomKey(rng, clustered) : keys[rng() % keys.size()]] =
                std::nullopt;
          }
        }
        std::vector<SmtUpdate> updates;
        for (const auto& [k, v] : batch) updates.push_back(SmtUpdate{k, v});
        const auto want = reference.Update(updates);
        const auto got = mem.Update(updates);
        REQUIRE(want.ok());
        REQUIRE(got.ok());
        REQUIRE(*got == *want);
        REQUIRE(mem.Root() == *want);
        RequireSameTree(mem, store);
      }
      // Remove everything: back to the empty tree, with no node left.
      std::vector<SmtUpdate> all;
      std::map<Digest, bool> seen;
      for (const Digest& k : keys) {
        if (!seen[k]) all.push_back(SmtUpdate{k, std::nullopt});
        seen[k] = true;
      }
      REQUIRE(*mem.Update(all) == kSmtEmpty);
      REQUIRE(*reference.Update(all) == kSmtEmpty);
      REQUIRE(mem.node_count() == 0);
      REQUIRE(Walk(mem).empty());
    }
  }
}

TEST_CASE("memory smt rejects a batch naming a key twice and keeps its root", "[crypto][smt]") {
  MemorySmt mem(Suite::kP256);
  Digest a{};
  a[0] = 1;
  Digest b{};
  b[0] = 2;
  const Digest root = *mem.Update({SmtUpdate{a, b}});
  const auto bad = mem.Update({SmtUpdate{b, a}, SmtUpdate{b, std::nullopt}});
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.status().code() == "duplicate_key");
  REQUIRE(mem.Root() == root);
  REQUIRE(mem.node_count() == 1);
}

}  // namespace govledger::crypto

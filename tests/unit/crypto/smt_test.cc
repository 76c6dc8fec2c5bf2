// Sparse Merkle tree tests: pinned hash vectors (computed independently with Python's hashlib),
// a reference root computed straight from the definition over the whole key set, canonical shape
// after any sequence of batches, proofs of presence and absence, adversarial proofs that the
// verifier must reject, strict proof decoding, and the O(k log n) access bound.
#include "crypto/smt.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <vector>

namespace govledger::crypto {
namespace {

Digest D(std::string_view hex) { return DigestFromHex(hex).value(); }

Digest Filled(uint8_t b) {
  Digest d;
  d.fill(b);
  return d;
}

Digest RandomDigest(std::mt19937_64& rng) {
  Digest d;
  for (auto& b : d) b = static_cast<uint8_t>(rng());
  return d;
}

// The root by definition: empty = zero, one key = its leaf, more = internal over the split.
Digest ReferenceRoot(Suite suite, const std::map<Digest, Digest>& map) {
  std::vector<std::pair<Digest, Digest>> kv(map.begin(), map.end());
  std::function<Digest(uint16_t, size_t, size_t)> rec = [&](uint16_t depth, size_t lo,
                                                            size_t hi) -> Digest {
    if (hi == lo) return kSmtEmpty;
    if (hi - lo == 1) return SmtLeafHash(suite, kv[lo].first, kv[lo].second);
    size_t mid = lo;
    while (mid < hi && !SmtBit(kv[mid].first, depth)) ++mid;
    return SmtInternalHash(suite, rec(static_cast<uint16_t>(depth + 1), lo, mid),
                           rec(static_cast<uint16_t>(depth + 1), mid, hi));
  };
  return rec(0, 0, kv.size());
}

// Counts reads and writes, to check what an update touches.
class CountingStore : public SmtNodeStore {
 public:
  Result<std::optional<SmtNode>> GetNode(const SmtPos& pos) const override {
    ++reads;
    return inner.GetNode(pos);
  }
  void PutNode(const SmtPos& pos, const SmtNode& node) override {
    ++writes;
    inner.PutNode(pos, node);
  }
  void DeleteNode(const SmtPos& pos) override {
    ++writes;
    inner.DeleteNode(pos);
  }
  MemorySmtNodeStore inner;
  mutable size_t reads = 0;
  size_t writes = 0;
};

std::vector<SmtUpdate> Sets(const std::map<Digest, Digest>& kv) {
  std::vector<SmtUpdate> out;
  for (const auto& [k, v] : kv) out.push_back(SmtUpdate{k, v});
  return out;
}

TEST_CASE("smt leaf and node hashes match independently computed vectors", "[crypto]") {
  const Digest k = Filled(0x11);
  const Digest v = Filled(0x22);
  CHECK(SmtLeafHash(Suite::kP256, k, v) ==
        D("d5fa8c2d8b8bc6be748648c78954723290c4d78c057cf072412cd07e91357756"));
  CHECK(SmtLeafHash(Suite::kSm, k, v) ==
        D("e6f461df835bb5655d51208e84013a3795ec3a5a7cbb04744dac8c484ebd42b5"));
  CHECK(SmtInternalHash(Suite::kP256, SmtLeafHash(Suite::kP256, k, v), kSmtEmpty) ==
        D("65cb2a5327d2638691a12a6b62089615d9515d751382136694c09306300e3810"));
}

TEST_CASE("smt empty tree has the zero root and proves every key absent", "[crypto]") {
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  CHECK(tree.Root().value() == kSmtEmpty);
  auto lookup = tree.Prove(Filled(7)).value();
  CHECK_FALSE(lookup.value.has_value());
  CHECK(lookup.proof.siblings.empty());
  CHECK(VerifyStateProof(Suite::kP256, kSmtEmpty, Filled(7), std::nullopt, lookup.proof));
  CHECK_FALSE(VerifyStateProof(Suite::kP256, kSmtEmpty, Filled(7), Filled(1), lookup.proof));
}

TEST_CASE("smt single key sits at the root as its leaf", "[crypto]") {
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  const Digest root = tree.Update({{Filled(0x11), Filled(0x22)}}).value();
  CHECK(root == SmtLeafHash(Suite::kP256, Filled(0x11), Filled(0x22)));
  CHECK(store.nodes().size() == 1);
  auto in = tree.Prove(Filled(0x11)).value();
  CHECK(in.value == Filled(0x22));
  CHECK(VerifyStateProof(Suite::kP256, root, Filled(0x11), Filled(0x22), in.proof));
  auto out = tree.Prove(Filled(0x33)).value();
  CHECK_FALSE(out.value.has_value());
  REQUIRE(out.proof.other_leaf.has_value());
  CHECK(VerifyStateProof(Suite::kP256, root, Filled(0x33), std::nullopt, out.proof));
}

TEST_CASE("smt root after batches equals the reference root of the resulting map", "[crypto]") {
  for (Suite suite : {Suite::kP256, Suite::kSm}) {
    std::mt19937_64 rng(42);
    MemorySmtNodeStore store;
    SparseMerkleTree tree(suite, &store);
    std::map<Digest, Digest> model;
    for (int round = 0; round < 40; ++round) {
      std::vector<SmtUpdate> batch;
      std::map<Digest, bool> in_batch;
      const int n = static_cast<int>(rng() % 60);
      for (int i = 0; i < n; ++i) {
        const int what = static_cast<int>(rng() % 10);
        Digest key;
        if (what < 3 && !model.empty()) {  // change or remove an existing key
          auto it = model.begin();
          std::advance(it, static_cast<long>(rng() % model.size()));
          key = it->first;
        } else {
          key = RandomDigest(rng);
        }
        if (in_batch.count(key) > 0) continue;
        in_batch[key] = true;
        if (what == 0 || what == 9) {
          batch.push_back({key, std::nullopt});
          model.erase(key);
        } else {
          const Digest value = RandomDigest(rng);
          batch.push_back({key, value});
          model[key] = value;
        }
      }
      const Digest root = tree.Update(batch).value();
      INFO("round " << round << " suite " << SuiteName(suite));
      REQUIRE(root == ReferenceRoot(suite, model));
      REQUIRE(tree.Root().value() == root);
    }
    // The shape is canonical: a tree built in one batch from the final map stores exactly the
    // same nodes, so no update left a stale or misplaced node behind.
    MemorySmtNodeStore fresh;
    SparseMerkleTree fresh_tree(suite, &fresh);
    REQUIRE(fresh_tree.Update(Sets(model)).ok());
    CHECK(fresh.nodes() == store.nodes());
  }
}

TEST_CASE("smt removing every key leaves an empty store and the zero root", "[crypto]") {
  std::mt19937_64 rng(7);
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  std::vector<SmtUpdate> sets;
  std::vector<SmtUpdate> removes;
  for (int i = 0; i < 300; ++i) {
    Digest k = RandomDigest(rng);
    sets.push_back({k, RandomDigest(rng)});
    removes.push_back({k, std::nullopt});
  }
  REQUIRE(tree.Update(sets).ok());
  // Remove in two halves, so leaves move up through the compression path.
  std::vector<SmtUpdate> first(removes.begin(), removes.begin() + 150);
  std::vector<SmtUpdate> second(removes.begin() + 150, removes.end());
  REQUIRE(tree.Update(first).ok());
  CHECK(tree.Root().value() != kSmtEmpty);
  CHECK(tree.Update(second).value() == kSmtEmpty);
  CHECK(store.nodes().empty());
}

TEST_CASE("smt removing a key next to a lone leaf moves the leaf up", "[crypto]") {
  // Keys 0x00.., 0x40.. and 0x80..: removing 0x40.. leaves 0x00.. alone under the root's left.
  Digest a{};
  Digest b{};
  b[0] = 0x40;
  Digest c{};
  c[0] = 0x80;
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  REQUIRE(tree.Update({{a, Filled(1)}, {b, Filled(2)}, {c, Filled(3)}}).ok());
  CHECK(store.nodes().size() == 5);  // root, internal at depth 1, three leaves
  const Digest root = tree.Update({{b, std::nullopt}}).value();
  CHECK(root == SmtInternalHash(Suite::kP256, SmtLeafHash(Suite::kP256, a, Filled(1)),
                                SmtLeafHash(Suite::kP256, c, Filled(3))));
  CHECK(store.nodes().size() == 3);
}

TEST_CASE("smt batch split into several updates gives the same root as one batch", "[crypto]") {
  std::mt19937_64 rng(9);
  std::map<Digest, Digest> kv;
  for (int i = 0; i < 500; ++i) kv[RandomDigest(rng)] = RandomDigest(rng);
  MemorySmtNodeStore one;
  SparseMerkleTree one_tree(Suite::kP256, &one);
  const Digest root = one_tree.Update(Sets(kv)).value();
  MemorySmtNodeStore many;
  SparseMerkleTree many_tree(Suite::kP256, &many);
  std::vector<SmtUpdate> all = Sets(kv);
  for (size_t i = 0; i < all.size(); i += 37) {
    std::vector<SmtUpdate> part(all.begin() + static_cast<long>(i),
                                all.begin() + static_cast<long>(std::min(all.size(), i + 37)));
    REQUIRE(many_tree.Update(part).ok());
  }
  CHECK(many_tree.Root().value() == root);
  CHECK(many.nodes() == one.nodes());
}

TEST_CASE("smt update with a key twice is duplicate_key", "[crypto]") {
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  auto r = tree.Update({{Filled(1), Filled(2)}, {Filled(1), Filled(3)}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == "duplicate_key");
}

TEST_CASE("smt a missing stored node is missing_node, not a wrong root", "[crypto]") {
  std::mt19937_64 rng(3);
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  std::map<Digest, Digest> kv;
  for (int i = 0; i < 50; ++i) kv[RandomDigest(rng)] = RandomDigest(rng);
  REQUIRE(tree.Update(Sets(kv)).ok());
  const SmtPos left = SmtChild(SmtPos{}, false);
  REQUIRE(store.GetNode(left).value().has_value());
  store.DeleteNode(left);
  Digest key{};  // all-zero: its path goes through the deleted node
  auto r = tree.Update({{key, Filled(1)}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == "missing_node");
  CHECK(tree.Prove(key).status().code() == "missing_node");
}

struct Fixture {
  Fixture() : tree(Suite::kP256, &store) {
    std::mt19937_64 rng(11);
    for (int i = 0; i < 1000; ++i) kv[RandomDigest(rng)] = RandomDigest(rng);
    root = tree.Update(Sets(kv)).value();
    for (int i = 0; i < 200; ++i) absent.push_back(RandomDigest(rng));
  }
  MemorySmtNodeStore store;
  SparseMerkleTree tree;
  std::map<Digest, Digest> kv;
  std::vector<Digest> absent;
  Digest root{};
};

TEST_CASE("smt proves every present key with its value and every absent key", "[crypto]") {
  Fixture f;
  size_t max_depth = 0;
  for (const auto& [k, v] : f.kv) {
    auto lookup = f.tree.Prove(k).value();
    REQUIRE(lookup.value == v);
    REQUIRE(VerifyStateProof(Suite::kP256, f.root, k, v, lookup.proof));
    // Round trip through the compact encoding.
    auto decoded = DecodeSmtProof(EncodeSmtProof(lookup.proof)).value();
    REQUIRE(decoded == lookup.proof);
    max_depth = std::max(max_depth, lookup.proof.siblings.size());
  }
  // 1000 hashed keys: paths are about log2(1000) = 10 deep, never near 256.
  CHECK(max_depth < 30);
  size_t via_other_leaf = 0;
  size_t via_empty = 0;
  for (const Digest& k : f.absent) {
    auto lookup = f.tree.Prove(k).value();
    REQUIRE_FALSE(lookup.value.has_value());
    REQUIRE(VerifyStateProof(Suite::kP256, f.root, k, std::nullopt, lookup.proof));
    (lookup.proof.other_leaf ? via_other_leaf : via_empty) += 1;
  }
  // Both kinds of absence proof were exercised.
  CHECK(via_other_leaf > 0);
  CHECK(via_empty > 0);
}

TEST_CASE("smt verifier rejects adversarial proofs", "[crypto]") {
  Fixture f;
  const auto [key, value] = *std::next(f.kv.begin(), 123);
  const auto [key2, value2] = *std::next(f.kv.begin(), 456);
  const SmtProof good = f.tree.Prove(key).value().proof;
  REQUIRE(VerifyStateProof(Suite::kP256, f.root, key, value, good));

  SECTION("wrong value") {
    Digest v = value;
    v[31] ^= 1;
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, v, good));
  }
  SECTION("wrong key") {
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key2, value, good));
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key2, value2, good));
  }
  SECTION("present key claimed absent with its own proof") {
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, std::nullopt, good));
  }
  SECTION("present key claimed absent via its own leaf as the other leaf") {
    SmtProof p = good;
    p.other_leaf = SmtLeaf{key, value};
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, std::nullopt, p));
  }
  SECTION("absent key claimed absent with a leaf that is off its path") {
    // key2's leaf is elsewhere in the tree: splicing it in as the terminal must fail.
    const Digest missing = f.absent[0];
    SmtProof p = f.tree.Prove(missing).value().proof;
    p.other_leaf = SmtLeaf{key2, value2};
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, missing, std::nullopt, p));
  }
  SECTION("truncated: a sibling dropped at the top or the bottom") {
    SmtProof top = good;
    top.siblings.erase(top.siblings.begin());
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, top));
    SmtProof bottom = good;
    bottom.siblings.pop_back();
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, bottom));
  }
  SECTION("extra siblings") {
    SmtProof empty_extra = good;
    empty_extra.siblings.push_back(kSmtEmpty);
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, empty_extra));
    SmtProof extra = good;
    extra.siblings.push_back(Filled(5));
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, extra));
    SmtProof front = good;
    front.siblings.insert(front.siblings.begin(), Filled(5));
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, front));
  }
  SECTION("a changed sibling") {
    SmtProof p = good;
    p.siblings[p.siblings.size() / 2][0] ^= 0x80;
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, p));
  }
  SECTION("proof for another root") {
    // The key's own proof is valid for the old root and not for the root after an update.
    auto next = f.tree.Update({{key2, Filled(9)}}).value();
    CHECK_FALSE(VerifyStateProof(Suite::kP256, next, key, value, good));
    const SmtProof fresh = f.tree.Prove(key).value().proof;
    CHECK(VerifyStateProof(Suite::kP256, next, key, value, fresh));
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, fresh));
  }
  SECTION("the other suite's hash") {
    CHECK_FALSE(VerifyStateProof(Suite::kSm, f.root, key, value, good));
  }
  SECTION("more than 256 siblings") {
    SmtProof p = good;
    p.siblings.resize(300, Filled(1));
    CHECK_FALSE(VerifyStateProof(Suite::kP256, f.root, key, value, p));
  }
}

TEST_CASE("smt proof decoding is strict", "[crypto]") {
  Fixture f;
  const Digest missing = f.absent[0];
  SmtProof p = f.tree.Prove(missing).value().proof;
  if (!p.other_leaf) p = f.tree.Prove(f.absent[1]).value().proof;
  const Bytes good = EncodeSmtProof(p);
  REQUIRE(DecodeSmtProof(good).ok());
  // Every truncation fails.
  for (size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(DecodeSmtProof(Bytes(good.begin(), good.begin() + static_cast<long>(n))).ok());
  }
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(DecodeSmtProof(trailing).status().code() == "bad_proof");
  Bytes over = {0x01, 0x01};  // depth 257
  CHECK_FALSE(DecodeSmtProof(over).ok());
  // Depth 3 with a padding bit set in its one-byte bitmap.
  Bytes padding = {0x00, 0x03, 0x01, 0x00};
  CHECK_FALSE(DecodeSmtProof(padding).ok());
  // Depth 1, one listed sibling that is the empty hash.
  Bytes zero_sibling = {0x00, 0x01, 0x80};
  zero_sibling.insert(zero_sibling.end(), 32, 0);
  zero_sibling.push_back(0);
  CHECK_FALSE(DecodeSmtProof(zero_sibling).ok());
  Bytes bad_flag = {0x00, 0x00, 0x02};
  CHECK_FALSE(DecodeSmtProof(bad_flag).ok());
  // Compactness: empty siblings cost one bit, not 32 bytes.
  size_t non_empty = 0;
  for (const Digest& s : p.siblings) non_empty += s != kSmtEmpty ? 1 : 0;
  CHECK(good.size() == 2 + (p.siblings.size() + 7) / 8 + 32 * non_empty + 1 + 64);
}

TEST_CASE("smt node and position encodings round trip and reject garbage", "[crypto]") {
  const SmtNode leaf = SmtLeaf{Filled(1), Filled(2)};
  const SmtNode in = SmtInternal{Filled(3), kSmtEmpty};
  for (const SmtNode& n : {leaf, in}) {
    Bytes b = EncodeSmtNode(n);
    CHECK(DecodeSmtNode(b.data(), b.size()).value() == n);
  }
  Bytes b = EncodeSmtNode(in);
  CHECK_FALSE(DecodeSmtNode(b.data(), b.size() - 1).ok());
  b[0] = 0x07;
  CHECK_FALSE(DecodeSmtNode(b.data(), b.size()).ok());
  Bytes childless = EncodeSmtNode(SmtInternal{});
  CHECK_FALSE(DecodeSmtNode(childless.data(), childless.size()).ok());

  SmtPos pos;
  for (bool bit : {true, false, true, true, false, false, false, true, true, true}) {
    pos = SmtChild(pos, bit);
  }
  Bytes key = SmtPosKey(pos);
  CHECK(key.size() == 2 + 2);
  CHECK(SmtPosFromKey(key.data(), key.size()).value() == pos);
  key.back() |= 0x01;  // a bit past depth 10
  CHECK_FALSE(SmtPosFromKey(key.data(), key.size()).ok());
  // Key order is (depth, path) order.
  CHECK(SmtPosKey(SmtChild(SmtPos{}, true)) <
        SmtPosKey(SmtChild(SmtChild(SmtPos{}, false), false)));
}

TEST_CASE("smt update of k keys touches O(k log n) nodes", "[crypto]") {
  std::mt19937_64 rng(5);
  CountingStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  std::vector<SmtUpdate> initial;
  for (int i = 0; i < 50'000; ++i) initial.push_back({RandomDigest(rng), RandomDigest(rng)});
  REQUIRE(tree.Update(initial).ok());
  const double log_n = std::log2(50'000.0);
  for (size_t k : {1, 10, 100, 1000}) {
    std::vector<SmtUpdate> batch;
    for (size_t i = 0; i < k; ++i) {
      // Half changes of existing keys, half new keys.
      const Digest key = i % 2 == 0 ? initial[rng() % initial.size()].key : RandomDigest(rng);
      bool dup = false;
      for (const auto& u : batch) dup |= u.key == key;
      if (!dup) batch.push_back({key, RandomDigest(rng)});
    }
    store.reads = 0;
    store.writes = 0;
    REQUIRE(tree.Update(batch).ok());
    INFO("k = " << k << ": " << store.reads << " reads, " << store.writes << " writes");
    CHECK(static_cast<double>(store.reads) <= static_cast<double>(k) * (log_n + 8) + 8);
    CHECK(static_cast<double>(store.writes) <= static_cast<double>(k) * (log_n + 8) + 8);
  }
}

TEST_CASE("smt micro-measurement of batch updates and proofs (printed, not asserted)",
          "[crypto][.bench]") {
  std::mt19937_64 rng(1);
  MemorySmtNodeStore store;
  SparseMerkleTree tree(Suite::kP256, &store);
  std::vector<SmtUpdate> initial;
  for (int i = 0; i < 200'000; ++i) initial.push_back({RandomDigest(rng), RandomDigest(rng)});
  REQUIRE(tree.Update(initial).ok());
  std::vector<SmtUpdate> batch;
  for (int i = 0; i < 2000; ++i) batch.push_back({RandomDigest(rng), RandomDigest(rng)});
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(tree.Update(batch).ok());
  auto t1 = std::chrono::steady_clock::now();
  for (const auto& u : batch) REQUIRE(tree.Prove(u.key).ok());
  auto t2 = std::chrono::steady_clock::now();
  std::printf("smt (memory store, n=200k): update of 2000 keys %.2f ms; 2000 proofs %.2f ms\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              std::chrono::duration<double, std::milli>(t2 - t1).count());
}

}  // namespace
}  // namespace govledger::crypto

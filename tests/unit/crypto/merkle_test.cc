// Merkle log tests: the Certificate Transparency / RFC 6962 reference vectors (RFC 9162 keeps the
// same hashing), a reference implementation written straight from the RFC's recursive
// definitions to compare against, and tampering that every verifier must catch.
#include "crypto/merkle.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace govledger::crypto {
namespace {

Digest D(std::string_view hex) { return DigestFromHex(hex).value(); }

// The eight test leaves and the tree heads of sizes 1..8 from Certificate Transparency's
// merkle_tree_test.cc, as carried by transparency-dev/merkle proof/verify_test.go.
const std::vector<std::string> kCtLeavesHex = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};
const std::vector<std::string> kCtRootsHex = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
const char kSha256EmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Digest CtRoot(uint64_t size) { return D(kCtRootsHex[size - 1]); }

struct InclusionVector {
  uint64_t index;  // 0-based (verify_test.go numbers leaves from 1)
  uint64_t size;
  std::vector<std::string> proof;
};
const std::vector<InclusionVector> kCtInclusion = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
  uint64_t old_size;
  uint64_t new_size;
  std::vector<std::string> proof;
};
const std::vector<ConsistencyVector> kCtConsistency = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Digest> Ds(const std::vector<std::string>& hexes) {
  std::vector<Digest> out;
  for (const std::string& h : hexes) out.push_back(D(h));
  return out;
}

// Fills a log with the eight CT leaves.
struct CtLog {
  MemoryNodeStore store;
  MerkleLog log{Suite::kP256, &store, 0};
  CtLog() {
    for (const std::string& hex : kCtLeavesHex) (void)log.Append(HexDecode(hex).value());
  }
};

Digest Flip(Digest d, size_t byte = 0, int bit = 3) {
  d[byte] ^= static_cast<uint8_t>(1u << bit);
  return d;
}

const Digest kSomeHash = D("abacaba000000000000000000000000000000000000000000060061e00123456");

// ---- Published vectors -------------------------------------------------------------------------

TEST_CASE("empty tree root is the hash of the empty string", "[crypto]") {
  CHECK(MerkleEmptyRoot(Suite::kP256) == D(kSha256EmptyHex));
  MemoryNodeStore store;
  MerkleLog log(Suite::kP256, &store, 0);
  CHECK(log.Root().value() == D(kSha256EmptyHex));
  CHECK(MerkleEmptyRoot(Suite::kSm) == Hash(Suite::kSm, ""));
}

TEST_CASE("roots of the CT test leaves match the published tree heads for sizes 1 to 8",
          "[crypto]") {
  MemoryNodeStore store;
  MerkleLog log(Suite::kP256, &store, 0);
  for (size_t i = 0; i < kCtLeavesHex.size(); ++i) {
    CHECK(log.Append(HexDecode(kCtLeavesHex[i]).value()) == i);
    CHECK(log.size() == i + 1);
    CHECK(DigestHex(log.Root().value()) == kCtRootsHex[i]);
  }
  // Earlier sizes stay computable after later appends.
  for (uint64_t size = 1; size <= 8; ++size) CHECK(log.Root(size).value() == CtRoot(size));
  // The root of one leaf is its leaf hash H(0x00 || "").
  CHECK(MerkleLeafHash(Suite::kP256, Bytes{}) == CtRoot(1));
}

TEST_CASE("inclusion proofs match the published CT proofs", "[crypto]") {
  CtLog ct;
  for (const InclusionVector& v : kCtInclusion) {
    INFO("leaf " << v.index << " of " << v.size);
    Result<std::vector<Digest>> proof = ct.log.InclusionProof(v.index, v.size);
    REQUIRE(proof.ok());
    CHECK(*proof == Ds(v.proof));
  }
}

TEST_CASE("consistency proofs match the published CT proofs", "[crypto]") {
  CtLog ct;
  for (const ConsistencyVector& v : kCtConsistency) {
    INFO("sizes " << v.old_size << " -> " << v.new_size);
    Result<std::vector<Digest>> proof = ct.log.ConsistencyProof(v.old_size, v.new_size);
    REQUIRE(proof.ok());
    CHECK(*proof == Ds(v.proof));
  }
}

// The probes of transparency-dev/merkle's corruptInclusionProof, applied to the CT vectors.
TEST_CASE("published inclusion proofs verify and their corruptions do not", "[crypto]") {
  for (const InclusionVector& v : kCtInclusion) {
    INFO("leaf " << v.index << " of " << v.size);
    const Digest leaf = MerkleLeafHash(Suite::kP256, HexDecode(kCtLeavesHex[v.index]).value());
    const Digest root = CtRoot(v.size);
    const std::vector<Digest> proof = Ds(v.proof);
    REQUIRE(VerifyInclusion(Suite::kP256, leaf, v.index, v.size, proof, root));

    auto fails = [&](uint64_t index, uint64_t size, const Digest& l, const std::vector<Digest>& p,
                     const Digest& r) {
      return !VerifyInclusion(Suite::kP256, l, index, size, p, r);
    };
    CHECK(fails(v.index - 1, v.size, leaf, proof, root));  // wraps to 2^64-1 for index 0
    CHECK(fails(v.index + 1, v.size, leaf, proof, root));
    CHECK(fails(v.index ^ 2, v.size, leaf, proof, root));
    CHECK(fails(v.index, v.size * 2, leaf, proof, root));
    CHECK(fails(v.index, v.size / 2, leaf, proof, root));
    CHECK(fails(v.index, v.size, kSomeHash, proof, root));
    CHECK(fails(v.index, v.size, leaf, proof, D(kSha256EmptyHex)));
    CHECK(fails(v.index, v.size, leaf, proof, kSomeHash));
    auto extended = [&](const Digest& d) {
      std::vector<Digest> p = proof;
      p.push_back(d);
      return p;
    };
    auto prepended = [&](const Digest& d) {
      std::vector<Digest> p = {d};
      p.insert(p.end(), proof.begin(), proof.end());
      return p;
    };
    CHECK(fails(v.index, v.size, leaf, extended(Digest{}), root));
    CHECK(fails(v.index, v.size, leaf, extended(root), root));
    CHECK(fails(v.index, v.size, leaf, prepended(Digest{}), root));
    CHECK(fails(v.index, v.size, leaf, prepended(root), root));
    for (size_t i = 0; i < proof.size(); ++i) {
      std::vector<Digest> p = proof;
      p[i] = Flip(p[i]);
      CHECK(fails(v.index, v.size, leaf, p, root));
    }
    if (!proof.empty()) {
      CHECK(
          fails(v.index, v.size, leaf, std::vector<Digest>(proof.begin(), proof.end() - 1), root));
    }
    if (proof.size() > 1) {
      std::vector<Digest> p = {proof[0], kSomeHash};
      p.insert(p.end(), proof.begin() + 1, proof.end());
      CHECK(fails(v.index, v.size, leaf, p, root));
    }
  }
}

// The probes of transparency-dev/merkle's corruptConsistencyProof, applied to the CT vectors.
TEST_CASE("published consistency proofs verify and their corruptions do not", "[crypto]") {
  for (const ConsistencyVector& v : kCtConsistency) {
    INFO("sizes " << v.old_size << " -> " << v.new_size);
    const Digest r1 = CtRoot(v.old_size);
    const Digest r2 = CtRoot(v.new_size);
    const std::vector<Digest> proof = Ds(v.proof);
    REQUIRE(VerifyConsistency(Suite::kP256, v.old_size, v.new_size, r1, r2, proof));
    if (proof.empty()) continue;

    auto fails = [&](uint64_t s1, uint64_t s2, const Digest& a, const Digest& b,
                     const std::vector<Digest>& p) {
      return !VerifyConsistency(Suite::kP256, s1, s2, a, b, p);
    };
    CHECK(fails(v.old_size - 1, v.new_size, r1, r2, proof));
    CHECK(fails(v.old_size + 1, v.new_size, r1, r2, proof));
    CHECK(fails(v.old_size ^ 2, v.new_size, r1, r2, proof));
    CHECK(fails(v.old_size, v.new_size * 2, r1, r2, proof));
    CHECK(fails(v.old_size, v.new_size / 2, r1, r2, proof));
    CHECK(fails(v.old_size, v.new_size, kSomeHash, r2, proof));
    CHECK(fails(v.old_size, v.new_size, r1, kSomeHash, proof));
    CHECK(fails(v.old_size, v.new_size, r2, r1, proof));
    CHECK(fails(v.old_size, v.new_size, r1, r2, {}));
    for (const Digest& extra : {Digest{}, r1, r2}) {
      std::vector<Digest> appended = proof;
      appended.push_back(extra);
      CHECK(fails(v.old_size, v.new_size, r1, r2, appended));
    }
    for (const Digest& extra : {Digest{}, r1, r2, proof[0]}) {
      std::vector<Digest> p = {extra};
      p.insert(p.end(), proof.begin(), proof.end());
      CHECK(fails(v.old_size, v.new_size, r1, r2, p));
    }
    CHECK(
        fails(v.old_size, v.new_size, r1, r2, std::vector<Digest>(proof.begin(), proof.end() - 1)));
    for (size_t i = 0; i < proof.size(); ++i) {
      std::vector<Digest> p = proof;
      p[i] = Flip(p[i], 0, 4);
      CHECK(fails(v.old_size, v.new_size, r1, r2, p));
    }
  }
}

// The edge cases of transparency-dev/merkle's TestVerifyInclusion / TestVerifyConsistency.
TEST_CASE("inclusion verification rejects impossible index and size pairs", "[crypto]") {
  const Digest empty = D(kSha256EmptyHex);
  for (auto [index, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {1, 0}, {2, 1}, {1, 1}, {UINT64_MAX, UINT64_MAX}}) {
    INFO("index " << index << " size " << size);
    CHECK_FALSE(VerifyInclusion(Suite::kP256, kSomeHash, index, size, {}, empty));
    CHECK_FALSE(VerifyInclusion(Suite::kP256, empty, index, size, {}, empty));
  }
  // A one-leaf tree's root is the leaf hash and its proof is empty.
  const Digest leaf = MerkleLeafHash(Suite::kP256, ToBytes("data"));
  CHECK(VerifyInclusion(Suite::kP256, leaf, 0, 1, {}, leaf));
  CHECK_FALSE(VerifyInclusion(Suite::kP256, leaf, 0, 1, {}, empty));
  CHECK_FALSE(VerifyInclusion(Suite::kP256, leaf, 0, 1, {leaf}, leaf));
  // More proof elements than any 64-bit tree can need.
  CHECK_FALSE(
      VerifyInclusion(Suite::kP256, leaf, 0, UINT64_MAX, std::vector<Digest>(65, leaf), leaf));
}

TEST_CASE("consistency verification of trivial and impossible size pairs", "[crypto]") {
  const Digest empty = D(kSha256EmptyHex);
  const Digest r1 = CtRoot(1);
  const Digest r2 = CtRoot(2);
  // Equal sizes: consistent exactly when the roots agree and the proof is empty.
  CHECK(VerifyConsistency(Suite::kP256, 1, 1, r1, r1, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 1, 1, r1, r2, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 1, 1, r1, r1, {empty}));
  CHECK(VerifyConsistency(Suite::kP256, 0, 0, empty, empty, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 0, 0, empty, empty, {empty}));
  // The empty tree is a prefix of every tree, but only under its real root.
  CHECK(VerifyConsistency(Suite::kP256, 0, 1, empty, r1, {}));
  CHECK(VerifyConsistency(Suite::kP256, 0, 8, empty, CtRoot(8), {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 0, 1, r1, r1, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 0, 1, empty, r1, {empty}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 0, 0, r1, r1, {}));
  // Time travel.
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 1, 0, r1, empty, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 2, 1, r2, r1, {}));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 8, 1, CtRoot(8), r1, Ds(kCtConsistency[1].proof)));
  // Growth with an empty proof.
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 1, 2, r1, r2, {}));
  // Absurd sizes and overlong proofs.
  CHECK_FALSE(VerifyConsistency(Suite::kP256, 3, UINT64_MAX, r1, r2, std::vector<Digest>(70, r1)));
  CHECK_FALSE(VerifyConsistency(Suite::kP256, UINT64_MAX - 1, UINT64_MAX, r1, r2, {r1}));
}

// ---- Reference implementation from the RFC's recursive definitions --------------------------

class Reference {
 public:
  Reference(Suite suite, std::vector<Digest> leaves) : suite_(suite), leaves_(std::move(leaves)) {}

  // MTH(D[lo:hi]), section 2.1.1.
  Digest Mth(uint64_t lo, uint64_t hi) {
    const uint64_t n = hi - lo;
    if (n == 0) return MerkleEmptyRoot(suite_);
    if (n == 1) return leaves_[lo];
    auto it = memo_.find({lo, hi});
    if (it != memo_.end()) return it->second;
    const uint64_t k = K(n);
    Digest d = MerkleNodeHash(suite_, Mth(lo, lo + k), Mth(lo + k, hi));
    memo_[{lo, hi}] = d;
    return d;
  }

  // PATH(m, D[lo:hi]), section 2.1.3.1.
  std::vector<Digest> Path(uint64_t m, uint64_t lo, uint64_t hi) {
    const uint64_t n = hi - lo;
    if (n == 1) return {};
    const uint64_t k = K(n);
    std::vector<Digest> p;
    if (m < k) {
      p = Path(m, lo, lo + k);
      p.push_back(Mth(lo + k, hi));
    } else {
      p = Path(m - k, lo + k, hi);
      p.push_back(Mth(lo, lo + k));
    }
    return p;
  }

  // SUBPROOF(m, D[lo:hi], b), section 2.1.4.1.
  std::vector<Digest> Subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b) {
    const uint64_t n = hi - lo;
    if (m == n) return b ? std::vector<Digest>{} : std::vector<Digest>{Mth(lo, hi)};
    const uint64_t k = K(n);
    std::vector<Digest> p;
    if (m <= k) {
      p = Subproof(m, lo, lo + k, b);
      p.push_back(Mth(lo + k, hi));
    } else {
      p = Subproof(m - k, lo + k, hi, false);
      p.push_back(Mth(lo, lo + k));
    }
    return p;
  }

 private:
  static uint64_t K(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }
  Suite suite_;
  std::vector<Digest> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, Digest> memo_;
};

// Counts writes, and fails the test if a node is ever written twice.
class CountingStore : public NodeStore {
 public:
  std::optional<Digest> GetNode(uint32_t level, uint64_t index) const override {
    return inner_.GetNode(level, index);
  }
  void PutNode(uint32_t level, uint64_t index, const Digest& hash) override {
    ++puts_;
    if (!keys_.insert({level, index}).second) ++rewrites_;
    inner_.PutNode(level, index, hash);
  }
  size_t puts() const { return puts_; }
  size_t rewrites() const { return rewrites_; }

 private:
  MemoryNodeStore inner_;
  std::set<std::pair<uint32_t, uint64_t>> keys_;
  size_t puts_ = 0;
  size_t rewrites_ = 0;
};

Bytes LeafData(uint64_t i) { return ToBytes("leaf-" + std::to_string(i)); }

// Builds a log of n leaves and checks every root, inclusion proof and consistency proof against
// the reference, then tampers with each proof.
void CheckAllProofs(Suite suite, uint64_t n) {
  CountingStore store;
  MerkleLog log(suite, &store, 0);
  std::vector<Digest> leaves;
  for (uint64_t i = 0; i < n; ++i) {
    leaves.push_back(MerkleLeafHash(suite, LeafData(i)));
    REQUIRE(log.Append(LeafData(i)) == i);
    // Stored perfect nodes: one per completed subtree, each written once, fewer than 2n.
    CHECK(store.puts() < 2 * (i + 1));
    CHECK(store.rewrites() == 0);
  }
  Reference ref(suite, leaves);

  for (uint64_t size = 0; size <= n; ++size) {
    INFO("tree size " << size);
    const Digest root = log.Root(size).value();
    REQUIRE(root == ref.Mth(0, size));

    for (uint64_t index = 0; index < size; ++index) {
      INFO("leaf " << index);
      const std::vector<Digest> proof = log.InclusionProof(index, size).value();
      REQUIRE(proof == ref.Path(index, 0, size));
      REQUIRE(VerifyInclusion(suite, leaves[index], index, size, proof, root));
      CHECK_FALSE(VerifyInclusion(suite, leaves[index], index, size, proof, Flip(root)));
      CHECK_FALSE(VerifyInclusion(suite, Flip(leaves[index]), index, size, proof, root));
      CHECK_FALSE(VerifyInclusion(suite, leaves[index], size, size, proof, root));
      // Every leaf has its own path, so no other index verifies with this proof.
      if (size <= 24) {
        for (uint64_t other = 0; other < size; ++other) {
          if (other != index) {
            CHECK_FALSE(VerifyInclusion(suite, leaves[index], other, size, proof, root));
          }
        }
      } else {
        CHECK_FALSE(VerifyInclusion(suite, leaves[index], index ^ 1, size, proof, root));
      }
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Digest> p = proof;
        p[i] = Flip(p[i], i % kDigestSize, static_cast<int>(i % 8));
        CHECK_FALSE(VerifyInclusion(suite, leaves[index], index, size, p, root));
      }
      if (!proof.empty()) {
        std::vector<Digest> shorter(proof.begin(), proof.end() - 1);
        CHECK_FALSE(VerifyInclusion(suite, leaves[index], index, size, shorter, root));
      }
      std::vector<Digest> longer = proof;
      longer.push_back(root);
      CHECK_FALSE(VerifyInclusion(suite, leaves[index], index, size, longer, root));
    }

    for (uint64_t old_size = 0; old_size <= size; ++old_size) {
      INFO("old size " << old_size);
      const Digest old_root = log.Root(old_size).value();
      const std::vector<Digest> proof = log.ConsistencyProof(old_size, size).value();
      if (old_size == 0 || old_size == size) {
        REQUIRE(proof.empty());
      } else {
        REQUIRE(proof == ref.Subproof(old_size, 0, size, true));
      }
      REQUIRE(VerifyConsistency(suite, old_size, size, old_root, root, proof));
      if (old_size == 0) continue;
      CHECK_FALSE(VerifyConsistency(suite, old_size, size, Flip(old_root), root, proof));
      CHECK_FALSE(VerifyConsistency(suite, old_size, size, old_root, Flip(root), proof));
      for (size_t i = 0; i < proof.size(); ++i) {
        std::vector<Digest> p = proof;
        p[i] = Flip(p[i], i % kDigestSize, static_cast<int>(i % 8));
        CHECK_FALSE(VerifyConsistency(suite, old_size, size, old_root, root, p));
      }
      if (!proof.empty()) {
        std::vector<Digest> shorter(proof.begin(), proof.end() - 1);
        CHECK_FALSE(VerifyConsistency(suite, old_size, size, old_root, root, shorter));
      }
      std::vector<Digest> longer = proof;
      longer.push_back(root);
      CHECK_FALSE(VerifyConsistency(suite, old_size, size, old_root, root, longer));
      if (old_size < size) {
        // The proof is for this pair of sizes: the roots swapped, or reversed sizes, fail.
        CHECK_FALSE(VerifyConsistency(suite, size, old_size, root, old_root, proof));
        if (old_root != root) {
          CHECK_FALSE(VerifyConsistency(suite, old_size, size, root, old_root, proof));
        }
      }
    }
  }
}

TEST_CASE("all roots and proofs of every size up to 70 match the RFC definitions and verify",
          "[crypto]") {
  CheckAllProofs(Suite::kP256, 70);
}

TEST_CASE("sm suite trees up to 33 leaves match the RFC definitions and verify", "[crypto]") {
  CheckAllProofs(Suite::kSm, 33);
}

TEST_CASE("sm suite Merkle hashes use SM3 with the RFC domain separation prefixes", "[crypto]") {
  const Bytes a = ToBytes("a");
  const Bytes b = ToBytes("b");
  const Digest la = MerkleLeafHash(Suite::kSm, a);
  const Digest lb = MerkleLeafHash(Suite::kSm, b);
  CHECK(la == Hash(Suite::kSm, Bytes{0x00, 'a'}));
  Bytes node{0x01};
  node.insert(node.end(), la.begin(), la.end());
  node.insert(node.end(), lb.begin(), lb.end());
  CHECK(MerkleNodeHash(Suite::kSm, la, lb) == Hash(Suite::kSm, node));
  MemoryNodeStore store;
  MerkleLog log(Suite::kSm, &store, 0);
  (void)log.Append(a);
  (void)log.Append(b);
  CHECK(log.Root().value() == Hash(Suite::kSm, node));
}

TEST_CASE("stored node count after n appends is below 2n", "[crypto]") {
  CountingStore store;
  MerkleLog log(Suite::kP256, &store, 0);
  for (uint64_t i = 0; i < 1000; ++i) {
    (void)log.AppendLeafHash(MerkleLeafHash(Suite::kP256, LeafData(i)));
  }
  // Exactly n - popcount(n) interior nodes plus n leaves.
  CHECK(store.puts() == 2 * 1000 - 6);  // popcount(1000) = 6
  CHECK(store.rewrites() == 0);
}

TEST_CASE("a log reopened over its store continues with the same roots", "[crypto]") {
  MemoryNodeStore store;
  MemoryNodeStore fresh_store;
  MerkleLog fresh(Suite::kP256, &fresh_store, 0);
  uint64_t size = 0;
  // Reopen after every few appends, as the ledger does after a restart.
  for (uint64_t chunk : {1, 2, 3, 5, 8, 13}) {
    MerkleLog log(Suite::kP256, &store, size);
    for (uint64_t i = 0; i < chunk; ++i) {
      CHECK(log.Append(LeafData(size)) == size);
      CHECK(fresh.Append(LeafData(size)) == size);
      ++size;
    }
    CHECK(log.Root().value() == fresh.Root().value());
  }
  MerkleLog reopened(Suite::kP256, &store, size);
  for (uint64_t s = 0; s <= size; ++s) CHECK(reopened.Root(s).value() == fresh.Root(s).value());
}

TEST_CASE("AppendLeafHash and Append agree", "[crypto]") {
  MemoryNodeStore s1;
  MemoryNodeStore s2;
  MerkleLog by_data(Suite::kP256, &s1, 0);
  MerkleLog by_hash(Suite::kP256, &s2, 0);
  for (uint64_t i = 0; i < 9; ++i) {
    CHECK(by_data.Append(LeafData(i)) == i);
    CHECK(by_hash.AppendLeafHash(MerkleLeafHash(Suite::kP256, LeafData(i))) == i);
  }
  CHECK(by_data.Root().value() == by_hash.Root().value());
}

TEST_CASE("out-of-range root and proof requests return bad_range", "[crypto]") {
  CtLog ct;
  CHECK(ct.log.Root(9).status().code() == "bad_range");
  CHECK(ct.log.Root(UINT64_MAX).status().code() == "bad_range");
  CHECK(ct.log.InclusionProof(0, 0).status().code() == "bad_range");
  CHECK(ct.log.InclusionProof(3, 3).status().code() == "bad_range");
  CHECK(ct.log.InclusionProof(8, 8).status().code() == "bad_range");
  CHECK(ct.log.InclusionProof(0, 9).status().code() == "bad_range");
  CHECK(ct.log.InclusionProof(UINT64_MAX, UINT64_MAX).status().code() == "bad_range");
  CHECK(ct.log.ConsistencyProof(5, 4).status().code() == "bad_range");
  CHECK(ct.log.ConsistencyProof(1, 9).status().code() == "bad_range");
  CHECK(ct.log.ConsistencyProof(9, 9).status().code() == "bad_range");
  CHECK(ct.log.ConsistencyProof(UINT64_MAX, 8).status().code() == "bad_range");
  // In range but trivial: no proof needed.
  CHECK(ct.log.ConsistencyProof(0, 8).value().empty());
  CHECK(ct.log.ConsistencyProof(8, 8).value().empty());
  CHECK(ct.log.ConsistencyProof(0, 0).value().empty());
}

TEST_CASE("a store missing nodes yields missing_node instead of a wrong root", "[crypto]") {
  MemoryNodeStore empty_store;
  MerkleLog log(Suite::kP256, &empty_store, 5);  // claims 5 leaves that are not there
  CHECK(log.Root().status().code() == "missing_node");
  CHECK(log.InclusionProof(0, 5).status().code() == "missing_node");
  CHECK(log.ConsistencyProof(3, 5).status().code() == "missing_node");
}

TEST_CASE(
    "a log over a frontier-only store appends and has the same root as over a full store at "
    "every size, and older nodes read as absent",
    "[crypto]") {
  MemoryNodeStore full;
  FrontierNodeStore frontier;
  MerkleLog a(Suite::kP256, &full, 0);
  MerkleLog b(Suite::kP256, &frontier, 0);
  for (uint32_t i = 0; i < 300; ++i) {
    const Bytes leaf{static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
    a.Append(leaf);
    b.Append(leaf);
    REQUIRE(b.Root().value() == a.Root().value());
  }
  CHECK(frontier.GetNode(0, 299) == full.GetNode(0, 299));
  CHECK_FALSE(frontier.GetNode(0, 5).has_value());  // long replaced in its slot
  CHECK(b.InclusionProof(5, 300).status().code() == "missing_node");
  // An older node put after a newer one does not displace it.
  frontier.PutNode(0, 7, kSomeHash);
  CHECK(frontier.GetNode(0, 299) == full.GetNode(0, 299));
  CHECK_FALSE(frontier.GetNode(0, 7).has_value());
}

}  // namespace
}  // namespace govledger::crypto

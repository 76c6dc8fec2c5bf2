#include "ledger/commit.h"

#include <catch2/catch.hpp>

#include "ledger/canonical.h"
#include "tests/unit/ledger/chain_fixture.h"

namespace govledger::ledger {
namespace {

const testing::TestNetwork& Net() {
  static const testing::TestNetwork net = testing::MakeNetwork(4);
  return net;
}

const Bytes kBlockHash(32, 0x5a);

Commit SignedBy(std::initializer_list<size_t> signers, uint64_t height = 7, uint32_t round = 1) {
  Commit c{height, round, kBlockHash, {}};
  for (size_t i : signers) {
    c.sigs.push_back(
        SignPrecommit(Net().validator_keys[i], Net().genesis.chain_id, height, round, kBlockHash));
  }
  return c;
}

Status Verify(const Commit& c, uint64_t height = 7, const Bytes& hash = kBlockHash) {
  const Genesis& g = Net().genesis;
  return VerifyCommit(g.suite, g.chain_id, g.validators, c, height, hash);
}

TEST_CASE("quorum is the smallest count above two thirds", "[ledger]") {
  CHECK(QuorumSize(1) == 1);
  CHECK(QuorumSize(2) == 2);
  CHECK(QuorumSize(3) == 3);
  CHECK(QuorumSize(4) == 3);
  CHECK(QuorumSize(7) == 5);
  CHECK(QuorumSize(10) == 7);
}

TEST_CASE("a precommit signature covers the canonical precommit bytes", "[ledger]") {
  const auto& key = Net().validator_keys[0];
  CommitSig sig = SignPrecommit(key, "test-chain", 3, 2, kBlockHash);
  CHECK(sig.validator == key.public_key());
  CHECK(crypto::Verify(crypto::Suite::kP256, key.public_key(),
                       PrecommitSignBytes("test-chain", 3, 2, kBlockHash), sig.signature));
}

TEST_CASE("a certificate with a quorum of valid signatures verifies", "[ledger]") {
  CHECK(Verify(SignedBy({0, 1, 2})).ok());
  CHECK(Verify(SignedBy({3, 1, 0, 2})).ok());
}

TEST_CASE("a certificate for another height or block is commit_mismatch", "[ledger]") {
  CHECK(Verify(SignedBy({0, 1, 2}), 8).code() == "commit_mismatch");
  CHECK(Verify(SignedBy({0, 1, 2}), 7, Bytes(32, 0)).code() == "commit_mismatch");
}

TEST_CASE("a signature by a key outside the validator set is unknown_validator", "[ledger]") {
  Commit c = SignedBy({0, 1, 2});
  auto outsider = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  c.sigs.push_back(SignPrecommit(outsider, Net().genesis.chain_id, 7, 1, kBlockHash));
  CHECK(Verify(c).code() == "unknown_validator");
}

TEST_CASE("the same validator counted twice is duplicate_signer", "[ledger]") {
  CHECK(Verify(SignedBy({0, 1, 1})).code() == "duplicate_signer");
}

TEST_CASE("a corrupted or misdirected signature is bad_commit_signature", "[ledger]") {
  Commit c = SignedBy({0, 1, 2});
  c.sigs[1].signature.back() ^= 1;
  CHECK(Verify(c).code() == "bad_commit_signature");

  // Signed for another round than the certificate claims.
  Commit other_round = SignedBy({0, 1, 2});
  other_round.round = 2;
  CHECK(Verify(other_round).code() == "bad_commit_signature");

  // Signed for another chain.
  Commit other_chain{7, 1, kBlockHash, {}};
  for (size_t i : {0, 1, 2}) {
    other_chain.sigs.push_back(
        SignPrecommit(Net().validator_keys[i], "other-chain", 7, 1, kBlockHash));
  }
  CHECK(Verify(other_chain).code() == "bad_commit_signature");
}

TEST_CASE("fewer signatures than the quorum is insufficient_quorum", "[ledger]") {
  CHECK(Verify(SignedBy({0, 1})).code() == "insufficient_quorum");
  CHECK(Verify(SignedBy({})).code() == "insufficient_quorum");
}

TEST_CASE("a single validator network needs its one signature", "[ledger]") {
  testing::TestNetwork one = testing::MakeNetwork(1);
  Commit c{1, 0, kBlockHash, {}};
  CHECK(VerifyCommit(one.genesis.suite, one.genesis.chain_id, one.genesis.validators, c, 1,
                     kBlockHash)
            .code() == "insufficient_quorum");
  c.sigs.push_back(SignPrecommit(one.validator_keys[0], one.genesis.chain_id, 1, 0, kBlockHash));
  CHECK(VerifyCommit(one.genesis.suite, one.genesis.chain_id, one.genesis.validators, c, 1,
                     kBlockHash)
            .ok());
}

}  // namespace
}  // namespace govledger::ledger

#include "tests/unit/consensus/fixture.h"

#include <cstdlib>
#include <filesystem>

#include "crypto/hash.h"

namespace govledger::consensus::testing {

namespace {

const std::vector<crypto::PrivateKey>& AllKeys() {
  static const std::vector<crypto::PrivateKey> keys = [] {
    std::vector<crypto::PrivateKey> k;
    for (int i = 0; i < 7; ++i)
      k.push_back(crypto::PrivateKey::Generate(crypto::Suite::kP256).value());
    return k;
  }();
  return keys;
}

}  // namespace

TestValidators MakeValidators(size_t n) {
  TestValidators v;
  for (size_t i = 0; i < n; ++i) {
    v.keys.push_back(
        crypto::PrivateKey::FromPem(crypto::Suite::kP256, AllKeys()[i].ToPem()).value());
    v.pubs.push_back(v.keys.back().public_key());
    ledger::Validator lv;
    lv.name = "node" + std::to_string(i);
    lv.key = v.pubs.back();
    v.ledger_validators.push_back(lv);
  }
  return v;
}

CoreConfig MakeConfig(const TestValidators& v, std::optional<uint32_t> self) {
  CoreConfig c;
  c.chain_id = std::string(kChainId);
  c.validators = v.pubs;
  c.self = self;
  return c;
}

Bytes BlockBytes(const std::string& label) { return ToBytes("block:" + label); }

Bytes BlockHash(const std::string& label) {
  return crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, BlockBytes(label)));
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "govledger-cons-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Proposal SignedProposal(const TestValidators& v, uint32_t proposer, uint64_t height, uint32_t round,
                        const std::string& label, int32_t pol_round) {
  Proposal p;
  p.height = height;
  p.round = round;
  p.pol_round = pol_round;
  p.block_hash = BlockHash(label);
  p.block = BlockBytes(label);
  p.proposer = proposer;
  p.signature = v.keys[proposer].Sign(ProposalSignBytes(kChainId, p));
  return p;
}

Vote SignedVote(const TestValidators& v, uint32_t validator, VoteType type, uint64_t height,
                uint32_t round, const std::string& label) {
  Vote vote;
  vote.type = type;
  vote.height = height;
  vote.round = round;
  vote.block_hash = label.empty() ? Bytes{} : BlockHash(label);
  vote.validator = validator;
  vote.signature = v.keys[validator].Sign(VoteSignBytes(kChainId, vote));
  return vote;
}

}  // namespace govledger::consensus::testing

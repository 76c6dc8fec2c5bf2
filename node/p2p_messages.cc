#include "node/p2p_messages.h"

#include <string>

namespace govledger::node {

pb::ProposalMsg ToPb(const consensus::Proposal& p) {
  pb::ProposalMsg m;
  m.set_height(p.height);
  m.set_round(p.round);
  m.set_pol_round(p.pol_round);
  m.set_block_hash(p.block_hash.data(), p.block_hash.size());
  m.set_block(p.block.data(), p.block.size());
  m.set_proposer(p.proposer);
  m.set_signature(p.signature.data(), p.signature.size());
  return m;
}

consensus::Proposal FromPb(const pb::ProposalMsg& m) {
  consensus::Proposal p;
  p.height = m.height();
  p.round = m.round();
  p.pol_round = m.pol_round();
  p.block_hash = ToBytes(m.block_hash());
  p.block = ToBytes(m.block());
  p.proposer = m.proposer();
  p.signature = ToBytes(m.signature());
  return p;
}

pb::VoteMsg ToPb(const consensus::Vote& v) {
  pb::VoteMsg m;
  m.set_type(static_cast<uint32_t>(v.type));
  m.set_height(v.height);
  m.set_round(v.round);
  m.set_block_hash(v.block_hash.data(), v.block_hash.size());
  m.set_validator(v.validator);
  m.set_signature(v.signature.data(), v.signature.size());
  return m;
}

std::optional<consensus::Vote> FromPb(const pb::VoteMsg& m) {
  consensus::Vote v;
  if (m.type() == 1) {
    v.type = consensus::VoteType::kPrevote;
  } else if (m.type() == 2) {
    v.type = consensus::VoteType::kPrecommit;
  } else {
    return std::nullopt;
  }
  v.height = m.height();
  v.round = m.round();
  v.block_hash = ToBytes(m.block_hash());
  v.validator = m.validator();
  v.signature = ToBytes(m.signature());
  return v;
}

Bytes Serialize(const pb::P2pMessage& msg) {
  std::string s;
  msg.SerializeToString(&s);
  return ToBytes(s);
}

}  // namespace govledger::node

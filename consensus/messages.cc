#include "consensus/messages.h"

#include "ledger/canonical.h"

namespace govledger::consensus {

namespace {

constexpr std::string_view kProposalTag = "govledger/proposal/v1";
constexpr std::string_view kPrevoteTag = "govledger/prevote/v1";

// Domain tags are written raw, as in ledger/canonical.cc: each starts a fixed layout.
void AppendRaw(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

}  // namespace

Bytes ProposalSignBytes(std::string_view chain_id, const Proposal& p) {
  Bytes out;
  out.reserve(kProposalTag.size() + 4 + chain_id.size() + 8 + 4 + 4 + 4 + p.block_hash.size());
  AppendRaw(out, kProposalTag);
  AppendLengthPrefixed(out, chain_id);
  AppendU64BE(out, p.height);
  AppendU32BE(out, p.round);
  AppendU32BE(out, static_cast<uint32_t>(p.pol_round));  // two's complement: -1 = ff ff ff ff
  AppendLengthPrefixed(out, p.block_hash);
  return out;
}

Bytes VoteSignBytes(std::string_view chain_id, const Vote& v) {
  if (v.type == VoteType::kPrecommit) {
    return ledger::PrecommitSignBytes(chain_id, v.height, v.round, v.block_hash);
  }
  Bytes out;
  out.reserve(kPrevoteTag.size() + 4 + chain_id.size() + 8 + 4 + 4 + v.block_hash.size());
  AppendRaw(out, kPrevoteTag);
  AppendLengthPrefixed(out, chain_id);
  AppendU64BE(out, v.height);
  AppendU32BE(out, v.round);
  AppendLengthPrefixed(out, v.block_hash);
  return out;
}

}  // namespace govledger::consensus

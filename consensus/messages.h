// Consensus messages as plain values (the node encodes them to protobuf for the wire) and the
// exact bytes each signature covers. A precommit's sign bytes are ledger::PrecommitSignBytes, so
// 2f+1 precommits for a block are directly its commit certificate (ledger::Commit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "crypto/sign.h"
#include "util/bytes.h"

namespace govledger::consensus {

enum class VoteType : uint8_t { kPrevote = 1, kPrecommit = 2 };

struct Proposal {
  uint64_t height = 0;
  uint32_t round = 0;
  int32_t pol_round = -1;   // round of the proof-of-lock, -1 if none (Tendermint's validRound)
  Bytes block_hash;         // H(header bytes)
  Bytes block;              // serialized ledger block (pb::Block), opaque to the core
  uint32_t proposer = 0;    // validator index
  Bytes signature;          // over ProposalSignBytes
};

struct Vote {
  VoteType type = VoteType::kPrevote;
  uint64_t height = 0;
  uint32_t round = 0;
  Bytes block_hash;         // empty = nil
  uint32_t validator = 0;   // validator index
  Bytes signature;          // over VoteSignBytes
};

// "govledger/proposal/v1" || lp(chain_id) || u64 height || u32 round || i32 pol_round ||
// lp(block_hash)
Bytes ProposalSignBytes(std::string_view chain_id, const Proposal& p);
// Prevote: "govledger/prevote/v1" || lp(chain_id) || u64 height || u32 round || lp(block_hash);
// precommit: ledger::PrecommitSignBytes(chain_id, height, round, block_hash).
Bytes VoteSignBytes(std::string_view chain_id, const Vote& v);

}  // namespace govledger::consensus

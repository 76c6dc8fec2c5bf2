// The consensus messages on the wire (proto/p2p.proto) and back: one place for the node and for
// the fuzz target that feeds untrusted frames through the same conversions.
#pragma once

#include <optional>

#include "consensus/messages.h"
#include "proto/p2p.pb.h"
#include "util/bytes.h"

namespace govledger::node {

pb::ProposalMsg ToPb(const consensus::Proposal& p);
consensus::Proposal FromPb(const pb::ProposalMsg& m);
pb::VoteMsg ToPb(const consensus::Vote& v);
// Empty for a vote type other than prevote (1) or precommit (2).
std::optional<consensus::Vote> FromPb(const pb::VoteMsg& m);
Bytes Serialize(const pb::P2pMessage& msg);

}  // namespace govledger::node

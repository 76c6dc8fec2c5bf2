#include "tests/faults/byzantine.h"

#include "consensus/messages.h"
#include "crypto/hash.h"
#include "ledger/canonical.h"
#include "ledger/codec.h"
#include "node/log.h"
#include "node/p2p_messages.h"
#include "proto/p2p.pb.h"

namespace govledger::faults {

namespace {

Bytes RandomBytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

}  // namespace

Byzantine::Byzantine(ledger::Genesis genesis, crypto::PrivateKey key, uint32_t self)
    : genesis_(std::move(genesis)), key_(std::move(key)), self_(self) {}

std::vector<Bytes> Byzantine::Rewrite(const std::set<std::string>& on, uint32_t peer,
                                      const Bytes& payload, std::mt19937_64& rng) {
  std::vector<Bytes> out{payload};
  if (on.empty()) return out;
  pb::P2pMessage msg;
  if (!msg.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return out;
  const std::string& chain = genesis_.chain_id;
  auto sign_vote = [&](consensus::Vote v) {
    v.validator = self_;
    v.signature = key_.Sign(consensus::VoteSignBytes(chain, v));
    pb::P2pMessage m;
    *m.mutable_vote() = node::ToPb(v);
    return node::Serialize(m);
  };

  if (msg.has_proposal() && msg.proposal().proposer() == self_ && on.count("equivocate")) {
    consensus::Proposal p = node::FromPb(msg.proposal());
    auto block = ledger::DecodeBlock(p.block);
    if (block.ok()) {
      block->header.time_ms += 1;
      block->header_bytes = ledger::EncodeHeader(block->header);
      consensus::Proposal q = p;
      q.block = ledger::EncodeBlock(*block);
      q.block_hash = crypto::DigestBytes(crypto::Hash(genesis_.suite, block->header_bytes));
      q.signature = key_.Sign(consensus::ProposalSignBytes(chain, q));
      pb::P2pMessage m;
      *m.mutable_proposal() = node::ToPb(q);
      Bytes other = node::Serialize(m);
      if (peer % 2 == 0) {
        out.push_back(other);
      } else {
        out.insert(out.begin(), other);
      }
      GOVLEDGER_LOG(kInfo, "BYZANTINE: equivocating proposal at height " << p.height << " round "
                                                                        << p.round << " to peer "
                                                                        << peer);
    }
  }

  if (msg.has_vote() && msg.vote().validator() == self_) {
    std::optional<consensus::Vote> v = node::FromPb(msg.vote());
    if (v && on.count("double_vote")) {
      consensus::Vote w = *v;
      w.block_hash = v->block_hash.empty() ? RandomBytes(rng, 32) : Bytes{};
      out.push_back(sign_vote(w));
      GOVLEDGER_LOG(kDebug, "BYZANTINE: double vote at height " << v->height << " round "
                                                                << v->round);
    }
    if (v && on.count("far_future")) {
      consensus::Vote far = *v;
      far.height = v->height + 1000;
      out.push_back(sign_vote(far));
      consensus::Vote late = *v;
      late.round = v->round + 1'000'000;
      out.push_back(sign_vote(late));
      consensus::Proposal p;
      p.height = v->height + 1000;
      p.round = 0;
      p.block_hash = RandomBytes(rng, 32);
      p.block = RandomBytes(rng, 64);
      p.proposer = self_;
      p.signature = key_.Sign(consensus::ProposalSignBytes(chain, p));
      pb::P2pMessage m;
      *m.mutable_proposal() = node::ToPb(p);
      out.push_back(node::Serialize(m));
    }
  }

  if (msg.has_blocks() && msg.blocks().blocks_size() > 0 && on.count("forge_sync")) {
    pb::P2pMessage forged = msg;
    const int kind = forged_answers_++ % 5;
    // A block's certificate counts where nothing vouches for it: the last block of the answer
    // (each block before it carries the next block's embedded certificate instead), which is
    // also where an embedded certificate is forged.
    const bool last = kind == 1 || kind == 2 || kind == 4;
    auto* sb =
        forged.mutable_blocks()->mutable_blocks(last ? forged.blocks().blocks_size() - 1 : 0);
    auto block = ledger::DecodeBlock(Bytes(sb->block().begin(), sb->block().end()));
    auto commit = ledger::DecodeCommit(Bytes(sb->commit().begin(), sb->commit().end()));
    if (block.ok() && commit.ok()) {
      const char* how = "";
      switch (kind) {
        case 0:  // another header under the real certificate
          block->header.time_ms += 1;
          block->header_bytes = ledger::EncodeHeader(block->header);
          how = "altered header";
          break;
        case 1:  // the real block under a certificate with a corrupted signature
          if (!commit->sigs.empty() && !commit->sigs[0].signature.empty()) {
            commit->sigs[0].signature[commit->sigs[0].signature.size() / 2] ^= 0x01;
          }
          how = "corrupted certificate signature";
          break;
        case 2: {  // a certificate only this validator signed
          ledger::CommitSig own;
          own.validator = key_.public_key();
          own.signature = key_.Sign(ledger::PrecommitSignBytes(chain, commit->height,
                                                               commit->round, commit->block_hash));
          commit->sigs = {own};
          how = "certificate of one signature";
          break;
        }
        case 3:  // other transactions under the real header and certificate
          block->txs = {RandomBytes(rng, 100)};
          how = "replaced transactions";
          break;
        default:  // the parent's embedded certificate with a corrupted signature, hashed anew
          if (block->last_commit && !block->last_commit->sigs.empty() &&
              !block->last_commit->sigs[0].signature.empty()) {
            Bytes& sig = block->last_commit->sigs[0].signature;
            sig[sig.size() / 2] ^= 0x01;
            block->header.last_commit_hash = crypto::DigestBytes(
                crypto::Hash(genesis_.suite, ledger::EncodeCommit(*block->last_commit)));
            block->header_bytes = ledger::EncodeHeader(block->header);
          }
          how = "corrupted embedded certificate of the parent";
          break;
      }
      Bytes b = ledger::EncodeBlock(*block);
      Bytes c = ledger::EncodeCommit(*commit);
      sb->set_block(b.data(), b.size());
      sb->set_commit(c.data(), c.size());
      out = {node::Serialize(forged)};
      GOVLEDGER_LOG(kInfo, "BYZANTINE: forged sync answer to peer " << peer << " (" << how
                                                                    << ", block "
                                                                    << block->header.height << ")");
    }
  }

  if (on.count("garbage") && rng() % 5 == 0) {
    if (rng() % 2 == 0) {
      out.push_back(RandomBytes(rng, 1 + rng() % 300));
    } else {
      pb::P2pMessage lie;
      lie.mutable_status()->set_height((uint64_t{1} << 62) + rng() % 1000);
      out.push_back(node::Serialize(lie));
    }
  }
  return out;
}

}  // namespace govledger::faults

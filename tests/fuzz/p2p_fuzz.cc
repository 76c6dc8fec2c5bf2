// What a validator does with the bytes an authenticated peer sends (node/p2p.cc and
// node/consensus_driver.cc): the length-prefixed frame stream (node::FrameDecoder), each frame as
// a pb::P2pMessage, and each message as the driver handles it: proposals and votes converted to
// consensus values and fed to a Tendermint core (consensus::Core), forwarded transactions
// decoded, synced blocks and certificates decoded and the certificate verified.
//
// The protobuf-to-consensus conversions are the driver's own (node/p2p_messages.h). The core
// runs with a signature check the fuzzer can satisfy (a signature starting with 'V' is "valid"), so inputs
// play a Byzantine validator holding a key: equivocation, far-future heights and rounds, bad
// indexes. A message with no payload (ignored by the driver) fires the core's pending timeouts,
// so the fuzzer can move rounds forward.
//
// Input: u8 chunk size (0: the whole stream in one read), then the stream.
#include <deque>
#include <vector>

#include "consensus/core.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "node/p2p.h"
#include "node/p2p_messages.h"
#include "proto/p2p.pb.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;

namespace {

constexpr size_t kMaxFrame = 1 << 20;
constexpr size_t kMaxEffects = 2000;  // per input: bounds the work a single input can cause

struct Keys {
  std::vector<crypto::PrivateKey> keys;
  std::vector<crypto::PublicKey> pubs;
  std::vector<ledger::Validator> validators;
};

const Keys& TheKeys() {
  static const Keys k = [] {
    Keys out;
    for (int i = 0; i < 4; ++i) {
      auto key = crypto::PrivateKey::Generate(crypto::Suite::kP256);
      FUZZ_CHECK(key.ok());
      ledger::Validator v;
      v.name = "node" + std::to_string(i);
      v.key = key->public_key();
      out.validators.push_back(v);
      out.pubs.push_back(key->public_key());
      out.keys.push_back(std::move(*key));
    }
    return out;
  }();
  return k;
}

// A minimal driver: answers the core's requests at once and starts the next height on a decision.
class Driver {
 public:
  Driver() : core_(Config(), &TheKeys().keys[0], &guard_) { Take(core_.StartHeight(1)); }

  void Feed(const consensus::Input& in) {
    Take(core_.OnInput(in));
    Pump();
  }
  void FireTimeouts() {
    auto pending = std::move(timeouts_);
    timeouts_.clear();
    for (const auto& t : pending)
      inputs_.push_back(consensus::TimeoutIn{t.height, t.round, t.step});
    Pump();
  }

 private:
  static consensus::CoreConfig Config() {
    consensus::CoreConfig c;
    c.chain_id = "fuzz-chain";
    c.validators = TheKeys().pubs;
    c.self = 0;
    c.verify = [](const crypto::PublicKey&, const Bytes&, const Bytes& sig) {
      return !sig.empty() && sig[0] == 'V';
    };
    return c;
  }

  void Take(std::vector<consensus::Effect> effects) {
    for (auto& e : effects) {
      if (++effects_seen_ > kMaxEffects) return;
      if (auto* t = std::get_if<consensus::ScheduleTimeout>(&e)) {
        timeouts_.push_back(*t);
      } else if (auto* b = std::get_if<consensus::BuildBlock>(&e)) {
        const Bytes block =
            ToBytes("block " + std::to_string(b->height) + "/" + std::to_string(b->round));
        inputs_.push_back(consensus::BlockIn{
            b->height, b->round, crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, block)),
            block});
      } else if (auto* v = std::get_if<consensus::ValidateBlock>(&e)) {
        inputs_.push_back(consensus::ValidityIn{v->height, v->round, v->block_hash,
                                                ledger::DecodeBlock(v->block).ok()});
      } else if (auto* d = std::get_if<consensus::Decide>(&e)) {
        FUZZ_CHECK(d->height == core_.height());
        decided_ = d->height;
      }
    }
  }

  void Pump() {
    while (!inputs_.empty() && effects_seen_ <= kMaxEffects) {
      consensus::Input in = std::move(inputs_.front());
      inputs_.pop_front();
      Take(core_.OnInput(in));
      if (decided_) {
        const uint64_t next = *decided_ + 1;
        decided_.reset();
        timeouts_.clear();
        Take(core_.StartHeight(next));
      }
    }
  }

  consensus::MemorySignGuard guard_;
  consensus::Core core_;
  std::deque<consensus::Input> inputs_;
  std::vector<consensus::ScheduleTimeout> timeouts_;
  std::optional<uint64_t> decided_;
  size_t effects_seen_ = 0;
};

void Handle(Driver& driver, const Bytes& frame) {
  pb::P2pMessage msg;
  if (!msg.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) return;
  switch (msg.msg_case()) {
    case pb::P2pMessage::kProposal:
      driver.Feed(consensus::ProposalIn{node::FromPb(msg.proposal())});
      break;
    case pb::P2pMessage::kVote:
      if (auto v = node::FromPb(msg.vote())) driver.Feed(consensus::VoteIn{*v});
      break;
    case pb::P2pMessage::kTxs:
      for (const auto& t : msg.txs().txs()) {
        (void)ledger::DecodeTx(crypto::Suite::kP256, ToBytes(t), 64 * 1024);
      }
      break;
    case pb::P2pMessage::kStatus:
    case pb::P2pMessage::kBlockRequest:
      break;
    case pb::P2pMessage::kBlocks:
      for (const auto& sb : msg.blocks().blocks()) {
        auto block = ledger::DecodeBlock(ToBytes(sb.block()));
        auto commit = ledger::DecodeCommit(ToBytes(sb.commit()));
        if (!block.ok() || !commit.ok()) break;
        const Bytes hash =
            crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, block->header_bytes));
        (void)ledger::VerifyCommit(crypto::Suite::kP256, "fuzz-chain", TheKeys().validators,
                                   *commit, block->header.height, hash);
      }
      break;
    default:
      driver.FireTimeouts();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = data[0] == 0 ? size : data[0];
  node::FrameDecoder decoder(kMaxFrame);
  Driver driver;
  for (size_t pos = 1; pos < size;) {
    const size_t n = std::min(chunk, size - pos);
    std::vector<Bytes> frames;
    Status st = decoder.Feed(data + pos, n, frames);
    for (const Bytes& f : frames) {
      FUZZ_CHECK(f.size() <= kMaxFrame);
      Handle(driver, f);
    }
    if (!st.ok()) break;  // the connection is dropped
    pos += n;
  }
  return 0;
}

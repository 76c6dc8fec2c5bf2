// EncodeInput / DecodeInput (declared in consensus/wal.h): the WAL's record payloads.
//
// Layout: u8 tag, then the fields in order; integers big-endian, byte strings with a 4-byte
// big-endian length prefix (lp).
//   1 proposal: u64 height, u32 round, i32 pol_round, u32 proposer, lp(block_hash), lp(block),
//               lp(signature)
//   2 vote:     u8 type (1 prevote, 2 precommit), u64 height, u32 round, u32 validator,
//               lp(block_hash), lp(signature)
//   3 timeout:  u64 height, u32 round, u8 step (0 propose, 1 prevote, 2 precommit)
//   4 validity: u64 height, u32 round, u8 valid (0/1), lp(block_hash)
//   5 block:    u64 height, u32 round, lp(block_hash), lp(block)
#include <string>

#include "consensus/wal.h"

namespace govledger::consensus {

namespace {

enum Tag : uint8_t { kProposal = 1, kVote = 2, kTimeout = 3, kValidity = 4, kBlock = 5 };

// Bounds-checked reader; every failure is sticky and the caller checks ok() once at the end.
class Reader {
 public:
  explicit Reader(const Bytes& b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == b_.size(); }
  uint8_t U8() {
    if (!Need(1)) return 0;
    return b_[pos_++];
  }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = ReadU32BE(b_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t v = ReadU64BE(b_.data() + pos_);
    pos_ += 8;
    return v;
  }
  Bytes Lp() {
    const uint32_t len = U32();
    if (!Need(len)) return {};
    Bytes out(b_.begin() + static_cast<std::ptrdiff_t>(pos_),
              b_.begin() + static_cast<std::ptrdiff_t>(pos_ + len));
    pos_ += len;
    return out;
  }

 private:
  bool Need(size_t k) {
    if (!ok_ || b_.size() - pos_ < k) ok_ = false;
    return ok_;
  }
  const Bytes& b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Status Malformed(const std::string& what) {
  return Status::Error("malformed_input", "WAL input: " + what);
}

}  // namespace

Bytes EncodeInput(const Input& in) {
  Bytes out;
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, ProposalIn>) {
          const Proposal& p = x.proposal;
          out.push_back(kProposal);
          AppendU64BE(out, p.height);
          AppendU32BE(out, p.round);
          AppendU32BE(out, static_cast<uint32_t>(p.pol_round));
          AppendU32BE(out, p.proposer);
          AppendLengthPrefixed(out, p.block_hash);
          AppendLengthPrefixed(out, p.block);
          AppendLengthPrefixed(out, p.signature);
        } else if constexpr (std::is_same_v<T, VoteIn>) {
          const Vote& v = x.vote;
          out.push_back(kVote);
          out.push_back(static_cast<uint8_t>(v.type));
          AppendU64BE(out, v.height);
          AppendU32BE(out, v.round);
          AppendU32BE(out, v.validator);
          AppendLengthPrefixed(out, v.block_hash);
          AppendLengthPrefixed(out, v.signature);
        } else if constexpr (std::is_same_v<T, TimeoutIn>) {
          out.push_back(kTimeout);
          AppendU64BE(out, x.height);
          AppendU32BE(out, x.round);
          out.push_back(static_cast<uint8_t>(x.step));
        } else if constexpr (std::is_same_v<T, ValidityIn>) {
          out.push_back(kValidity);
          AppendU64BE(out, x.height);
          AppendU32BE(out, x.round);
          out.push_back(x.valid ? 1 : 0);
          AppendLengthPrefixed(out, x.block_hash);
        } else {
          out.push_back(kBlock);
          AppendU64BE(out, x.height);
          AppendU32BE(out, x.round);
          AppendLengthPrefixed(out, x.block_hash);
          AppendLengthPrefixed(out, x.block);
        }
      },
      in);
  return out;
}

Result<Input> DecodeInput(const Bytes& bytes) {
  Reader r(bytes);
  const uint8_t tag = r.U8();
  if (!r.ok()) return Malformed("empty");
  Input in;
  switch (tag) {
    case kProposal: {
      Proposal p;
      p.height = r.U64();
      p.round = r.U32();
      p.pol_round = static_cast<int32_t>(r.U32());
      p.proposer = r.U32();
      p.block_hash = r.Lp();
      p.block = r.Lp();
      p.signature = r.Lp();
      in = ProposalIn{std::move(p)};
      break;
    }
    case kVote: {
      Vote v;
      const uint8_t type = r.U8();
      if (type != static_cast<uint8_t>(VoteType::kPrevote) &&
          type != static_cast<uint8_t>(VoteType::kPrecommit)) {
        return Malformed("unknown vote type " + std::to_string(type));
      }
      v.type = static_cast<VoteType>(type);
      v.height = r.U64();
      v.round = r.U32();
      v.validator = r.U32();
      v.block_hash = r.Lp();
      v.signature = r.Lp();
      in = VoteIn{std::move(v)};
      break;
    }
    case kTimeout: {
      TimeoutIn t;
      t.height = r.U64();
      t.round = r.U32();
      const uint8_t step = r.U8();
      if (step > static_cast<uint8_t>(Step::kPrecommit)) {
        return Malformed("unknown step " + std::to_string(step));
      }
      t.step = static_cast<Step>(step);
      in = t;
      break;
    }
    case kValidity: {
      ValidityIn v;
      v.height = r.U64();
      v.round = r.U32();
      const uint8_t valid = r.U8();
      if (valid > 1) return Malformed("validity flag " + std::to_string(valid));
      v.valid = valid == 1;
      v.block_hash = r.Lp();
      in = std::move(v);
      break;
    }
    case kBlock: {
      BlockIn b;
      b.height = r.U64();
      b.round = r.U32();
      b.block_hash = r.Lp();
      b.block = r.Lp();
      in = std::move(b);
      break;
    }
    default:
      return Malformed("unknown tag " + std::to_string(tag));
  }
  if (!r.ok()) return Malformed("truncated");
  if (!r.done()) return Malformed("trailing bytes");
  return in;
}

}  // namespace govledger::consensus

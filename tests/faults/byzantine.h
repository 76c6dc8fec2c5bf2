// Byzantine behaviours of the test-only `govledger-node-faulty`, applied to the frames this
// validator sends (it holds a real validator key, so what it forges is validly signed):
//
//   equivocate   its own proposal goes out with a second, conflicting proposal for the same
//                height and round (same block with the time moved by 1 ms: another hash); half
//                the peers see one first, half the other.
//   double_vote  each of its own votes goes out with a conflicting signed vote (nil for a
//                value, a random hash for nil).
//   garbage      about one frame in five is followed by random bytes, or by a message that
//                decodes but claims a status height near 2^62.
//   far_future   each own vote is followed by signed votes and a proposal for height + 1000 and
//                for round + 1,000,000 of the current height.
//   forge_sync   block-sync answers are tampered with, in turn: a first block whose header
//                was changed (the certificate no longer matches), a last block's certificate
//                with a corrupted signature, a last block's certificate holding only this
//                validator's signature, a first block whose transactions were replaced under
//                its real header and certificate, and a last block whose embedded certificate
//                of its parent has a corrupted signature (its header hashed anew). (The last
//                block: the certificates sent beside the others are replaced by the next
//                block's embedded one.)
//
// Thread-safety: io thread only.
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "ledger/genesis.h"
#include "util/bytes.h"

namespace govledger::faults {

class Byzantine {
 public:
  // `self`: this validator's index in the genesis.
  Byzantine(ledger::Genesis genesis, crypto::PrivateKey key, uint32_t self);

  // The frames to send to `peer` in place of `payload` under the behaviours in `on`.
  std::vector<Bytes> Rewrite(const std::set<std::string>& on, uint32_t peer, const Bytes& payload,
                             std::mt19937_64& rng);

 private:
  ledger::Genesis genesis_;
  crypto::PrivateKey key_;
  uint32_t self_;
  uint64_t forged_answers_ = 0;
};

}  // namespace govledger::faults

// What executing the next block reads: a tip (height, hash, time, log size, the tip's commit
// certificate) and the state after it (the StateReader tables, the Merkle log's nodes, the state
// tree's nodes). The Store is the committed chain's view; ledger::PendingChain (pending_chain.h)
// is blocks executed but not committed yet over the store, so that block sync can
// execute several fetched blocks one on top of the other and commit them in one synced write.
#pragma once

#include <cstdint>
#include <memory>

#include "crypto/merkle.h"
#include "crypto/smt.h"
#include "ledger/state.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::ledger {

class ChainView : public StateReader {
 public:
  virtual crypto::Suite suite() const = 0;
  virtual uint64_t height() const = 0;      // 0 before the first block
  virtual Digest tip_hash() const = 0;      // the genesis hash at height 0
  virtual uint64_t log_size() const = 0;    // transactions in the log up to the tip
  virtual int64_t tip_time_ms() const = 0;  // the genesis time at height 0
  // The commit certificate of block `height` (at or below the tip).
  virtual Result<Commit> GetCommit(uint64_t height) const = 0;
  // The Merkle log's and the state tree's nodes as of the tip (read-only; a block being built
  // layers its writes over them with PendingLogNodes and PendingStateNodes).
  virtual const crypto::NodeStore& log_nodes() const = 0;
  virtual const crypto::SmtNodeStore& state_nodes() const = 0;
  // A reader of state_nodes() for one block's update on one thread, when the chain has a cheaper
  // one than state_nodes() itself (the Store's reads the nodes below the tree's top through one
  // LevelDB iterator); null: read state_nodes().
  virtual std::unique_ptr<const crypto::SmtNodeStore> StateNodeReader() const { return nullptr; }
  // The same for a chain pending over this one (ledger::PendingChain), which may read it while
  // this chain's own pending blocks are being written to the store under it (block sync): the
  // chain over it holds every node those blocks change among its pending writes and never reads
  // them here, so the Store's reader does not wait for the commit lock, and its top and iterator
  // need not be of one tip. Null: read state_nodes().
  virtual std::unique_ptr<const crypto::SmtNodeStore> StateNodeReaderUnderPending() const {
    return nullptr;
  }
};

}  // namespace govledger::ledger

// Transactions admitted (decoded, signature-checked, rule-checked) and waiting for a block, in
// arrival order, with deduplication by hash and limits on count and bytes. Owned by the io thread.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ledger/types.h"
#include "util/status.h"

namespace govledger::node {

using TxPtr = std::shared_ptr<const ledger::Tx>;

class Mempool {
 public:
  Mempool(size_t max_txs, size_t max_bytes) : max_txs_(max_txs), max_bytes_(max_bytes) {}

  // "duplicate_tx" if already pending, "mempool_full" over either limit.
  Status Add(TxPtr tx);
  bool Contains(const crypto::Digest& hash) const;
  // Up to `max` transactions in arrival order.
  std::vector<TxPtr> Peek(size_t max) const;
  void Remove(const crypto::Digest& hash);

  size_t size() const { return index_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  static std::string Key(const crypto::Digest& d) { return std::string(d.begin(), d.end()); }
  size_t max_txs_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::list<TxPtr> order_;
  std::unordered_map<std::string, std::list<TxPtr>::iterator> index_;
};

}  // namespace govledger::node

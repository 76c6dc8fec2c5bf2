#include "node/mempool.h"

namespace govledger::node {

Status Mempool::Add(TxPtr tx) {
  std::string key = Key(tx->hash);
  if (index_.count(key)) return Status::Error("duplicate_tx", "transaction is already pending");
  if (index_.size() >= max_txs_ || bytes_ + tx->raw.size() > max_bytes_) {
    return Status::Error("mempool_full", "too many pending transactions; retry shortly");
  }
  bytes_ += tx->raw.size();
  order_.push_back(std::move(tx));
  index_.emplace(std::move(key), std::prev(order_.end()));
  return Status::Ok();
}

bool Mempool::Contains(const crypto::Digest& hash) const { return index_.count(Key(hash)) > 0; }

std::vector<TxPtr> Mempool::Peek(size_t max) const {
  std::vector<TxPtr> out;
  out.reserve(std::min(max, order_.size()));
  for (auto it = order_.begin(); it != order_.end() && out.size() < max; ++it) out.push_back(*it);
  return out;
}

void Mempool::Remove(const crypto::Digest& hash) {
  auto it = index_.find(Key(hash));
  if (it == index_.end()) return;
  bytes_ -= (*it->second)->raw.size();
  order_.erase(it->second);
  index_.erase(it);
}

}  // namespace govledger::node

// The load side of the benchmarks: pre-signed material-issue transactions (signing is done before
// a measurement starts and never counted), and an open-loop HTTP load generator that offers them
// to one or more nodes at a fixed rate over persistent (keep-alive) connections.
//
// Commit latency is sampled with probes: at `probe_rate` per second one of the offered
// transactions is submitted with ?wait=1 on a connection of its own, and the time until the node
// answers "committed" is its commit latency as a client sees it. The other transactions are
// submitted without waiting (the node answers 202 once the transaction is admitted: decoded,
// signature verified, rule-checked and in the mempool).
//
// Thread-safety: TxSource::Sign and LoadGen::Run block the calling thread; LoadGen runs its own
// io_context inside Run. Use each object from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ledger/genesis.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::bench {

// Signs material-issue transactions for every (department, material type) pair of a chain for
// which a department key file exists in the keys directory and the type needs no parent.
class TxSource {
 public:
  static Result<TxSource> Open(const std::string& genesis_file, const std::string& keys_dir);

  const ledger::Genesis& genesis() const { return genesis_; }
  // Appends `count` request bodies ({"tx": base64 SignedTx}) to `out`, signed on `threads`
  // threads, valid until `valid_until_height`.
  void Sign(size_t count, uint64_t valid_until_height, unsigned threads,
            std::vector<std::string>& out) const;
  // The same as signed transactions (for the ledger filler), created at `now_ms`. When
  // `doc_digests` is given, the first transactions issue materials with those document digests.
  void SignTxs(size_t count, uint64_t valid_until_height, unsigned threads, int64_t now_ms,
               std::vector<ledger::Tx>& out, const std::vector<Bytes>* doc_digests = nullptr) const;
  // Issuers the transactions rotate through ("samr/BIZLIC", ...).
  std::vector<std::string> Issuers() const;

 private:
  struct Issuer;
  ledger::Genesis genesis_;
  std::vector<std::shared_ptr<const Issuer>> issuers_;
};

struct LoadOptions {
  double rate = 100;           // offered transactions per second, in total
  double seconds = 5;          // how long transactions are offered
  double probe_rate = 20;      // latency probes per second (part of `rate`)
  int connections_per_node = 16;
  // Transactions per (non-probe) request: 1 posts each to /v1/tx; more posts up to that many at
  // once to /v1/txs (the batch endpoint of department back-office systems).
  int batch = 1;
  double probe_grace_s = 20;   // how long unanswered probes are awaited after the offer ends
};

struct LoadResult {
  double offered_tps = 0;
  double seconds = 0;           // of offering
  uint64_t offered = 0;         // transactions that were due in that time
  uint64_t sent = 0;            // submitted (the rest found no free connection in time)
  uint64_t accepted = 0;        // 202 (or 200)
  uint64_t transport_errors = 0;
  std::map<std::string, uint64_t> rejected;  // by reason code
  uint64_t probes = 0;
  uint64_t probes_committed = 0;
  std::vector<double> commit_latency_ms;   // committed probes
  std::vector<double> admit_latency_ms;    // answers to the non-waiting submissions
  bool ran_out_of_transactions = false;
  double client_cpu_s = 0;      // CPU time of the load generator's thread
};

class LoadGen {
 public:
  explicit LoadGen(std::vector<std::string> urls) : urls_(std::move(urls)) {}
  // Offers bodies[next...] and advances `next` past the ones it used.
  LoadResult Run(const std::vector<std::string>& bodies, size_t& next, const LoadOptions& o);

 private:
  std::vector<std::string> urls_;
};

}  // namespace govledger::bench

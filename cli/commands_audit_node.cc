#include "cli/commands_audit_node.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "contracts/registry.h"
#include "crypto/hash.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/genesis.h"
#include "ledger/store.h"
#include "node/executor.h"
#include "util/bytes.h"

namespace govledger::cli {

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when destroyed.
class ScratchDir {
 public:
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);  // best effort: a leftover temp dir harms nothing
  }
  Status Create() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/govledger-audit-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Status::Error("io_error", "cannot create a temporary directory in " + tmpl);
    }
    path_ = tmpl;
    return Status::Ok();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ledger::AuditReport Bad(uint64_t height, std::string code, std::string detail, uint64_t txs) {
  ledger::AuditReport r;
  r.ok = false;
  r.bad_height = height;
  r.checked_height = height == 0 ? 0 : height - 1;
  r.reason_code = std::move(code);
  r.detail = std::move(detail);
  r.txs_checked = txs;
  return r;
}

Result<Bytes> Base64Member(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j.at(name).is_string()) {
    return Status::Error("bad_response", std::string("no \"") + name + "\" in /v1/block/H/raw");
  }
  auto b = Base64Decode(j.at(name).get<std::string>());
  if (!b.ok()) return Status::Error("bad_response", std::string(name) + " is not base64");
  return b;
}

}  // namespace

Result<NodeAuditResult> AuditNodeChain(const std::string& url, const std::string& trust,
                                       bool verify_tx_signatures,
                                       const std::function<void(uint64_t, uint64_t)>& progress,
                                       const std::string& key_file) {
  // The raw blocks are non-public (doc/api.md): the reads are signed with key_file.
  Context ctx;
  ctx.node = url;
  auto reader = ReaderClient(ctx, key_file);
  if (!reader.ok()) return reader.status();
  const NodeClient& client = *reader;
  auto node_genesis = client.FetchGenesis();
  if (!node_genesis.ok()) return node_genesis.status();
  NodeAuditResult result;
  result.chain_id = node_genesis->chain_id;
  ledger::Genesis genesis = *node_genesis;
  if (!trust.empty()) {
    auto trusted = ledger::LoadGenesisFile(trust);
    if (!trusted.ok()) return trusted.status();
    crypto::Digest want = ledger::GenesisHash(*trusted);
    crypto::Digest got = ledger::GenesisHash(*node_genesis);
    if (want != got) {
      result.report = Bad(0, "genesis_mismatch",
                          "the node's genesis hashes to " + crypto::DigestHex(got) + ", " +
                              trust + " to " + crypto::DigestHex(want),
                          0);
      return result;
    }
    genesis = std::move(*trusted);
  }
  auto chain = client.ChainStatus();
  if (!chain.ok()) return chain.status();
  const uint64_t tip = chain->height;

  ScratchDir dir;
  if (Status st = dir.Create(); !st.ok()) return st;
  // The store, registry and executor go before the directory (declared after it).
  auto store = ledger::Store::Open(dir.path() + "/data", genesis);
  if (!store.ok()) return store.status();
  contracts::Registry registry(genesis);
  node::Executor executor(genesis, **store, registry);
  uint64_t txs = 0;
  for (uint64_t h = 1; h <= tip; ++h) {
    auto raw = client.Get("/v1/block/" + std::to_string(h) + "/raw");
    if (!raw.ok()) return raw.status();
    auto block_bytes = Base64Member(*raw, "block");
    if (!block_bytes.ok()) return block_bytes.status();
    auto commit_bytes = Base64Member(*raw, "commit");
    if (!commit_bytes.ok()) return commit_bytes.status();
    auto block = ledger::DecodeBlock(*block_bytes);
    if (!block.ok()) {
      result.report = Bad(h, "bad_block", "does not decode: " + block.status().message(), txs);
      return result;
    }
    auto commit = ledger::DecodeCommit(*commit_bytes);
    if (!commit.ok()) {
      result.report = Bad(h, "bad_commit", "certificate does not decode: " +
                                               commit.status().message(), txs);
      return result;
    }
    if (block->header.height != h) {
      result.report = Bad(h, "bad_height",
                          "the node served block " + std::to_string(block->header.height), txs);
      return result;
    }
    Bytes hash = crypto::DigestBytes(crypto::Hash(genesis.suite, block->header_bytes));
    Status st = ledger::VerifyCommit(genesis.suite, genesis.chain_id, executor.ValidatorsAt(h),
                                     *commit, h, hash);
    if (!st.ok()) {
      result.report = Bad(h, "bad_commit", "certificate: " + st.ToString(), txs);
      return result;
    }
    auto built = executor.Execute(*block);
    if (!built.ok()) {
      result.report = Bad(h, built.status().code(), built.status().message(), txs);
      return result;
    }
    built->write.commit = *commit;
    if (Status cs = (*store)->CommitBlock(built->write); !cs.ok()) {
      result.report = Bad(h, cs.code(), "replay: " + cs.message(), txs);
      return result;
    }
    txs += block->txs.size();
    if (progress) progress(h, tip);
  }
  // The replayed store holds only what re-executed; audit it as a data directory.
  ledger::AuditOptions opts;
  opts.verify_tx_signatures = verify_tx_signatures;
  result.report = ledger::AuditChain(**store, genesis, opts);
  return result;
}

}  // namespace govledger::cli

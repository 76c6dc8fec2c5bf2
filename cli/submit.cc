#include "cli/submit.h"

#include <utility>

#include "cli/passphrase.h"
#include "crypto/hash.h"
#include "ledger/codec.h"
#include "util/file.h"
#include "util/time.h"

namespace govledger::cli {

using nlohmann::json;

std::string Line(const std::string& label, const std::string& value) {
  std::string l = label;
  if (l.size() < 14) l.resize(14, ' ');
  return l + value;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  return out;
}

Result<int64_t> ParseUntil(const std::string& option, const std::string& spec, int64_t now_ms) {
  auto t = ParseTimeSpec(spec, now_ms);
  if (!t.ok()) return Status::Error(t.status().code(), option + ": " + t.status().message());
  return *t;
}

Result<crypto::PublicKey> LoadPublicKeyFile(crypto::Suite suite, const std::string& path) {
  auto text = ReadFile(path, 64 * 1024);
  if (!text.ok()) return text.status();
  if (auto pub = crypto::PublicKeyFromPem(suite, *text); pub.ok()) return pub;
  auto key = crypto::PrivateKey::FromPem(suite, *text);
  if (!key.ok()) {
    return Status::Error("bad_public_key",
                         path + " holds no " + crypto::SuiteName(suite) + " public or private key");
  }
  return key->public_key();
}

Result<Submitter> PrepareSubmit(const Context& ctx, const std::string& key_file,
                                bool need_department) {
  NodeClient client(NodeUrl(ctx));
  auto chain = client.ChainStatus();
  if (!chain.ok()) return chain.status();
  auto key = LoadClientKey(chain->suite, key_file);
  if (!key.ok()) {
    return Status::Error(key.status().code(), key.status().message() + " (chain " +
                                                  chain->chain_id + " uses the " +
                                                  crypto::SuiteName(chain->suite) + " suite)");
  }
  auto registry = client.Get("/v1/registry");
  if (!registry.ok()) return registry.status();
  const std::string fingerprint = crypto::Fingerprint(chain->suite, key->public_key());
  std::optional<std::string> department;
  for (const json& d : registry->at("departments")) {
    if (d.at("key_fingerprint").get<std::string>() == fingerprint) {
      department = d.at("id").get<std::string>();
    }
  }
  if (!department && need_department) {
    return Status::Error("unregistered_key", "this key is not a registered department of chain " +
                                                 chain->chain_id + " (key " + key_file +
                                                 ", fingerprint " + fingerprint + ")");
  }
  // The submitter's reads (e.g. the block that records a proposal) are signed with its key.
  if (auto copy = crypto::PrivateKey::FromPem(chain->suite, key->ToPem()); copy.ok()) {
    client.SignWith(std::make_shared<const crypto::PrivateKey>(std::move(*copy)), chain->chain_id);
  }
  return Submitter{std::move(client), std::move(*chain), std::move(*key), std::move(department)};
}

int SubmitSignedAndReport(const Output& out, const Submitter& s, const ledger::Tx& tx, bool no_wait,
                          const std::vector<std::string>& lines, json j) {
  auto sent = s.client.Submit(tx, !no_wait);
  if (!sent.ok()) return out.Fail(sent.status());
  for (const std::string& l : lines) out.Say(l);
  out.Say(Line("tx hash", sent->tx_hash));
  if (sent->committed) {
    out.Say(Line("block height", std::to_string(sent->height)));
  } else {
    out.Say(Line("status", "pending (accepted by the node, not yet in a block)"));
  }
  j["tx_hash"] = sent->tx_hash;
  j["status"] = sent->committed ? "committed" : "pending";
  j["height"] = sent->committed ? json(sent->height) : json(nullptr);
  if (!sent->committed && !no_wait) {
    return out.Fail(Status::Error("not_committed", "tx " + sent->tx_hash +
                                                       " was accepted but not committed within "
                                                       "the wait; it may still commit"));
  }
  return out.Finish(j);
}

int SubmitAndReport(const Output& out, const Submitter& s, ledger::TxPayload payload, bool no_wait,
                    const std::vector<std::string>& lines, json j) {
  ledger::Tx tx = ledger::SignTx(s.key, NewTxBody(s.chain, std::move(payload)));
  return SubmitSignedAndReport(out, s, tx, no_wait, lines, std::move(j));
}

}  // namespace govledger::cli

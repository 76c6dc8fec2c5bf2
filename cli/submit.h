// Signing and submitting the rule contracts' transactions from the client, shared by the
// lifecycle (`material publish|amend|...`), e-contract and governance commands. A signer may be a
// department (looked up in the registry in force, so departments added by governance work), a
// holder or a contract party (any key: the chain decides whether it may act).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/client.h"
#include "crypto/sign.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::cli {

struct Submitter {
  NodeClient client;
  ChainInfo chain;
  crypto::PrivateKey key;
  std::optional<std::string> department;  // the key's department in the registry in force
};

// Loads KEY.pem for the chain's suite and finds its department. With `need_department`, a key
// of no department is "unregistered_key".
Result<Submitter> PrepareSubmit(const Context& ctx, const std::string& key_file,
                                bool need_department);

// Signs and submits `payload` (waiting for the commit unless `no_wait`), prints the tx hash and
// height, and returns the exit status; `j` gets tx_hash, status, height added and is printed in
// --json mode. `lines` are printed first in human mode.
int SubmitAndReport(const Output& out, const Submitter& s, ledger::TxPayload payload, bool no_wait,
                    const std::vector<std::string>& lines, nlohmann::json j);
// Same, for a transaction already signed (when its hash names what it creates).
int SubmitSignedAndReport(const Output& out, const Submitter& s, const ledger::Tx& tx, bool no_wait,
                          const std::vector<std::string>& lines, nlohmann::json j);

// A public key from a PEM file holding a PUBLIC KEY, or a private key (its public half).
Result<crypto::PublicKey> LoadPublicKeyFile(crypto::Suite suite, const std::string& path);

// "--until" style time arguments (see doc/cli.md, Times): a bare date means the end of that day.
Result<int64_t> ParseUntil(const std::string& option, const std::string& spec, int64_t now_ms);

// "a,b,c" -> {"a","b","c"} (empty items dropped).
std::vector<std::string> SplitList(const std::string& s);

// The line "label         value" with the label padded to 14 columns, as the other commands
// print.
std::string Line(const std::string& label, const std::string& value);

}  // namespace govledger::cli

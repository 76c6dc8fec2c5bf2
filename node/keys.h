// Loading a validator's private keys (consensus and TLS) with the node's key policy: the files
// must be mode 0600 unless node.toml says `allow_readable_keys = true`, and encrypted files are
// opened with the passphrase from `[keys] passphrase_file` or the GOVLEDGER_KEY_PASSPHRASE
// environment variable (never from the command line, where `ps` would show it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/sign.h"
#include "ledger/types.h"
#include "node/config.h"
#include "util/status.h"

namespace govledger::node {

inline constexpr char kPassphraseEnv[] = "GOVLEDGER_KEY_PASSPHRASE";

// The options for the node's key files (passphrase resolved). "bad_config" when the passphrase
// file cannot be read, is empty or is accessible by group or others.
Result<crypto::KeyFileOptions> NodeKeyOptions(const NodeConfig& config);

// Loads HOME/<file>; errors start with `what` ("validator key", "TLS key") and say how to fix.
Result<crypto::PrivateKey> LoadNodeKey(const NodeConfig& config, crypto::Suite suite,
                                       const std::string& file, const std::string& what);

// A key of the node and, during a governance rotation, the key that succeeds it.
struct KeyPair {
  crypto::PrivateKey current;
  std::optional<crypto::PrivateKey> next;
};

// HOME/`file` and, if `next_file` is set, HOME/`next_file` (a next key equal to the current one
// is refused: it would rotate nothing). Errors start with `what` ("validator key", "TLS key").
Result<KeyPair> LoadKeyPair(const NodeConfig& config, crypto::Suite suite, const std::string& file,
                            const std::string& next_file, const std::string& what);

// A validator's consensus keys: the one it signs with now, and the one a governance rotation
// gives it ([keys] next_validator_key_file), used from the first height whose set lists it.
struct ValidatorKeys : KeyPair {
  // The key `set` lists (the next key first), or null if it lists neither.
  const crypto::PrivateKey* ListedIn(const std::vector<ledger::Validator>& set) const;
  // Whether `key` is one of these.
  bool Holds(const crypto::PublicKey& key) const {
    return key == current.public_key() || (next && key == next->public_key());
  }
};

// node.toml's validator_key and [keys] next_validator_key_file.
Result<ValidatorKeys> LoadValidatorKeys(const NodeConfig& config, crypto::Suite suite);

// Reads a passphrase file: the first line, without its line ending. "bad_passphrase_file".
Result<std::string> ReadPassphraseFile(const std::string& path, bool allow_readable);

}  // namespace govledger::node

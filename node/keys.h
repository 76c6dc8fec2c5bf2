// Loading a validator's private keys (consensus and TLS) with the node's key policy: the files
// must be mode 0600 unless node.toml says `allow_readable_keys = true`, and encrypted files are
// opened with the passphrase from `[keys] passphrase_file` or the GOVLEDGER_KEY_PASSPHRASE
// environment variable (never from the command line, where `ps` would show it).
#pragma once

#include <string>

#include "crypto/sign.h"
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

// Reads a passphrase file: the first line, without its line ending. "bad_passphrase_file".
Result<std::string> ReadPassphraseFile(const std::string& path, bool allow_readable);

}  // namespace govledger::node

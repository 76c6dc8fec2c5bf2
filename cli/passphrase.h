// Passphrases of encrypted key files for the `govledger` client: from a file (--passphrase-file),
// the GOVLEDGER_KEY_PASSPHRASE environment variable, or a prompt on the terminal (echo off).
// Never from a command-line argument, where `ps` and shell history would show it.
#pragma once

#include <string>

#include "crypto/sign.h"
#include "util/status.h"

namespace govledger::cli {

// Reads the passphrase from the controlling terminal with echo off; with `confirm`, asks twice
// and insists they match. "no_terminal" when there is none.
Result<std::string> PromptPassphrase(const std::string& prompt, bool confirm);

// Loads a private key file for signing: refuses group/other-readable files unless
// GOVLEDGER_ALLOW_READABLE_KEYS=1, and opens an encrypted one with GOVLEDGER_KEY_PASSPHRASE or,
// failing that, a prompt.
Result<crypto::PrivateKey> LoadClientKey(crypto::Suite suite, const std::string& path);

}  // namespace govledger::cli

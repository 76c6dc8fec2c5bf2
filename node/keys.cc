#include "node/keys.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "util/file.h"

namespace govledger::node {

Result<std::string> ReadPassphraseFile(const std::string& path, bool allow_readable) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::Error("bad_passphrase_file", "cannot read passphrase file " + path);
  }
  if ((st.st_mode & 077) != 0 && !allow_readable) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Error("bad_passphrase_file", "passphrase file " + path + " has mode " + mode +
                                                    " (group or others can access it); run "
                                                    "`chmod 600 " + path + "`");
  }
  auto text = ReadFile(path, 4096);
  if (!text.ok()) {
    return Status::Error("bad_passphrase_file", "passphrase file: " + text.status().message());
  }
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return Status::Error("bad_passphrase_file", "passphrase file " + path + " is empty");
  }
  return line;
}

Result<crypto::KeyFileOptions> NodeKeyOptions(const NodeConfig& config) {
  crypto::KeyFileOptions opts;
  opts.allow_readable = config.allow_readable_keys;
  if (!config.key_passphrase_file.empty()) {
    auto pass = ReadPassphraseFile(config.Path(config.key_passphrase_file),
                                   config.allow_readable_keys);
    if (!pass.ok()) return Status::Error("bad_config", pass.status().message());
    opts.passphrase = std::move(*pass);
  } else if (const char* env = std::getenv(kPassphraseEnv); env != nullptr && *env != '\0') {
    opts.passphrase = std::string(env);
  }
  return opts;
}

Result<crypto::PrivateKey> LoadNodeKey(const NodeConfig& config, crypto::Suite suite,
                                       const std::string& file, const std::string& what) {
  auto opts = NodeKeyOptions(config);
  if (!opts.ok()) return Status::Error(opts.status().code(), what + ": " + opts.status().message());
  auto key = crypto::PrivateKey::LoadPemFile(suite, config.Path(file), *opts);
  if (key.ok()) return key;
  std::string msg = what + ": " + key.status().message();
  if (key.status().code() == "key_encrypted") {
    msg += "; name a passphrase file in node.toml ([keys] passphrase_file = \"...\", mode 0600) "
           "or set " + std::string(kPassphraseEnv);
  } else if (key.status().code() == "bad_passphrase") {
    msg += std::string("; the passphrase comes from ") +
           (config.key_passphrase_file.empty() ? std::string(kPassphraseEnv)
                                               : config.Path(config.key_passphrase_file));
  }
  return Status::Error(key.status().code(), msg);
}

const crypto::PrivateKey* ValidatorKeys::ListedIn(const std::vector<ledger::Validator>& set) const {
  for (const crypto::PrivateKey* k : {next ? &*next : nullptr, &current}) {
    if (k == nullptr) continue;
    for (const ledger::Validator& v : set) {
      if (v.key == k->public_key()) return k;
    }
  }
  return nullptr;
}

Result<KeyPair> LoadKeyPair(const NodeConfig& config, crypto::Suite suite, const std::string& file,
                            const std::string& next_file, const std::string& what) {
  auto current = LoadNodeKey(config, suite, file, what);
  if (!current.ok()) return current.status();
  KeyPair keys{std::move(*current), std::nullopt};
  if (next_file.empty()) return keys;
  auto next = LoadNodeKey(config, suite, next_file, "next " + what);
  if (!next.ok()) return next.status();
  if (next->public_key() == keys.current.public_key()) {
    return Status::Error("bad_config", "next " + what + ": " + config.Path(next_file) +
                                           " holds the current " + what +
                                           "; a rotation needs a new one (govledger keygen)");
  }
  keys.next = std::move(*next);
  return keys;
}

Result<ValidatorKeys> LoadValidatorKeys(const NodeConfig& config, crypto::Suite suite) {
  auto keys = LoadKeyPair(config, suite, config.validator_key_file,
                          config.next_validator_key_file, "validator key");
  if (!keys.ok()) return keys.status();
  return ValidatorKeys{std::move(*keys)};
}

}  // namespace govledger::node

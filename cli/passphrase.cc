#include "cli/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "node/keys.h"
#include "util/file.h"

namespace govledger::cli {

namespace {

Result<std::string> ReadLineNoEcho(int fd, const std::string& prompt) {
  if (::write(fd, prompt.data(), prompt.size()) < 0) {
    return Status::Error("no_terminal", "cannot write the passphrase prompt");
  }
  termios old {};
  const bool is_tty = ::tcgetattr(fd, &old) == 0;
  if (is_tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &old);
  (void)!::write(fd, "\n", 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> PromptPassphrase(const std::string& prompt, bool confirm) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Status::Error("no_terminal",
                         "no terminal to ask for the passphrase; use --passphrase-file or set " +
                             std::string(node::kPassphraseEnv));
  }
  auto first = ReadLineNoEcho(fd, prompt);
  Result<std::string> result = first;
  if (first.ok() && first->empty()) {
    result = Status::Error("empty_passphrase", "the passphrase is empty");
  } else if (first.ok() && confirm) {
    auto again = ReadLineNoEcho(fd, "Repeat the passphrase: ");
    if (!again.ok()) {
      result = again.status();
    } else if (*again != *first) {
      result = Status::Error("passphrase_mismatch", "the two passphrases differ");
    }
  }
  ::close(fd);
  return result;
}

Result<crypto::PrivateKey> LoadClientKey(crypto::Suite suite, const std::string& path) {
  crypto::KeyFileOptions opts;
  const char* allow = std::getenv("GOVLEDGER_ALLOW_READABLE_KEYS");
  opts.allow_readable = allow != nullptr && std::strcmp(allow, "1") == 0;
  if (const char* env = std::getenv(node::kPassphraseEnv); env != nullptr && *env != '\0') {
    opts.passphrase = std::string(env);
  }
  auto key = crypto::PrivateKey::LoadPemFile(suite, path, opts);
  if (key.ok() || key.status().code() != "key_encrypted") return key;
  auto pass = PromptPassphrase("Passphrase for " + path + ": ", /*confirm=*/false);
  if (!pass.ok()) {
    return Status::Error("key_encrypted", key.status().message() + "; " + pass.status().message());
  }
  opts.passphrase = std::move(*pass);
  return crypto::PrivateKey::LoadPemFile(suite, path, opts);
}

}  // namespace govledger::cli

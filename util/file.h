// Durable file helpers: whole-file reads, and writes that are atomic (temp file + rename) and
// fsync'd (file and directory) so a crash leaves either the old or the new content.
#pragma once

#include <string>

#include "util/bytes.h"
#include "util/status.h"

namespace govledger {

// Reads at most max_size bytes; a larger file is an error rather than a silent truncation.
Result<std::string> ReadFile(const std::string& path, size_t max_size = 256u << 20);
// mode is applied to the new file before any byte is written (0600 for private keys).
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// Creates the directory and its parents (mode 0755, or 0700 when private).
Status EnsureDir(const std::string& path, bool private_dir = false);
bool PathExists(const std::string& path);

}  // namespace govledger

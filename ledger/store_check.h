// Checks of a block store's integrity when a node starts, so that a damaged data directory is
// refused with a clear message rather than served: LevelDB table files against the manifest,
// every checksum (optional, it reads the whole store), and the newest blocks' hash chain and
// commit certificates against the stored tip.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "ledger/genesis.h"
#include "ledger/store.h"
#include "util/status.h"

namespace govledger::ledger {

struct StartupCheckOptions {
  // Read every entry with checksum verification (Store::VerifyAllChecksums). Costs one
  // sequential read of the store.
  bool full_scan = true;
  // How many of the newest blocks get their hash links and certificates checked.
  uint64_t tip_blocks = 16;
};

// Store::Open, then CheckStoreOnStart. When Open itself reports "corrupt_store", the message
// is extended with DiagnoseStoreDir's finding (the damaged file). Does not repair anything.
Result<std::unique_ptr<Store>> OpenCheckedStore(const std::string& dir, const Genesis& genesis,
                                                const StartupCheckOptions& opts);

// "corrupt_store" with the file or height and what failed. Does not repair anything.
Status CheckStoreOnStart(const Store& store, const Genesis& genesis,
                         const StartupCheckOptions& opts);

// For a directory Store::Open refused as corrupt: opens it with LevelDB alone and checks each
// table file (size, then every block's checksum), to name the damaged file. OK when it finds
// nothing more precise than the original error.
Status DiagnoseStoreDir(const std::string& dir);

// The newest `count` blocks: each decodes, is at its height, links to the block before it (the
// genesis for block 1), is in the block-hash index, and carries a certificate that verifies
// against the validators of its height; the last one hashes to the stored tip.
Status CheckTip(const Store& store, const Genesis& genesis, uint64_t count);

}  // namespace govledger::ledger

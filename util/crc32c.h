// CRC-32C (Castagnoli, the checksum of iSCSI, ext4 metadata and LevelDB): the consensus WAL's
// record checksum. On x86-64 processors with SSE 4.2 (every one since 2008) it runs on the CPU's
// crc32 instruction, eight bytes at a time; elsewhere on a table, a byte at a time. Both give the
// same value for the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace govledger {

uint32_t Crc32c(const uint8_t* data, size_t size);

// The table version, whatever the CPU has (for tests and for checking the fast one).
uint32_t Crc32cPortable(const uint8_t* data, size_t size);

}  // namespace govledger

// Byte strings and their text forms (hex, base64), plus big-endian integer packing used in storage
// keys and signed byte layouts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace govledger {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(std::string_view s);
std::string ToString(const Bytes& b);

std::string HexEncode(const uint8_t* data, size_t size);
inline std::string HexEncode(const Bytes& b) { return HexEncode(b.data(), b.size()); }
// Accepts upper or lower case; rejects odd length and non-hex characters.
Result<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(const Bytes& b);
// Standard alphabet with padding; whitespace is not accepted.
Result<Bytes> Base64Decode(std::string_view text);

void AppendU32BE(Bytes& out, uint32_t v);
void AppendU64BE(Bytes& out, uint64_t v);
void AppendU64BE(std::string& out, uint64_t v);
// Appends a 4-byte big-endian length, then the bytes.
void AppendLengthPrefixed(Bytes& out, std::string_view s);
void AppendLengthPrefixed(Bytes& out, const Bytes& b);
uint64_t ReadU64BE(const uint8_t* p);
uint32_t ReadU32BE(const uint8_t* p);

// Constant-time equality for secrets and MACs.
bool ConstantTimeEqual(const Bytes& a, const Bytes& b);

}  // namespace govledger

#include "contracts/material_id.h"

#include <cstdint>
#include <string>
#include <vector>

#include "contracts/reasons.h"

namespace govledger::contracts {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr int kModulus = 36;  // M: the size of the character set
constexpr size_t kMaxTypeCode = 24;
constexpr size_t kMinTypeCode = 3;
constexpr size_t kIssuerCodeSize = 18;
constexpr size_t kMaxSerial = 32;
constexpr size_t kVersionSize = 3;
// Longest well-formed identifier; anything longer is rejected before it is split.
constexpr size_t kMaxIdSize = kMaterialIdPrefix.size() + kMaxTypeCode + 1 + kIssuerCodeSize + 1 +
                              kMaxSerial + 1 + kVersionSize + 1 + 1;
constexpr size_t kMaxEcho = 96;

// Value of a character of the MOD 37,36 set, or -1. Upper case only: identifiers are written
// in capitals and a lower-case letter is an input error, not an alias.
int CharValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

bool IsUpperAlnum(std::string_view s) {
  for (char c : s) {
    if (CharValue(c) < 0) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Untrusted text as it may appear in a message: printable ASCII kept, everything else escaped
// (messages end up in JSON and terminals), long input cut short.
std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  size_t n = 0;
  for (char ch : s) {
    if (n == kMaxEcho) {
      out += "...";
      break;
    }
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
    ++n;
  }
  out += "'";
  return out;
}

Status Bad(std::string message) {
  return Status::Error(reason::kBadMaterialId, std::move(message));
}

Status CheckParts(const MaterialIdParts& p) {
  if (p.type_code.size() < kMinTypeCode || p.type_code.size() > kMaxTypeCode ||
      !IsUpperAlnum(p.type_code)) {
    return Bad("type code " + Quote(p.type_code) + " must be 3 to 24 characters [0-9A-Z]");
  }
  if (p.issuer_code.size() != kIssuerCodeSize || !IsUpperAlnum(p.issuer_code)) {
    return Bad("issuer code " + Quote(p.issuer_code) +
               " must be an 18-character unified social credit code [0-9A-Z]");
  }
  if (p.serial.empty() || p.serial.size() > kMaxSerial || !IsUpperAlnum(p.serial)) {
    return Bad("serial " + Quote(p.serial) + " must be 1 to 32 characters [0-9A-Z]");
  }
  if (p.version.size() != kVersionSize || !IsDigits(p.version)) {
    return Bad("version " + Quote(p.version) + " must be 3 digits, e.g. '001'");
  }
  return Status::Ok();
}

// The characters the check character protects: every alphanumeric character before it.
std::string CheckedChars(const MaterialIdParts& p) {
  std::string chars;
  for (char c : kMaterialIdPrefix) {
    if (c != '.') chars += c;
  }
  chars += p.type_code;
  chars += p.issuer_code;
  chars += p.serial;
  chars += p.version;
  return chars;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

// ISO/IEC 7064 hybrid system MOD 37,36 (M = 36): starting from P = M, each character value a
// gives S = (P + a) mod M (0 read as M) and then P = 2S mod (M + 1). A string with its check
// character is valid when the last S is 1, so the check character is the c with
// (P + c) mod M == 1 for the P left by the data characters.
Result<char> Mod3736CheckChar(std::string_view chars) {
  if (chars.empty()) return Bad("no characters to compute a check character over");
  int p = kModulus;
  for (char ch : chars) {
    int v = CharValue(ch);
    if (v < 0) {
      return Bad("character " + Quote(std::string_view(&ch, 1)) +
                 " is outside the check character set [0-9A-Z]");
    }
    int s = (p + v) % kModulus;
    if (s == 0) s = kModulus;
    p = (2 * s) % (kModulus + 1);
  }
  // p is in [1, 36] here (37 is prime and s is never 0), so c lands in [0, 35].
  return kAlphabet[(kModulus + 1 - p) % kModulus];
}

Result<std::string> MakeMaterialId(const MaterialIdParts& parts) {
  GOVLEDGER_RETURN_IF_ERROR(CheckParts(parts));
  Result<char> check = Mod3736CheckChar(CheckedChars(parts));
  if (!check.ok()) return check.status();
  std::string id(kMaterialIdPrefix);
  id += parts.type_code;
  id += '.';
  id += parts.issuer_code;
  id += '.';
  id += parts.serial;
  id += '.';
  id += parts.version;
  id += '.';
  id += *check;
  return id;
}

Result<MaterialIdParts> ParseMaterialId(std::string_view id) {
  if (id.size() > kMaxIdSize) {
    return Bad("material id of " + std::to_string(id.size()) + " bytes is longer than the " +
               std::to_string(kMaxIdSize) + " a well-formed identifier can have");
  }
  if (id.substr(0, kMaterialIdPrefix.size()) != kMaterialIdPrefix) {
    return Bad("material id " + Quote(id) + " does not start with '" +
               std::string(kMaterialIdPrefix) + "'");
  }
  std::vector<std::string_view> segs = Split(id.substr(kMaterialIdPrefix.size()), '.');
  if (segs.size() != 5) {
    return Bad("material id " + Quote(id) +
               " must have 5 segments after the prefix (type.issuer.serial.version.check), has " +
               std::to_string(segs.size()));
  }
  MaterialIdParts parts{std::string(segs[0]), std::string(segs[1]), std::string(segs[2]),
                        std::string(segs[3])};
  GOVLEDGER_RETURN_IF_ERROR(CheckParts(parts));
  std::string_view given = segs[4];
  if (given.size() != 1 || CharValue(given[0]) < 0) {
    return Bad("check character " + Quote(given) + " of material id " + Quote(id) +
               " must be one character [0-9A-Z]");
  }
  Result<char> want = Mod3736CheckChar(CheckedChars(parts));
  if (!want.ok()) return want.status();
  if (*want != given[0]) {
    return Bad("material id " + Quote(id) + " has check character '" + std::string(given) +
               "', expected '" + std::string(1, *want) + "' (ISO 7064 MOD 37,36)");
  }
  return parts;
}

}  // namespace govledger::contracts

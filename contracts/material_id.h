// Material identifiers in the shape of GB/T 36904 (electronic license identifier):
//   1.2.156.3005.2.<type code>.<issuer's 18-char unified social credit
//   code>.<serial>.<version>.<check>
// The check character is ISO 7064 MOD 37,36 computed over the alphanumeric characters of every
// segment before it (dots skipped, letters upper case).
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace govledger::contracts {

inline constexpr std::string_view kMaterialIdPrefix = "1.2.156.3005.2.";

struct MaterialIdParts {
  std::string type_code;
  std::string issuer_code;
  std::string serial;
  std::string version;  // 3 digits, e.g. "001"
};

// ISO 7064 MOD 37,36 check character over [0-9A-Z] (other characters are rejected).
Result<char> Mod3736CheckChar(std::string_view chars);
// Builds a full identifier with its check character; validates every part.
Result<std::string> MakeMaterialId(const MaterialIdParts& parts);
// Parses and validates a full identifier, check character included. Reason code "bad_material_id".
Result<MaterialIdParts> ParseMaterialId(std::string_view id);

}  // namespace govledger::contracts

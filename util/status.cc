#include "util/status.h"

namespace govledger {

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (message_.empty()) return code_;
  return code_ + ": " + message_;
}

}  // namespace govledger

#include "contracts/common.h"

#include <algorithm>
#include <utility>

#include "contracts/reasons.h"
#include "ledger/canonical.h"

namespace govledger::contracts {

namespace {

constexpr size_t kMaxEcho = 96;

// Length of the well-formed UTF-8 sequence at s[i] (1 to 4 bytes), or 0 if there is none.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (n == 3 && cp < 0x800) return 0;                       // overlong
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;  // overlong or beyond Unicode
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;               // surrogate
  return n;
}

bool IsAsciiControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

// ------------------------------------------------------------------ Writer

void Writer::PutMaterial(const ledger::Material& m) {
  if (!overlay_.materials().count(m.material_id)) material_order_.push_back(m.material_id);
  overlay_.PutMaterial(m);
}

void Writer::Put(ledger::RecordWrite w) {
  overlay_.PutRecord(w);
  records_.push_back(std::move(w));
}

void Writer::AppendMaterialEvent(ledger::Material& m, ledger::Event e) {
  uint64_t updated = e.height;
  AppendEvent(m.material_id, m.event_count, m.last_event, std::move(e));
  m.updated_height = updated;
  PutMaterial(m);
}

void Writer::AppendEvent(std::string_view subject, uint32_t& count, Bytes& last, ledger::Event e) {
  e.material_id = std::string(subject);
  e.seq = count;
  e.prev_event = last;
  last = crypto::DigestBytes(ledger::EventHash(suite_, e));
  count += 1;
  events_.push_back(std::move(e));
}

Effects Writer::Take() {
  Effects out;
  for (const std::string& id : material_order_)
    out.materials.push_back(overlay_.materials().at(id));
  out.events = std::move(events_);
  if (!records_.empty()) {
    GOVLEDGER_CHECK(!out.events.empty());
    auto& attached = out.events.back().records;
    attached.insert(attached.end(), records_.begin(), records_.end());
  }
  material_order_.clear();
  events_.clear();
  records_.clear();
  return out;
}

// ------------------------------------------------------------------ rejections and checks

Status Reject(const char* code, std::string message) {
  return Status::Error(code, std::move(message));
}

bool IsCleanText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || (n == 1 && IsAsciiControl(static_cast<unsigned char>(s[i])))) return false;
    i += n;
  }
  return true;
}

std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size();) {
    if (i >= kMaxEcho) {
      out += "...";
      break;
    }
    size_t n = Utf8SequenceLength(s, i);
    auto c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (n == 1 && (IsAsciiControl(c) || c == '\\' || c == '\''))) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
      i += 1;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += "'";
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

Status CheckReason(std::string_view what, const std::string& text, bool required) {
  if (text.empty()) {
    if (!required) return Status::Ok();
    return Reject(reason::kBadReason, "a " + std::string(what) + " needs a reason");
  }
  if (text.size() > kMaxReasonBytes) {
    return Reject(reason::kBadReason, std::string(what) + " reason is " +
                                          std::to_string(text.size()) + " bytes, at most " +
                                          std::to_string(kMaxReasonBytes));
  }
  if (!IsCleanText(text)) {
    return Reject(reason::kBadReason,
                  std::string(what) + " reason is not UTF-8 text without control characters");
  }
  return Status::Ok();
}

Status CheckDigestSize(std::string_view name, const Bytes& b) {
  if (b.size() == crypto::kDigestSize) return Status::Ok();
  return Reject(reason::kBadDigest, std::string(name) + " is " + std::to_string(b.size()) +
                                        " bytes, must be " + std::to_string(crypto::kDigestSize));
}

Result<const ledger::Department*> RequireDepartment(const Call& c) {
  if (c.dept) return &*c.dept;
  return Reject(reason::kUnknownSigner, "signing key " +
                                            crypto::Fingerprint(c.registry.suite(), c.tx.signer) +
                                            " does not belong to any department in the registry");
}

std::string KeyActor(std::string_view role, crypto::Suite suite, const crypto::PublicKey& key) {
  return std::string(role) + ":" + crypto::Fingerprint(suite, key);
}

}  // namespace govledger::contracts

// What every rule contract shares: the block context, the Effects a contract returns, the Writer
// that stages a transaction's writes (so that a cascade reads what the same transaction already
// changed), the Call a payload handler receives, and the text and digest checks whose rejection
// messages users read. Internal to contracts/ except BlockContext and Effects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/registry.h"
#include "ledger/state.h"
#include "ledger/types.h"
#include "util/status.h"

namespace govledger::contracts {

struct BlockContext {
  uint64_t height = 0;
  int64_t time_ms = 0;
};

// What a contract writes. The record writes of a transaction travel attached to its last event
// (ledger::Event::records), so that the node's block builder, which applies materials and
// events, carries them to the store's batch unchanged.
struct Effects {
  std::vector<ledger::Material> materials;  // states to write (latest wins)
  std::vector<ledger::Event> events;        // in order
};

// Stages writes on top of the state a contract reads, and turns them into Effects. Not
// thread-safe; one per transaction (or per expiry pass).
class Writer {
 public:
  Writer(crypto::Suite suite, const ledger::StateReader& base) : suite_(suite), overlay_(base) {}

  // The base state with this writer's writes applied.
  const ledger::StateReader& state() const { return overlay_; }
  crypto::Suite suite() const { return suite_; }

  void PutMaterial(const ledger::Material& m);
  void Put(ledger::RecordWrite w);
  // Appends `e` to a material's event chain (seq, prev_event, the material's head) and writes
  // the material. The caller fills kind, height, time, actor, tx hash, reason and details.
  void AppendMaterialEvent(ledger::Material& m, ledger::Event e);
  // The same for an e-contract or proposal chain whose head is (count, last).
  void AppendEvent(std::string_view subject, uint32_t& count, Bytes& last, ledger::Event e);

  bool empty() const { return events_.empty(); }
  // Materials in first-write order (latest state each), events in order, record writes attached
  // to the last event. Every record write must come with at least one event.
  Effects Take();

 private:
  crypto::Suite suite_;
  ledger::Overlay overlay_;
  std::vector<std::string> material_order_;
  std::vector<ledger::Event> events_;
  std::vector<ledger::RecordWrite> records_;
};

// Everything a payload handler needs: the effective registry, the state, the transaction, the
// block, and the signer's department when the signer is a registered one.
struct Call {
  const RegistryView& registry;
  const ledger::StateReader& state;
  const ledger::Tx& tx;
  const BlockContext& ctx;
  const std::optional<ledger::Department>& dept;
  Bytes tx_hash() const { return crypto::DigestBytes(tx.hash); }
};

// ------------------------------------------------------------------ rejections and checks

Status Reject(const char* code, std::string message);
// Untrusted text as it may appear in a rejection message: quoted, well-formed UTF-8 kept,
// anything else escaped, long input cut short.
std::string Quote(std::string_view s);
std::string JoinNames(const std::vector<std::string>& names);
// Well-formed UTF-8 without control characters (what events and JSON carry).
bool IsCleanText(std::string_view s);
// A reason of 1..256 bytes of clean text; `what` names it in the message ("revocation").
Status CheckReason(std::string_view what, const std::string& reason, bool required = true);
Status CheckDigestSize(std::string_view name, const Bytes& b);
// The signer's department, or "unknown_department".
Result<const ledger::Department*> RequireDepartment(const Call& c);
// "holder:<fingerprint>" / "party:<fingerprint>": actors that are keys, not departments (':'
// never appears in a department id).
std::string KeyActor(std::string_view role, crypto::Suite suite, const crypto::PublicKey& key);

inline constexpr size_t kMaxReasonBytes = 256;
inline constexpr std::string_view kProviderRole = "provider";
inline constexpr std::string_view kConsumerRole = "consumer";
inline constexpr std::string_view kAuthorizerRole = "authorizer";

}  // namespace govledger::contracts

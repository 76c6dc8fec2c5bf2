// The hashed and signed byte layouts are a cross-implementation contract (the web verifier and
// audit tools rebuild them), so these tests pin them byte for byte.
#include "ledger/canonical.h"

#include <catch2/catch.hpp>

namespace govledger::ledger {
namespace {

std::string TagHex(std::string_view tag) { return HexEncode(ToBytes(tag)); }

Bytes Concat(std::initializer_list<Digest> digests) {
  Bytes out;
  for (const Digest& d : digests) out.insert(out.end(), d.begin(), d.end());
  return out;
}

TEST_CASE("precommit sign bytes follow the documented layout exactly", "[ledger]") {
  Bytes got = PrecommitSignBytes("c", 1, 2, Bytes{0xab});
  std::string want = TagHex("govledger/precommit/v1") +
                     "00000001"
                     "63"                // lp("c")
                     "0000000000000001"  // height
                     "00000002"          // round
                     "00000001"
                     "ab";  // lp(block hash)
  CHECK(HexEncode(got) == want);
}

TEST_CASE("event bytes follow the documented layout with kind codes and two's complement time",
          "[ledger]") {
  Event e;
  e.material_id = "m1";
  e.seq = 2;
  e.kind = EventKind::kRevoke;
  e.height = 7;
  e.time_ms = -1;
  e.actor = "d";
  e.tx_hash = {0x01, 0x02};
  e.reason = "";
  e.prev_event = {0xff};
  std::string want = TagHex("govledger/event/v1") +
                     "00000002"
                     "6d31"              // lp("m1")
                     "00000002"          // seq
                     "02"                // REVOKE
                     "0000000000000007"  // height
                     "ffffffffffffffff"  // time_ms = -1
                     "00000001"
                     "64"  // lp("d")
                     "00000002"
                     "0102"      // lp(tx_hash)
                     "00000000"  // lp("")
                     "00000001"
                     "ff";  // lp(prev_event)
  CHECK(HexEncode(EventBytes(e)) == want);

  e.kind = EventKind::kIssue;
  CHECK(EventBytes(e)[TagHex("govledger/event/v1").size() / 2 + 4 + 2 + 4] == 1);
  e.kind = EventKind::kExpire;
  CHECK(EventBytes(e)[TagHex("govledger/event/v1").size() / 2 + 4 + 2 + 4] == 3);
}

TEST_CASE("event hash is the suite hash of the event bytes", "[ledger]") {
  Event e;
  e.material_id = "x";
  for (auto suite : {crypto::Suite::kP256, crypto::Suite::kSm}) {
    CHECK(EventHash(suite, e) == crypto::Hash(suite, EventBytes(e)));
  }
  CHECK(EventHash(crypto::Suite::kP256, e) != EventHash(crypto::Suite::kSm, e));
}

TEST_CASE("events hash concatenates event hashes and is H(empty) for no events", "[ledger]") {
  const auto suite = crypto::Suite::kP256;
  CHECK(EventsHash(suite, {}) == crypto::Hash(suite, std::string_view()));
  CHECK(crypto::DigestHex(EventsHash(suite, {})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Event a, b;
  a.material_id = "a";
  b.material_id = "b";
  b.seq = 1;
  CHECK(EventsHash(suite, {a, b}) ==
        crypto::Hash(suite, Concat({EventHash(suite, a), EventHash(suite, b)})));
  CHECK(EventsHash(suite, {a, b}) != EventsHash(suite, {b, a}));
}

TEST_CASE("validators hash covers count, keys and TLS keys in order", "[ledger]") {
  const auto suite = crypto::Suite::kP256;
  Validator v1, v2;
  v1.key = {0x01};
  v1.tls_key = {0x02, 0x03};
  v1.name = "ignored";
  v2.key = {0x04};
  v2.tls_key = {};
  Bytes want = ToBytes("govledger/validators/v1");
  const Bytes tail = HexDecode(
                         "00000002"      // n
                         "0000000101"    // lp(v1.key)
                         "000000020203"  // lp(v1.tls_key)
                         "0000000104"    // lp(v2.key)
                         "00000000")     // lp(v2.tls_key)
                         .value();
  want.insert(want.end(), tail.begin(), tail.end());
  CHECK(ValidatorsHash(suite, {v1, v2}) == crypto::Hash(suite, want));
  CHECK(ValidatorsHash(suite, {v2, v1}) != ValidatorsHash(suite, {v1, v2}));
  // Names and addresses are not part of the hash: renaming a node does not change the set.
  Validator renamed = v1;
  renamed.name = "other";
  renamed.p2p_address = "10.0.0.1:1";
  CHECK(ValidatorsHash(suite, {renamed, v2}) == ValidatorsHash(suite, {v1, v2}));
}

TEST_CASE("field leaf bytes and holder commitment follow the documented layouts", "[ledger]") {
  CHECK(HexEncode(FieldLeafBytes(Bytes{0xaa, 0xbb}, "n", "v")) ==
        TagHex("govledger/field/v1") + "00000002aabb" + "000000016e" + "0000000176");
  const auto suite = crypto::Suite::kSm;
  Bytes pre = HexDecode("00000003010203").value();
  Bytes id = ToBytes("110101199001011234");
  pre.insert(pre.end(), id.begin(), id.end());
  CHECK(HolderCommitment(suite, Bytes{1, 2, 3}, "110101199001011234") == crypto::Hash(suite, pre));
}

}  // namespace
}  // namespace govledger::ledger

#include "ledger/codec.h"

#include <catch2/catch.hpp>
#include <random>

#include "crypto/sign.h"
#include "proto/govledger.pb.h"

namespace govledger::ledger {
namespace {

const crypto::PrivateKey& Key() {
  static const crypto::PrivateKey key = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  return key;
}

TxBody IssueBody() {
  IssueMaterial issue;
  issue.material_id = "1.2.156.3005.2.LIC001.11440305MB2C12345X.0001.001.K";
  issue.type_code = "LIC001";
  issue.holder_commitment = Bytes(32, 0x11);
  issue.doc_digest = Bytes(32, 0x22);
  issue.fields_root = Bytes(32, 0x33);
  issue.field_names = {"name", "number"};
  issue.valid_from_ms = 1'700'000'000'000;
  issue.valid_until_ms = 1'800'000'000'000;
  issue.parent_id = "parent";
  return TxBody{"test-chain", 42, 100, -5, issue};
}

TEST_CASE("an issue tx round trips through SignTx and DecodeTx", "[ledger]") {
  TxBody body = IssueBody();
  Tx tx = SignTx(Key(), body);
  CHECK(tx.body_bytes == EncodeTxBody(body));
  CHECK(tx.signer == Key().public_key());
  CHECK(tx.hash == crypto::Hash(crypto::Suite::kP256, tx.body_bytes));
  CHECK(crypto::Verify(crypto::Suite::kP256, tx.signer, tx.body_bytes, tx.signature));

  auto decoded = DecodeTx(crypto::Suite::kP256, tx.raw, 64 * 1024);
  REQUIRE(decoded.ok());
  CHECK(decoded->raw == tx.raw);
  CHECK(decoded->hash == tx.hash);
  CHECK(decoded->body.chain_id == "test-chain");
  CHECK(decoded->body.nonce == 42);
  CHECK(decoded->body.valid_until_height == 100);
  CHECK(decoded->body.created_ms == -5);
  CHECK(TxKindName(decoded->body.payload) == "issue");
  const auto& issue = std::get<IssueMaterial>(decoded->body.payload);
  const auto& want = std::get<IssueMaterial>(body.payload);
  CHECK(issue.material_id == want.material_id);
  CHECK(issue.type_code == want.type_code);
  CHECK(issue.holder_commitment == want.holder_commitment);
  CHECK(issue.doc_digest == want.doc_digest);
  CHECK(issue.fields_root == want.fields_root);
  CHECK(issue.field_names == want.field_names);
  CHECK(issue.valid_from_ms == want.valid_from_ms);
  CHECK(issue.valid_until_ms == want.valid_until_ms);
  CHECK(issue.parent_id == want.parent_id);
}

TEST_CASE("a revoke tx round trips and its hash depends on the suite", "[ledger]") {
  TxBody body{"c", 1, 2, 3, RevokeMaterial{"m", "fraud"}};
  Tx tx = SignTx(Key(), body);
  auto decoded = DecodeTx(crypto::Suite::kP256, tx.raw, 1 << 20);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<RevokeMaterial>(decoded->body.payload));
  CHECK(std::get<RevokeMaterial>(decoded->body.payload).material_id == "m");
  CHECK(std::get<RevokeMaterial>(decoded->body.payload).reason == "fraud");
  CHECK(TxKindName(decoded->body.payload) == "revoke");
  auto sm = DecodeTx(crypto::Suite::kSm, tx.raw, 1 << 20);
  REQUIRE(sm.ok());
  CHECK(sm->hash != decoded->hash);
}

TEST_CASE("DecodeTx rejects a tx above the size limit with tx_too_large", "[ledger]") {
  Tx tx = SignTx(Key(), IssueBody());
  auto r = DecodeTx(crypto::Suite::kP256, tx.raw, tx.raw.size() - 1);
  CHECK(r.status().code() == "tx_too_large");
  CHECK(DecodeTx(crypto::Suite::kP256, tx.raw, tx.raw.size()).ok());
}

TEST_CASE("DecodeTx rejects missing payload, signer or signature", "[ledger]") {
  Tx tx = SignTx(Key(), IssueBody());
  pb::TxBody no_payload;
  no_payload.set_chain_id("c");
  std::string body = no_payload.SerializeAsString();
  Bytes body_bytes(body.begin(), body.end());
  CHECK(DecodeTx(crypto::Suite::kP256, EncodeSignedTx(body_bytes, tx.signer, tx.signature), 1000)
            .status()
            .code() == "missing_payload");
  CHECK(DecodeTx(crypto::Suite::kP256, EncodeSignedTx(tx.body_bytes, {}, tx.signature), 1000)
            .status()
            .code() == "malformed_tx");
  CHECK(DecodeTx(crypto::Suite::kP256, EncodeSignedTx(tx.body_bytes, tx.signer, {}), 1000)
            .status()
            .code() == "malformed_tx");
  CHECK(DecodeTx(crypto::Suite::kP256, EncodeSignedTx(Bytes{0xff, 0xff}, tx.signer, tx.signature),
                 1000)
            .status()
            .code() == "malformed_tx");
  CHECK(DecodeTx(crypto::Suite::kP256, Bytes{}, 1000).status().code() == "malformed_tx");
}

TEST_CASE("DecodeTx never crashes and always fails on truncations and random bytes", "[ledger]") {
  Tx tx = SignTx(Key(), IssueBody());
  for (size_t n = 0; n < tx.raw.size(); ++n) {
    Bytes prefix(tx.raw.begin(), tx.raw.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("prefix length " << n);
    CHECK_FALSE(DecodeTx(crypto::Suite::kP256, prefix, 1 << 20).ok());
  }
  std::mt19937_64 rng(20261122);
  size_t decoded_ok = 0;
  for (int i = 0; i < 3000; ++i) {
    Bytes junk(rng() % 400);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    decoded_ok += DecodeTx(crypto::Suite::kP256, junk, 1 << 20).ok() ? 1 : 0;
    // Single-byte corruptions of a valid tx: anything may happen except a crash.
    Bytes flipped = tx.raw;
    flipped[rng() % flipped.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto r = DecodeTx(crypto::Suite::kP256, flipped, 1 << 20);
    if (r.ok()) CHECK(r->raw == flipped);
  }
  CHECK(decoded_ok == 0);
}

TEST_CASE(
    "DecodeTxHash accepts and refuses what DecodeTx does and gives its hash, under both "
    "suites",
    "[ledger]") {
  Tx tx = SignTx(Key(), IssueBody());
  pb::TxBody no_payload;
  no_payload.set_chain_id("c");
  const std::string empty_body = no_payload.SerializeAsString();
  std::vector<Bytes> inputs = {
      tx.raw,
      SignTx(Key(), TxBody{"c", 1, 2, 3, RevokeMaterial{"m", "fraud"}}).raw,
      EncodeSignedTx(Bytes(empty_body.begin(), empty_body.end()), tx.signer, tx.signature),
      EncodeSignedTx(tx.body_bytes, {}, tx.signature),
      EncodeSignedTx(tx.body_bytes, tx.signer, {}),
      EncodeSignedTx(Bytes{0xff, 0xff}, tx.signer, tx.signature),
      Bytes{},
  };
  std::mt19937_64 rng(20261206);
  for (int i = 0; i < 500; ++i) {
    Bytes flipped = tx.raw;
    flipped[rng() % flipped.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    inputs.push_back(flipped);
    inputs.push_back(
        Bytes(tx.raw.begin(), tx.raw.begin() + static_cast<std::ptrdiff_t>(rng() % tx.raw.size())));
  }
  size_t accepted = 0;
  for (const crypto::Suite suite : {crypto::Suite::kP256, crypto::Suite::kSm}) {
    for (const Bytes& raw : inputs) {
      auto full = DecodeTx(suite, raw, 1 << 20);
      auto hash = DecodeTxHash(suite, raw);
      REQUIRE(hash.ok() == full.ok());
      if (full.ok()) {
        CHECK(*hash == full->hash);
        ++accepted;
      } else {
        CHECK(hash.status().code() == full.status().code());
      }
    }
  }
  CHECK(accepted >= 4);  // both valid transactions under both suites, and some flipped ones
}

TEST_CASE("every decoder survives random bytes", "[ledger]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes junk(rng() % 300);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    // Results are irrelevant; a crash or sanitizer report is the failure.
    (void)DecodeHeader(junk);
    (void)DecodeBlock(junk);
    (void)DecodeCommit(junk);
    (void)DecodeMaterial(junk);
    (void)DecodeEvent(junk);
    (void)DecodeEvents(junk);
    (void)DecodeTxLocation(junk);
  }
  SUCCEED();
}

TEST_CASE("header, block and commit round trip through their encodings", "[ledger]") {
  BlockHeader h;
  h.chain_id = "c";
  h.height = 9;
  h.time_ms = 123456;
  h.proposer = {1, 2};
  h.prev_hash = Bytes(32, 3);
  h.last_commit_hash = Bytes(32, 4);
  h.log_size = 77;
  h.log_root = Bytes(32, 5);
  h.state_root = {};
  h.validators_hash = Bytes(32, 6);
  h.next_validators_hash = Bytes(32, 7);
  h.tx_count = 2;
  h.events_hash = Bytes(32, 8);
  Bytes hb = EncodeHeader(h);
  auto h2 = DecodeHeader(hb);
  REQUIRE(h2.ok());
  CHECK(EncodeHeader(*h2) == hb);
  CHECK(h2->log_size == 77);
  CHECK(h2->next_validators_hash == h.next_validators_hash);

  Commit c{8, 1, Bytes(32, 9), {CommitSig{{1}, {2, 3}}, CommitSig{{4}, {5}}}};
  auto c2 = DecodeCommit(EncodeCommit(c));
  REQUIRE(c2.ok());
  CHECK(c2->height == 8);
  CHECK(c2->round == 1);
  REQUIRE(c2->sigs.size() == 2);
  CHECK(c2->sigs[1].validator == Bytes{4});
  CHECK(c2->sigs[0].signature == Bytes{2, 3});

  Block b{hb, h, {Bytes{1, 2, 3}, Bytes{}}, c};
  auto b2 = DecodeBlock(EncodeBlock(b));
  REQUIRE(b2.ok());
  CHECK(b2->header_bytes == hb);
  CHECK(b2->header.height == 9);
  CHECK(b2->txs == b.txs);
  REQUIRE(b2->last_commit.has_value());
  CHECK(EncodeCommit(*b2->last_commit) == EncodeCommit(c));

  Block first{hb, h, {}, std::nullopt};
  auto f2 = DecodeBlock(EncodeBlock(first));
  REQUIRE(f2.ok());
  CHECK_FALSE(f2->last_commit.has_value());
}

TEST_CASE("block decoding rejects garbage and a garbage header", "[ledger]") {
  CHECK(DecodeBlock(Bytes{0xff, 0xff, 0xff}).status().code() == "malformed_block");
  pb::Block bad;
  bad.set_header("\xff\xff");
  std::string s = bad.SerializeAsString();
  CHECK(DecodeBlock(Bytes(s.begin(), s.end())).status().code() == "malformed_block");
  CHECK_FALSE(DecodeCommit(Bytes{0x0a, 0x05}).ok());
  CHECK_FALSE(DecodeHeader(Bytes{0x12}).ok());
}

TEST_CASE("material, events and tx location round trip", "[ledger]") {
  Material m;
  m.material_id = "m";
  m.type_code = "LIC001";
  m.issuer = "civil";
  m.holder_commitment = {1};
  m.doc_digest = {2};
  m.fields_root = {3};
  m.field_names = {"a", "b"};
  m.valid_from_ms = -10;
  m.valid_until_ms = 20;
  m.status = MaterialStatus::kExpired;
  m.version = 3;
  m.parent_id = "p";
  m.issued_height = 4;
  m.issue_tx = {5};
  m.updated_height = 6;
  m.event_count = 7;
  m.last_event = {8};
  auto m2 = DecodeMaterial(EncodeMaterial(m));
  REQUIRE(m2.ok());
  CHECK(EncodeMaterial(*m2) == EncodeMaterial(m));
  CHECK(m2->status == MaterialStatus::kExpired);
  CHECK(m2->valid_from_ms == -10);

  Event e{"m", 1, EventKind::kExpire, 2, 3, "", {}, "r", {9}};
  auto e2 = DecodeEvent(EncodeEvent(e));
  REQUIRE(e2.ok());
  CHECK(e2->kind == EventKind::kExpire);
  CHECK(e2->prev_event == Bytes{9});
  auto events = DecodeEvents(EncodeEvents({e, e}));
  REQUIRE(events.ok());
  CHECK(events->size() == 2);
  auto none = DecodeEvents(EncodeEvents({}));
  REQUIRE(none.ok());
  CHECK(none->empty());

  auto loc = DecodeTxLocation(EncodeTxLocation(TxLocation{5, 6, 7}));
  REQUIRE(loc.ok());
  CHECK(loc->height == 5);
  CHECK(loc->index == 6);
  CHECK(loc->log_index == 7);
}

TEST_CASE("unknown material status and event kind values are rejected", "[ledger]") {
  pb::MaterialRecord rec;
  rec.set_material_id("m");
  rec.set_status(static_cast<pb::MaterialStatus>(9));
  std::string s = rec.SerializeAsString();
  CHECK(DecodeMaterial(Bytes(s.begin(), s.end())).status().code() == "malformed_material");
  rec.set_status(pb::MATERIAL_STATUS_UNSPECIFIED);
  s = rec.SerializeAsString();
  CHECK_FALSE(DecodeMaterial(Bytes(s.begin(), s.end())).ok());

  pb::Event ev;
  ev.set_kind(static_cast<pb::EventKind>(99));
  s = ev.SerializeAsString();
  CHECK(DecodeEvent(Bytes(s.begin(), s.end())).status().code() == "malformed_event");
  pb::BlockEvents all;
  *all.add_events() = ev;
  s = all.SerializeAsString();
  CHECK_FALSE(DecodeEvents(Bytes(s.begin(), s.end())).ok());
}

TEST_CASE("domain names are the user-facing spellings", "[ledger]") {
  CHECK(MaterialStatusName(MaterialStatus::kActive) == "ACTIVE");
  CHECK(MaterialStatusName(MaterialStatus::kRevoked) == "REVOKED");
  CHECK(MaterialStatusName(MaterialStatus::kExpired) == "EXPIRED");
  CHECK(EventKindName(EventKind::kIssue) == "ISSUE");
  CHECK(EventKindName(EventKind::kRevoke) == "REVOKE");
  CHECK(EventKindName(EventKind::kExpire) == "EXPIRE");
  CHECK(MaterialStatusName(MaterialStatus::kIssued) == "ISSUED");
  CHECK(MaterialStatusName(MaterialStatus::kSuspended) == "SUSPENDED");
  CHECK(MaterialStatusName(MaterialStatus::kSuperseded) == "SUPERSEDED");
  CHECK(MaterialStatusName(MaterialStatus::kDestroyed) == "DESTROYED");
  CHECK(EventKindName(EventKind::kUse) == "USE");
  CHECK(EventKindName(EventKind::kContractSign) == "CONTRACT_SIGN");
  CHECK(EventKindName(EventKind::kEnact) == "ENACT");
}

}  // namespace
}  // namespace govledger::ledger

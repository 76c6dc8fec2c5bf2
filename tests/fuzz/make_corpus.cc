// Writes the seed corpora of tests/fuzz (corpus/<target>/<name>): valid encodings made with the
// real encoders and a dev chain built by the real executor, plus a few malformed inputs each.
// Usage: fuzz_make_corpus DIR (normally tests/fuzz/corpus). Files are overwritten by name; inputs
// found by fuzzing that are kept as regressions live beside them under other names.
// Signatures are randomized, so a rerun changes the bytes of signed seeds, not what they cover.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "consensus/wal.h"
#include "ledger/codec.h"
#include "ledger/commit.h"
#include "ledger/genesis.h"
#include "ledger/proof.h"
#include "ledger/proof_contract.h"
#include "ledger/store.h"
#include "node/config.h"
#include "node/network_init.h"
#include "node/p2p.h"
#include "proto/p2p.pb.h"
#include "tests/fuzz/dev_chain.h"
#include "tests/fuzz/fuzz_util.h"
#include "util/file.h"

using namespace govledger;
namespace fs = std::filesystem;

namespace {

fs::path g_out;

void Write(const std::string& target, const std::string& name, const Bytes& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream out(g_out / target / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}
void Write(const std::string& target, const std::string& name, std::string_view text) {
  Write(target, name, ToBytes(text));
}
Bytes Prefixed(uint8_t first, const Bytes& rest) {
  Bytes out{first};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}
Bytes Truncated(Bytes b, size_t keep) {
  b.resize(std::min(keep, b.size()));
  return b;
}

// ------------------------------------------------------------------ transactions

std::vector<std::pair<std::string, ledger::TxPayload>> Payloads(const std::string& id) {
  ledger::IssueMaterial issue;
  issue.material_id = id;
  issue.type_code = "BIZLIC";
  issue.holder_commitment.assign(32, 1);
  issue.doc_digest.assign(32, 2);
  issue.fields_root.assign(32, 3);
  issue.field_names = {"entity_name"};
  issue.valid_from_ms = 1'700'000'000'000;
  issue.valid_until_ms = 1'800'000'000'000;
  issue.parent_id = "parent";
  issue.holder_key = Bytes(65, 4);
  issue.staged = true;
  ledger::AmendMaterial amend;
  amend.prev_id = id;
  amend.material_id = id + "2";
  amend.doc_digest.assign(32, 5);
  amend.field_names = {"a", "b"};
  amend.reason = "更正";
  ledger::AuthorizeUse grant{id, "edu", "school_enrolment", 1'800'000'000'000, 3, Bytes(32, 6)};
  ledger::CreateContract contract{
      Bytes(32, 7), {Bytes(65, 8), Bytes(65, 9)}, 1'800'000'000'000, "", "租赁合同"};
  ledger::GovernanceChange add;
  add.kind = ledger::ChangeKind::kAddValidator;
  add.validator = {"node9", "samr", Bytes(65, 1), Bytes(65, 2), "127.0.0.1:1", "127.0.0.1:2"};
  ledger::GovernanceChange rotate;
  rotate.kind = ledger::ChangeKind::kRotateValidator;
  rotate.validator = {"node1", "samr", Bytes(65, 4), Bytes(65, 5), "127.0.0.1:1", "127.0.0.1:2"};
  ledger::GovernanceChange type;
  type.kind = ledger::ChangeKind::kSetMaterialType;
  type.material_type.code = "NEWTYPE";
  type.material_type.cascade = ledger::CascadeRule::kSuspend;
  type.material_type.issuers = {"samr"};
  type.effective_height = 9;
  ledger::GovernanceChange dept;
  dept.kind = ledger::ChangeKind::kSetDepartment;
  dept.department = {"tax", "税务局", "Tax", "11440305MB2C16598T", {"provider"}, Bytes(65, 3)};
  ledger::GovernanceChange remove;
  remove.kind = ledger::ChangeKind::kRemoveValidator;
  remove.validator_name = "node3";
  return {
      {"issue", issue},
      {"revoke", ledger::RevokeMaterial{id, "吊销"}},
      {"publish", ledger::PublishMaterial{id}},
      {"amend", amend},
      {"transfer", ledger::TransferMaterial{id, Bytes(32, 1), Bytes(65, 2), "继承"}},
      {"suspend", ledger::SuspendMaterial{id, "调查"}},
      {"reinstate", ledger::ReinstateMaterial{id, "恢复"}},
      {"destroy", ledger::DestroyMaterial{id, "到期销毁"}},
      {"authorize", grant},
      {"withdraw", ledger::WithdrawGrant{"ab12", "withdrawn"}},
      {"use", ledger::UseMaterial{id, "school_enrolment", "ab12"}},
      {"contract_create", contract},
      {"contract_sign", ledger::SignContract{"cd34", Bytes(32, 7)}},
      {"propose_add_validator", ledger::ProposeChange{add, 100, "扩容"}},
      {"propose_remove_validator", ledger::ProposeChange{remove, 100, ""}},
      {"propose_rotate_validator", ledger::ProposeChange{rotate, 100, "密钥轮换"}},
      {"propose_department", ledger::ProposeChange{dept, 100, ""}},
      {"propose_type", ledger::ProposeChange{type, 100, ""}},
      {"approve", ledger::ApproveProposal{"P1"}},
  };
}

void TxSeeds(const fuzz::DevChain& chain) {
  auto p256 = crypto::PrivateKey::Generate(crypto::Suite::kP256).value();
  auto sm = crypto::PrivateKey::Generate(crypto::Suite::kSm).value();
  const std::string id = chain.material_ids.front();
  for (const auto& [name, payload] : Payloads(id)) {
    ledger::TxBody body;
    body.chain_id = "govledger-dev";
    body.nonce = 42;
    body.valid_until_height = 100;
    body.created_ms = 1'700'000'000'000;
    body.payload = payload;
    Write("tx", "p256_" + name, Prefixed(0, ledger::SignTx(p256, body).raw));
    if (name == "issue" || name == "propose_type") {
      Write("tx", "sm_" + name, Prefixed(1, ledger::SignTx(sm, body).raw));
    }
  }
  const Bytes raw = chain.pending.raw;
  Write("tx", "dev_pending", Prefixed(0, raw));
  Write("tx", "bad_truncated", Prefixed(0, Truncated(raw, raw.size() / 2)));
  Write("tx", "bad_no_signature",
        Prefixed(0, ledger::EncodeSignedTx(chain.pending.body_bytes, chain.pending.signer, {})));
  Write("tx", "bad_body_garbage",
        Prefixed(0, ledger::EncodeSignedTx(ToBytes("\x0a\xff\xff\xff\xff\x0f"), Bytes(65, 4),
                                           Bytes(70, 5))));
  ledger::TxBody empty;
  empty.payload = ledger::PublishMaterial{};
  Bytes no_payload = ledger::EncodeTxBody(empty);
  Write("tx", "bad_no_payload",
        Prefixed(0, ledger::EncodeSignedTx({}, Bytes(65, 4), Bytes(70, 5))));
  Write(
      "tx", "bad_not_utf8",
      Prefixed(0, ledger::EncodeSignedTx(ToBytes("\x0a\x02\xc3\x28"), Bytes(65, 4), Bytes(70, 5))));
  (void)no_payload;
}

// ------------------------------------------------------------------ blocks and records

void LedgerSeeds(const fuzz::DevChain& chain, const ledger::Store& store) {
  for (uint64_t h = 1; h <= store.height(); ++h) {
    const Bytes block = store.GetBlockBytes(h).value();
    const std::string n = std::to_string(h);
    Write("block", "block_" + n, Prefixed(0, block));
    Write("block", "header_" + n, Prefixed(1, ledger::DecodeBlock(block)->header_bytes));
    Write("block", "commit_" + n, Prefixed(2, ledger::EncodeCommit(store.GetCommit(h).value())));
    auto events = store.GetBlockEvents(h).value();
    Write("records", "events_" + n, Prefixed(2, ledger::EncodeEvents(events)));
    if (!events.empty())
      Write("records", "event_" + n, Prefixed(1, ledger::EncodeEvent(events[0])));
  }
  const Bytes block2 = store.GetBlockBytes(2).value();
  Write("block", "bad_block_truncated", Prefixed(0, Truncated(block2, block2.size() - 3)));
  ledger::Block b = ledger::DecodeBlock(block2).value();
  b.header_bytes = ToBytes("\x08");  // a header cut inside its first varint
  Write("block", "bad_block_header", Prefixed(0, ledger::EncodeBlock(b)));
  ledger::Commit c = store.GetCommit(2).value();
  c.sigs.push_back(c.sigs.front());
  Write("block", "bad_commit_duplicate_signer", Prefixed(2, ledger::EncodeCommit(c)));
  c.sigs = {{Bytes(3, 1), Bytes(2, 2)}};
  Write("block", "bad_commit_garbage_key", Prefixed(2, ledger::EncodeCommit(c)));

  for (size_t i = 0; i < chain.material_ids.size(); ++i) {
    Write("records", "material_" + std::to_string(i),
          Prefixed(0, ledger::EncodeMaterial(*store.GetMaterial(chain.material_ids[i]))));
  }
  auto loc = store.FindTx(chain.txs.front().hash).value();
  Write("records", "tx_location", Prefixed(3, ledger::EncodeTxLocation(loc)));
  ledger::Grant g;
  g.grant_id = "ab12";
  g.material_id = chain.material_ids[1];
  g.consumer = "edu";
  g.purpose = "school_enrolment";
  g.max_uses = 3;
  g.grantor_key = Bytes(65, 1);
  g.holder_commitment = Bytes(32, 2);
  Write("records", "grant", Prefixed(4, ledger::EncodeGrant(g)));
  ledger::EContract k;
  k.contract_id = "cd34";
  k.doc_digest = Bytes(32, 7);
  k.parties = {Bytes(65, 8), Bytes(65, 9)};
  k.signatures = {{Bytes(65, 8), Bytes(32, 1), 3, 1'700'000'000'000}};
  k.status = ledger::ContractStatus::kComplete;
  k.title = "合同";
  Write("records", "contract", Prefixed(5, ledger::EncodeContract(k)));
  ledger::Proposal p;
  p.proposal_id = "P1";
  p.change.kind = ledger::ChangeKind::kSetMaterialType;
  p.change.material_type.code = "NEWTYPE";
  p.change.material_type.cascade = ledger::CascadeRule::kNone;
  p.approvals = {"dsj", "samr"};
  p.status = ledger::ProposalStatus::kEnacted;
  Write("records", "proposal", Prefixed(6, ledger::EncodeProposal(p)));
  ledger::ValidatorChange vc;
  vc.effective_height = 9;
  vc.validator = {"node9", "samr", Bytes(65, 1), Bytes(65, 2), "127.0.0.1:1", "127.0.0.1:2"};
  vc.proposal_id = "P2";
  Write("records", "validator_change", Prefixed(7, ledger::EncodeValidatorChange(vc)));
  Write(
      "records", "department",
      Prefixed(8, ledger::EncodeDepartment(
                      {"tax", "税务局", "Tax", "11440305MB2C16598T", {"provider"}, Bytes(65, 3)})));
  ledger::MaterialType t;
  t.code = "NEWTYPE";
  t.issuers = {"samr"};
  t.use_purposes = {"x"};
  t.cascade = ledger::CascadeRule::kSuspend;
  Write("records", "material_type", Prefixed(9, ledger::EncodeMaterialType(t)));
  Write("records", "u64", Prefixed(10, ledger::EncodeU64(123456789)));
  Write("records", "bad_u64_short", Prefixed(10, Bytes(7, 1)));
  Write("records", "bad_material_status", Prefixed(0, ToBytes("\x50\x63")));  // status = 99
}

// ------------------------------------------------------------------ proof bundles

void ProofSeeds(const fuzz::DevChain& chain, const ledger::Store& store,
                const ledger::Genesis& genesis) {
  std::string first;
  for (size_t i = 0; i < chain.material_ids.size(); ++i) {
    ledger::ProofRequest req;
    req.material_id = chain.material_ids[i];
    const std::string json =
        ledger::ProofBundleToJson(BuildProofBundle(store, genesis, req).value());
    Write("proof_bundle", "material_" + std::to_string(i), json);
    if (i == 0) first = json;
  }
  Write("proof_bundle", "bad_truncated", std::string_view(first).substr(0, first.size() / 2));
  Write("proof_bundle", "bad_empty_object", std::string_view("{}"));
  std::string flipped = first;
  if (auto p = flipped.find("\"header_bytes\""); p != std::string::npos) flipped[p + 20] ^= 1;
  Write("proof_bundle", "bad_flipped_header", flipped);
  const std::string contract = ledger::ContractBundleToJson(
      ledger::BuildContractBundle(store, genesis, chain.contract_id).value());
  Write("proof_bundle", "contract_0", contract);
  Write("proof_bundle", "bad_contract_truncated",
        std::string_view(contract).substr(0, contract.size() / 2));
}

// ------------------------------------------------------------------ consensus

consensus::Proposal SampleProposal(const Bytes& block) {
  consensus::Proposal p;
  p.height = 1;
  p.round = 0;
  p.pol_round = -1;
  p.block = block;
  p.block_hash = crypto::DigestBytes(crypto::Hash(crypto::Suite::kP256, block));
  p.proposer = 1;
  p.signature = ToBytes("V-signed");
  return p;
}

void ConsensusSeeds(const ledger::Store& store) {
  const Bytes block = store.GetBlockBytes(1).value();
  consensus::Proposal p = SampleProposal(block);
  consensus::Vote v{consensus::VoteType::kPrecommit, 1, 0, p.block_hash, 2, ToBytes("V")};
  std::vector<std::pair<std::string, consensus::Input>> inputs = {
      {"proposal", consensus::ProposalIn{p}},
      {"vote_precommit", consensus::VoteIn{v}},
      {"vote_prevote_nil",
       consensus::VoteIn{{consensus::VoteType::kPrevote, 7, 3, {}, 0, ToBytes("sig")}}},
      {"timeout", consensus::TimeoutIn{5, 2, consensus::Step::kPrevote}},
      {"validity", consensus::ValidityIn{1, 0, p.block_hash, true}},
      {"block", consensus::BlockIn{1, 0, p.block_hash, block}},
  };
  for (const auto& [name, in] : inputs) Write("wal_input", name, consensus::EncodeInput(in));
  Write("wal_input", "bad_vote_type", ToBytes("\x02\x07"));
  Write("wal_input", "bad_trailing", Prefixed(3, Bytes(14, 0)));
  Bytes long_lp = consensus::EncodeInput(consensus::ValidityIn{1, 0, Bytes(4, 1), true});
  long_lp[14] = 0xff;  // length prefix far beyond the input
  Write("wal_input", "bad_length_prefix", long_lp);

  // WAL files, written by the real Wal.
  const std::string dir = fuzz::ScratchDir() + "/wal-seed";
  fs::remove_all(dir);
  {
    auto wal = consensus::Wal::Open(dir).value();
    FUZZ_CHECK(wal->BeginHeight(1).ok());
    for (const auto& [name, in] : inputs) FUZZ_CHECK(wal->Append(in).ok());
    FUZZ_CHECK(wal->guard()->Persist({1, 0, 2}));
  }
  const Bytes file = ToBytes(ReadFile(dir + "/wal").value());
  const Bytes guard = ToBytes(ReadFile(dir + "/sign_guard").value());
  Bytes with_guard{1};
  with_guard.insert(with_guard.end(), guard.begin(), guard.end());
  with_guard.insert(with_guard.end(), file.begin(), file.end());
  Write("wal_file", "height1_with_guard", with_guard);
  Write("wal_file", "height1_append", Prefixed(2, file));
  Write("wal_file", "torn_tail", Prefixed(0, Truncated(file, file.size() - 5)));
  Bytes zero_tail = file;
  zero_tail.insert(zero_tail.end(), 64, 0);
  Write("wal_file", "zero_tail", Prefixed(0, zero_tail));
  Bytes bad_crc = file;
  bad_crc[12] ^= 0x40;  // inside the first input record's payload
  Write("wal_file", "bad_crc_middle", Prefixed(0, bad_crc));
  Bytes bad_guard = with_guard;
  bad_guard[3] ^= 1;
  Write("wal_file", "bad_sign_guard", bad_guard);
  Write("wal_file", "empty", Bytes{0});
}

Bytes Frame(const pb::P2pMessage& m) {
  std::string s;
  m.SerializeToString(&s);
  Bytes out;
  node::AppendFrame(out, ToBytes(s));
  return out;
}

void P2pSeeds(const ledger::Store& store, const fuzz::DevChain& chain) {
  const Bytes block = store.GetBlockBytes(1).value();
  consensus::Proposal p = SampleProposal(block);
  pb::P2pMessage prop;
  auto* pm = prop.mutable_proposal();
  pm->set_height(p.height);
  pm->set_round(p.round);
  pm->set_pol_round(p.pol_round);
  pm->set_block_hash(ToString(p.block_hash));
  pm->set_block(ToString(p.block));
  pm->set_proposer(p.proposer);
  pm->set_signature("V");
  auto vote = [&](uint32_t type, uint32_t validator, uint32_t round, bool nil) {
    pb::P2pMessage m;
    auto* vm = m.mutable_vote();
    vm->set_type(type);
    vm->set_height(1);
    vm->set_round(round);
    if (!nil) vm->set_block_hash(ToString(p.block_hash));
    vm->set_validator(validator);
    vm->set_signature("V");
    return Frame(m);
  };
  // A whole height decided: proposal, 2f+1 prevotes, 2f+1 precommits.
  Bytes decide = Frame(prop);
  for (uint32_t i = 1; i <= 3; ++i) {
    Bytes f = vote(1, i, 0, false);
    decide.insert(decide.end(), f.begin(), f.end());
  }
  for (uint32_t i = 1; i <= 3; ++i) {
    Bytes f = vote(2, i, 0, false);
    decide.insert(decide.end(), f.begin(), f.end());
  }
  Write("p2p", "decide_height1", Prefixed(0, decide));
  Write("p2p", "decide_height1_chunked", Prefixed(7, decide));
  // Round skip: nil prevotes of round 3, then timeouts (an empty message fires them).
  Bytes skip;
  for (uint32_t i = 1; i <= 3; ++i) {
    Bytes f = vote(1, i, 3, true);
    skip.insert(skip.end(), f.begin(), f.end());
  }
  Bytes empty = Frame(pb::P2pMessage());
  skip.insert(skip.end(), empty.begin(), empty.end());
  skip.insert(skip.end(), empty.begin(), empty.end());
  Write("p2p", "round_skip_timeouts", Prefixed(0, skip));

  pb::P2pMessage txs;
  txs.mutable_txs()->add_txs(ToString(chain.pending.raw));
  txs.mutable_txs()->add_txs("garbage");
  Write("p2p", "tx_gossip", Prefixed(0, Frame(txs)));
  pb::P2pMessage status;
  status.mutable_status()->set_height(99);
  Write("p2p", "status", Prefixed(0, Frame(status)));
  pb::P2pMessage req;
  req.mutable_block_request()->set_from_height(1);
  req.mutable_block_request()->set_max_blocks(1000);
  Write("p2p", "block_request", Prefixed(0, Frame(req)));
  pb::P2pMessage blocks;
  for (uint64_t h = 1; h <= store.height(); ++h) {
    auto* sb = blocks.mutable_blocks()->add_blocks();
    sb->set_block(ToString(store.GetBlockBytes(h).value()));
    sb->set_commit(ToString(ledger::EncodeCommit(store.GetCommit(h).value())));
  }
  Write("p2p", "block_response", Prefixed(0, Frame(blocks)));
  Write("p2p", "bad_oversized_frame", ToBytes(std::string("\x00\x7f\xff\xff\xff", 5)));
  Write("p2p", "bad_undecodable",
        Prefixed(0, ToBytes(std::string("\x00\x00\x00\x03\xff\xff\xff", 7))));
}

// ------------------------------------------------------------------ configs

void ConfigSeeds(const fuzz::DevChain& chain, const fs::path& source) {
  const std::string genesis = ReadFile(chain.home + "/genesis.json").value();
  Write("genesis", "dev_pretty", genesis);
  Write("genesis", "dev_canonical",
        ledger::GenesisToJson(ledger::ParseGenesisJson(genesis).value()));
  {
    auto spec = node::ParseNetworkToml(node::EmbeddedDevNetworkToml(), "dev").value();
    spec.suite = crypto::Suite::kSm;
    spec.material_types.resize(3);
    const std::string dir = fuzz::ScratchDir() + "/sm";
    fs::remove_all(dir);
    node::InitOptions opts;
    opts.out_dir = dir;
    opts.flat = true;
    opts.genesis_time_ms = 1'700'000'000'000;
    Write("genesis", "sm_canonical", ledger::GenesisToJson(node::InitNetwork(spec, opts).value()));
  }
  Write("genesis", "bad_not_json", std::string_view("{\"chain_id\": \"x\", "));
  Write("genesis", "bad_empty_object", std::string_view("{}"));
  Write("genesis", "bad_wrong_types",
        std::string_view("{\"chain_id\":7,\"suite\":[],\"validators\":{},\"params\":\"x\"}"));

  const std::string toml = ReadFile(chain.home + "/node.toml").value();
  Write("node_config", "dev", toml);
  Write("node_config", "minimal", std::string_view("name = \"n\"\n"));
  Write("node_config", "bad_negative", std::string_view("[api]\nmax_body_bytes = -1\n"));
  Write("node_config", "bad_address", std::string_view("api_listen = \"nohost\"\n"));
  Write("node_config", "bad_syntax", std::string_view("[api\nmax_body_bytes = 1\n"));
  Write("node_config", "regress_verify_threads_truncated",
        std::string_view("[api]\nmax_body_bytes = 9223372036854775807\n[mempool]\n"
                         "verify_threads = 4294967297\n[consensus]\nrebroadcast_ms = 10\n"
                         "timeout_propose_ms = 9223372036854775807\n"));

  for (const char* net : {"dev", "local-4", "nanshan-7"}) {
    Write("network_config", net,
          ReadFile((source / "network-configs" / net / "network.toml").string()).value());
  }
  Write("network_config", "bad_no_network", std::string_view("[[validators]]\nname = \"a\"\n"));
  Write("network_config", "bad_suite",
        std::string_view("[network]\nchain_id = \"x\"\nsuite = \"rsa\"\n"));
  Write("network_config", "bad_types",
        std::string_view("[network]\nchain_id = \"x\"\nmax_block_txs = -5\n[[departments]]\n"
                         "id = 3\nroles = [1, 2]\n"));
}

// ------------------------------------------------------------------ http

void HttpSeeds(const fuzz::DevChain& chain) {
  auto get = [](const std::string& target) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:7001\r\n\r\n";
  };
  auto post = [](const std::string& target, const std::string& body, const std::string& extra) {
    return "POST " + target + " HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  const std::string id = chain.material_ids[1];
  const std::string hash = crypto::DigestHex(chain.txs.front().hash);
  const std::string digest = HexEncode(Bytes(32, 0x41));
  std::vector<std::pair<std::string, std::string>> reqs = {
      {"healthz", get("/healthz")},
      {"metrics", get("/metrics")},
      {"status", get("/v1/status")},
      {"genesis", get("/v1/genesis")},
      {"block_1", get("/v1/block/1")},
      {"block_latest", get("/v1/block/latest")},
      {"block_bad", get("/v1/block/18446744073709551616")},
      {"tx", get("/v1/tx/" + hash)},
      {"material", get("/v1/material/" + id)},
      {"material_history", get("/v1/material/" + id + "/history")},
      {"material_grants", get("/v1/material/" + id + "/grants")},
      {"materials_issuer", get("/v1/materials?issuer=samr&limit=2")},
      {"materials_digest", get("/v1/materials?digest=" + digest)},
      {"materials_holder", get("/v1/materials?holder=" + HexEncode(Bytes(32, 2)) + "&after=" + id)},
      {"materials_type", get("/v1/materials?type=BIZLIC")},
      {"materials_expiring", get("/v1/materials?expiring_within=400d")},
      {"stats", get("/v1/stats?type=BIZLIC&consumer=edu&purpose=x")},
      {"grant", get("/v1/grant/ab12")},
      {"contract", get("/v1/contract/cd34")},
      {"contracts", get("/v1/contracts?digest=" + digest)},
      {"proposals", get("/v1/proposals")},
      {"proposal", get("/v1/proposal/P1")},
      {"registry", get("/v1/registry?height=1")},
      {"validators", get("/v1/validators?height=3")},
      {"percent_path", get("/v1/material/%31%2E2?x=%41+b&&y")},
      {"bad_percent", get("/v1/status%4")},
      {"head", "HEAD /v1/status HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"delete", "DELETE /v1/tx HTTP/1.1\r\nHost: h\r\n\r\n"},
      {"post_replayed_tx", post("/v1/tx?wait=1&timeout_ms=100",
                                "{\"tx\":\"" + Base64Encode(chain.txs.front().raw) + "\"}", "")},
      {"post_bad_base64", post("/v1/tx", "{\"tx\":\"!!!\"}", "")},
      {"post_bad_tx", post("/v1/tx", "{\"tx\":\"AAAA\"}", "")},
      {"post_not_json", post("/v1/tx", "[1,2", "")},
      {"post_pending_tx",
       post("/v1/tx", "{\"tx\":\"" + Base64Encode(chain.pending.raw) + "\"}", "")},
      {"chunked",
       "POST /v1/tx HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\n{\"tx\"\r\n6\r\n:\"AA\"}\r\n0\r\n\r\n"},
      {"pipelined", get("/healthz") + get("/v1/block/2") + get("/v1/materials?type=BIZLIC")},
      {"http10", "GET /v1/status HTTP/1.0\r\n\r\n"},
      {"bad_request_line", "GET\r\n\r\n"},
  };
  for (const auto& [name, text] : reqs) {
    Write("http", name, Prefixed(0, ToBytes(text)));
  }
  Write("http", "tight_body_limit",
        Prefixed(1, ToBytes(post("/v1/tx", std::string(100, 'x'), ""))));
  Write("http", "tight_header_limit",
        Prefixed(1, ToBytes("GET / HTTP/1.1\r\nX: " + std::string(300, 'y') + "\r\n\r\n")));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus DIR   (normally tests/fuzz/corpus)\n";
    return 2;
  }
  g_out = argv[1];
  const fs::path source = GOVLEDGER_SOURCE_DIR;
  fuzz::DevChain chain = fuzz::MakeDevChain(fuzz::ScratchDir() + "/dev");
  {
    auto config = node::LoadNodeConfig(chain.home).value();
    auto genesis = ledger::LoadGenesisFile(config.Path(config.genesis_file)).value();
    auto store = ledger::Store::Open(config.Path(config.data_dir), genesis).value();
    TxSeeds(chain);
    LedgerSeeds(chain, *store);
    ConsensusSeeds(*store);
    P2pSeeds(*store, chain);
    ProofSeeds(chain, *store, genesis);
  }
  ConfigSeeds(chain, source);
  HttpSeeds(chain);
  std::cout << "seed corpora written to " << g_out << "\n";
  return 0;
}

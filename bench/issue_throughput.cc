// Rough issuing throughput of a running one-validator node: pre-signs N material-issue
// transactions with a department key (signing is not measured), submits them from several client
// threads without waiting, and measures until the node has committed them all. Prints one summary
// line and the ratio to this machine's single-core P-256 verification rate (the node verifies
// every signature once on admission).
//
//   bench/issue_throughput --node http://127.0.0.1:7001 --key HOME/keys/samr.pem [--count 5000]
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "contracts/material_id.h"
#include "ledger/codec.h"
#include "ledger/genesis.h"
#include "node/http_client.h"
#include "util/time.h"

using namespace govledger;
using nlohmann::json;

namespace {

double VerifyRatePerCore(crypto::Suite suite) {
  auto key = crypto::PrivateKey::Generate(suite);
  Bytes msg(200, 7);
  Bytes sig = key->Sign(msg);
  auto start = std::chrono::steady_clock::now();
  int n = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) {
    for (int i = 0; i < 50; ++i) n += crypto::Verify(suite, key->public_key(), msg, sig) ? 1 : 0;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return n / secs;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Issuing throughput of a running govledger node"};
  std::string url = "http://127.0.0.1:7001", key_path, type = "BIZLIC";
  int count = 5000, threads = 4;
  app.add_option("--node", url, "Node API URL");
  app.add_option("--key", key_path, "Department key that may issue --type")->required();
  app.add_option("--type", type, "Material type (its required fields are filled in)");
  app.add_option("--count", count, "Transactions to submit")->check(CLI::Range(1, 10'000'000));
  app.add_option("--threads", threads, "Client threads")->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  auto genesis_text = node::HttpGet(url, "/v1/genesis");
  if (!genesis_text.ok() || genesis_text->status != 200) {
    std::cerr << "cannot read the node's genesis at " << url << "\n";
    return 1;
  }
  auto genesis = ledger::ParseGenesisJson(genesis_text->body);
  if (!genesis.ok()) {
    std::cerr << genesis.status().ToString() << "\n";
    return 1;
  }
  auto key = crypto::PrivateKey::LoadPemFile(genesis->suite, key_path);
  if (!key.ok()) {
    std::cerr << key.status().ToString() << "\n";
    return 1;
  }
  const ledger::Department* dept = nullptr;
  for (const auto& d : genesis->departments) {
    if (d.key == key->public_key()) dept = &d;
  }
  const ledger::MaterialType* mt = nullptr;
  for (const auto& t : genesis->material_types) {
    if (t.code == type) mt = &t;
  }
  if (!dept || !mt) {
    std::cerr << "the key is not a department of this chain, or the type is unknown\n";
    return 1;
  }
  auto status = node::HttpGet(url, "/v1/status");
  json st = json::parse(status->body);
  uint64_t height = st["height"].get<uint64_t>();
  uint64_t log_start = st["log_size"].get<uint64_t>();

  std::cerr << "signing " << count << " transactions...\n";
  std::vector<std::string> bodies;
  bodies.reserve(count);
  int64_t now = NowMs();
  std::vector<std::string> fields = mt->required_fields;
  std::sort(fields.begin(), fields.end());
  for (int i = 0; i < count; ++i) {
    ledger::IssueMaterial m;
    m.material_id = *contracts::MakeMaterialId(
        {type, dept->code, std::to_string(crypto::RandomU64() % 1'000'000'000'000ULL), "001"});
    m.type_code = type;
    m.holder_commitment = crypto::RandomBytes(32);
    m.doc_digest = crypto::RandomBytes(32);
    m.fields_root = crypto::RandomBytes(32);
    m.field_names = fields;
    m.valid_from_ms = now;
    m.valid_until_ms = mt->max_validity_ms ? now + mt->max_validity_ms / 2 : 0;
    ledger::TxBody body;
    body.chain_id = genesis->chain_id;
    body.nonce = crypto::RandomU64();
    body.valid_until_height = height + genesis->params.max_tx_validity_heights;
    body.created_ms = now;
    body.payload = m;
    ledger::Tx tx = ledger::SignTx(*key, body);
    bodies.push_back(json{{"tx", Base64Encode(tx.raw)}}.dump());
  }

  std::cerr << "submitting with " << threads << " client threads...\n";
  std::atomic<int> next{0}, rejected{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        auto r = node::HttpPost(url, "/v1/tx", bodies[i]);
        if (!r.ok() || r->status != 202) ++rejected;
      }
    });
  }
  for (auto& th : pool) th.join();
  uint64_t committed = 0;
  for (;;) {
    auto s = node::HttpGet(url, "/v1/status");
    if (s.ok()) committed = json::parse(s->body)["log_size"].get<uint64_t>() - log_start;
    if (committed + rejected >= static_cast<uint64_t>(count)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double tps = committed / secs;
  double ceiling = VerifyRatePerCore(genesis->suite);
  std::cout << "issue_throughput: " << committed << " committed, " << rejected << " rejected in "
            << secs << " s = " << static_cast<long>(tps) << " tx/s; single-core "
            << crypto::SuiteName(genesis->suite) << " verify rate " << static_cast<long>(ceiling)
            << "/s; ratio " << tps / ceiling << "\n";
  return rejected == 0 ? 0 : 1;
}

// HTTP requests as a client sends them to a node's API: Boost.Beast's request parser with the
// server's limits (node::HttpLimits from the node config, or tight ones so the limit paths run
// too), the target split and percent-decoded as node/http_server.cc does it (mirrored below:
// it is private to the server's session), then the real API router (node/api.cc) of a dev node
// opened on a scratch home holding a short chain (tests/fuzz/dev_chain.h).
//
// Properties: every request is answered exactly once with a status in 200..599, and every
// application/json answer is valid JSON. A submission that decodes to a new, well-formed
// transaction is not handed to the router (admission continues on the node's worker pool and
// io thread, which this target does not run); its body decoding (JSON, base64, DecodeTx) is.
//
// Input: u8 flags (bit 0: tight limits), then one or more pipelined requests.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <cctype>
#include <optional>
#include <thread>

#include "ledger/codec.h"
#include "node/api.h"
#include "node/config.h"
#include "node/http_server.h"
#include "node/node.h"
#include "tests/fuzz/dev_chain.h"
#include "tests/fuzz/fuzz_util.h"

using namespace govledger;
namespace http = boost::beast::http;

namespace {

struct Env {
  std::unique_ptr<node::Node> node;
  node::HttpHandler handler;
  node::NodeConfig config;
};

Env& TheEnv() {
  static Env env = [] {
    Env e;
    fuzz::DevChain chain = fuzz::MakeDevChain(fuzz::ScratchDir() + "/dev");
    auto config = node::LoadNodeConfig(chain.home);
    FUZZ_CHECK(config.ok());
    config->verify_threads = 1;
    config->read_rate_per_s = 0;  // one fuzzing client: the limiter would answer 429 to most
    config->read_workers = 1;
    e.config = *config;
    auto n = node::Node::Open(*config);
    FUZZ_CHECK(n.ok());
    e.node = std::move(*n);
    e.handler = node::MakeApiHandler(*e.node);
    return e;
  }();
  return env;
}

// The request as Session::Dispatch in node/http_server.cc builds it (the same DecodeTarget, the
// x-govledger-* signature headers); false = the server answers 400 itself.
bool ToRequest(http::request<http::string_body>& msg, node::HttpRequest& req) {
  req.method = std::string(msg.method_string());
  req.remote = "127.0.0.1:1";
  req.remote_ip = "127.0.0.1";
  req.target = std::string(msg.target());
  std::string error;
  if (!node::DecodeTarget(req.target, req, error)) return false;
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("x-govledger-", 0) == 0) req.auth_headers[name] = std::string(field.value());
  }
  req.body = std::move(msg.body());
  req.content_type = std::string(msg[http::field::content_type]);
  return true;
}

// True when the router would hand the submission to the worker pool (a new, decodable tx).
bool GoesAsync(Env& env, const node::HttpRequest& req) {
  if (req.path != "/v1/tx" || req.method != "POST") return false;
  auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("tx") || !body["tx"].is_string()) {
    return false;
  }
  auto raw = Base64Decode(body["tx"].get<std::string>());
  if (!raw.ok()) return false;
  const auto& g = env.node->genesis();
  auto tx = ledger::DecodeTx(g.suite, *raw, g.params.max_tx_bytes);
  if (!tx.ok()) return false;
  return !env.node->store().FindTx(tx->hash).has_value();
}

void Route(Env& env, node::HttpRequest req) {
  if (GoesAsync(env, req)) return;
  int answers = 0;
  node::HttpResponse got;
  env.handler(std::move(req), [&](node::HttpResponse r) {
    ++answers;
    got = std::move(r);
  });
  // Heavy and signed reads answer from a read worker through the io thread: drive it.
  for (int spins = 0; answers == 0 && spins < 1'000'000; ++spins) {
    if (env.node->PollForTest() == 0) std::this_thread::yield();
  }
  FUZZ_CHECK(answers == 1);
  FUZZ_CHECK(got.status >= 200 && got.status <= 599);
  if (got.content_type == "application/json") {
    FUZZ_CHECK(!nlohmann::json::parse(got.body, nullptr, false).is_discarded());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Env& env = TheEnv();
  const bool tight = data[0] & 1;
  const size_t body_limit = tight ? 64 : env.config.max_body_bytes;
  const size_t header_limit = tight ? 256 : env.config.max_header_bytes;
  size_t pos = 1;
  for (int n = 0; n < 4 && pos < size; ++n) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(body_limit);
    parser.header_limit(static_cast<uint32_t>(header_limit));
    boost::beast::error_code ec;
    while (pos < size && !parser.is_done()) {
      const size_t used = parser.put(boost::asio::buffer(data + pos, size - pos), ec);
      pos += used;
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) break;
        continue;
      }
      if (ec) break;
    }
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 or waits
    node::HttpRequest req;
    auto msg = parser.release();
    if (!ToRequest(msg, req)) return 0;
    Route(env, std::move(req));
  }
  return 0;
}

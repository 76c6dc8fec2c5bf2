#include "bench/bench_load.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "bench/bench_common.h"
#include "contracts/material_id.h"
#include "crypto/sign.h"
#include "ledger/codec.h"
#include "util/time.h"

namespace govledger::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// ------------------------------------------------------------------ TxSource

struct TxSource::Issuer {
  const ledger::Department* department;
  const ledger::MaterialType* type;
  crypto::PrivateKey key;
  std::vector<std::string> fields;  // required fields, sorted
};

Result<TxSource> TxSource::Open(const std::string& genesis_file, const std::string& keys_dir) {
  TxSource src;
  auto genesis = ledger::LoadGenesisFile(genesis_file);
  if (!genesis.ok()) return genesis.status();
  src.genesis_ = std::move(*genesis);
  for (const auto& t : src.genesis_.material_types) {
    if (!t.parent_type.empty()) continue;
    for (const std::string& issuer : t.issuers) {
      const std::string path = keys_dir + "/" + issuer + ".pem";
      if (!std::filesystem::exists(path)) continue;
      auto key = crypto::PrivateKey::LoadPemFile(src.genesis_.suite, path);
      if (!key.ok()) return key.status();
      const ledger::Department* dept = nullptr;
      for (const auto& d : src.genesis_.departments) {
        if (d.id == issuer) dept = &d;
      }
      if (dept == nullptr) continue;
      std::vector<std::string> fields = t.required_fields;
      std::sort(fields.begin(), fields.end());
      src.issuers_.push_back(std::make_shared<const Issuer>(
          Issuer{dept, &t, std::move(*key), std::move(fields)}));
    }
  }
  if (src.issuers_.empty()) {
    return Status::Error("no_issuer", "no department key in " + keys_dir +
                                          " may issue a material type of this chain");
  }
  return src;
}

std::vector<std::string> TxSource::Issuers() const {
  std::vector<std::string> out;
  for (const auto& i : issuers_) out.push_back(i->department->id + "/" + i->type->code);
  return out;
}

void TxSource::SignTxs(size_t count, uint64_t valid_until_height, unsigned threads,
                       int64_t now_ms, std::vector<ledger::Tx>& out,
                       const std::vector<Bytes>* doc_digests) const {
  const size_t base = out.size();
  out.resize(base + count);
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const Issuer& is = *issuers_[(base + i) % issuers_.size()];
      ledger::IssueMaterial m;
      m.material_id = *contracts::MakeMaterialId(
          {is.type->code, is.department->code,
           std::to_string(crypto::RandomU64() % 1'000'000'000'000'000ULL), "001"});
      m.type_code = is.type->code;
      m.holder_commitment = crypto::RandomBytes(32);
      m.doc_digest = doc_digests && i < doc_digests->size() ? (*doc_digests)[i]
                                                            : crypto::RandomBytes(32);
      m.fields_root = crypto::RandomBytes(32);
      m.field_names = is.fields;
      m.valid_from_ms = now_ms;
      m.valid_until_ms = is.type->max_validity_ms ? now_ms + is.type->max_validity_ms / 2 : 0;
      ledger::TxBody body;
      body.chain_id = genesis_.chain_id;
      body.nonce = crypto::RandomU64();
      body.valid_until_height = valid_until_height;
      body.created_ms = now_ms;
      body.payload = m;
      out[base + i] = ledger::SignTx(is.key, body);
    }
  };
  threads = std::max(1u, threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back(work, count * t / threads, count * (t + 1) / threads);
  }
  for (auto& th : pool) th.join();
}

void TxSource::Sign(size_t count, uint64_t valid_until_height, unsigned threads,
                    std::vector<std::string>& out) const {
  std::vector<ledger::Tx> txs;
  SignTxs(count, valid_until_height, threads, NowMs(), txs);
  out.reserve(out.size() + txs.size());
  for (const ledger::Tx& tx : txs) out.push_back("{\"tx\":\"" + Base64Encode(tx.raw) + "\"}");
}

// ------------------------------------------------------------------ LoadGen

namespace {

using Clock = std::chrono::steady_clock;

Result<tcp::endpoint> ParseEndpoint(const std::string& url) {
  static const std::string kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::Error("bad_url", url);
  std::string rest = url.substr(kScheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return Status::Error("bad_url", url);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(rest.substr(0, colon), ec);
  if (ec) return Status::Error("bad_url", url);
  return tcp::endpoint(addr, static_cast<uint16_t>(std::stoi(rest.substr(colon + 1))));
}

// One keep-alive connection to a node; one request at a time.
struct Conn {
  Conn(asio::io_context& io, tcp::endpoint e, size_t n, bool p)
      : stream(io), endpoint(e), node(n), probe(p) {}
  beast::tcp_stream stream;
  tcp::endpoint endpoint;
  size_t node;
  bool probe;
  bool connected = false;
  bool batch = false;  // the request in flight went to POST /v1/txs
  size_t txs = 1;      // transactions in it
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  std::optional<http::response_parser<http::string_body>> parser;
};

// The event loop of one Run: schedules offers by the clock, keeps idle connections per node,
// records answers.
class Runner {
 public:
  Runner(const std::vector<tcp::endpoint>& endpoints, const std::vector<std::string>& bodies,
         size_t& next, const LoadOptions& o, LoadResult& r)
      : endpoints_(endpoints), bodies_(bodies), next_(next), o_(o), r_(r), tick_(io_) {
    for (size_t n = 0; n < endpoints_.size(); ++n) {
      idle_.emplace_back();
      for (int c = 0; c < o_.connections_per_node; ++c) {
        conns_.push_back(std::make_unique<Conn>(io_, endpoints_[n], n, false));
        idle_[n].push_back(conns_.back().get());
      }
    }
    idle_probes_.resize(endpoints_.size());
  }

  void Run() {
    start_ = Clock::now();
    Tick();
    io_.run();
  }

 private:
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void Tick() {
    const double t = std::min(Elapsed(), o_.seconds);
    const auto due = static_cast<uint64_t>(o_.rate * t);
    const auto probes_due = static_cast<uint64_t>(o_.probe_rate * t);
    while (r_.offered < due) {
      ++r_.offered;
      if (probes_scheduled_ < probes_due) {
        ++probes_scheduled_;
        SendProbe();
      } else {
        ++backlog_;
      }
    }
    Dispatch();
    // The offer ends with its time, or when every signed transaction has been sent.
    if (Elapsed() < o_.seconds && next_ < bodies_.size()) {
      tick_.expires_after(std::chrono::milliseconds(2));
      tick_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) Tick();
      });
      return;
    }
    offering_ = false;
    backlog_ = 0;  // not sent: no connection was free in time
    // Probes still waiting for their commit get a grace period, then the loop ends.
    tick_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(o_.probe_grace_s * 1000)));
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      for (auto& c : conns_) {
        beast::error_code ignored;
        c->stream.socket().close(ignored);
      }
    });
    MaybeFinish();
  }

  // Sends backlog transactions on idle connections, rotating over the nodes.
  void Dispatch() {
    size_t empty_nodes = 0;
    while (backlog_ > 0 && empty_nodes < idle_.size()) {
      auto& idle = idle_[rr_ % idle_.size()];
      ++rr_;
      if (idle.empty()) {
        ++empty_nodes;
        continue;
      }
      empty_nodes = 0;
      Conn* c = idle.back();
      idle.pop_back();
      const size_t k = std::min<uint64_t>(std::max(o_.batch, 1), backlog_);
      backlog_ -= k;
      if (!(o_.batch > 1 ? SendBatch(c, k) : Send(c, "/v1/tx"))) {
        idle.push_back(c);
        backlog_ = 0;
        return;
      }
    }
  }

  void SendProbe() {
    size_t n = probe_rr_++ % endpoints_.size();
    Conn* c = nullptr;
    if (!idle_probes_[n].empty()) {
      c = idle_probes_[n].back();
      idle_probes_[n].pop_back();
    } else {
      conns_.push_back(std::make_unique<Conn>(io_, endpoints_[n], n, true));
      c = conns_.back().get();
    }
    if (Send(c, "/v1/tx?wait=1&timeout_ms=" +
                    std::to_string(static_cast<int64_t>(o_.probe_grace_s * 1000) + 5000))) {
      ++r_.probes;
    } else {
      idle_probes_[n].push_back(c);
    }
  }

  // False if no transaction is left to send.
  bool Send(Conn* c, const std::string& target) {
    if (next_ >= bodies_.size()) {
      r_.ran_out_of_transactions = true;
      return false;
    }
    c->batch = false;
    c->txs = 1;
    return Post(c, target, bodies_[next_++]);
  }

  // Up to `k` of the next transactions in one POST /v1/txs; false if none is left.
  bool SendBatch(Conn* c, size_t k) {
    if (next_ >= bodies_.size()) {
      r_.ran_out_of_transactions = true;
      return false;
    }
    k = std::min(k, bodies_.size() - next_);
    // Each body is {"tx":"<base64>"}: the batch is {"txs":["<base64>",...]}.
    static const std::string kHead = "{\"tx\":";
    std::string body = "{\"txs\":[";
    for (size_t i = 0; i < k; ++i) {
      const std::string& one = bodies_[next_++];
      if (i > 0) body.push_back(',');
      body.append(one, kHead.size(), one.size() - kHead.size() - 1);
    }
    body += "]}";
    c->batch = true;
    c->txs = k;
    return Post(c, "/v1/txs", body);
  }

  bool Post(Conn* c, const std::string& target, const std::string& body) {
    r_.sent += c->txs;
    ++in_flight_;
    c->req = http::request<http::string_body>(http::verb::post, target, 11);
    c->req.set(http::field::host, "127.0.0.1");
    c->req.set(http::field::content_type, "application/json");
    c->req.keep_alive(true);
    c->req.body() = body;
    c->req.prepare_payload();
    const auto sent_at = Clock::now();
    c->stream.expires_after(std::chrono::seconds(static_cast<int64_t>(o_.probe_grace_s) + 30));
    auto write = [this, c, sent_at] {
      http::async_write(c->stream, c->req, [this, c, sent_at](beast::error_code ec, size_t) {
        if (ec) return Failed(c);
        c->parser.emplace();
        c->parser->body_limit(1 << 20);
        http::async_read(c->stream, c->buffer, *c->parser,
                         [this, c, sent_at](beast::error_code rec, size_t) {
                           if (rec) return Failed(c);
                           Answered(c, sent_at);
                         });
      });
    };
    if (c->connected) {
      write();
    } else {
      c->stream.async_connect(c->endpoint, [this, c, write](beast::error_code ec) {
        if (ec) return Failed(c);
        c->stream.socket().set_option(tcp::no_delay(true));
        c->connected = true;
        write();
      });
    }
    return true;
  }

  void Answered(Conn* c, Clock::time_point sent_at) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count();
    auto& res = c->parser->get();
    const int status = static_cast<int>(res.result_int());
    if (!res.keep_alive()) Close(c);
    // The reason code of a refusal: the body's error code, else the HTTP status.
    auto refused = [status](const json& j) {
      const std::string fallback = "http_" + std::to_string(status);
      return j.is_object() && j.contains("error") && j["error"].is_object()
                 ? j["error"].value("code", fallback)
                 : fallback;
    };
    if (c->batch) {
      // 200 with a verdict per transaction; anything else refused the whole batch.
      json j = json::parse(res.body(), nullptr, /*allow_exceptions=*/false);
      if (status == 200 && j.is_object() && j.contains("results") && j["results"].is_array()) {
        r_.admit_latency_ms.push_back(ms);
        for (const json& one : j["results"]) {
          if (one.value("status", "") == "pending") {
            ++r_.accepted;
          } else {
            ++r_.rejected[refused(one)];
          }
        }
      } else {
        r_.rejected[refused(j)] += c->txs;
      }
      return Release(c);
    }
    if (status == 200 || status == 202) {
      ++r_.accepted;
      if (c->probe) {
        if (status == 200) {
          ++r_.probes_committed;
          r_.commit_latency_ms.push_back(ms);
        }
      } else {
        r_.admit_latency_ms.push_back(ms);
      }
    } else {
      ++r_.rejected[refused(json::parse(res.body(), nullptr, /*allow_exceptions=*/false))];
    }
    Release(c);
  }

  void Failed(Conn* c) {
    ++r_.transport_errors;
    Close(c);
    Release(c);
  }

  void Close(Conn* c) {
    beast::error_code ignored;
    c->stream.socket().close(ignored);
    c->connected = false;
    c->buffer.clear();
  }

  void Release(Conn* c) {
    --in_flight_;
    if (c->probe) {
      idle_probes_[c->node].push_back(c);
    } else {
      idle_[c->node].push_back(c);
      if (offering_) Dispatch();
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    if (!offering_ && in_flight_ == 0) {
      tick_.cancel();
      io_.stop();
    }
  }

  asio::io_context io_;
  const std::vector<tcp::endpoint>& endpoints_;
  const std::vector<std::string>& bodies_;
  size_t& next_;
  const LoadOptions& o_;
  LoadResult& r_;
  asio::steady_timer tick_;
  Clock::time_point start_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::vector<Conn*>> idle_;         // per node
  std::vector<std::vector<Conn*>> idle_probes_;  // per node
  uint64_t backlog_ = 0;
  uint64_t probes_scheduled_ = 0;
  uint64_t in_flight_ = 0;
  size_t rr_ = 0;
  size_t probe_rr_ = 0;
  bool offering_ = true;
};

}  // namespace

LoadResult LoadGen::Run(const std::vector<std::string>& bodies, size_t& next,
                        const LoadOptions& o) {
  LoadResult r;
  r.offered_tps = o.rate;
  r.seconds = o.seconds;
  std::vector<tcp::endpoint> endpoints;
  for (const std::string& url : urls_) {
    auto ep = ParseEndpoint(url);
    GOVLEDGER_CHECK(ep.ok());
    endpoints.push_back(*ep);
  }
  const double cpu0 = ThreadCpuSeconds();
  Runner runner(endpoints, bodies, next, o, r);
  runner.Run();
  r.client_cpu_s = ThreadCpuSeconds() - cpu0;
  return r;
}

}  // namespace govledger::bench

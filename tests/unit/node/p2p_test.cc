#include "node/p2p.h"

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include "crypto/sign.h"
#include "tests/unit/node/p2p_fixture.h"
#include "util/bytes.h"

using namespace govledger;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

using namespace govledger::p2p_fixture;  // NOLINT(build/namespaces): the harness

namespace {

// Connects with plain TCP, sends `data`, and reports whether the server closes the connection
// within `within` (reads until EOF or reset; a TLS alert before the close is fine).
bool ServerCloses(uint16_t port, const Bytes& data, std::chrono::steady_clock::duration within) {
  asio::io_context io;
  tcp::socket s(io);
  error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  asio::write(s, asio::buffer(data), ec);  // may fail if the server already gave up: fine
  bool closed = false;
  std::array<char, 4096> buf;
  std::function<void()> read = [&] {
    s.async_read_some(asio::buffer(buf), [&](const error_code& e, size_t) {
      if (e) {
        closed = true;
        return;
      }
      read();
    });
  };
  read();
  io.run_for(within);
  return closed;
}

// A TLS client that presents no certificate (or speaks only TLS 1.2): the handshake, or the
// first read after it, must fail within `within`.
bool TlsClientIsDropped(uint16_t port, bool tls12_only) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  if (tls12_only) SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ssl::stream<tcp::socket> s(io, ctx);
  error_code ec;
  s.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return false;
  bool dropped = false;
  std::array<char, 256> buf;
  std::function<void()> read = [&] {
    s.async_read_some(asio::buffer(buf), [&](const error_code& e, size_t) {
      if (e) {
        dropped = true;
        return;
      }
      read();
    });
  };
  s.async_handshake(ssl::stream_base::client, [&](const error_code& e) {
    // With TLS 1.3 the client finishes first; the server's refusal then comes as an alert.
    if (e) {
      dropped = true;
      return;
    }
    read();
  });
  io.run_for(10s);
  return dropped;
}

Bytes Text(const std::string& s) { return ToBytes(s); }

}  // namespace

TEST_CASE("three validators with pinned keys exchange frames both ways in order per sender",
          "[p2p]") {
  auto keys = MakeKeys(3);
  auto peers = Pinned(keys);
  Net net;
  for (uint32_t i = 0; i < 3; ++i) net.Add(Config(i, peers, keys[i]));

  std::map<std::pair<uint32_t, uint32_t>, std::vector<Bytes>> expected;  // (from, to) → frames
  auto send = [&](uint32_t from, uint32_t to, Bytes payload) {
    expected[{from, to}].push_back(payload);
    net.p2p(from).Send(to, payload);
  };
  auto broadcast = [&](uint32_t from, Bytes payload) {
    for (uint32_t to = 0; to < 3; ++to) {
      if (to != from) expected[{from, to}].push_back(payload);
    }
    net.p2p(from).Broadcast(payload);
  };

  // Frames sent before any connection exists wait in the queue.
  net.Run([&] {
    for (uint32_t i = 0; i < 3; ++i) {
      for (uint32_t j = 0; j < 3; ++j) {
        for (int k = 0; i != j && k < 50; ++k) {
          send(i, j,
               Text("early " + std::to_string(i) + ">" + std::to_string(j) + " #" +
                    std::to_string(k)));
        }
      }
    }
  });
  Mesh(net, 3);
  REQUIRE(net.WaitUntil([&] {
    for (uint32_t i = 0; i < 3; ++i) {
      for (uint32_t j = 0; j < 3; ++j) {
        if (i != j && !net.p2p(i).Connected(j)) return false;
      }
    }
    return true;
  }));
  bool all_connect_handlers_ran = net.Run([&] {
    for (uint32_t i = 0; i < 3; ++i) {
      for (uint32_t j = 0; j < 3; ++j) {
        if (i != j && net.at(i).connects[j] < 1) return false;
      }
    }
    return true;
  });
  CHECK(all_connect_handlers_ran);
  net.Run([&] {
    for (int k = 0; k < 200; ++k) {
      for (uint32_t i = 0; i < 3; ++i) {
        if (k % 3 == 0) {
          broadcast(i, Text("all from " + std::to_string(i) + " #" + std::to_string(k)));
        } else {
          uint32_t to = (i + 1 + static_cast<uint32_t>(k % 2)) % 3;
          send(i, to,
               Text("late " + std::to_string(i) + ">" + std::to_string(to) + " #" +
                    std::to_string(k)));
        }
      }
    }
    for (uint32_t i = 0; i < 3; ++i) {
      broadcast(i, Bytes{});                                           // zero-length frame
      broadcast(i, Bytes(300 * 1024, static_cast<uint8_t>('a' + i)));  // larger than one batch
      broadcast(i, Text("last from " + std::to_string(i)));
    }
  });

  REQUIRE(net.WaitUntil([&] {
    for (uint32_t j = 0; j < 3; ++j) {
      size_t want = 0;
      for (uint32_t i = 0; i < 3; ++i) want += expected[{i, j}].size();
      if (net.at(j).received.size() < want) return false;
    }
    return true;
  }));
  auto result = net.Run([&] {
    std::vector<std::string> problems;
    for (uint32_t j = 0; j < 3; ++j) {
      for (uint32_t i = 0; i < 3; ++i) {
        if (i == j) continue;
        if (From(net.at(j), i) != expected[{i, j}]) {
          problems.push_back("frames from " + std::to_string(i) + " at " + std::to_string(j));
        }
      }
      const auto& st = net.p2p(j).stats();
      if (st.frames_in != net.at(j).received.size()) problems.push_back("frames_in");
      if (st.handshakes_refused != 0 || st.oversized_frames != 0 || st.dropped_frames != 0) {
        problems.push_back("unexpected refusal or drop at " + std::to_string(j));
      }
    }
    return problems;
  });
  CHECK(result == std::vector<std::string>{});
}

TEST_CASE("a node whose TLS key is not pinned is refused and delivers nothing", "[p2p]") {
  auto keys = MakeKeys(2);
  auto rogue_key = MakeKeys(1);
  auto peers = Pinned(keys);
  Net net;
  size_t honest = net.Add(Config(0, peers, keys[0]));
  // Claims to be validator 1, but with a key the genesis does not pin.
  size_t rogue = net.Add(Config(1, peers, rogue_key[0]));
  // Only the rogue dials, so every refusal counted by the honest node is of an inbound handshake.
  net.Point(rogue, 0, net.Port(honest));
  net.Run([&] {
    for (int k = 0; k < 10; ++k) net.p2p(rogue).Send(0, Text("let me in"));
  });
  REQUIRE(net.WaitUntil([&] { return net.p2p(honest).stats().handshakes_refused >= 3; }));
  net.Run([&] {
    net.p2p(rogue).Send(0, Text("still trying"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return net.p2p(honest).stats().handshakes_refused >= 4; }));
  auto [received, frames_in, rogue_connected, rogue_connects] = net.Run([&] {
    return std::make_tuple(net.at(honest).received.size(), net.p2p(honest).stats().frames_in,
                           net.p2p(rogue).Connected(0), net.at(rogue).connects[0]);
  });
  CHECK(received == 0);
  CHECK(frames_in == 0);
  // TLS 1.3 lets the rogue finish its side of the handshake, but it never counts as connected.
  CHECK_FALSE(rogue_connected);
  CHECK(rogue_connects == 0);
}

TEST_CASE(
    "a node presenting validator 1's pinned key when dialled as validator 2 is refused "
    "by the dialler",
    "[p2p]") {
  auto keys = MakeKeys(3);
  auto peers = Pinned(keys);
  Net net;
  size_t dialler = net.Add(Config(0, peers, keys[0]));
  // Holds validator 1's real key, but sits at the address validator 2 is dialled at.
  size_t impostor = net.Add(Config(1, peers, keys[1]));
  net.Point(dialler, 2, net.Port(impostor));
  net.Run([&] {
    net.p2p(dialler).Send(2, Text("for validator 2 only"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return net.p2p(dialler).stats().handshakes_refused >= 3; }));
  auto [connected, delivered, connects] = net.Run([&] {
    return std::make_tuple(net.p2p(dialler).Connected(2), net.at(impostor).received.size(),
                           net.at(dialler).connects[2]);
  });
  CHECK_FALSE(connected);
  CHECK(connects == 0);
  CHECK(delivered == 0);
}

TEST_CASE(
    "garbage, non-TLS-1.3 and certificate-less clients are dropped while the node keeps "
    "working",
    "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  net.Add(Config(0, peers, keys[0]));
  net.Add(Config(1, peers, keys[1]));
  Mesh(net, 2);
  REQUIRE(net.WaitUntil([&] { return net.p2p(0).Connected(1) && net.p2p(1).Connected(0); }));
  uint16_t port = net.Port(1);

  std::mt19937 rng(7);
  Bytes random(8192);
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  Bytes bogus_record = {0x16, 0x03, 0x01, 0xff, 0xff};  // handshake record claiming 64 KiB
  bogus_record.insert(bogus_record.end(), random.begin(), random.begin() + 100);
  Bytes bare_frame;
  node::AppendFrame(bare_frame, Text("a frame without TLS"));
  for (const Bytes& garbage :
       {Text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), random, bogus_record, bare_frame}) {
    CHECK(ServerCloses(port, garbage, 10s));
  }
  CHECK(TlsClientIsDropped(port, /*tls12_only=*/true));
  CHECK(TlsClientIsDropped(port, /*tls12_only=*/false));
  REQUIRE(net.WaitUntil([&] { return net.p2p(1).stats().handshakes_refused >= 1; }));

  net.Run([&] {
    net.p2p(0).Send(1, Text("still here"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return HasPayload(net.at(1), Text("still here")); }));
  auto delivered = net.Run([&] { return net.at(1).received.size(); });
  CHECK(delivered == 1);
}

TEST_CASE("a connection that never starts the TLS handshake is closed by the timeout", "[p2p]") {
  auto keys = MakeKeys(2);
  Net net;
  size_t n = net.Add(Config(0, Pinned(keys), keys[0]));
  auto start = std::chrono::steady_clock::now();
  CHECK(ServerCloses(net.Port(n), Bytes{}, 15s));
  CHECK(std::chrono::steady_clock::now() - start >= 4s);
}

TEST_CASE(
    "handshakes in progress from one address are capped, and the node then still accepts "
    "peers",
    "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  size_t a = net.Add(Config(0, peers, keys[0]));
  uint16_t port = net.Port(a);
  asio::io_context io;
  std::vector<tcp::socket> silent;
  for (int i = 0; i < 8; ++i) {  // the per-address cap
    silent.emplace_back(io);
    silent.back().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // The ninth is closed at once, not after the 5 s handshake timeout.
  CHECK(ServerCloses(port, Bytes{}, 3s));
  for (auto& s : silent) s.close();

  size_t b = net.Add(Config(1, peers, keys[1]));
  Mesh(net, 2);
  REQUIRE(net.WaitUntil([&] { return net.p2p(a).Connected(1) && net.p2p(b).Connected(0); }));
}

TEST_CASE(
    "an oversized frame drops the connection, and the sender reconnects and later frames "
    "arrive",
    "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  auto sender_config = Config(0, peers, keys[0]);
  sender_config.max_frame_bytes = 1 << 20;
  auto receiver_config = Config(1, peers, keys[1]);
  receiver_config.max_frame_bytes = 1024;
  size_t sender = net.Add(sender_config);
  size_t receiver = net.Add(receiver_config);
  net.Point(sender, 1, net.Port(receiver));
  REQUIRE(net.WaitUntil([&] { return net.at(sender).connects[1] == 1; }));

  net.Run([&] {
    net.p2p(sender).Send(1, Text("before"));
    net.p2p(sender).Send(1, Bytes(4096, 'x'));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return net.p2p(receiver).stats().oversized_frames == 1; }));
  REQUIRE(net.WaitUntil([&] { return net.at(sender).connects[1] >= 2; }));
  net.Run([&] {
    net.p2p(sender).Send(1, Text("after"));
    net.p2p(sender).Send(1, Bytes(1024, 'y'));  // exactly the limit
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return From(net.at(receiver), 0).size() >= 3; }));
  auto got = net.Run([&] { return From(net.at(receiver), 0); });
  CHECK(got == std::vector<Bytes>{Text("before"), Text("after"), Bytes(1024, 'y')});
}

TEST_CASE(
    "a peer that stops and comes back on the same port is redialled and gets new "
    "frames",
    "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  size_t a = net.Add(Config(0, peers, keys[0]));
  size_t b = net.Add(Config(1, peers, keys[1]));
  Mesh(net, 2);
  REQUIRE(net.WaitUntil([&] { return net.p2p(a).Connected(1) && net.p2p(b).Connected(0); }));
  uint16_t a_port = net.Port(a);
  uint16_t b_port = net.Port(b);
  net.Run([&] {
    net.p2p(a).Send(1, Text("one"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return HasPayload(net.at(b), Text("one")); }));

  bool b_connected_after_stop = net.Run([&] {
    net.p2p(b).Stop();
    net.p2p(b).Send(0, Text("after stop: ignored"));
    return net.p2p(b).Connected(0);
  });
  CHECK_FALSE(b_connected_after_stop);
  net.Remove(b);
  REQUIRE(net.WaitUntil([&] { return !net.p2p(a).Connected(1); }));
  net.Run([&] {
    net.p2p(a).Send(1, Text("queued while down"));
    return 0;
  });

  auto again = Config(1, peers, keys[1]);
  again.listen = Net::Loopback(b_port);
  again.peers[0].address = Net::Loopback(a_port);
  size_t b2 = net.Add(again);
  REQUIRE(net.WaitUntil([&] { return net.at(a).connects[1] >= 2; }));
  net.Run([&] {
    net.p2p(a).Send(1, Text("two"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return From(net.at(b2), 0).size() >= 2; }));
  auto got = net.Run([&] { return From(net.at(b2), 0); });
  CHECK(got == std::vector<Bytes>{Text("queued while down"), Text("two")});

  // The restarted node's own dial replaces its old inbound connection at a.
  REQUIRE(net.WaitUntil([&] { return net.p2p(b2).Connected(0); }));
  net.Run([&] {
    net.p2p(b2).Send(0, Text("back"));
    return 0;
  });
  REQUIRE(net.WaitUntil([&] { return HasPayload(net.at(a), Text("back")); }));
}

TEST_CASE("a peer address given by host name is resolved when dialled", "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  size_t a = net.Add(Config(0, peers, keys[0]));
  size_t b = net.Add(Config(1, peers, keys[1]));
  uint16_t b_port = net.Port(b);
  Status st =
      net.Run([&] { return net.p2p(a).SetPeerAddress(1, "localhost:" + std::to_string(b_port)); });
  REQUIRE(st.ok());
  net.Run([&] { net.p2p(a).Send(1, Text("by name")); });
  REQUIRE(net.WaitUntil([&] { return HasPayload(net.at(b), Text("by name")); }));
  CHECK(net.Run([&] { return net.p2p(a).SetPeerAddress(1, "no-port").code(); }) == "bad_address");
  CHECK_FALSE(net.Run([&] { return net.p2p(a).SetPeerAddress(7, "127.0.0.1:1").ok(); }));
}

TEST_CASE("nodes may be destroyed after their io_context stopped, with connections live", "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  auto io = std::make_unique<asio::io_context>();
  std::vector<std::unique_ptr<node::P2p>> nodes;
  int received = 0;
  for (uint32_t i = 0; i < 2; ++i) {
    nodes.push_back(std::make_unique<node::P2p>(*io, Config(i, peers, keys[i]),
                                                [&received](uint32_t, Bytes) { ++received; }));
    REQUIRE(nodes.back()->Start().ok());
  }
  REQUIRE(nodes[0]->SetPeerAddress(1, Net::Loopback(nodes[1]->listen_port())).ok());
  REQUIRE(nodes[1]->SetPeerAddress(0, Net::Loopback(nodes[0]->listen_port())).ok());
  nodes[0]->Send(1, Text("x"));
  // This test's thread runs the loop itself until the frame arrives.
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (received == 0 && std::chrono::steady_clock::now() < deadline) io->run_for(10ms);
  REQUIRE(received == 1);
  nodes[1]->Send(0, Bytes(1 << 20, 1));  // a write in flight
  io->run_for(1ms);
  io->stop();
  nodes.clear();  // no Stop() first: the destructor does it, the loop no longer runs
  io.reset();     // drops the pending handlers that still own connections
}

TEST_CASE("a full send queue drops its oldest frames and frames over the limit are not sent",
          "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  auto c = Config(0, peers, keys[0]);
  c.max_queue_bytes = 10 * 100;  // ten frames of 4 + 96 bytes
  c.max_frame_bytes = 512;
  size_t a = net.Add(c);
  auto payload = [](int k) {
    std::string s = "frame " + std::to_string(k);
    s.resize(96, '.');
    return Text(s);
  };
  auto dropped = net.Run([&] {
    for (int k = 0; k < 25; ++k) net.p2p(a).Send(1, payload(k));
    net.p2p(a).Send(1, Bytes(513, 'z'));
    net.p2p(a).Send(0, Text("to self: ignored"));
    return net.p2p(a).stats().dropped_frames;
  });
  CHECK(dropped == 16);

  size_t b = net.Add(Config(1, peers, keys[1]));
  net.Point(a, 1, net.Port(b));
  REQUIRE(net.WaitUntil([&] { return From(net.at(b), 0).size() >= 10; }));
  std::vector<Bytes> want;
  for (int k = 15; k < 25; ++k) want.push_back(payload(k));
  auto got = net.Run([&] { return From(net.at(b), 0); });
  CHECK(got == want);
}

TEST_CASE("P2p::Start rejects a bad TLS key, a bad listen address and a bad self index", "[p2p]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  size_t ignored = 0;
  auto bad_key = Config(0, peers, keys[0]);
  bad_key.tls_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";
  CHECK(net.TryAdd(bad_key, ignored).code() == "bad_tls_key");
  auto bad_listen = Config(0, peers, keys[0]);
  bad_listen.listen = "not-an-address";
  CHECK_FALSE(net.TryAdd(bad_listen, ignored).ok());
  auto bad_self = Config(2, peers, keys[0]);
  CHECK(net.TryAdd(bad_self, ignored).code() == "bad_config");
  auto bad_pin = Config(0, peers, keys[0]);
  bad_pin.peers[1].tls_key = Bytes(91, 0x04);
  CHECK(net.TryAdd(bad_pin, ignored).code() == "bad_config");
}

// ----- framing -----

namespace {

Bytes Encode(const std::vector<Bytes>& frames) {
  Bytes out;
  for (const auto& f : frames) node::AppendFrame(out, f);
  return out;
}

}  // namespace

TEST_CASE("AppendFrame writes a 4-byte big-endian length then the payload", "[p2p]") {
  Bytes out = {0xaa};
  node::AppendFrame(out, Text("abc"));
  CHECK(out == Bytes{0xaa, 0, 0, 0, 3, 'a', 'b', 'c'});
  node::AppendFrame(out, Bytes(0x0102, 7));
  CHECK(out.size() == 8 + 4 + 0x0102);
  CHECK(Bytes(out.begin() + 8, out.begin() + 12) == Bytes{0, 0, 1, 2});
}

TEST_CASE("FrameDecoder reassembles frames split across feeds and merged in one feed", "[p2p]") {
  std::vector<Bytes> frames = {Text("hello"), Text("world"), Bytes(5000, 9), Text("x")};
  Bytes wire = Encode(frames);

  node::FrameDecoder merged(1 << 20);
  std::vector<Bytes> out;
  REQUIRE(merged.Feed(wire.data(), wire.size(), out).ok());
  CHECK(out == frames);

  node::FrameDecoder bytewise(1 << 20);
  out.clear();
  for (uint8_t b : wire) REQUIRE(bytewise.Feed(&b, 1, out).ok());
  CHECK(out == frames);

  // A header split 2+2, and a feed that ends one frame and starts the next.
  node::FrameDecoder split(1 << 20);
  out.clear();
  REQUIRE(split.Feed(wire.data(), 2, out).ok());
  CHECK(out.empty());
  REQUIRE(split.Feed(wire.data() + 2, 2, out).ok());
  REQUIRE(split.Feed(wire.data() + 4, 5 + 6, out).ok());  // "hello" + half the next header+
  CHECK(out == std::vector<Bytes>{Text("hello")});
  REQUIRE(split.Feed(wire.data() + 15, wire.size() - 15, out).ok());
  CHECK(out == frames);
  REQUIRE(split.Feed(nullptr, 0, out).ok());
  CHECK(out.size() == frames.size());
}

TEST_CASE("FrameDecoder delivers zero-length frames as empty payloads", "[p2p]") {
  std::vector<Bytes> frames = {Bytes{}, Text("a"), Bytes{}, Bytes{}};
  Bytes wire = Encode(frames);
  CHECK(wire.size() == 4 * 4 + 1);
  node::FrameDecoder d(16);
  std::vector<Bytes> out;
  REQUIRE(d.Feed(wire.data(), wire.size(), out).ok());
  CHECK(out == frames);
  node::FrameDecoder zero_limit(0);
  out.clear();
  Bytes empty_frame = Encode({Bytes{}});
  REQUIRE(zero_limit.Feed(empty_frame.data(), empty_frame.size(), out).ok());
  CHECK(out == std::vector<Bytes>{Bytes{}});
}

TEST_CASE("FrameDecoder rejects a length over the maximum and stays failed", "[p2p]") {
  node::FrameDecoder d(100);
  Bytes wire = Encode({Bytes(100, 1)});  // exactly the maximum is fine
  Bytes over = {0, 0, 0, 101};
  wire.insert(wire.end(), over.begin(), over.end());
  std::vector<Bytes> out;
  Status st = d.Feed(wire.data(), wire.size(), out);
  CHECK(st.code() == "frame_too_large");
  CHECK(out == std::vector<Bytes>{Bytes(100, 1)});  // what came before the bad length
  Bytes good = Encode({Text("ok")});
  CHECK_FALSE(d.Feed(good.data(), good.size(), out).ok());
  CHECK(out.size() == 1);

  // A huge length is refused from its header alone, before any payload arrives.
  node::FrameDecoder big(16u << 20);
  Bytes huge = {0xff, 0xff, 0xff, 0xff};
  out.clear();
  CHECK_FALSE(big.Feed(huge.data(), huge.size(), out).ok());
  CHECK(out.empty());
}

TEST_CASE("FrameDecoder survives random bytes and random chunkings", "[p2p]") {
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    auto below = [&rng](size_t n) { return n == 0 ? size_t{0} : rng() % n; };
    const size_t max = 1 + below(300);

    // Valid streams, cut at random points, decode exactly.
    std::vector<Bytes> frames(below(30));
    for (auto& f : frames) {
      f.resize(below(max + 1));
      for (auto& b : f) b = static_cast<uint8_t>(rng());
    }
    Bytes wire = Encode(frames);
    node::FrameDecoder d(max);
    std::vector<Bytes> out;
    for (size_t pos = 0; pos < wire.size();) {
      size_t n = std::min(wire.size() - pos, below(2 * max + 8) + (rng() % 4 == 0 ? 0 : 1));
      REQUIRE(d.Feed(wire.data() + pos, n, out).ok());
      pos += n;
    }
    REQUIRE(out == frames);

    // Random bytes (sometimes after valid frames): never crash, never a frame over the limit,
    // and once failed, failed for good.
    Bytes noise = below(2) == 0 ? Encode(frames) : Bytes{};
    size_t noise_size = below(4 * max + 64);
    for (size_t i = 0; i < noise_size; ++i) {
      // Small lengths are common in real streams; bias some bytes to zero to reach them.
      noise.push_back(below(3) == 0 ? 0 : static_cast<uint8_t>(rng()));
    }
    node::FrameDecoder fuzz(max);
    out.clear();
    bool failed = false;
    for (size_t pos = 0; pos < noise.size();) {
      size_t n = std::min(noise.size() - pos, below(64) + 1);
      Status st = fuzz.Feed(noise.data() + pos, n, out);
      if (failed) REQUIRE_FALSE(st.ok());
      failed = failed || !st.ok();
      pos += n;
    }
    for (const auto& f : out) REQUIRE(f.size() <= max);
    size_t consumed = 0;
    for (const auto& f : out) consumed += 4 + f.size();
    REQUIRE(consumed <= noise.size());
  }
}

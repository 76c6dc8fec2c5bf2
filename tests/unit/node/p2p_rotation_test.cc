// Key rotation in the peer transport (issue 7): a validator's TLS key replaced by governance is
// pinned beside the old one under the same name; the node switches with P2p::SetOwnTlsKey and
// its peers meet it under the new key, while frames go to one entry per validator.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "node/p2p.h"
#include "tests/unit/node/p2p_fixture.h"

using namespace govledger;
using namespace govledger::p2p_fixture;  // NOLINT(build/namespaces): the harness

namespace {

size_t CountPayload(const Net::Node& n, const Bytes& payload) {
  size_t count = 0;
  for (const auto& r : n.received) count += r.second == payload ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("a validator that switches its TLS key is reached under the new one, and a validator "
          "pinned under two keys gets each frame once",
          "[p2p][rotation]") {
  auto keys = MakeKeys(4);  // v0, v1, v2, and v2's next TLS key
  std::vector<node::PeerInfo> peers = Pinned(keys);
  peers[3].name = "v2";  // entry 3: validator v2 under its next key
  Net net;
  for (uint32_t i = 0; i < 3; ++i) net.Add(Config(i, peers, keys[i]));
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < 3; ++i) ports.push_back(net.Port(i));
  for (size_t i = 0; i < 3; ++i) {
    for (uint32_t j = 0; j < 4; ++j) {
      const uint16_t port = ports[j == 3 ? 2 : j];
      if (j != i) net.Point(i, j, port);
    }
  }
  auto mesh_up = [&](uint32_t v2_entry) {
    return net.WaitUntil([&] {
      return net.p2p(0).Connected(1) && net.p2p(1).Connected(0) &&
             net.p2p(0).Connected(v2_entry) && net.p2p(1).Connected(v2_entry) &&
             net.p2p(2).Connected(0) && net.p2p(2).Connected(1);
    });
  };
  REQUIRE(mesh_up(2));

  // Under its old key: v2 gets a broadcast once, though v0 pins it twice.
  const Bytes before = ToBytes("before the rotation");
  net.Run([&] { net.p2p(0).Broadcast(before); });
  REQUIRE(net.WaitUntil([&] { return CountPayload(net.at(2), before) == 1; }));

  // The switch: v2 presents its next key; v0 and v1 reach it through entry 3.
  Status st = net.Run([&] { return net.p2p(2).SetOwnTlsKey(keys[3].ToPem()); });
  REQUIRE(st.ok());
  REQUIRE(mesh_up(3));
  CHECK_FALSE(net.Run([&] { return net.p2p(0).Connected(2); }));

  const Bytes after = ToBytes("after the rotation");
  const Bytes reply = ToBytes("from v2's next key");
  net.Run([&] {
    net.p2p(0).Broadcast(after);
    net.p2p(2).Send(0, reply);
  });
  REQUIRE(net.WaitUntil([&] {
    return CountPayload(net.at(2), after) == 1 && CountPayload(net.at(1), after) == 1 &&
           CountPayload(net.at(0), reply) == 1;
  }));
  // v0 knows the sender by the key it presented: entry 3.
  CHECK(From(net.at(0), 3) == std::vector<Bytes>{reply});
  // Nothing arrives twice, in either direction, a moment later either.
  std::this_thread::sleep_for(200ms);
  CHECK(net.Run([&] { return CountPayload(net.at(2), before) + CountPayload(net.at(2), after); }) ==
        2);
}

TEST_CASE("SetOwnTlsKey rejects a key that is not a P-256 PKCS#8 PEM and keeps the old one",
          "[p2p][rotation]") {
  auto keys = MakeKeys(2);
  auto peers = Pinned(keys);
  Net net;
  net.Add(Config(0, peers, keys[0]));
  net.Add(Config(1, peers, keys[1]));
  net.Point(0, 1, net.Port(1));
  net.Point(1, 0, net.Port(0));
  REQUIRE(net.WaitUntil([&] { return net.p2p(0).Connected(1) && net.p2p(1).Connected(0); }));
  Status st = net.Run([&] { return net.p2p(1).SetOwnTlsKey("not a key"); });
  CHECK(st.code() == "bad_tls_key");
  // Still connected under the old key.
  const Bytes ping = ToBytes("still here");
  net.Run([&] { net.p2p(1).Send(0, ping); });
  CHECK(net.WaitUntil([&] { return CountPayload(net.at(0), ping) == 1; }));
}

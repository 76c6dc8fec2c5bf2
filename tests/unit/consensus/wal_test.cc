#include "consensus/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "tests/unit/consensus/fixture.h"
#include "util/file.h"

namespace govledger::consensus {
namespace {

using testing::BlockBytes;
using testing::BlockHash;
using testing::TempDir;

std::vector<Input> SampleInputs(uint64_t height = 1) {
  static const testing::TestValidators v = testing::MakeValidators(4);
  return {
      ProposalIn{testing::SignedProposal(v, 1, height, 0, "a")},
      ProposalIn{testing::SignedProposal(v, 2, height, 1, "a", 0)},
      VoteIn{testing::SignedVote(v, 2, VoteType::kPrevote, height, 0, "a")},
      VoteIn{testing::SignedVote(v, 3, VoteType::kPrecommit, height, 0, "")},
      TimeoutIn{height, 3, Step::kPrevote},
      ValidityIn{height, 0, BlockHash("a"), true},
      ValidityIn{height, 2, BlockHash("b"), false},
      BlockIn{height, 1, BlockHash("c"), BlockBytes("c")},
  };
}

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

void Truncate(const std::string& path, uint64_t size) {
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(size)) == 0);
}

void PokeByte(const std::string& path, uint64_t offset, uint8_t xor_mask) {
  int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  uint8_t b = 0;
  REQUIRE(::pread(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  b ^= xor_mask;
  REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  ::close(fd);
}

void AppendRaw(const std::string& path, const Bytes& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// Writes the inputs after BeginHeight(height) and returns the file size after each append.
std::vector<uint64_t> Fill(const std::string& dir, const std::vector<Input>& inputs,
                           uint64_t height = 1) {
  auto wal = Wal::Open(dir);
  REQUIRE(wal.ok());
  REQUIRE((*wal)->BeginHeight(height).ok());
  std::vector<uint64_t> sizes{FileSize(dir + "/wal")};
  for (const Input& in : inputs) {
    REQUIRE((*wal)->Append(in).ok());
    sizes.push_back(FileSize(dir + "/wal"));
  }
  return sizes;
}

// ------------------------------------------------------------------ input codec

TEST_CASE("every input kind survives EncodeInput and DecodeInput", "[consensus][wal]") {
  for (const Input& in : SampleInputs()) {
    Bytes enc = EncodeInput(in);
    auto dec = DecodeInput(enc);
    REQUIRE(dec.ok());
    CHECK(EncodeInput(*dec) == enc);
    CHECK(dec->index() == in.index());
  }
  Proposal p;
  p.pol_round = -1;
  auto dec = DecodeInput(EncodeInput(ProposalIn{p}));
  REQUIRE(dec.ok());
  CHECK(std::get<ProposalIn>(*dec).proposal.pol_round == -1);
}

TEST_CASE("DecodeInput rejects truncated, extended, mutated and random bytes", "[consensus][wal]") {
  for (const Input& in : SampleInputs()) {
    const Bytes enc = EncodeInput(in);
    for (size_t len = 0; len < enc.size(); ++len) {
      CHECK_FALSE(DecodeInput(Bytes(enc.begin(), enc.begin() + static_cast<long>(len))).ok());
    }
    Bytes longer = enc;
    longer.push_back(0);
    CHECK(DecodeInput(longer).status().code() == "malformed_input");
  }
  CHECK_FALSE(DecodeInput(Bytes{9}).ok());
  CHECK_FALSE(DecodeInput(Bytes{2, 7}).ok());  // vote type 7
  std::mt19937_64 rng(42);
  const auto samples = SampleInputs();
  for (int i = 0; i < 20000; ++i) {
    Bytes b;
    if (i % 2 == 0) {
      b.resize(rng() % 64);
      for (auto& x : b) x = static_cast<uint8_t>(rng());
      if (!b.empty()) b[0] = static_cast<uint8_t>(1 + rng() % 5);
    } else {
      b = EncodeInput(samples[rng() % samples.size()]);
      for (int k = 0; k < 3; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    }
    (void)DecodeInput(b);  // must not crash, whatever it answers
  }
}

// ------------------------------------------------------------------ wal

TEST_CASE("a reopened WAL returns the current height's inputs in order", "[consensus][wal]") {
  TempDir dir;
  const auto inputs = SampleInputs(5);
  Fill(dir.path(), inputs, 5);
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  CHECK((*wal)->dropped_tail_bytes() == 0);
  auto cur = (*wal)->ReadCurrentHeight();
  REQUIRE(cur.ok());
  CHECK(cur->first == 5);
  REQUIRE(cur->second.size() == inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    CHECK(EncodeInput(cur->second[i]) == EncodeInput(inputs[i]));
  }
}

TEST_CASE("a new WAL is empty at height 0", "[consensus][wal]") {
  TempDir dir;
  auto wal = Wal::Open(dir.path() + "/sub");
  REQUIRE(wal.ok());
  auto cur = (*wal)->ReadCurrentHeight();
  REQUIRE(cur.ok());
  CHECK(cur->first == 0);
  CHECK(cur->second.empty());
  CHECK((*wal)->guard()->Last().height == 0);
}

TEST_CASE("a torn WAL tail is truncated on open and appending continues", "[consensus][wal]") {
  const auto inputs = SampleInputs();
  TempDir probe;
  const auto sizes = Fill(probe.path(), inputs);
  const uint64_t last_start = sizes[sizes.size() - 2];
  const uint64_t full = sizes.back();
  // Every cut inside the last record: header only partly written, payload partly written.
  for (uint64_t cut : {last_start + 1, last_start + 4, last_start + 8, last_start + 9, full - 1}) {
    TempDir dir;
    Fill(dir.path(), inputs);
    Truncate(dir.path() + "/wal", cut);
    auto wal = Wal::Open(dir.path());
    REQUIRE(wal.ok());
    CHECK((*wal)->dropped_tail_bytes() == cut - last_start);
    CHECK(FileSize(dir.path() + "/wal") == last_start);
    auto cur = (*wal)->ReadCurrentHeight();
    REQUIRE(cur.ok());
    CHECK(cur->second.size() == inputs.size() - 1);
    REQUIRE((*wal)->Append(inputs.back()).ok());
    wal->reset();
    auto again = Wal::Open(dir.path());
    REQUIRE(again.ok());
    CHECK((*again)->dropped_tail_bytes() == 0);
    CHECK((*again)->ReadCurrentHeight()->second.size() == inputs.size());
  }
}

TEST_CASE("a bad checksum in the last record is a torn tail", "[consensus][wal]") {
  TempDir dir;
  const auto inputs = SampleInputs();
  const auto sizes = Fill(dir.path(), inputs);
  PokeByte(dir.path() + "/wal", sizes.back() - 3, 0x40);
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  CHECK((*wal)->dropped_tail_bytes() == sizes.back() - sizes[sizes.size() - 2]);
  CHECK((*wal)->ReadCurrentHeight()->second.size() == inputs.size() - 1);
}

TEST_CASE("a zero-filled tail is truncated", "[consensus][wal]") {
  TempDir dir;
  const auto inputs = SampleInputs();
  const auto sizes = Fill(dir.path(), inputs);
  AppendRaw(dir.path() + "/wal", Bytes(100, 0));
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  CHECK((*wal)->dropped_tail_bytes() == 100);
  CHECK((*wal)->ReadCurrentHeight()->second.size() == inputs.size());
  CHECK(FileSize(dir.path() + "/wal") == sizes.back());
}

TEST_CASE("a bad record in the middle of the WAL is corrupt_wal", "[consensus][wal]") {
  TempDir dir;
  const auto sizes = Fill(dir.path(), SampleInputs());
  PokeByte(dir.path() + "/wal", sizes[2] + 12, 0x01);  // inside the third input's payload
  auto wal = Wal::Open(dir.path());
  REQUIRE_FALSE(wal.ok());
  CHECK(wal.status().code() == "corrupt_wal");
  // Nothing was truncated: the evidence stays for an operator.
  CHECK(FileSize(dir.path() + "/wal") == sizes.back());
}

// Regression: a damaged length field in the middle of the file used to read as a torn tail,
// and every later record was silently truncated away.
TEST_CASE("a damaged length field in the middle of the WAL is corrupt_wal, not a torn tail",
          "[consensus][wal]") {
  const auto inputs = SampleInputs();
  // Too long (past the end of the file), too short, and zero.
  for (uint8_t mask : {uint8_t{0x80}, uint8_t{0x01}, uint8_t{0xFF}}) {
    TempDir dir;
    const auto sizes = Fill(dir.path(), inputs);
    const std::string path = dir.path() + "/wal";
    if (mask == 0xFF) {
      // Zero the whole length field of the third record.
      for (int i = 0; i < 4; ++i) {
        int fd = ::open(path.c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        uint8_t zero = 0;
        REQUIRE(::pwrite(fd, &zero, 1, static_cast<off_t>(sizes[2] + i)) == 1);
        ::close(fd);
      }
    } else {
      PokeByte(path, sizes[2] + (mask == 0x80 ? 0 : 3), mask);
    }
    auto wal = Wal::Open(dir.path());
    REQUIRE_FALSE(wal.ok());
    CHECK(wal.status().code() == "corrupt_wal");
    CHECK_THAT(wal.status().message(),
               Catch::Contains("offset " + std::to_string(sizes[2])) &&
                   Catch::Contains("not a torn tail") && Catch::Contains("move the file aside"));
    CHECK(FileSize(path) == sizes.back());  // nothing truncated
  }
}

TEST_CASE("a damaged length field in the last record is still a torn tail", "[consensus][wal]") {
  TempDir dir;
  const auto inputs = SampleInputs();
  const auto sizes = Fill(dir.path(), inputs);
  PokeByte(dir.path() + "/wal", sizes[sizes.size() - 2], 0x80);
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  CHECK((*wal)->dropped_tail_bytes() == sizes.back() - sizes[sizes.size() - 2]);
  CHECK((*wal)->ReadCurrentHeight()->second.size() == inputs.size() - 1);
}

TEST_CASE("BeginHeight rotates the WAL and carries the new height's messages over",
          "[consensus][wal]") {
  TempDir dir;
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  REQUIRE((*wal)->BeginHeight(1).ok());
  for (const Input& in : SampleInputs(1)) REQUIRE((*wal)->Append(in).ok());
  const auto next = SampleInputs(2);
  REQUIRE((*wal)->Append(next[0]).ok());  // a proposal for height 2, received during height 1
  REQUIRE((*wal)->Append(next[2]).ok());  // a prevote for height 2
  REQUIRE((*wal)->Append(next[4]).ok());  // not a message: never carried
  const uint64_t before = FileSize(dir.path() + "/wal");
  REQUIRE((*wal)->BeginHeight(2).ok());
  CHECK(FileSize(dir.path() + "/wal") < before);
  CHECK_FALSE(PathExists(dir.path() + "/wal.tmp"));
  auto cur = (*wal)->ReadCurrentHeight();
  REQUIRE(cur.ok());
  CHECK(cur->first == 2);
  REQUIRE(cur->second.size() == 2);
  CHECK(EncodeInput(cur->second[0]) == EncodeInput(next[0]));
  CHECK(EncodeInput(cur->second[1]) == EncodeInput(next[2]));
  REQUIRE((*wal)->Append(next[5]).ok());
  wal->reset();

  auto reopened = Wal::Open(dir.path());
  REQUIRE(reopened.ok());
  cur = (*reopened)->ReadCurrentHeight();
  REQUIRE(cur.ok());
  CHECK(cur->first == 2);
  CHECK(cur->second.size() == 3);
  // Many heights later the file is still one height's worth.
  for (uint64_t h = 3; h < 50; ++h) {
    REQUIRE((*reopened)->BeginHeight(h).ok());
    for (const Input& in : SampleInputs(h)) REQUIRE((*reopened)->Append(in).ok());
  }
  CHECK(FileSize(dir.path() + "/wal") < 4096);
}

TEST_CASE("the sign guard is durable and only moves forward", "[consensus][wal]") {
  TempDir dir;
  {
    auto wal = Wal::Open(dir.path());
    REQUIRE(wal.ok());
    SignGuard* g = (*wal)->guard();
    CHECK(g->Persist({3, 1, 2}));
    CHECK_FALSE(g->Persist({3, 1, 2}));  // same position: refused
    CHECK_FALSE(g->Persist({3, 0, 3}));  // backwards: refused
    CHECK(g->Last().round == 1);
  }
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  SignGuard::Position p = (*wal)->guard()->Last();
  CHECK(p.height == 3);
  CHECK(p.round == 1);
  CHECK(p.step == 2);
  CHECK((*wal)->guard()->Persist({3, 1, 3}));
}

TEST_CASE("a damaged sign guard refuses to open rather than forget", "[consensus][wal]") {
  TempDir dir;
  {
    auto wal = Wal::Open(dir.path());
    REQUIRE(wal.ok());
    REQUIRE((*wal)->guard()->Persist({7, 0, 1}));
  }
  PokeByte(dir.path() + "/sign_guard", 11, 0x01);
  auto wal = Wal::Open(dir.path());
  REQUIRE_FALSE(wal.ok());
  CHECK(wal.status().code() == "corrupt_sign_guard");
}

TEST_CASE("a restarted core replaying its WAL signs nothing new for what it signed",
          "[consensus][wal]") {
  TempDir dir;
  const testing::TestValidators v = testing::MakeValidators(4);
  Vote signed_before;
  {
    auto wal = Wal::Open(dir.path());
    REQUIRE(wal.ok());
    Core core(testing::MakeConfig(v, 0), &v.keys[0], (*wal)->guard());
    REQUIRE((*wal)->BeginHeight(1).ok());
    core.StartHeight(1);
    // The node's order: log the input, feed it, log our own signed messages, then send.
    auto feed = [&](const Input& in) {
      REQUIRE((*wal)->Append(in).ok());
      for (const Effect& e : core.OnInput(in)) {
        if (const auto* bv = std::get_if<BroadcastVote>(&e)) {
          REQUIRE((*wal)->Append(VoteIn{bv->vote}).ok());
          signed_before = bv->vote;
        }
      }
    };
    feed(ProposalIn{testing::SignedProposal(v, 1, 1, 0, "a")});
    feed(ValidityIn{1, 0, BlockHash("a"), true});
    REQUIRE(signed_before.block_hash == BlockHash("a"));
  }
  auto wal = Wal::Open(dir.path());
  REQUIRE(wal.ok());
  Core core(testing::MakeConfig(v, 0), &v.keys[0], (*wal)->guard());
  auto cur = (*wal)->ReadCurrentHeight();
  REQUIRE(cur.ok());
  REQUIRE(cur->first == 1);
  core.StartHeight(cur->first);
  for (const Input& in : cur->second) {
    for (const Effect& e : core.OnInput(in)) {
      if (const auto* bv = std::get_if<BroadcastVote>(&e)) {
        CHECK(bv->vote.signature == signed_before.signature);
      }
    }
  }
  CHECK(core.step() == Step::kPrevote);
  auto latest = core.LatestMessages();
  REQUIRE(latest.size() == 1);
  CHECK(std::get<BroadcastVote>(latest[0]).vote.signature == signed_before.signature);
  // A nil prevote would conflict: refused after the restart too.
  for (const Effect& e : core.OnInput(TimeoutIn{1, 0, Step::kPropose})) {
    CHECK_FALSE(std::holds_alternative<BroadcastVote>(e));
  }
}

}  // namespace
}  // namespace govledger::consensus

// Storage faults on real validator processes (issue 7): one node of the four-validator network
// is stopped, its data damaged on disk, and started again. Each damage must end in a refusal to
// start naming what is wrong and what to do (or, for a torn WAL tail, a repair), while the other
// three keep committing; the damaged node then recovers the documented way and catches up, and
// the usual safety checks (same chain everywhere, no acknowledged transaction lost) close the
// scenario. The full-disk scenario puts one node's data on a small tmpfs (needs root).
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/integration/network_harness.h"
#include "ledger/genesis.h"
#include "util/bytes.h"

namespace govledger::itest {
namespace {

namespace fs = std::filesystem;

struct TestNet {
  explicit TestNet(NetworkOptions options = {}) : net(tmp, options) {}
  TempDir tmp{"govledger-storage"};
  Network net;
  AckLedger ledger;
};

constexpr size_t kVictim = 3;
const std::vector<size_t> kOthers = {0, 1, 2};

struct Refusal {
  int exit_code = -1;
  std::string output;
};

// Runs govledger-node on `home` and expects it to exit (not serve) within 60 s.
Refusal StartExpectingRefusal(const std::string& home) {
  const std::string log = home + "/../refusal.log";
  fs::remove(log);
  Process p = Process::Spawn({NodeBinary(), "--home", home, "--api", "127.0.0.1:0"}, log, log);
  auto status = p.Wait(milliseconds(60'000));
  Refusal r;
  r.output = ReadFileOrThrow(log);
  if (!status) {
    p.Kill();
    FAIL("govledger-node started on damaged data instead of refusing; output:\n" << r.output);
  }
  r.exit_code = status->code;
  return r;
}

// The other three validators still commit while the victim is down.
void RequireOthersCommit(TestNet& t) {
  const uint64_t from = t.net.MaxHeight(kOthers);
  IssueAndRequireAck(t.net, t.ledger, 0, "mca");
  if (!t.net.WaitHeight(kOthers, from + 2, milliseconds(60'000))) {
    FAIL("the three undamaged validators stopped committing\n" << t.net.Describe());
  }
}

// Stops the victim after `issues` committed transactions (and at least `height` blocks), with its
// chain in LevelDB table files: a clean stop leaves the newest writes in LevelDB's log; the next
// open turns them into a level-0 table, so the node is started and stopped once more.
void StopVictimWithTables(TestNet& t, int issues = 3, uint64_t height = 0) {
  for (int i = 0; i < issues; ++i) IssueAndRequireAck(t.net, t.ledger, i % 4, "mca");
  if (height > 0 && !t.net.WaitHeight({kVictim}, height, milliseconds(60'000))) {
    FAIL("the victim did not reach height " << height << "\n" << t.net.Describe());
  }
  t.net.node(kVictim).Stop();
  t.net.node(kVictim).Start();
  t.net.node(kVictim).Stop();
}

// The table files of a data directory's two databases (the main one and blocks/), largest first.
std::vector<std::string> TableFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".ldb") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return fs::file_size(a) > fs::file_size(b);
  });
  return out;
}

void FlipByteAt(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  uint8_t b = 0;
  REQUIRE(::pread(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  b ^= 0x20;
  REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(offset)) == 1);
  REQUIRE(::fsync(fd) == 0);
  ::close(fd);
}

// Flips a byte of block `height`'s bytes in the stopped victim's table files and returns the
// file: the block is read from a healthy peer (raw blocks are a signed read, doc/api.md) and
// found verbatim, since certificate signatures are incompressible.
std::string FlipByteOfBlock(TestNet& t, uint64_t height) {
  Json raw = SignedGet(t.net.node(0).url(), "/v1/block/" + std::to_string(height) + "/raw",
                       t.net.KeysDir() + "/mca.pem")
                 .json();
  const Bytes block = Base64Decode(raw.at("block").get<std::string>()).value();
  REQUIRE(block.size() > 64);
  const std::string needle(block.end() - 40, block.end());
  for (const std::string& f : TableFiles(t.net.Home(kVictim) + "/data")) {
    const std::string data = ReadFileOrThrow(f);
    if (size_t at = data.find(needle); at != std::string::npos) {
      FlipByteAt(f, at + 20);
      return f;
    }
  }
  FAIL("block " << height << " is not in the victim's table files");
  return {};
}

void ReplaceInFile(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = ReadFileOrThrow(path);
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  WriteFileOrThrow(path, text);
}

// Moves the victim's data directory aside (the documented recovery) and lets it sync back.
void RecoverBySync(TestNet& t) {
  const std::string data = t.net.Home(kVictim) + "/data";
  fs::rename(data, data + ".damaged");
  FinalChecks(t.net, t.ledger);
}

// ------------------------------------------------------------------ consensus WAL

TEST_CASE("a torn consensus-WAL tail is truncated and the node rejoins", "[storage]") {
  TestNet t;
  t.net.StartAllAndWaitReady();
  IssueAndRequireAck(t.net, t.ledger, kVictim, "samr");
  const std::string wal = t.net.Home(kVictim) + "/wal/wal";
  // Wait until the current height has records beyond BeginHeight, then crash mid-height.
  REQUIRE(WaitFor([&] { return fs::file_size(wal) > 200; }, milliseconds(30'000)));
  t.net.node(kVictim).Kill9();
  const uint64_t size = fs::file_size(wal);
  fs::resize_file(wal, size - 3);  // the last record loses its end, as in a crash mid-write
  t.net.node(kVictim).Start();
  CHECK_THAT(t.net.node(kVictim).LogTail(100'000), Catch::Contains("dropped a torn tail"));
  FinalChecks(t.net, t.ledger);
}

// Regression: a damaged length field mid-file read as a torn tail, silently dropping every
// later record the node had acted on.
TEST_CASE("a damaged record in the middle of the consensus WAL refuses the start with "
          "corrupt_wal",
          "[storage]") {
  TestNet t;
  t.net.StartAllAndWaitReady();
  IssueAndRequireAck(t.net, t.ledger, kVictim, "samr");
  const std::string wal = t.net.Home(kVictim) + "/wal/wal";
  REQUIRE(WaitFor([&] { return fs::file_size(wal) > 200; }, milliseconds(30'000)));
  t.net.node(kVictim).Kill9();
  FlipByteAt(wal, 0);  // the length field of the first record (BeginHeight): now far too long
  Refusal r = StartExpectingRefusal(t.net.Home(kVictim));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("corrupt_wal") &&
                           Catch::Contains("is corrupt: a damaged record (length") &&
                           Catch::Contains("at offset 0") && Catch::Contains("not a torn tail") &&
                           Catch::Contains("mv " + wal + " " + wal + ".corrupt"));
  CHECK(fs::file_size(wal) > 200);  // nothing truncated: the evidence stays
  RequireOthersCommit(t);
  // The documented recovery: move the WAL aside; the sign guard stays.
  fs::rename(wal, wal + ".corrupt");
  FinalChecks(t.net, t.ledger);
}

// ------------------------------------------------------------------ LevelDB

TEST_CASE("a truncated LevelDB table file refuses the start naming the file", "[storage]") {
  TestNet t;
  t.net.StartAllAndWaitReady();
  StopVictimWithTables(t);
  const auto tables = TableFiles(t.net.Home(kVictim) + "/data");
  REQUIRE_FALSE(tables.empty());
  fs::resize_file(tables[0], fs::file_size(tables[0]) / 2);
  Refusal r = StartExpectingRefusal(t.net.Home(kVictim));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("corrupt_store") &&
                           Catch::Contains("table file " + tables[0]) &&
                           Catch::Contains("truncated") && Catch::Contains("move") &&
                           Catch::Contains("aside"));
  RequireOthersCommit(t);
  RecoverBySync(t);
}

TEST_CASE("a flipped byte in a stored block refuses the start and audit chain names the height",
          "[storage]") {
  TestNet t;
  t.net.StartAllAndWaitReady();
  // The damaged block has at least eight blocks' rows on each side (each row a header with the
  // previous block's four-signature certificate, most of them a transaction too), so that the
  // 4 KiB data block LevelDB refuses holds the rows of blocks only (the block store holds
  // nothing else; before it, a short chain's damaged data block could also hold the store's
  // metadata, and then no audit could open the store at all).
  constexpr uint64_t kDamaged = 8;
  StopVictimWithTables(t, 16, 2 * kDamaged);
  const std::string hit_file = FlipByteOfBlock(t, kDamaged);

  Refusal r = StartExpectingRefusal(t.net.Home(kVictim));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("corrupt_store") && Catch::Contains("orruption") &&
                           Catch::Contains(hit_file));
  // The offline audit names the height whose bytes LevelDB refuses.
  CliResult audit = RunCli({"--json", "audit", "chain", "--home", t.net.Home(kVictim)});
  INFO(audit.Describe());
  CHECK(audit.exit_code != 0);
  Json report = audit.json();
  CHECK(report.value("ok", true) == false);
  // LevelDB checksums 4 KiB blocks: the damaged block may share its data block with the rows of
  // the few heights before it (the block store keeps a height's block, certificate, events and
  // state journal together), so the first unreadable height is at most kDamaged, never a later
  // one, and what the audit cannot read there is the block or its certificate.
  const uint64_t bad = report.value("bad_height", uint64_t{0});
  CHECK(bad >= 1);
  CHECK(bad <= kDamaged);
  const std::string reason = report.value("reason", std::string());
  CHECK((reason == "unreadable_block" || reason == "bad_commit"));
  CHECK_THAT(report.value("detail", std::string()), Catch::Contains("Corruption"));
  RequireOthersCommit(t);
  RecoverBySync(t);
}

// A store above [storage] startup_full_scan_max_bytes is not read whole at start (that is
// O(ledger size)); damage outside the newest blocks is then found when read, and a damaged block
// is answered as corrupt_store, never as data.
TEST_CASE("above startup_full_scan_max_bytes a node starts without the full scan, says so, and "
          "answers a damaged block with corrupt_store",
          "[storage]") {
  TestNet t;
  t.net.StartAllAndWaitReady();
  // Enough blocks that the middle one shares no LevelDB data block (4 KiB) with what every start
  // reads: the newest block, and the state tree's top nodes (keys 'A…', just before the blocks').
  for (int i = 0; i < 24; ++i) IssueAndRequireAck(t.net, t.ledger, i % 3, "edu");
  StopVictimWithTables(t);
  const uint64_t middle = t.net.Height(0) / 2;  // the victim stopped at about that height
  REQUIRE(middle >= 12);
  FlipByteOfBlock(t, middle);
  const std::string toml = t.net.Home(kVictim) + "/node.toml";
  ReplaceInFile(toml, "startup_full_scan_max_bytes = 2147483648", "startup_full_scan_max_bytes = 1");
  ReplaceInFile(toml, "startup_tip_blocks = 16", "startup_tip_blocks = 1");
  DevNode& victim = t.net.node(kVictim);
  victim.Start();
  CHECK(victim.LogTail(100'000).find("more than [storage] startup_full_scan_max_bytes") !=
        std::string::npos);
  HttpReply r = SignedGet(victim.url(), "/v1/block/" + std::to_string(middle) + "/raw",
                          t.net.KeysDir() + "/mca.pem");
  CHECK(r.status == 500);
  CHECK(r.body.find("corrupt_store") != std::string::npos);
  victim.Stop();
  RecoverBySync(t);
}

// ------------------------------------------------------------------ key files

void Chmod(const std::string& path, unsigned mode) { REQUIRE(::chmod(path.c_str(), mode) == 0); }

TEST_CASE("a validator refuses readable key files and opens encrypted ones only with the "
          "configured passphrase",
          "[storage][keys]") {
  TempDir tmp("govledger-keys");
  const std::string home = tmp.Sub("dev");
  DevNode node(home);
  node.Start();  // creates the dev chain and its keys
  node.Stop();
  const std::string validator = home + "/validator.pem";
  const std::string tls = home + "/tls.pem";

  // A key file others can read is refused, naming the file and the fix.
  Chmod(validator, 0644);
  Refusal loose = StartExpectingRefusal(home);
  CHECK(loose.exit_code == 1);
  CHECK_THAT(loose.output, Catch::Contains("key_permissions") && Catch::Contains(validator) &&
                               Catch::Contains("mode 0644") &&
                               Catch::Contains("chmod 600 " + validator));
  Chmod(validator, 0600);

  // Both keys encrypted with one passphrase.
  const ledger::Genesis genesis =
      ledger::LoadGenesisFile(home + "/genesis.json").value();
  for (const auto& [path, suite] : {std::pair{validator, genesis.suite},
                                    std::pair{tls, crypto::Suite::kP256}}) {
    auto key = crypto::PrivateKey::LoadPemFile(suite, path).value();
    REQUIRE(key.SavePemFile(path, std::string("seven department seals")).ok());
  }
  Refusal none = StartExpectingRefusal(home);
  CHECK(none.exit_code == 1);
  CHECK_THAT(none.output, Catch::Contains("key_encrypted") && Catch::Contains(validator) &&
                              Catch::Contains("passphrase_file") &&
                              Catch::Contains("GOVLEDGER_KEY_PASSPHRASE"));

  const std::string pass = home + "/key.pass";
  WriteFileOrThrow(pass, "seven department sealz\n");
  Chmod(pass, 0600);
  std::string toml = ReadFileOrThrow(home + "/node.toml");
  WriteFileOrThrow(home + "/node.toml", toml + "\n[keys]\npassphrase_file = \"key.pass\"\n");
  Refusal wrong = StartExpectingRefusal(home);
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.output, Catch::Contains("bad_passphrase") && Catch::Contains(pass));

  WriteFileOrThrow(pass, "seven department seals\n");
  node.Start();
  const uint64_t h = Status(node.url()).at("height").get<uint64_t>();
  CHECK(WaitFor([&] { return Status(node.url()).at("height").get<uint64_t>() > h; },
                milliseconds(30'000)));
  // The node signs with the decrypted key: its blocks' certificates verify (the audit).
  node.Stop();
  CliResult audit = RunCli({"--json", "audit", "chain", "--home", home});
  INFO(audit.Describe());
  CHECK(audit.exit_code == 0);
}

// ------------------------------------------------------------------ full disk

bool MountTmpfs(const std::string& dir, size_t bytes) {
  if (::geteuid() != 0) return false;
  const std::string opts = "size=" + std::to_string(bytes) + ",mode=0700";
  return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
}

struct Unmount {
  std::string dir;
  ~Unmount() {
    if (!dir.empty()) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// Writes zeros to `path` until the filesystem refuses (ENOSPC).
void FillDisk(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  std::vector<char> chunk(64 << 10, 0);
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  char one = 0;
  while (::write(fd, &one, 1) > 0) {
  }
  ::close(fd);
}

TEST_CASE("a full disk stops one node's commits cleanly and it resumes when space returns",
          "[storage]") {
  TestNet t;
  const std::string mnt = t.tmp.Sub("small-disk");
  fs::create_directories(mnt);
  Unmount unmount;
  if (!MountTmpfs(mnt, 48u << 20)) {
    WARN("not run: mounting a tmpfs needs root (mount(2) failed: " << std::strerror(errno) << ")");
    return;
  }
  unmount.dir = mnt;
  // node3 keeps its chain data and consensus WAL on the 48 MiB filesystem and stops committing
  // below 4 MiB free.
  const std::string toml = t.net.Home(kVictim) + "/node.toml";
  ReplaceInFile(toml, "data_dir = \"data\"", "data_dir = \"" + mnt + "/data\"");
  ReplaceInFile(toml, "wal_dir = \"wal\"", "wal_dir = \"" + mnt + "/wal\"");
  ReplaceInFile(toml, "min_free_bytes = 67108864", "min_free_bytes = 4194304");
  t.net.StartAllAndWaitReady();
  IssueAndRequireAck(t.net, t.ledger, kVictim, "samr");

  FillDisk(mnt + "/filler");
  const uint64_t stuck = t.net.Height(kVictim);
  // The others go on; the victim logs why it stopped and /healthz says so.
  for (int i = 0; i < 3; ++i) IssueAndRequireAck(t.net, t.ledger, i, "mca");
  REQUIRE(t.net.WaitHeight(kOthers, stuck + 3, milliseconds(60'000)));
  REQUIRE(WaitFor(
      [&] { return Get(t.net.node(kVictim).url(), "/healthz").status == 503; },
      milliseconds(30'000)));
  HttpReply health = Get(t.net.node(kVictim).url(), "/healthz");
  CHECK_THAT(health.body, Catch::StartsWith("storage_full: ") &&
                              Catch::Contains("min_free_bytes"));
  CHECK_THAT(t.net.node(kVictim).LogTail(200'000),
             Catch::Contains("storage: block production stopped before block"));
  CHECK(t.net.Height(kVictim) <= stuck + 1);
  CHECK(t.net.node(kVictim).running());

  // Space returns: the node commits again and catches up by itself.
  fs::remove(mnt + "/filler");
  const uint64_t target = t.net.MaxHeight(kOthers);
  if (!t.net.WaitHeight({kVictim}, target, milliseconds(60'000))) {
    FAIL("node3 did not resume after space returned\n" << t.net.Describe());
  }
  REQUIRE(WaitFor([&] { return Get(t.net.node(kVictim).url(), "/healthz").status == 200; },
                  milliseconds(30'000)));
  CHECK_THAT(t.net.node(kVictim).LogTail(200'000), Catch::Contains("free again on"));
  FinalChecks(t.net, t.ledger);
  // Nothing corrupt: the offline audit of the victim's store passes.
  t.net.node(kVictim).Stop();
  CliResult audit = RunCli({"--json", "audit", "chain", "--home", t.net.Home(kVictim)});
  INFO(audit.Describe());
  CHECK(audit.exit_code == 0);
  CHECK(audit.json().value("ok", false));
}

}  // namespace
}  // namespace govledger::itest

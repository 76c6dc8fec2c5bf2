#include "bench/bench_common.h"

#include <openssl/evp.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "crypto/sign.h"

namespace govledger::bench {

namespace {

// The SM2 default distinguishing ID, as crypto/sign.cc binds it.
constexpr char kSm2DefaultId[] = "1234567812345678";

// A signed message about the size of a material-issue transaction body.
constexpr size_t kMessageSize = 320;

std::string FirstLineWith(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

// Runs `one` (which returns the number of verifications that succeeded) for `seconds` of wall
// time and measures it against both clocks.
template <typename F>
VerifyRate Measure(double seconds, F&& one) {
  VerifyRate r;
  const double cpu0 = ThreadCpuSeconds();
  const double wall0 = NowSeconds();
  double wall = 0;
  do {
    for (int i = 0; i < 16; ++i) r.count += one();
    wall = NowSeconds() - wall0;
  } while (wall < seconds);
  const double cpu = ThreadCpuSeconds() - cpu0;
  r.per_wall_second = r.count / wall;
  r.per_cpu_second = cpu > 0 ? r.count / cpu : 0;
  return r;
}

}  // namespace

MachineInfo GetMachineInfo() {
  MachineInfo m;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    m.cores = static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  } else {
    m.cores = std::max(1u, static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN)));
  }
  std::string model = FirstLineWith("/proc/cpuinfo", "model name");
  if (auto colon = model.find(':'); colon != std::string::npos) {
    m.cpu_model = model.substr(colon + 1);
    m.cpu_model.erase(0, m.cpu_model.find_first_not_of(' '));
  }
  std::ifstream load("/proc/loadavg");
  load >> m.loadavg_1m;
  return m;
}

VerifyRate MeasureRawVerify(crypto::Suite suite, double seconds) {
  const bool sm = suite == crypto::Suite::kSm;
  EVP_PKEY* key = sm ? EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2")
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  GOVLEDGER_CHECK(key != nullptr);
  const EVP_MD* md = sm ? EVP_sm3() : EVP_sha256();
  // Prepares `m` for the suite, as crypto/sign.cc does (SM2 with the default ID).
  auto init = [&](EVP_MD_CTX* m, EVP_PKEY_CTX** pctx, bool sign) {
    *pctx = nullptr;
    if (sm) {
      *pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
      GOVLEDGER_CHECK(*pctx != nullptr);
      GOVLEDGER_CHECK(EVP_PKEY_CTX_set1_id(*pctx, kSm2DefaultId, sizeof kSm2DefaultId - 1) == 1);
      EVP_MD_CTX_set_pkey_ctx(m, *pctx);
    }
    int rc = sign ? EVP_DigestSignInit(m, nullptr, md, nullptr, key)
                  : EVP_DigestVerifyInit(m, nullptr, md, nullptr, key);
    GOVLEDGER_CHECK(rc == 1);
  };
  Bytes msg(kMessageSize, 0x5a);
  Bytes sig(80);
  {
    EVP_MD_CTX* m = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    init(m, &pctx, /*sign=*/true);
    size_t len = sig.size();
    GOVLEDGER_CHECK(EVP_DigestSign(m, sig.data(), &len, msg.data(), msg.size()) == 1);
    sig.resize(len);
    EVP_MD_CTX_free(m);
    EVP_PKEY_CTX_free(pctx);
  }
  VerifyRate r = Measure(seconds, [&]() -> int {
    EVP_MD_CTX* m = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    init(m, &pctx, /*sign=*/false);
    int ok = EVP_DigestVerify(m, sig.data(), sig.size(), msg.data(), msg.size());
    EVP_MD_CTX_free(m);
    EVP_PKEY_CTX_free(pctx);
    return ok == 1 ? 1 : 0;
  });
  EVP_PKEY_free(key);
  GOVLEDGER_CHECK(r.count > 0);
  return r;
}

VerifyRate MeasureLibraryVerify(crypto::Suite suite, double seconds, size_t distinct_keys) {
  struct Signed {
    crypto::PublicKey key;
    Bytes sig;
  };
  Bytes msg(kMessageSize, 0x5a);
  std::vector<Signed> keys;
  keys.reserve(distinct_keys);
  for (size_t i = 0; i < std::max<size_t>(1, distinct_keys); ++i) {
    auto k = crypto::PrivateKey::Generate(suite);
    GOVLEDGER_CHECK(k.ok());
    keys.push_back(Signed{k->public_key(), k->Sign(msg)});
  }
  size_t next = 0;
  VerifyRate r = Measure(seconds, [&]() -> int {
    const Signed& s = keys[next];
    next = (next + 1) % keys.size();
    return crypto::Verify(suite, s.key, msg, s.sig) ? 1 : 0;
  });
  GOVLEDGER_CHECK(r.count > 0);
  return r;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

uint64_t ProcessStatusBytes(pid_t pid, const std::string& field) {
  const std::string key = field + ":";
  std::string line = FirstLineWith("/proc/" + std::to_string(pid) + "/status", key);
  if (line.empty()) return 0;
  std::istringstream in(line.substr(key.size()));
  uint64_t kb = 0;
  in >> kb;
  return kb * 1024;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double SelfCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(values.size() - 1, lo + 1);
  double frac = rank - static_cast<double>(lo);
  return values[lo] * (1 - frac) + values[hi] * frac;
}

// ------------------------------------------------------------------ Report

Report::Report(std::string bench) : bench_(std::move(bench)), machine_start_(GetMachineInfo()) {}

void Report::Figure(const std::string& name, double value, const std::string& unit,
                    std::optional<double> ratio, const std::string& ratio_of) {
  std::ostringstream line;
  line << bench_ << ": " << name << " = ";
  if (std::fabs(value) >= 100) {
    line << std::fixed << std::setprecision(0) << value;
  } else {
    line << std::setprecision(3) << value;
  }
  line << (unit.empty() ? "" : " ") << unit;
  json f{{"name", name}, {"value", value}, {"unit", unit}};
  if (ratio) {
    line << " (" << std::fixed << std::setprecision(3) << *ratio << " of " << ratio_of << ")";
    f["ratio"] = *ratio;
    f["ratio_of"] = ratio_of;
  }
  std::cout << line.str() << std::endl;
  figures_.push_back(f);
}

void Report::Note(const std::string& text) {
  std::cout << bench_ << ": note: " << text << std::endl;
  notes_.push_back(text);
}

bool Report::Save(const std::string& out_dir) const {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "cannot create " << out_dir << ": " << ec.message() << "\n";
    return false;
  }
  MachineInfo end = GetMachineInfo();
  json j{{"bench", bench_},
         {"time_unix", static_cast<int64_t>(std::time(nullptr))},
         {"machine",
          {{"cores", end.cores},
           {"cpu_model", end.cpu_model},
           {"loadavg_1m_start", machine_start_.loadavg_1m},
           {"loadavg_1m_end", end.loadavg_1m}}},
         {"figures", figures_},
         {"details", details_},
         {"notes", notes_}};
  const std::string path = out_dir + "/" + bench_ + ".json";
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) {
    std::cerr << "cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace govledger::bench

#include "tests/faults/fault_filter.h"

#include <sys/stat.h>

#include <cstdlib>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "node/log.h"
#include "util/file.h"

namespace govledger::faults {

std::atomic<int64_t> FaultFilter::skew_ms_{0};

const PeerFaults* FaultSettings::For(uint32_t peer) const {
  auto it = peers.find(peer);
  if (it != peers.end()) return &it->second;
  return all ? &*all : nullptr;
}

namespace {

Result<LinkFaults> ParseLink(const nlohmann::json& j, const std::string& where) {
  LinkFaults l;
  if (!j.is_object()) return Status::Error("bad_faults", where + " is not an object");
  for (const auto& [k, v] : j.items()) {
    if (k == "block" && v.is_boolean()) {
      l.block = v.get<bool>();
    } else if ((k == "drop" || k == "duplicate" || k == "reorder") && v.is_number()) {
      double p = v.get<double>();
      if (p < 0 || p > 1) return Status::Error("bad_faults", where + "." + k + " not in [0, 1]");
      (k == "drop" ? l.drop : k == "duplicate" ? l.duplicate : l.reorder) = p;
    } else if ((k == "delay_ms" || k == "jitter_ms") && v.is_number_integer() &&
               v.get<int64_t>() >= 0 && v.get<int64_t>() <= 600'000) {
      (k == "delay_ms" ? l.delay_ms : l.jitter_ms) = v.get<int64_t>();
    } else {
      return Status::Error("bad_faults", where + ": unknown or bad setting '" + k + "'");
    }
  }
  return l;
}

}  // namespace

Result<FaultSettings> ParseFaultSettings(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Error("bad_faults", "control file is not a JSON object");
  FaultSettings s;
  static const std::set<std::string> kBehaviours = {"equivocate", "double_vote", "garbage",
                                                    "far_future", "forge_sync"};
  for (const auto& [k, v] : j.items()) {
    if (k == "peers" && v.is_object()) {
      for (const auto& [peer, pj] : v.items()) {
        if (!pj.is_object()) return Status::Error("bad_faults", "peers." + peer + " not an object");
        PeerFaults pf;
        for (const auto& [dir, lj] : pj.items()) {
          if (dir != "send" && dir != "receive") {
            return Status::Error("bad_faults", "peers." + peer + ": unknown direction " + dir);
          }
          auto l = ParseLink(lj, "peers." + peer + "." + dir);
          if (!l.ok()) return l.status();
          (dir == "send" ? pf.send : pf.receive) = *l;
        }
        if (peer == "*") {
          s.all = pf;
          continue;
        }
        char* end = nullptr;
        unsigned long idx = std::strtoul(peer.c_str(), &end, 10);
        if (peer.empty() || *end != '\0' || idx > 1000) {
          return Status::Error("bad_faults", "peer '" + peer + "' is not a validator index");
        }
        s.peers[static_cast<uint32_t>(idx)] = pf;
      }
    } else if (k == "clock_skew_ms" && v.is_number_integer()) {
      s.clock_skew_ms = v.get<int64_t>();
    } else if (k == "byzantine" && v.is_array()) {
      for (const auto& b : v) {
        if (!b.is_string() || !kBehaviours.count(b.get<std::string>())) {
          return Status::Error("bad_faults", "unknown Byzantine behaviour " + b.dump());
        }
        s.byzantine.insert(b.get<std::string>());
      }
    } else if (k == "seed" && v.is_number_unsigned()) {
      // Applied by the filter.
    } else {
      return Status::Error("bad_faults", "unknown or bad setting '" + k + "'");
    }
  }
  return s;
}

FaultFilter::FaultFilter(std::string control_file, std::unique_ptr<Byzantine> byzantine, bool twin)
    : control_file_(std::move(control_file)), byzantine_(std::move(byzantine)), twin_(twin) {}

void FaultFilter::Poll(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_poll_ < std::chrono::milliseconds(50)) return;
  last_poll_ = now;
  struct stat st{};
  int64_t mtime = -1, size = -1;
  if (::stat(control_file_.c_str(), &st) == 0) {
    mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    size = static_cast<int64_t>(st.st_size);
  }
  if (mtime == mtime_ns_ && size == size_) return;
  mtime_ns_ = mtime;
  size_ = size;
  if (mtime < 0) {
    if (settings_.peers.empty() && !settings_.all && settings_.byzantine.empty() &&
        settings_.clock_skew_ms == 0) {
      return;
    }
    settings_ = FaultSettings{};
    skew_ms_ = 0;
    GOVLEDGER_LOG(kInfo, "FAULTS: control file " << control_file_ << " gone: no faults");
    return;
  }
  auto text = ReadFile(control_file_, 1 << 20);
  if (!text.ok()) {
    GOVLEDGER_LOG(kWarn, "FAULTS: cannot read " << control_file_ << ": " << text.status().ToString());
    return;
  }
  auto parsed = ParseFaultSettings(*text);
  if (!parsed.ok()) {
    GOVLEDGER_LOG(kWarn, "FAULTS: " << control_file_ << ": " << parsed.status().ToString()
                                    << "; previous settings kept");
    return;
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.contains("seed") && j["seed"].is_number_unsigned()) rng_.seed(j["seed"].get<uint64_t>());
  settings_ = std::move(*parsed);
  skew_ms_ = settings_.clock_skew_ms;
  GOVLEDGER_LOG(kInfo, "FAULTS: applied " << j.dump());
}

bool FaultFilter::Chance(double p) {
  if (p <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

void FaultFilter::SendLater(boost::asio::io_context& io, int64_t delay_ms, Bytes payload,
                            const Deliver& send) {
  if (delay_ms <= 0) {
    send(std::move(payload));
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io);
  timer->expires_after(std::chrono::milliseconds(delay_ms));
  timer->async_wait([timer, payload = std::move(payload), send](const boost::system::error_code& ec) {
    if (!ec) send(payload);
  });
}

void FaultFilter::Outgoing(boost::asio::io_context& io, uint32_t peer, Bytes payload,
                           const Deliver& send) {
  Poll();
  std::vector<Bytes> frames{std::move(payload)};
  if (byzantine_ && !settings_.byzantine.empty()) {
    frames = byzantine_->Rewrite(settings_.byzantine, peer, frames[0], rng_);
  }
  const PeerFaults* pf = settings_.For(peer);
  if (pf == nullptr) {
    for (auto& f : frames) send(std::move(f));
    return;
  }
  const LinkFaults& l = pf->send;
  if (l.block) return;
  for (auto& f : frames) {
    if (Chance(l.drop)) continue;
    auto delay = [&] {
      int64_t d = l.delay_ms;
      if (l.jitter_ms > 0) d += std::uniform_int_distribution<int64_t>(0, l.jitter_ms)(rng_);
      if (Chance(l.reorder)) d += l.delay_ms + l.jitter_ms + 50;
      return d;
    };
    if (Chance(l.duplicate)) SendLater(io, delay(), f, send);
    SendLater(io, delay(), std::move(f), send);
  }
}

bool FaultFilter::Incoming(uint32_t peer, const Bytes& payload) {
  (void)payload;
  Poll();
  const PeerFaults* pf = settings_.For(peer);
  if (pf == nullptr) return true;
  if (pf->receive.block) return false;
  return !Chance(pf->receive.drop);
}

}  // namespace govledger::faults

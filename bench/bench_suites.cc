#include "bench/bench_suites.h"

#include <iostream>
#include <thread>

#include "node/config.h"
#include "node/network_init.h"

namespace govledger::bench {

crypto::Suite ParseSuite(const std::string& name) {
  return name == "sm" ? crypto::Suite::kSm : crypto::Suite::kP256;
}

int Fail(const Status& st) {
  std::cerr << "govledger-bench: " << st.ToString() << "\n";
  return 1;
}

unsigned Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

void ReportCeiling(Report& report, const std::string& suite, const Ceiling& c, unsigned cores,
                   unsigned validators) {
  report.Figure(suite + " verify per core (CPU time)", c.per_core_cpu(), "verif/s");
  report.Figure(suite + " verify per core (wall clock, this run)", c.per_core_wall(), "verif/s",
                c.per_core_wall() / c.per_core_cpu(), "a core of its own (machine load)");
  report.Figure(suite + " ceiling, " + std::to_string(validators) + " validator(s) on " +
                    std::to_string(cores) + " cores",
                CeilingTps(c.per_core_cpu(), cores, validators), "tx/s");
  report.Detail("ceiling", {{"suite", suite},
                            {"verify_per_core_wall_before", c.before.per_wall_second},
                            {"verify_per_core_wall_after", c.after.per_wall_second},
                            {"verify_per_core_cpu_before", c.before.per_cpu_second},
                            {"verify_per_core_cpu_after", c.after.per_cpu_second},
                            {"cores", cores},
                            {"validators", validators}});
}

std::string Homes::DataDir(size_t i) const {
  auto config = node::LoadNodeConfig(homes[i]);
  return config.ok() ? config->Path(config->data_dir) : homes[i] + "/data";
}

Result<Homes> MakeHomes(const Paths& paths, const std::string& network, size_t validators,
                        const std::string& suite, const std::string& dir) {
  GOVLEDGER_RETURN_IF_ERROR(FreshDir(dir));
  auto toml = NetworkToml(paths, network, validators, suite);
  if (!toml.ok()) return toml.status();
  auto spec = node::ParseNetworkToml(*toml, network);
  if (!spec.ok()) return spec.status();
  const bool flat = spec->validators.size() == 1;
  node::InitOptions init;
  init.out_dir = dir + "/net";
  init.flat = flat;
  init.overwrite = true;
  auto genesis = node::InitNetwork(*spec, init);
  if (!genesis.ok()) return genesis.status();
  Homes h;
  h.dir = dir;
  h.genesis = std::move(*genesis);
  h.keys_dir = init.out_dir + "/keys";
  for (const auto& v : spec->validators) {
    h.homes.push_back(flat ? init.out_dir : init.out_dir + "/" + v.name);
  }
  h.genesis_file = h.homes.front() + "/genesis.json";
  return h;
}

}  // namespace govledger::bench

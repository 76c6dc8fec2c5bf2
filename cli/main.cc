// govledger: the client of a govledger network, for department systems (issue, revoke), citizens
// and window officers (verify) and auditors (trace, audit). Commands live in commands_*.cc; this
// file is the one boundary where CLI11 and nlohmann exceptions become an error and an exit status.
#include <CLI/CLI.hpp>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"

using namespace govledger;
using namespace govledger::cli;

namespace {

constexpr char kDescription[] =
    "govledger: issue, verify and trace government electronic materials (电子证照) on a "
    "govledger network.\n\n"
    "Examples:\n"
    "  govledger status --node http://127.0.0.1:7001\n"
    "  govledger material issue --key keys/health.pem --type BIRTHMED --holder 110101202601010012 "
    "\\\n      --file birth.pdf --field child_name=张小明 --field birth_date=2026-01-01 ...\n"
    "  govledger verify birth.pdf\n"
    "  govledger trace --id 1.2.156.3005.2.BIRTHMED.11440305007542168K.508149472405.001.C\n"
    "  govledger audit chain --home net/node0\n\n"
    "Every command takes --node URL and --json; `govledger COMMAND --help` shows its options\n"
    "and an example. Exit status: 0 success; 1 a definite no (rejected, not VALID, tampered,\n"
    "unknown); 2 usage error; 3 node unreachable or other failure. Reference: doc/cli.md";

// "govledger material issue": the deepest command the parse got to, for the usage hint.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* cur = &app; !cur->get_subcommands().empty();) {
    cur = cur->get_subcommands().front();
    path += " " + cur->get_name();
  }
  return path;
}

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

}  // namespace

namespace govledger::cli {

void AddGlobalOptions(CLI::App& app, Context& ctx) {
  app.add_option("--node", ctx.node,
                 "Node API URL (default: $GOVLEDGER_NODE, else http://127.0.0.1:7001)")
      ->group("Global options");
  app.add_flag("--json", ctx.json,
               "Print one JSON object on stdout instead of text (errors too: {\"error\":{...}})")
      ->group("Global options");
}

CLI::App* AddCommand(CLI::App& parent, Context& ctx, const std::string& name,
                     const std::string& description, const std::string& examples) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->footer("Example" + std::string(examples.find('\n') == std::string::npos ? "" : "s") + ":\n" +
              examples);
  AddGlobalOptions(*sub, ctx);
  return sub;
}

}  // namespace govledger::cli

int main(int argc, char** argv) {
  Context ctx;
  CLI::App app{kDescription, "govledger"};
  app.require_subcommand(1);
  AddGlobalOptions(app, ctx);
  AddNetworkCommands(app, ctx);
  AddMaterialCommands(app, ctx);
  AddContractCommands(app, ctx);
  AddGovernanceCommands(app, ctx);
  AddVerifyCommands(app, ctx);
  AddProofCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return Output(WantsJson(argc, argv))
        .Fail(UsageError(std::string(e.what()) + " (see `" + CommandPath(app) + " --help`)"),
              kExitUsage);
  }

  Output out(ctx.json);
  if (!ctx.action) return out.Fail(UsageError("no command given; see `govledger --help`"));
  try {
    return ctx.action();
  } catch (const nlohmann::json::exception& e) {
    return out.Fail(
        Status::Error("bad_response", std::string("unexpected JSON from the node: ") + e.what()),
        kExitError);
  } catch (const std::exception& e) {
    return out.Fail(Status::Error("internal", e.what()), kExitError);
  }
}

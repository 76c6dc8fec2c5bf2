// The `govledger` client's command tree. Each Add*Commands function registers its subcommands on
// the app; a subcommand's parse callback only stores the action to run in Context, so that main()
// runs exactly one command after CLI11 has finished parsing, behind one error boundary.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/proof.h"

namespace govledger::cli {

struct Context {
  std::string node;             // --node; empty: $GOVLEDGER_NODE, else http://127.0.0.1:7001
  bool json = false;            // --json: one JSON object on stdout, whatever happens
  std::function<int()> action;  // the chosen command; returns the exit status
};

// --node and --json, accepted before the command name and after it.
void AddGlobalOptions(CLI::App& app, Context& ctx);
// Adds a command with a description, a footer of examples and the global options.
CLI::App* AddCommand(CLI::App& parent, Context& ctx, const std::string& name,
                     const std::string& description, const std::string& examples);

// keygen, network init, status (commands_network.cc)
void AddNetworkCommands(CLI::App& app, Context& ctx);
// material issue|revoke|amend|transfer|show|list (commands_material.cc), and on the same group
// publish|suspend|reinstate|destroy|authorize|withdraw|use|grants|stats (commands_lifecycle.cc)
void AddMaterialCommands(CLI::App& app, Context& ctx);
void AddLifecycleCommands(CLI::App& material_group, Context& ctx);
// contract create|sign|show|verify (commands_contract.cc)
void AddContractCommands(CLI::App& app, Context& ctx);
// governance propose|approve|list|validators (commands_governance.cc)
void AddGovernanceCommands(CLI::App& app, Context& ctx);
// verify, trace, audit chain (commands_verify.cc)
void AddVerifyCommands(CLI::App& app, Context& ctx);
// audit report, on the audit group (commands_report.cc)
void AddAuditReport(CLI::App& audit_group, Context& ctx);
// proof export|qr (commands_proof.cc)
void AddProofCommands(CLI::App& app, Context& ctx);

// `govledger verify FILE --bundle B --trust GENESIS [--online]`: offline verification of a proof
// bundle, refreshed online with --node or --online (commands_proof.cc).
struct VerifyBundleOptions {
  std::string file;
  std::string bundle;
  std::string trust;
  bool online = false;
};
int RunVerifyBundle(const Context& ctx, const VerifyBundleOptions& o);

class Output;
// One step of a bundle verification as a line, "state        ok    detail" or "... FAIL  ...",
// and the steps as JSON [{"step", "ok", "detail"}] (commands_proof.cc): material and contract
// bundles print their checks the same way.
void SayProofCheck(const Output& out, const std::string& step, bool ok, const std::string& detail);
nlohmann::json ProofChecksJson(const std::vector<ledger::ProofCheck>& checks);

}  // namespace govledger::cli

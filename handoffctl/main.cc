// handoffctl: the command line for operators and marketers. Parses the command line
// (CLI11: subcommands, help, environment defaults) and runs one command against
// marketing-service and sales-service over gRPC.
#include <CLI/CLI.hpp>

#include "handoffctl/cli_context.h"
#include "handoffctl/commands.h"

int main(int argc, char** argv) {
  using namespace handoff::ctl;
  GlobalOptions options;
  CLI::App app{
      "handoffctl: campaigns, leads, deals, reports, event streams and outbox operations of Handoff.\n"
      "Exit codes: 0 done, 1 a call failed, 2 bad command line, 3 leads import rejected rows."};
  app.set_version_flag("--version", std::string("handoffctl ") + HANDOFF_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--marketing", options.marketing, "marketing-service HOST:PORT (or a gRPC target)")
      ->envname("HANDOFF_MARKETING")
      ->capture_default_str();
  app.add_option("--sales", options.sales, "sales-service HOST:PORT (or a gRPC target)")
      ->envname("HANDOFF_SALES")
      ->capture_default_str();
  app.add_option("--tls_ca", options.tls_ca, "PEM file of the CA that signed the services' certificates (TLS on)")
      ->envname("HANDOFF_TLS_CA");
  app.add_option("--tls_cert", options.tls_cert, "PEM certificate chain of this client, for mutual TLS")
      ->envname("HANDOFF_TLS_CERT");
  app.add_option("--tls_key", options.tls_key, "PEM private key of --tls_cert")->envname("HANDOFF_TLS_KEY");
  app.add_flag("--plaintext", options.plaintext, "Allow plaintext to addresses that are not loopback");
  app.add_option("--deadline", options.deadline, "Deadline of each call (an import stream gets at least 10m)")
      ->capture_default_str();
  app.add_option("--output", options.output, "table, json (protobuf's JSON) or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();

  // The context reads `options` when a command first needs a channel (after parsing).
  Context ctx(options);
  int exit_code = kExitOk;
  AddCampaignCommands(app, ctx, exit_code);
  AddLeadCommands(app, ctx, exit_code);
  AddDealCommands(app, ctx, exit_code);
  AddReportCommands(app, ctx, exit_code);
  AddWatchCommands(app, ctx, exit_code);
  AddOpsCommands(app, ctx, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

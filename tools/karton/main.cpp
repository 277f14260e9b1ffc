// karton: command-line client for kartond (docs/api.md lists the commands).
//
//   karton modules                      list the loaded modules
//   karton whoami                       the user and roles behind the token
//   karton partners search kovacs       find partners (accents do not matter)
//   karton events tail --topic 'partners.*'   follow domain events as JSON lines
//   karton webhooks create --url ... --topic ...
//   karton messages send --channel email --category transactional --partner 12
//       --template order_confirmation --var number=A-17 --wait   send, wait for delivery
//   karton messages list --status failed        messages that did not go out
//   karton messages letters export --format pdf --duplex --out letters.pdf
//   karton leads list --status new --assignee 12   new leads of a colleague
//   karton leads qualify 41 --etag ... --revenue '1250000 HUF'   lead to opportunity
//   karton opps move 7 --etag ... --stage Offer     an opportunity to another stage
//   karton forms create --file contact.json         a web form, served at /forms/<slug>
//   karton automation rules create --file rule.json   a rule that acts on events
//   karton automation runs list --rule 3 --state failed   what a rule did, and why not
//   karton campaigns recipients 4 --status bounced   where a mailing did not arrive
//   karton users create --name 'Kiss Péter' --email kiss@karton.example --role sales
//   karton tokens create --name 'ERP import' --ttl 30d   a token, its secret shown once
//   karton audit list --resource partners.partner --id 12   who changed a record
//   karton jobs list --state dead       jobs that gave up; karton jobs retry ID
//   karton contacts update 5 --etag ... --role Ügyvezető   a contact at a partner
//   karton opps update 7 --etag ... --revenue '1500000 HUF'   a deal's amount
//   karton pipelines create --name Sales --stage New:10 --stage Won:100:won ...
//   karton invoices create --partner 12 --line '1;45000 HUF;standard_27;Szerviz'
//   karton tickets create --subject 'Nem indul a kazán' --email kiss@example.hu --source phone
//   karton tickets hand-over 42 --team 3 --note 'Alkatrész kell'   the history stays
//   karton kb search 'nyomtatót' --language hu   the knowledge base, accents and endings ignored
//   karton --output json modules        any command's answer as JSON, for scripts
//
// Every RPC of every service in proto/karton/*/v1 has a command (or a reason
// why not, in tests/e2e/cli_coverage_test.cpp); each command declares the
// RPCs it calls with Rpcs() (rpc_registry.h), listed by the hidden
// `karton internal rpc-list`.
//
// Exit codes: 0 success, 1 the server answered with an error, 2 bad usage,
// 3 the server could not be reached.
#include <CLI/CLI.hpp>
#include <iostream>
#include <stdexcept>

#include "client.h"
#include "rpc_registry.h"

int main(int argc, char** argv) {
  karton::cli::GlobalOptions options;
  CLI::App app{"karton: command-line client for the Karton server (kartond)", "karton"};
  app.require_subcommand(1);
  app.add_option("--server", options.server, "kartond's gRPC address")
      ->envname("KARTON_SERVER")
      ->capture_default_str();
  app.add_option("--token", options.token,
                 "API token (default: <data-dir>/admin.token when present)")
      ->envname("KARTON_TOKEN");
  app.add_option("--data-dir", options.data_dir, "kartond's data directory, for the admin token")
      ->envname("KARTON_DATA_DIR")
      ->capture_default_str();
  app.add_option("--output", options.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", options.timeout_seconds, "Seconds to wait for an answer")
      ->capture_default_str();
  app.add_option("--tls-ca", options.tls_ca,
                 "Speak TLS to kartond, trusting this PEM CA bundle ('system': the system's roots)")
      ->envname("KARTON_TLS_CA");
  auto* tls_key = app.add_option("--tls-key", options.tls_key, "PEM key of --tls-cert")
                      ->envname("KARTON_TLS_KEY");
  app.add_option("--tls-cert", options.tls_cert,
                 "This client's PEM certificate chain, for kartond --tls-client-ca (mutual TLS)")
      ->envname("KARTON_TLS_CERT")
      ->needs(tls_key);
  tls_key->needs(app.get_option("--tls-cert"));

  int exit_code = 0;
  karton::cli::AddKernelCommands(app, options, exit_code);
  karton::cli::AddAdminCommands(app, options, exit_code);
  karton::cli::AddEventCommands(app, options, exit_code);
  karton::cli::AddPartnerCommands(app, options, exit_code);
  karton::cli::AddContactCommands(app, options, exit_code);
  karton::cli::AddMessageCommands(app, options, exit_code);
  karton::cli::AddCrmCommands(app, options, exit_code);
  karton::cli::AddCrmChangeCommands(app, options, exit_code);
  karton::cli::AddSalesCommands(app, options, exit_code);
  karton::cli::AddInvoicingCommands(app, options, exit_code);
  karton::cli::AddAutomationCommands(app, options, exit_code);
  karton::cli::AddCampaignsCommands(app, options, exit_code);
  karton::cli::AddHelpdeskCommands(app, options, exit_code);
  karton::cli::AddKnowledgeBaseCommands(app, options, exit_code);
  karton::cli::AddReportsCommands(app, options, exit_code);
  karton::cli::AddInternalCommands(app, options, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  } catch (const std::runtime_error& error) {
    // A usage problem found while connecting (an unreadable --tls-ca).
    std::cerr << "karton: " << error.what() << "\n";
    return 2;
  }
  return exit_code;
}

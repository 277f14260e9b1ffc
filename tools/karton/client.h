// What every `karton` command shares: the global options, a call context
// with the token, error reporting and output. Each area of the API adds its
// commands in a file of its own (kernel_commands.cpp, event_commands.cpp,
// ...) through an Add*Commands function called from main.cpp.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace karton::cli {

struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;
  std::string data_dir = "var";
  std::string output = "table";
  double timeout_seconds = 30;
  // TLS (kartond --tls-cert): the CA bundle to trust, "system" for the
  // system's roots, or empty for plain gRPC; for mutual TLS, this client's
  // certificate chain and key.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// Exit codes: 0 success, 1 the server answered with an error, 2 bad usage,
// 3 the server could not be reached.
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUnreachable = 3;

// The token given, or the admin token kartond wrote into its data directory.
std::string ResolveToken(const GlobalOptions& options);
std::shared_ptr<grpc::Channel> ChannelFor(const GlobalOptions& options);
// A context carrying the token and, unless `streaming`, the --timeout deadline.
std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options,
                                                 bool streaming = false);
// Prints "karton: CODE from server: message" to stderr; returns the exit code.
int ReportError(const grpc::Status& status, const GlobalOptions& options);
// protobuf's JSON mapping, field names as in the .proto. `one_line` for
// streams of JSON lines. "" when it cannot be printed (an Any whose type
// this client was not built with).
std::string ToJson(const google::protobuf::Message& message, bool one_line = false);
// Lower-case enum value name without its prefix: WEBHOOK_STATE_ACTIVE -> "active".
std::string EnumWord(const std::string& value_name, const std::string& prefix);

// Where the command groups plug in; `exit_code` receives the result.
void AddKernelCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// users, teams, tokens, audit, jobs and clock (admin_commands.cpp).
void AddAdminCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
void AddEventCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
void AddPartnerCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// contacts, and partners delete|field-add|field-update|import-status
// (contact_commands.cpp); after AddPartnerCommands.
void AddContactCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
void AddMessageCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// leads, opps, pipelines, forms and rules (crm_commands.cpp, docs/crm.md).
void AddCrmCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// opps update|stale, activities update, pipelines create|update, forms
// update (crm_change_commands.cpp); after AddCrmCommands.
void AddCrmChangeCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// products, pricelists, quotes and orders (order_commands.cpp, docs/orders.md).
void AddSalesCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// invoices, payments and balance (invoice_commands.cpp, docs/invoicing.md).
void AddInvoicingCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// karton automation rules|runs ... (automation_commands.cpp).
void AddAutomationCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// karton segments|campaigns|calls ... (campaign_commands.cpp).
void AddCampaignsCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// karton tickets ... (ticket_commands.cpp, docs/helpdesk.md).
void AddHelpdeskCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// karton kb ... (kb_commands.cpp, docs/helpdesk.md).
void AddKnowledgeBaseCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);
// karton reports run|export|saved ... (report_commands.cpp, docs/reports.md).
void AddReportsCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);

}  // namespace karton::cli

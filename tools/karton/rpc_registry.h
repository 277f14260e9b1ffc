// Which RPCs each `karton` command calls, declared where the command is
// made: Rpcs(command, {"karton.crm.v1.LeadService/ListLeads"}).
//
// `karton internal rpc-list` (hidden) prints the table, one line per method
// and command; tests/e2e/cli_coverage_test.cpp compares it with every method
// of every service in proto/karton/*/v1, so a method added to a proto
// without a command fails a test. With KARTON_CHECK_RPC_DECLARATIONS=1 in
// the environment, a command that calls a method it did not declare stops
// with exit code 70 (the CLI's e2e tests run so), which keeps the table
// honest.
#pragma once

#include <grpcpp/grpcpp.h>

#include <initializer_list>
#include <memory>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace karton::cli {

struct GlobalOptions;

// Declares that `command` calls `methods` (full names, "package.Service/Method").
CLI::App* Rpcs(CLI::App* command, std::initializer_list<const char*> methods);

// The hidden `karton internal rpc-list`; `app` is the root whose parsed
// subcommands tell which command runs.
void AddInternalCommands(CLI::App& app, const GlobalOptions& options, int& exit_code);

// A channel that checks each call against the running command's
// declarations (when KARTON_CHECK_RPC_DECLARATIONS=1).
std::shared_ptr<grpc::Channel> CheckedChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials);

}  // namespace karton::cli

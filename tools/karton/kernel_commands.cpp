// karton modules, karton whoami.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "client.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "rpc_registry.h"

namespace karton::cli {
namespace {

int ListModules(const GlobalOptions& options) {
  auto stub = kernel::v1::KernelService::NewStub(ChannelFor(options));
  kernel::v1::ListModulesResponse response;
  const grpc::Status status = stub->ListModules(MakeContext(options).get(), {}, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::cout << fmt::format("{:<20} {:<10} {:<9} {}\n", "NAME", "VERSION", "STATE", "DEPENDS");
  for (const auto& module : response.modules()) {
    std::string depends;
    for (const auto& dependency : module.depends()) {
      if (!depends.empty()) depends += ", ";
      depends += dependency.name();
      if (!dependency.min_version().empty()) depends += ">=" + dependency.min_version();
    }
    std::cout << fmt::format(
        "{:<20} {:<10} {:<9} {}\n", module.name(), module.version(),
        EnumWord(kernel::v1::ModuleState_Name(module.state()), "MODULE_STATE_"),
        depends.empty() ? "-" : depends);
  }
  return 0;
}

int WhoAmI(const GlobalOptions& options) {
  auto stub = kernel::v1::IdentityService::NewStub(ChannelFor(options));
  kernel::v1::WhoAmIResponse response;
  const grpc::Status status = stub->WhoAmI(MakeContext(options).get(), {}, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::string roles;
  for (int role : response.user().roles()) {
    if (!roles.empty()) roles += ", ";
    roles += EnumWord(kernel::v1::Role_Name(role), "ROLE_");
  }
  std::cout << fmt::format("user:  {} <{}> (id {})\nroles: {}\ntoken: id {}\n",
                           response.user().name(), response.user().email(), response.user().id(),
                           roles, response.api_token_id());
  return 0;
}

}  // namespace

void AddKernelCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  Rpcs(app.add_subcommand("modules", "List the modules kartond has loaded, in start order"),
       {"karton.kernel.v1.KernelService/ListModules"})
      ->callback([&] { exit_code = ListModules(options); });
  Rpcs(app.add_subcommand("whoami", "Show the user and roles the token stands for"),
       {"karton.kernel.v1.IdentityService/WhoAmI"})
      ->callback([&] { exit_code = WhoAmI(options); });
}

}  // namespace karton::cli

#include "rpc_registry.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/client_interceptor.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "client.h"

namespace karton::cli {
namespace {

struct Registry {
  std::map<const CLI::App*, std::set<std::string>> declared;
  const CLI::App* root = nullptr;
};

Registry& Declarations() {
  static Registry registry;
  return registry;
}

// "leads list" for `karton leads list`.
std::string CommandPath(const CLI::App* command) {
  std::string path;
  for (const auto* at = command; at != nullptr && at->get_parent() != nullptr;
       at = at->get_parent()) {
    path = at->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// The command that runs: the end of the chain of parsed subcommands.
const CLI::App* RunningCommand() {
  const CLI::App* at = Declarations().root;
  while (at != nullptr) {
    const auto parsed = at->get_subcommands();
    if (parsed.empty()) break;
    at = parsed.front();
  }
  return at;
}

// "karton.crm.v1.LeadService/ListLeads" names a method of a service this
// binary was built with.
bool IsKnownMethod(std::string_view method) {
  const auto slash = method.find('/');
  if (slash == std::string_view::npos) return false;
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      std::string(method.substr(0, slash)));
  return service != nullptr &&
         service->FindMethodByName(std::string(method.substr(slash + 1))) != nullptr;
}

// The commands without subcommands (those that run) that declare no RPC,
// but for `karton internal ...`.
std::vector<const CLI::App*> UndeclaredCommands(const CLI::App* root) {
  std::vector<const CLI::App*> undeclared;
  std::vector<const CLI::App*> pending{root};
  while (!pending.empty()) {
    const auto* command = pending.back();
    pending.pop_back();
    const auto children = command->get_subcommands([](const CLI::App*) { return true; });
    if (children.empty() && command != root && Declarations().declared.count(command) == 0 &&
        CommandPath(command).rfind("internal ", 0) != 0) {
      undeclared.push_back(command);
    }
    pending.insert(pending.end(), children.begin(), children.end());
  }
  return undeclared;
}

// Stops a command that calls a method it did not declare: the declarations
// are what the coverage test reads.
class DeclarationCheck final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    std::string method = info->method() == nullptr ? "" : info->method();
    if (!method.empty() && method.front() == '/') method.erase(0, 1);
    const auto* command = RunningCommand();
    const auto found = Declarations().declared.find(command);
    if (found == Declarations().declared.end() || found->second.count(method) == 0) {
      std::cerr << fmt::format(
          "karton: internal error: `karton {}` calls {} without declaring it (Rpcs() in "
          "tools/karton)\n",
          CommandPath(command), method);
      std::_Exit(70);
    }
    return nullptr;
  }
};

}  // namespace

CLI::App* Rpcs(CLI::App* command, std::initializer_list<const char*> methods) {
  auto& declared = Declarations().declared[command];
  for (const char* method : methods) declared.insert(method);
  return command;
}

std::shared_ptr<grpc::Channel> CheckedChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  const char* check = std::getenv("KARTON_CHECK_RPC_DECLARATIONS");
  if (check == nullptr || std::string_view(check) != "1") {
    return grpc::CreateChannel(target, credentials);
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> checks;
  checks.push_back(std::make_unique<DeclarationCheck>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, grpc::ChannelArguments(), std::move(checks));
}

void AddInternalCommands(CLI::App& app, const GlobalOptions& options, int& exit_code) {
  Declarations().root = &app;
  // group(""): left out of --help; for tests and tooling, not for people.
  auto* internal = app.add_subcommand("internal", "Tooling: not for everyday use")->group("");
  internal->require_subcommand(1);
  internal
      ->add_subcommand("rpc-list",
                       "Every RPC a command calls, as METHOD<TAB>COMMAND lines (sorted)")
      ->callback([&options, &exit_code] {
        std::map<std::string, std::set<std::string>> by_method;
        for (const auto& [command, methods] : Declarations().declared) {
          for (const auto& method : methods) by_method[method].insert(CommandPath(command));
        }
        google::protobuf::Struct json;
        auto& rpcs = *(*json.mutable_fields())["rpcs"].mutable_list_value();
        for (const auto& [method, commands] : by_method) {
          if (!IsKnownMethod(method)) {
            std::cerr << fmt::format("karton: `karton {}` declares {}, which no service has\n",
                                     *commands.begin(), method);
            exit_code = 1;
          }
          google::protobuf::Struct entry;
          (*entry.mutable_fields())["method"].set_string_value(method);
          auto& list = *(*entry.mutable_fields())["commands"].mutable_list_value();
          for (const auto& command : commands) {
            list.add_values()->set_string_value(command);
            if (options.output != "json") std::cout << method << "\t" << command << "\n";
          }
          *rpcs.add_values()->mutable_struct_value() = std::move(entry);
        }
        if (options.output == "json") std::cout << ToJson(json);
        // Every command that does something calls the server: one that
        // declares nothing was forgotten.
        for (const auto* command : UndeclaredCommands(Declarations().root)) {
          std::cerr << fmt::format("karton: `karton {}` declares no RPC (Rpcs())\n",
                                   CommandPath(command));
          exit_code = 1;
        }
      });
}

}  // namespace karton::cli

// karton: command-line client for kartond.
//
//   karton modules                      list the loaded modules
//   karton whoami                       the user and roles behind the token
//   karton --output json modules        the same as JSON, for scripts
//
// Exit codes: 0 success, 1 the server answered with an error, 2 bad usage,
// 3 the server could not be reached.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"

namespace {

struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  std::string token;
  std::string data_dir = "var";
  std::string output = "table";
  double timeout_seconds = 30;
};

// The token given, or the admin token kartond wrote into its data directory.
std::string ResolveToken(const GlobalOptions& options) {
  if (!options.token.empty()) return options.token;
  std::ifstream file(options.data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000)));
  if (auto token = ResolveToken(options); !token.empty()) {
    context->AddMetadata("authorization", "Bearer " + token);
  }
  return context;
}

int ReportError(const grpc::Status& status, const GlobalOptions& options) {
  static const char* const kCodeNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const auto code = static_cast<std::size_t>(status.error_code());
  std::cerr << fmt::format("karton: {} from {}: {}\n",
                           code < std::size(kCodeNames) ? kCodeNames[code] : "UNKNOWN",
                           options.server, status.error_message());
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? 3 : 1;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, print);
  return json;
}

const char* StateName(karton::kernel::v1::ModuleState state) {
  switch (state) {
    case karton::kernel::v1::MODULE_STATE_LOADED:
      return "loaded";
    case karton::kernel::v1::MODULE_STATE_STARTED:
      return "started";
    case karton::kernel::v1::MODULE_STATE_STOPPED:
      return "stopped";
    case karton::kernel::v1::MODULE_STATE_FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

int ListModules(const GlobalOptions& options) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  auto stub = karton::kernel::v1::KernelService::NewStub(channel);
  karton::kernel::v1::ListModulesResponse response;
  auto context = MakeContext(options);
  const grpc::Status status = stub->ListModules(context.get(), {}, &response);
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
    std::cout << fmt::format("{:<20} {:<10} {:<9} {}\n", module.name(), module.version(),
                             StateName(module.state()), depends.empty() ? "-" : depends);
  }
  return 0;
}

int WhoAmI(const GlobalOptions& options) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  auto stub = karton::kernel::v1::IdentityService::NewStub(channel);
  karton::kernel::v1::WhoAmIResponse response;
  auto context = MakeContext(options);
  const grpc::Status status = stub->WhoAmI(context.get(), {}, &response);
  if (!status.ok()) return ReportError(status, options);
  if (options.output == "json") {
    std::cout << ToJson(response);
    return 0;
  }
  std::string roles;
  for (int role : response.user().roles()) {
    if (!roles.empty()) roles += ", ";
    std::string name = karton::kernel::v1::Role_Name(role);
    name = name.substr(std::string("ROLE_").size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    roles += name;
  }
  std::cout << fmt::format("user:  {} <{}> (id {})\nroles: {}\ntoken: id {}\n",
                           response.user().name(), response.user().email(), response.user().id(),
                           roles, response.api_token_id());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  GlobalOptions options;
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

  int exit_code = 0;
  app.add_subcommand("modules", "List the modules kartond has loaded, in start order")
      ->callback([&] { exit_code = ListModules(options); });
  app.add_subcommand("whoami", "Show the user and roles the token stands for")->callback([&] {
    exit_code = WhoAmI(options);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  return exit_code;
}

#include "client.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include "rpc_registry.h"

namespace karton::cli {

std::string ResolveToken(const GlobalOptions& options) {
  if (!options.token.empty()) return options.token;
  std::ifstream file(options.data_dir + "/admin.token");
  std::string token;
  std::getline(file, token);
  return token;
}

namespace {

std::string ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error(fmt::format("{} {}: cannot read the file", flag, path));
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace

std::shared_ptr<grpc::Channel> ChannelFor(const GlobalOptions& options) {
  if (options.tls_ca.empty() && options.tls_cert.empty()) {
    return CheckedChannel(options.server, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions tls;
  if (!options.tls_ca.empty() && options.tls_ca != "system") {
    tls.pem_root_certs = ReadPem("--tls-ca", options.tls_ca);
  }
  if (!options.tls_cert.empty()) {
    tls.pem_cert_chain = ReadPem("--tls-cert", options.tls_cert);
    tls.pem_private_key = ReadPem("--tls-key", options.tls_key);
  }
  return CheckedChannel(options.server, grpc::SslCredentials(tls));
}

std::unique_ptr<grpc::ClientContext> MakeContext(const GlobalOptions& options, bool streaming) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!streaming) {
    context->set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000)));
  }
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
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ? kExitUnreachable : kExitServerError;
}

std::string ToJson(const google::protobuf::Message& message, bool one_line) {
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = !one_line;
  print.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) return "";
  return json;
}

std::string EnumWord(const std::string& value_name, const std::string& prefix) {
  std::string word =
      value_name.rfind(prefix, 0) == 0 ? value_name.substr(prefix.size()) : value_name;
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word;
}

}  // namespace karton::cli

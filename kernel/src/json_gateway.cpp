#include "json_gateway.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>
#include <re2/re2.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstring>

#include "access_control.h"
#include "google/rpc/error_details.pb.h"
#include "karton/kernel/errors.h"
#include "web_sessions.h"

namespace karton::kernel {
namespace {

constexpr auto kGatewayDeadline = std::chrono::seconds(60);

// Connect's lower-case code names, indexed by grpc::StatusCode.
constexpr const char* kCodeNames[] = {
    "ok",        "canceled",       "unknown",           "invalid_argument",   "deadline_exceeded",
    "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition",
    "aborted",   "out_of_range",   "unimplemented",     "internal",           "unavailable",
    "data_loss", "unauthenticated"};

// Connect's error detail: the type, the serialized message (base64), and a
// readable rendering under "debug".
boost::json::array FieldDetails(const grpc::Status& status) {
  std::vector<FieldViolation> violations = FieldViolationsOf(status);
  if (violations.empty()) {
    // Handlers that only set the message still name the field first:
    // "<field.path>: <problem>" (docs/api.md).
    static const RE2 kFieldMessage(R"(^([a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*): (.+)$)");
    const std::string message = status.error_message();
    std::string field, problem;
    if (RE2::FullMatch(message, kFieldMessage, &field, nullptr, &problem)) {
      violations.push_back({field, problem});
    }
  }
  boost::json::array details;
  if (violations.empty()) return details;
  google::rpc::BadRequest bad_request;
  boost::json::array rendered;
  for (const auto& violation : violations) {
    auto* added = bad_request.add_field_violations();
    added->set_field(violation.field);
    added->set_description(violation.description);
    rendered.push_back({{"field", violation.field}, {"description", violation.description}});
  }
  const std::string bytes = bad_request.SerializeAsString();
  std::string encoded(
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  encoded.resize(std::strlen(encoded.c_str()));
  details.push_back({{"type", "google.rpc.BadRequest"},
                     {"value", encoded},
                     {"debug", {{"fieldViolations", std::move(rendered)}}}});
  return details;
}

HttpResponse Error(const grpc::Status& status) {
  const auto index = static_cast<std::size_t>(status.error_code());
  boost::json::object body;
  body["code"] = index < std::size(kCodeNames) ? kCodeNames[index] : "unknown";
  body["message"] = status.error_message();
  body["details"] = FieldDetails(status);
  return HttpResponse::Json(HttpStatusForGrpcCode(static_cast<int>(status.error_code())),
                            boost::json::serialize(body));
}

// A refused call budget: the body carries google.rpc.RetryInfo as the JSON
// mapping writes it, and Retry-After says the same for HTTP clients.
HttpResponse RetryLater(const grpc::Status& status, std::chrono::seconds retry_after) {
  boost::json::object body;
  body["code"] = "resource_exhausted";
  body["message"] = status.error_message();
  body["details"] =
      boost::json::array{{{"type", "google.rpc.RetryInfo"},
                          {"debug", {{"retryDelay", std::to_string(retry_after.count()) + "s"}}}}};
  HttpResponse response = HttpResponse::Json(429, boost::json::serialize(body));
  response.headers["retry-after"] = std::to_string(retry_after.count());
  return response;
}

HttpResponse Error(grpc::StatusCode code, const std::string& message) {
  return Error(grpc::Status(code, message));
}

}  // namespace

int HttpStatusForGrpcCode(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 400;
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    default:
      return 500;
  }
}

grpc::Status ParseGatewayBody(const std::string& body, google::protobuf::Message& input) {
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  std::string problem;
  try {
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(body.empty() ? "{}" : body, &input, parse);
    if (parsed.ok()) return grpc::Status::OK;
    problem = std::string(parsed.message());
  } catch (const std::exception& error) {
    // Protobuf 3.21's converter fails some of its own checks on odd input
    // and throws (an Any with fields after a well-known type's "value":
    // "CHECK failed: !done_"), found by fuzzing: still the body's fault,
    // not a 500.
    problem = error.what();
  }
  input.Clear();
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      fmt::format("the body is not a valid {}: {}", input.GetDescriptor()->full_name(), problem));
}

HttpResponse ConnectErrorResponse(const grpc::Status& status) { return Error(status); }

std::optional<Caller> HttpCallerOf(AccessControl& access, const HttpRequest& request,
                                   const std::string& method_path, bool csrf_required,
                                   HttpResponse& refusal) {
  // The same checks as on the gRPC port. A browser signed in to the web
  // client sends its session cookie instead of a bearer token, and with a
  // write the session's CSRF token: a cookie alone may have been sent by
  // another site's page.
  std::string authorization;
  if (const auto header = request.headers.find("authorization"); header != request.headers.end()) {
    authorization = header->second;
  } else if (const std::string session = SessionSecretOf(request); !session.empty()) {
    if (csrf_required && !CsrfTokenMatches(request, session)) {
      refusal = Error(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                   fmt::format("{}: the session's CSRF token is missing or wrong "
                                               "(from POST /auth/sign-in or GET /auth/session)",
                                               kCsrfHeader)));
      return std::nullopt;
    }
    authorization = "Bearer " + session;
  } else {
    refusal = Error(grpc::StatusCode::UNAUTHENTICATED,
                    "missing header 'Authorization: Bearer <token>' (or a web session: POST "
                    "/auth/sign-in)");
    return std::nullopt;
  }
  Caller caller;
  if (auto status = access.Authenticate(authorization, caller); !status.ok()) {
    refusal = Error(status);
    return std::nullopt;
  }
  if (auto status = access.Authorize(caller, method_path); !status.ok()) {
    refusal = Error(status);
    return std::nullopt;
  }
  std::chrono::seconds retry_after{0};
  if (auto status = access.ChargeCall(caller, &retry_after); !status.ok()) {
    refusal = RetryLater(status, retry_after);
    return std::nullopt;
  }
  return caller;
}

HttpResponse JsonGateway::Handle(const HttpRequest& request) const {
  const std::string& service_name = request.path_params.at("service");
  const std::string& method_name = request.path_params.at("method");
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  const auto* method = service == nullptr ? nullptr : service->FindMethodByName(method_name);
  const std::string path = fmt::format("/{}/{}", service_name, method_name);
  if (method == nullptr || access_.AllowedRoles(path) == nullptr) {
    return Error(grpc::StatusCode::NOT_FOUND, fmt::format("no method {}", path));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return Error(grpc::StatusCode::UNIMPLEMENTED,
                 fmt::format("{} streams; the JSON gateway serves unary methods only", path));
  }
  // Connect's unary protocol: a JSON or a binary protobuf body, answered
  // in kind; errors are JSON either way.
  const auto content_type = request.headers.find("content-type");
  bool binary = false;
  if (content_type != request.headers.end()) {
    const std::string& type = content_type->second;
    if (type.rfind("application/proto", 0) == 0) {
      binary = true;
    } else if (type.rfind("application/json", 0) != 0) {
      return Error(grpc::StatusCode::INVALID_ARGUMENT,
                   "the body must be application/json or application/proto");
    }
  }
  if (const auto version = request.headers.find("connect-protocol-version");
      version != request.headers.end() && version->second != "1") {
    return Error(grpc::StatusCode::INVALID_ARGUMENT,
                 fmt::format("connect-protocol-version {} is not served; this server speaks 1",
                             version->second));
  }

  HttpResponse refusal;
  const std::optional<Caller> caller = HttpCallerOf(access_, request, path, true, refusal);
  if (!caller) return refusal;

  auto* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<google::protobuf::Message> input(
      factory->GetPrototype(method->input_type())->New());
  std::unique_ptr<google::protobuf::Message> output(
      factory->GetPrototype(method->output_type())->New());
  if (binary) {
    if (!input->ParseFromString(request.body)) {
      return Error(
          grpc::StatusCode::INVALID_ARGUMENT,
          fmt::format("the body is not a valid binary {}", input->GetDescriptor()->full_name()));
    }
  } else if (auto status = ParseGatewayBody(request.body, *input); !status.ok()) {
    return Error(status);
  }

  // Into the kernel's own server over the in-process channel, as the
  // caller: the interceptors, metrics and the module's handler see a
  // normal call.
  auto channel = channel_();
  grpc::ClientContext context;
  // Connect clients may ask for less time than the gateway's own limit.
  auto deadline = std::chrono::milliseconds(kGatewayDeadline);
  if (const auto timeout = request.headers.find("connect-timeout-ms");
      timeout != request.headers.end()) {
    long long asked = 0;
    const auto* end = timeout->second.data() + timeout->second.size();
    const auto parsed = std::from_chars(timeout->second.data(), end, asked);
    if (parsed.ec != std::errc() || parsed.ptr != end || asked <= 0) {
      return Error(grpc::StatusCode::INVALID_ARGUMENT,
                   "connect-timeout-ms must be a positive number of milliseconds");
    }
    deadline = std::min(deadline, std::chrono::milliseconds(asked));
  }
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  context.AddMetadata("karton-caller", SerializeCaller(*caller));
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  const grpc::Status status =
      grpc::internal::BlockingUnaryCall<google::protobuf::Message, google::protobuf::Message>(
          channel.get(), rpc, &context, *input, output.get());
  if (!status.ok()) return Error(status);

  if (binary) return HttpResponse{200, "application/proto", output->SerializeAsString(), {}};
  google::protobuf::util::JsonPrintOptions print;
  print.always_print_primitive_fields = false;
  std::string json;
  if (auto printed = google::protobuf::util::MessageToJsonString(*output, &json, print);
      !printed.ok()) {
    return Error(grpc::StatusCode::INTERNAL, "the answer could not be turned into JSON");
  }
  return HttpResponse::Json(200, json);
}

}  // namespace karton::kernel

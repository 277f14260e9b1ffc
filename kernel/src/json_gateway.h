// The JSON gateway: every unary gRPC method of the kernel and every loaded
// module, as POST /api/<package>.<Service>/<Method> with a JSON body (the
// protobuf JSON mapping) and the same bearer token. Generic over the
// descriptors: a method added to a .proto needs no gateway code. Requests
// and errors follow the Connect protocol's unary JSON form.
#pragma once

#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/http.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::kernel {

class AccessControl;

class JsonGateway {
 public:
  // `channel` returns the in-process channel (it exists once gRPC started).
  JsonGateway(AccessControl& access, std::function<std::shared_ptr<grpc::Channel>()> channel)
      : access_(access), channel_(std::move(channel)) {}

  // The handler for POST /api/{service}/{method}.
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  AccessControl& access_;
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
};

// A request body as the method's input message (the protobuf JSON mapping,
// unknown fields refused; an empty body is {}): OK, or INVALID_ARGUMENT
// saying why the body is not one.
grpc::Status ParseGatewayBody(const std::string& body, google::protobuf::Message& input);

// A failed call as the Connect protocol answers it: the HTTP status for
// the code and a JSON body {code, message, details} (field violations as
// google.rpc.BadRequest).
HttpResponse ConnectErrorResponse(const grpc::Status& status);

// Who makes an HTTP request into gRPC `method_path` ("/pkg.Service/Method"),
// checked as the gRPC port checks a call: the bearer token, or the web
// session's cookie (with its CSRF token when `csrf_required`: every request
// that may write); then the method's roles and the caller's call budget.
// Empty, with `refusal` set to the answer, when the caller may not.
std::optional<Caller> HttpCallerOf(AccessControl& access, const HttpRequest& request,
                                   const std::string& method_path, bool csrf_required,
                                   HttpResponse& refusal);

// The HTTP status the Connect protocol gives a gRPC status code.
int HttpStatusForGrpcCode(int code);

}  // namespace karton::kernel

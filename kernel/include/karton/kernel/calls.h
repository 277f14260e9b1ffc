// Calls from one module to another over the in-process channel, the one way
// every module makes them:
//
//   auto call = kernel::CallContext(*server_context);   // as the same caller
//   stub->GetPartner(call.get(), request, &partner);
//
// and calls of another module's extension offer (Registrar::OfferExtension),
// whose request and response types the extension point's owner documents:
//
//   common::v1::CheckRecordAccessResponse answer;
//   auto status = kernel::CallExtension(context.Channel(), *server_context,
//                                       offer.method, request, answer);
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <string>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace grpc {
class Channel;
class ClientContext;
class ServerContext;
}  // namespace grpc

namespace karton::kernel {

// How long a call to another module may take at most, when the incoming
// call's own deadline leaves more (or has none).
inline constexpr std::chrono::seconds kDefaultCallLimit{10};

// A client context for an in-process call made while serving `from`: it acts
// for the same caller (ForwardCaller) and ends no later than `from` must
// answer, nor after `limit`.
std::unique_ptr<grpc::ClientContext> CallContext(
    const grpc::ServerContext& from, std::chrono::milliseconds limit = kDefaultCallLimit);
// The same for kartond's own work (jobs, event handlers): CallAsKernel.
std::unique_ptr<grpc::ClientContext> KernelCallContext(
    std::chrono::milliseconds limit = kDefaultCallLimit);

// Calls the unary method `method` ("/pkg.Service/Method") with `request` in
// `context` and parses the answer into `response` (any generated message
// types). The status is the callee's, or INTERNAL for an unreadable answer.
grpc::Status CallMethod(grpc::Channel& channel, grpc::ClientContext& context,
                        const std::string& method, const google::protobuf::Message& request,
                        google::protobuf::Message& response);

// CallMethod of an extension offer as the caller of `from`.
grpc::Status CallExtension(grpc::Channel& channel, const grpc::ServerContext& from,
                           const std::string& method, const google::protobuf::Message& request,
                           google::protobuf::Message& response,
                           std::chrono::milliseconds limit = kDefaultCallLimit);

}  // namespace karton::kernel

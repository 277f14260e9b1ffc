// Calls from one module to another over the in-process channel, the one way
// every module makes them:
//
//   auto call = kernel::CallContext(*server_context);   // as the same caller
//   stub->GetPartner(call.get(), request, &partner);
//
// and calls of other modules' extension offers (Registrar::OfferExtension),
// whose request and response types the extension point's owner documents:
// all of a point's offers at once, each answer with its module and status,
//
//   auto answers = kernel::CallExtensions<common::v1::CustomerOverviewSection>(
//       context.Channel(), *server_context, context.Extensions(kPoint), request);
//   for (auto& answer : answers) if (answer.status.ok()) ... answer.response ...
//
// or one offer:
//
//   common::v1::CheckRecordAccessResponse answer;
//   auto status = kernel::CallExtension(*context.Channel(), *server_context,
//                                       offer.method, request, answer);
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace grpc {
class Channel;
class ClientContext;
class ServerContext;
}  // namespace grpc

namespace karton::kernel {

// A module's offer at an extension point (see Registrar::OfferExtension).
struct ExtensionOffer {
  std::string module;  // who offers it
  std::string method;  // the full gRPC method: "/karton.orders.v1.OrdersService/GetOverviewSection"
};

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
// For code that runs both ways: CallContext(*from) when serving a call,
// KernelCallContext() when `from` is null.
std::unique_ptr<grpc::ClientContext> CallContextFor(
    const grpc::ServerContext* from, std::chrono::milliseconds limit = kDefaultCallLimit);

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

// Calls every offer's method with `request` at once, as `from`'s caller and
// under its deadline (at most `limit`), and waits for all of them:
// statuses[i] is offers[i]'s, and its answer is parsed into *responses[i].
// One offer failing or being slow does not hold up or fail the others.
std::vector<grpc::Status> CallOffers(const std::shared_ptr<grpc::Channel>& channel,
                                     const grpc::ServerContext& from,
                                     const std::vector<ExtensionOffer>& offers,
                                     const google::protobuf::Message& request,
                                     const std::vector<google::protobuf::Message*>& responses,
                                     std::chrono::milliseconds limit = kDefaultCallLimit);

// One offer's answer to CallExtensions.
template <class Response>
struct ExtensionAnswer {
  std::string module;
  grpc::Status status;
  Response response;  // meaningful when status is OK
};

// CallOffers with typed answers, in the order of `offers`.
template <class Response>
std::vector<ExtensionAnswer<Response>> CallExtensions(
    const std::shared_ptr<grpc::Channel>& channel, const grpc::ServerContext& from,
    const std::vector<ExtensionOffer>& offers, const google::protobuf::Message& request,
    std::chrono::milliseconds limit = kDefaultCallLimit) {
  std::vector<ExtensionAnswer<Response>> answers(offers.size());
  std::vector<google::protobuf::Message*> responses;
  responses.reserve(offers.size());
  for (auto& answer : answers) responses.push_back(&answer.response);
  auto statuses = CallOffers(channel, from, offers, request, responses, limit);
  for (std::size_t i = 0; i < offers.size(); ++i) {
    answers[i].module = offers[i].module;
    answers[i].status = std::move(statuses[i]);
  }
  return answers;
}

}  // namespace karton::kernel

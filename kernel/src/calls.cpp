#include "karton/kernel/calls.h"

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>

#include <algorithm>
#include <cstdint>

#include "karton/kernel/access.h"

namespace karton::kernel {

std::unique_ptr<grpc::ClientContext> CallContext(const grpc::ServerContext& from,
                                                 std::chrono::milliseconds limit) {
  auto call = std::make_unique<grpc::ClientContext>();
  // gRPC deadlines are wall-clock times; the kernel clock does not apply.
  call->set_deadline(std::min(from.deadline(), std::chrono::system_clock::now() + limit));
  ForwardCaller(from, *call);
  return call;
}

std::unique_ptr<grpc::ClientContext> KernelCallContext(std::chrono::milliseconds limit) {
  auto call = std::make_unique<grpc::ClientContext>();
  call->set_deadline(std::chrono::system_clock::now() + limit);
  CallAsKernel(*call);
  return call;
}

std::unique_ptr<grpc::ClientContext> CallContextFor(const grpc::ServerContext* from,
                                                    std::chrono::milliseconds limit) {
  return from != nullptr ? CallContext(*from, limit) : KernelCallContext(limit);
}

grpc::Status CallMethod(grpc::Channel& channel, grpc::ClientContext& context,
                        const std::string& method, const google::protobuf::Message& request,
                        google::protobuf::Message& response) {
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  return grpc::internal::BlockingUnaryCall<google::protobuf::Message, google::protobuf::Message>(
      &channel, rpc, &context, request, &response);
}

grpc::Status CallExtension(grpc::Channel& channel, const grpc::ServerContext& from,
                           const std::string& method, const google::protobuf::Message& request,
                           google::protobuf::Message& response, std::chrono::milliseconds limit) {
  auto call = CallContext(from, limit);
  return CallMethod(channel, *call, method, request, response);
}

std::vector<grpc::Status> CallOffers(const std::shared_ptr<grpc::Channel>& channel,
                                     const grpc::ServerContext& from,
                                     const std::vector<ExtensionOffer>& offers,
                                     const google::protobuf::Message& request,
                                     const std::vector<google::protobuf::Message*>& responses,
                                     std::chrono::milliseconds limit) {
  std::vector<grpc::Status> statuses(offers.size());
  if (offers.empty()) return statuses;
  grpc::ByteBuffer request_bytes;
  bool own_buffer = false;
  if (const auto serialized = grpc::SerializationTraits<google::protobuf::Message>::Serialize(
          request, &request_bytes, &own_buffer);
      !serialized.ok()) {
    std::fill(statuses.begin(), statuses.end(), serialized);
    return statuses;
  }
  // Every call is started before any answer is awaited: the offers run side
  // by side on the server's threads, and this thread only waits.
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  struct Pending {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;
    grpc::ByteBuffer reply;
  };
  std::vector<Pending> pending(offers.size());
  for (std::size_t i = 0; i < offers.size(); ++i) {
    pending[i].context = CallContext(from, limit);
    pending[i].reader =
        stub.PrepareUnaryCall(pending[i].context.get(), offers[i].method, request_bytes, &queue);
    pending[i].reader->StartCall();
    pending[i].reader->Finish(&pending[i].reply, &statuses[i],
                              reinterpret_cast<void*>(static_cast<std::uintptr_t>(i)));
  }
  // Each call ends by its deadline at the latest, so this loop does too.
  for (std::size_t done = 0; done < offers.size(); ++done) {
    void* tag = nullptr;
    bool ok = false;
    if (!queue.Next(&tag, &ok)) break;
    const auto i = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(tag));
    if (!statuses[i].ok()) continue;
    if (!grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&pending[i].reply,
                                                                           responses[i])
             .ok()) {
      statuses[i] = {grpc::StatusCode::INTERNAL,
                     "the answer of " + offers[i].method + " could not be read"};
    }
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  return statuses;
}

}  // namespace karton::kernel

#include "karton/kernel/calls.h"

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>

#include <algorithm>

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

}  // namespace karton::kernel

// Serving a unary method through gRPC's callback API, for the few hot reads
// where the hand-off to a synchronous handler thread is most of the cost.
//
// A module's service stays a synchronous `Service` and marks single methods
// for the callback API with the generated wrapper, then answers them on the
// thread that read the request:
//
//   class PartnerServiceImpl final
//       : public v1::PartnerService::WithCallbackMethod_GetPartner<
//             v1::PartnerService::Service> {
//     grpc::ServerUnaryReactor* GetPartner(grpc::CallbackServerContext* context,
//                                          const v1::GetPartnerRequest* request,
//                                          v1::Partner* response) override {
//       return kernel::AnswerOnThisThread(context, [&] { return Get(..); });
//     }
//   };
//
// Measured on GetPartner (docs/performance.md, "The gRPC server model"):
// the same handler answered about 1.5 times as many calls at concurrency 16.
// The body blocks a gRPC thread while it waits for the database, so keep it
// to short reads: no calls to other modules (an in-process call made from a
// gRPC thread can wait for a thread that is itself waiting), no long
// transactions. Everything else stays synchronous.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <utility>

namespace karton::kernel {

// While it lives, the database pool knows the deadline of the call this
// thread serves (database.h: Acquire waits no longer than the call may),
// as gRPC's hooks tell it for synchronous handlers.
class ServedCallDeadline {
 public:
  explicit ServedCallDeadline(const grpc::ServerContextBase& context);
  ~ServedCallDeadline();
  ServedCallDeadline(const ServedCallDeadline&) = delete;
  ServedCallDeadline& operator=(const ServedCallDeadline&) = delete;
};

// Runs `body` (returning grpc::Status, like a synchronous handler's body)
// and finishes the call with its status.
template <class Body>
grpc::ServerUnaryReactor* AnswerOnThisThread(grpc::CallbackServerContext* context, Body&& body) {
  grpc::Status status;
  {
    const ServedCallDeadline deadline(*context);
    status = std::forward<Body>(body)();
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace karton::kernel

// GreetingService: the gRPC handlers of the hello module. It takes the
// kernel's ServiceParts (the database, the clock, the audit trail, the event
// bus, a logger) rather than the whole ModuleContext, so a test builds it
// from a throwaway database and a FakeModuleContext.
#pragma once

#include <string>

#include "karton/hello/v1/greeting_service.grpc.pb.h"
#include "karton/kernel/service_parts.h"

namespace karton::hello {

class GreetingService final : public v1::GreetingService::Service {
 public:
  // The event topics the service publishes; the module declares them in
  // Register(), a test on its FakeModuleContext.
  static void DeclareTopics(kernel::DomainEvents& events);

  GreetingService(kernel::ServiceParts parts, std::string default_language);

  grpc::Status CreateGreeting(grpc::ServerContext* context,
                              const v1::CreateGreetingRequest* request,
                              v1::Greeting* response) override;
  grpc::Status GetGreeting(grpc::ServerContext* context, const v1::GetGreetingRequest* request,
                           v1::Greeting* response) override;

 private:
  const kernel::ServiceParts parts_;
  const std::string default_language_;
};

}  // namespace karton::hello

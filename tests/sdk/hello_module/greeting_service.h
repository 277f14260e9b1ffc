// GreetingService: the gRPC handlers of the hello module. It takes what it
// uses (the database, the clock, the audit trail, the event bus, a logger)
// rather than the whole ModuleContext, so a test can build it from a
// throwaway database and a FakeModuleContext's parts.
#pragma once

#include <string>

#include "karton/hello/v1/greeting_service.grpc.pb.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::kernel {
class AuditLog;
class Clock;
class Database;
class DomainEvents;
}  // namespace karton::kernel

namespace karton::hello {

class GreetingService final : public v1::GreetingService::Service {
 public:
  // The event topics the service publishes; the module declares them in
  // Register(), a test on its FakeModuleContext.
  static void DeclareTopics(kernel::DomainEvents& events);

  GreetingService(kernel::Database& database, const kernel::Clock& clock, kernel::AuditLog& audit,
                  kernel::DomainEvents& events, spdlog::logger& log, std::string default_language);

  grpc::Status CreateGreeting(grpc::ServerContext* context,
                              const v1::CreateGreetingRequest* request,
                              v1::Greeting* response) override;
  grpc::Status GetGreeting(grpc::ServerContext* context, const v1::GetGreetingRequest* request,
                           v1::Greeting* response) override;

 private:
  kernel::Database& database_;
  const kernel::Clock& clock_;
  kernel::AuditLog& audit_;
  kernel::DomainEvents& events_;
  spdlog::logger& log_;
  const std::string default_language_;
};

}  // namespace karton::hello

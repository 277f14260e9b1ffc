// What the campaigns services use of the kernel, handed to them one by one
// so a test builds them from a throwaway database and a FakeModuleContext's
// parts (docs/module-guide.md, "Testable services").
#pragma once

#include <functional>
#include <memory>

namespace grpc {
class Channel;
}  // namespace grpc

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::kernel {
class AuditLog;
class Clock;
class Database;
class DomainEvents;
}  // namespace karton::kernel

namespace karton::campaigns {

// kartond's in-process channel to the other modules; it exists from
// Start() on, so it is asked for at each call.
using ChannelSource = std::function<std::shared_ptr<grpc::Channel>()>;

struct ServiceParts {
  kernel::Database& database;
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  spdlog::logger& log;
  ChannelSource channel;
};

}  // namespace karton::campaigns

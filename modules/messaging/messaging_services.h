// What the messaging module's services, delivery jobs and pages work with,
// spelled out: MessagingModule fills it from the ModuleContext, a test from
// a throwaway database and a FakeModuleContext's parts. Nothing else of the
// module sees the ModuleContext.
#pragma once

#include <functional>
#include <memory>
#include <string>

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
class Jobs;
}  // namespace karton::kernel

namespace karton::messaging {

// The kernel's in-process channel, through which the partners module is
// called (ModuleContext::Channel()). Valid only from the module's Start()
// on, so it is asked at each call, never kept.
using ChannelSource = std::function<std::shared_ptr<grpc::Channel>()>;

struct MessagingServices {
  kernel::Database& database;
  // The only source of business time.
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  // Where SendMessage queues the delivery jobs.
  kernel::Jobs& jobs;
  spdlog::logger& log;
  ChannelSource channel;
  // kartond's public HTTP address, the base of unsubscribe links
  // (ModuleContext::PublicUrl()). Valid from Start() on: asked at each use.
  std::function<std::string()> public_url;
};

}  // namespace karton::messaging

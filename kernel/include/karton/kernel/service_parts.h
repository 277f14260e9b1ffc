// What a module's services, jobs and pages use of the kernel, spelled out
// in one struct. A module builds it once in Register() with PartsOf() and
// hands it to each service, so no service sees the ModuleContext and a test
// builds the same struct from a FakeModuleContext that holds a throwaway
// database (docs/module-guide.md, "Testable services").
//
// Every module used to declare its own copy of these lines; this is the
// one the toolkit gives them. A module's own settings (time zone, series,
// company) stay in the module, next to its services.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
class ModuleContext;
struct ExtensionOffer;

// The kernel's in-process channel, asked for at each call (it exists from
// the module's Start() on).
using ChannelSource = std::function<std::shared_ptr<grpc::Channel>()>;

struct ServiceParts {
  Database& database;
  // The only source of business time.
  const Clock& clock;
  AuditLog& audit;
  DomainEvents& events;
  // The module's durable jobs (reminders, deliveries, overdue checks).
  Jobs& jobs;
  spdlog::logger& log;
  // The three below are valid only from the module's Start() on, so they
  // are asked at each use, never kept.
  // The kernel's in-process channel, over which other modules' services
  // are called (ModuleContext::Channel()).
  ChannelSource channel;
  // kartond's public HTTP address without a trailing slash: unsubscribe
  // links, web forms, calendar feeds (ModuleContext::PublicUrl()).
  std::function<std::string()> public_url;
  // The offers at an extension point, in start order
  // (ModuleContext::Extensions()).
  std::function<std::vector<ExtensionOffer>(std::string_view point)> offers;
};

// The parts of `context`, which must outlive them (a ModuleContext lives
// until the module's Stop() returns).
ServiceParts PartsOf(ModuleContext& context);

}  // namespace karton::kernel

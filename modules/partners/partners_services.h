// What the partners module's service and helpers work with, spelled out:
// PartnersModule fills it from the ModuleContext, a test from a throwaway
// database and a FakeModuleContext's parts. Nothing else of the module sees
// the ModuleContext.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "karton/kernel/calls.h"

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

namespace karton::partners {

// The other modules, reached at extension points ("record_access",
// "personal_data_export", "personal_data_erase"). Both are valid only from
// the module's Start() on, so they are asked at each call, never kept.
struct OtherModules {
  // The kernel's in-process channel (ModuleContext::Channel()).
  std::function<std::shared_ptr<grpc::Channel>()> channel;
  // The offers at a point, in start order (ModuleContext::Extensions()).
  std::function<std::vector<kernel::ExtensionOffer>(std::string_view point)> offers;
};

struct PartnersServices {
  kernel::Database& database;
  // The only source of business time.
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  spdlog::logger& log;
  OtherModules others;
};

}  // namespace karton::partners

// What the CRM's services, intake, routing, pages, jobs and event handlers
// work with, spelled out: CrmModule fills it from the ModuleContext, a test
// from a throwaway database and a FakeModuleContext's parts. Nothing else
// of the module sees the ModuleContext.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "karton/kernel/audit.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::kernel {
class Database;
}  // namespace karton::kernel

namespace karton::crm {

struct CrmServices {
  kernel::Database& database;
  // The only source of business time.
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  // Activity reminders are scheduled here.
  kernel::Jobs& jobs;
  spdlog::logger& log;
  // The three below are valid only from the module's Start() on, so they
  // are asked at each use, never kept.
  // The kernel's in-process channel: partners, messaging and the kernel's
  // IdentityService are called over it (ModuleContext::Channel()).
  std::function<std::shared_ptr<grpc::Channel>()> channel;
  // kartond's public HTTP address: web form and calendar feed links
  // (ModuleContext::PublicUrl()).
  std::function<std::string()> public_url;
  // The offers at an extension point, in start order
  // (ModuleContext::Extensions()): the customer overview's sections.
  std::function<std::vector<kernel::ExtensionOffer>(std::string_view point)> offers;
};

}  // namespace karton::crm

// What the automation services use of the kernel, handed to them one by one
// so a test builds them from a throwaway database and a FakeModuleContext's
// parts (docs/module-guide.md, "Testable services").
#pragma once

#include <string>

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

namespace karton::automation {

struct ServiceParts {
  kernel::Database& database;
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  spdlog::logger& log;
};

// The module's settings (kartond --module-option automation.<key>=<value>).
struct AutomationSettings {
  // The zone in which a rule's "09:00 on the date in a field" is read.
  std::string time_zone = "Europe/Budapest";
  // The local time, "HH:MM", of the daily birthday and name-day greetings.
  std::string greeting_time = "08:00";
};

}  // namespace karton::automation

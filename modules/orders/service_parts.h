// What the orders services use of the kernel, handed to them one by one so
// a test builds a service from a throwaway database and a
// FakeModuleContext's parts (docs/module-guide.md, "Testable services").
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

namespace karton::orders {

class PartnerDirectory;

struct ServiceParts {
  kernel::Database& database;
  const kernel::Clock& clock;
  kernel::AuditLog& audit;
  kernel::DomainEvents& events;
  spdlog::logger& log;
};

// The module's settings (kartond --module-option orders.<key>=<value>).
struct OrdersSettings {
  // The zone in which a quotation's valid_until ends and "today" is read.
  std::string time_zone = "Europe/Budapest";
  // How many days before valid_until orders.quotation.expiring is published.
  int quotation_expiring_days = 3;
};

}  // namespace karton::orders

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

// The company making offers, as quotations print it (the orders.company_*
// options).
struct OfferingCompany {
  std::string name;
  // One line, e.g. "1132 Budapest, Váci út 18.".
  std::string address;
  std::string tax_number;
  // Also where replies to a sent quotation go, unless the request says.
  std::string email;
  std::string phone;
};

// The module's settings (kartond --module-option orders.<key>=<value>).
struct OrdersSettings {
  // The zone in which a quotation's valid_until ends and "today" is read.
  std::string time_zone = "Europe/Budapest";
  // How many days before valid_until orders.quotation.expiring is published.
  int quotation_expiring_days = 3;
  // SendQuotation refuses to send while its name is empty.
  OfferingCompany company;
};

}  // namespace karton::orders

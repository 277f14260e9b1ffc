// The orders module's settings (kartond --module-option orders.<key>=<value>),
// read once in Register() and handed to the services that need them.
#pragma once

#include <string>

namespace karton::orders {

class PartnerDirectory;

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

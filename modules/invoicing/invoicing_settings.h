// The invoicing module's settings (kartond --module-option invoicing.<key>=<value>),
// read once in Register() and handed to the services that need them.
#pragma once

#include <optional>
#include <string>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "nav/nav_client.h"

namespace karton::invoicing {

// kartond --module-option invoicing.<key>=<value>.
struct InvoicingSettings {
  // The number prefix: KRT-2026-000123.
  std::string series = "KRT";
  // Days from issue to due when the draft names no due date.
  int payment_terms_days = 8;
  // The zone of "today": issue dates, due dates, lateness.
  std::string time_zone = "Europe/Budapest";
  // Who issues the invoices (invoicing.seller_* options): copied onto each
  // invoice when it is issued. Issuing refuses while the name or the tax
  // number is missing, rather than print an invoice without them.
  v1::InvoiceParty seller;
  // Where and as whom issued invoices are sent to NAV Online Számla
  // (invoicing.nav_* options); unset: sending is off.
  std::optional<nav::NavConnection> nav;
};

}  // namespace karton::invoicing

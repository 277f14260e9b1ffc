// The invoicing module's demo data: invoices for the orders module's demo
// orders, issued, paid, partly paid and overdue, and a draft.
#pragma once

#include "invoicing_settings.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::invoicing {

void LoadInvoicingDemoData(kernel::ModuleContext& context, soci::session& session,
                           const InvoicingSettings& settings);

}  // namespace karton::invoicing

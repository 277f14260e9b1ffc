// The CRM's demo data (kartond --demo): a sales and a support team with
// their colleagues, the "Contact us" form at /forms/contact (demo requests
// to sales, support questions to support), a fallback routing rule, a
// sales pipeline with sample opportunities on demo partners and next
// activities for most of them, and sample leads.
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::crm {

void LoadCrmDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::crm

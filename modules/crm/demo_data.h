// The CRM's demo data (kartond --demo): a sales and a support team with
// their colleagues, the "Contact us" form at /forms/contact (demo requests
// to sales, support questions to support), a fallback routing rule, a
// sales pipeline with sample opportunities on demo partners and next
// activities for most of them, and sample leads.
#pragma once

#include <cstdint>
#include <vector>

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::crm {

// What the demo asks of other modules, before the kernel's demo
// transaction holds a connection (Module::PrepareDemoData): its colleagues
// and teams (the kernel), the form's confirmation template (messaging) and
// the organisations its deals are with (partners). Request ids make a
// repeated run find what the first one made.
struct CrmDemoPrepared {
  std::int64_t anna = 0, peter = 0, eva = 0, manager = 0;
  std::int64_t sales = 0, support = 0;  // teams
  std::vector<std::int64_t> organisation_ids;
};
CrmDemoPrepared PrepareCrmDemoData(kernel::ModuleContext& context);

// The rows of the crm schema, inside the demo transaction.
void LoadCrmDemoData(kernel::ModuleContext& context, soci::session& session,
                     const CrmDemoPrepared& prepared);

}  // namespace karton::crm

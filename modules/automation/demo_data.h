// The automation module's demo data (kartond --demo).
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::automation {

// The worked examples of docs/automation.md: the demo-licence rule (the day
// before a partner's custom field demo_expires, at 09:00, its owner gets a
// call task) and the heating company's newsletter journey.
void LoadAutomationDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::automation

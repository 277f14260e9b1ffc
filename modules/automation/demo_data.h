// The automation module's demo data (kartond --demo).
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::automation {

// The demo-licence rule of docs/automation.md: the day before a partner's
// custom field demo_expires, at 09:00, its owner gets a call task.
void LoadAutomationDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::automation

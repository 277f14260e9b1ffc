// The messaging module's demo data (kartond --demo): templates in Hungarian
// and English for every channel, ready for `karton messages send`.
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::messaging {

void LoadMessagingDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::messaging

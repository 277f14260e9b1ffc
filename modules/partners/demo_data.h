// The partners module's demo data (kartond --demo): about 200 partners,
// Hungarian and international, with addresses, phones, emails, tags, bank
// accounts and custom fields. Generated from fixed lists with a fixed seed,
// so every demo database looks the same, and written through the same
// checks, audit entries and events as the API.
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::partners {

void LoadPartnerDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::partners

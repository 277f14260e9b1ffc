// The campaigns module's demo data (kartond --demo).
#pragma once

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::campaigns {

// Two segments (the newsletter subscribers; Budapest customers nobody has
// called for half a year) and the autumn newsletter campaign, finished,
// with its recipients' statuses, so the campaign pages have something to
// show.
void LoadCampaignsDemoData(kernel::ModuleContext& context, soci::session& session);

}  // namespace karton::campaigns

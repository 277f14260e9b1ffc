#include "partner_events.h"

#include <string>

#include "karton/kernel/prepared_query.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::helpdesk {

void FollowPartnerMerge(const kernel::Event& event, soci::session& session) {
  partners::v1::PartnersMerged merged;
  if (!event.ParsePayload(merged)) return;
  kernel::RunPrepared(
      session,
      "UPDATE helpdesk.ticket SET partner_id = $2, version = version + 1 "
      "WHERE partner_id = $1",
      {std::to_string(merged.merged_partner_id()), std::to_string(merged.kept_partner_id())});
}

}  // namespace karton::helpdesk

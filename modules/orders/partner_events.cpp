#include "partner_events.h"

#include <string>

#include "karton/kernel/events.h"
#include "karton/kernel/prepared_query.h"
#include "karton/partners/v1/partner.pb.h"

namespace karton::orders {

void FollowPartnerMerge(const kernel::Event& event, soci::session& session) {
  partners::v1::PartnersMerged merged;
  if (!event.ParsePayload(merged)) return;
  const std::string from = std::to_string(merged.merged_partner_id());
  const std::string to = std::to_string(merged.kept_partner_id());
  for (const char* sql :
       {"UPDATE orders.quotation SET partner_id = $2, version = version + 1 WHERE partner_id = $1",
        "UPDATE orders.sales_order SET partner_id = $2, version = version + 1 WHERE partner_id = "
        "$1",
        "UPDATE orders.price_list SET partner_id = $2, version = version + 1 WHERE partner_id = "
        "$1"}) {
    kernel::RunPrepared(session, sql, {from, to});
  }
}

}  // namespace karton::orders

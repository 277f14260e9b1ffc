// What the helpdesk does when the partners module merges two partners:
// the merged partner's tickets follow the kept one.
#pragma once

#include <soci/soci.h>

#include "karton/kernel/events.h"

namespace karton::helpdesk {

// partners.partner.merged, in the delivery transaction.
void FollowPartnerMerge(const kernel::Event& event, soci::session& session);

}  // namespace karton::helpdesk

// A ticket on its partner's timeline (issue 17, H1): opened, and each time
// it is resolved or closed, an entry through partners' timeline, so
// the partner card's timeline shows the customer's cases beside their
// calls, emails and deals. A calling subscription on the ticket's own
// events: nothing is added to the ticket's transaction, and the entry's
// source reference makes a redelivered event log nothing twice. A run of
// events goes in one BatchLogInteractions (libs/partner_timeline): a burst
// of tickets costs partners one transaction per run, not one per ticket.
#pragma once

#include <span>

#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

// For helpdesk.ticket.created and helpdesk.ticket.state_changed; tickets
// without a partner, and other moves, log nothing.
void LogTicketsOnTimeline(const kernel::ServiceParts& parts, std::span<const kernel::Event> run);

}  // namespace karton::helpdesk

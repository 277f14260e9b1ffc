// A ticket on its partner's timeline (issue 17, H1): opened, and each time
// it is resolved or closed, an entry through partners' LogInteraction, so
// the partner card's timeline shows the customer's cases beside their
// calls, emails and deals. A calling subscription on the ticket's own
// events: nothing is added to the ticket's transaction, and the entry's
// source reference makes a redelivered event log nothing twice.
#pragma once

#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

// For helpdesk.ticket.created and helpdesk.ticket.state_changed; tickets
// without a partner, and other moves, log nothing.
void LogTicketOnTimeline(const kernel::ServiceParts& parts, const kernel::Event& event);

}  // namespace karton::helpdesk

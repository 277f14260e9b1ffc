// Tickets that open by themselves (docs/helpdesk.md, "Where tickets come
// from"), followed as durable event subscriptions:
//
// - messaging.email.received with route "helpdesk" (an email to an address
//   messaging.inbound_routes gives the helpdesk), in the delivery
//   transaction, so each email is taken exactly once. A reply to a ticket
//   (In-Reply-To/References naming an email the helpdesk sent about it, or
//   its number in the subject) is a public comment from the customer and
//   moves a ticket waiting on the customer back to open, or reopens a
//   resolved one; a reply to a closed ticket opens a new ticket that names
//   it. Anything else opens a ticket (source email) for the sender, whom
//   messaging has matched to a partner and contact. Request id
//   "messaging.inbound/<inbound email id>".
// - crm.web_form.submitted (a web form whose target is TICKET): a ticket
//   with source web_form, its requester matched to a partner and contact
//   by email, then phone (a call to partners, so the handler holds no
//   connection meanwhile and writes in a transaction of its own), the
//   form's ticket type and its category's team or user. Request id
//   "crm.web_form/<event id>", so a redelivered event makes one ticket.
//
// Everything is done as kartond (created_by 0), audited and published as
// a CreateTicket, AddComment and ChangeState would be.
#pragma once

#include <soci/soci.h>

#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

class PartnerDirectory;

// The route messaging tags the helpdesk's email with.
inline constexpr char kHelpdeskRoute[] = "helpdesk";

class TicketIntake {
 public:
  TicketIntake(kernel::ServiceParts parts, PartnerDirectory& partners)
      : parts_(parts), partners_(partners) {}

  // Subscribes both (in Register()).
  void Subscribe(kernel::DomainEvents& events);

  // messaging.email.received, inside the delivery transaction.
  void OnEmail(const kernel::Event& event, soci::session& session);
  // crm.web_form.submitted; asks partners first, then one transaction.
  void OnWebForm(const kernel::Event& event);

 private:
  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
};

}  // namespace karton::helpdesk

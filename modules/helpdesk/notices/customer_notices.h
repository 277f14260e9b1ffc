// Customer notices (docs/helpdesk.md, "Customer notices"): the customer
// is emailed a messaging template when their ticket is received
// (helpdesk.ticket.created), when it waits on them (state_changed to
// waiting_on_customer) and when it is resolved (state_changed to
// resolved).
//
// An event subscriber (SubscribeCalling "customer_notices"), so the
// ticket's write stays one transaction and the notice is never lost: the
// event is in the log once the write commits, and the subscription's
// cursor moves past it only after the notice was handed to messaging (a
// failure is retried with backoff, and parked after the kernel's attempts).
// Each notice has an idempotency key of the ticket and the event, so a
// repeated delivery sends once, and its outcome is written on the ticket as
// an internal comment by kartond under the same key, once.
//
// A service message (category transactional): no marketing consent
// needed. Transactional email does not consult messaging's suppression
// list, so the notice looks the address up there itself: an address that
// opted out or hard-bounced gets nothing, and the ticket says the notice
// was skipped.
#pragma once

#include <optional>
#include <string>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/events.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

class Outreach;

// The topics the subscriber follows.
inline constexpr char kTicketCreatedTopic[] = "helpdesk.ticket.created";
inline constexpr char kTicketStateChangedTopic[] = "helpdesk.ticket.state_changed";

enum class NoticeKind { kReceived, kWaitingOnCustomer, kResolved };

// The notice an event of `topic` about `ticket` (the ticket after the
// change) calls for; nullopt for the changes the customer is not told of.
std::optional<NoticeKind> NoticeFor(const std::string& topic, const v1::Ticket& ticket);

// "received", "waiting_on_customer", "resolved".
const char* NoticeWord(NoticeKind kind);
// The messaging template: "helpdesk_ticket_received",
// "helpdesk_ticket_waiting_on_customer", "helpdesk_ticket_resolved".
std::string NoticeTemplate(NoticeKind kind);

class CustomerNotices {
 public:
  CustomerNotices(kernel::ServiceParts parts, Outreach& outreach)
      : parts_(parts), outreach_(outreach) {}

  // The subscriber: sends the notice the event calls for, if any, and
  // writes its outcome on the ticket. Throws when messaging is unavailable
  // (the event is retried).
  void Handle(const kernel::Event& event);

 private:
  kernel::ServiceParts parts_;
  Outreach& outreach_;
};

}  // namespace karton::helpdesk

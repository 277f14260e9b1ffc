#include "tickets/ticket_timeline.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/partner_timeline/partner_timeline.h"

namespace karton::helpdesk {
namespace {

namespace pv1 = partners::v1;

// The timeline keeps at most 100,000 bytes of text per entry.
constexpr std::size_t kMaxBody = 100'000;

// The entry of a ticket opened, resolved or closed; none for other events.
std::optional<partner_timeline::Entry> TimelineEntry(const kernel::Event& event) {
  v1::Ticket ticket;
  if (!event.ParsePayload(ticket) || ticket.partner_id() == 0) return std::nullopt;
  const bool opened = event.topic == "helpdesk.ticket.created";
  const bool finished =
      ticket.state() == v1::TICKET_STATE_RESOLVED || ticket.state() == v1::TICKET_STATE_CLOSED;
  if (!opened && !(event.topic == "helpdesk.ticket.state_changed" && finished)) return std::nullopt;
  // A ticket merged into another is closed by the merge: the one kept
  // tells the story.
  if (!opened && ticket.merged_into_id() != 0) return std::nullopt;

  partner_timeline::Entry timeline{.interaction = {},
                                   .what = fmt::format("ticket {}", ticket.id())};
  auto& entry = timeline.interaction;
  entry.set_partner_id(ticket.partner_id());
  entry.set_contact_id(ticket.contact_id());
  entry.set_channel(pv1::INTERACTION_CHANNEL_NOTE);
  entry.set_direction(pv1::INTERACTION_DIRECTION_INTERNAL);
  *entry.mutable_occur_time() = opened ? ticket.create_time() : ticket.update_time();
  entry.set_user_id(ticket.assignee_user_id());
  const char* what = opened                                        ? "Hibajegy nyitva"
                     : ticket.state() == v1::TICKET_STATE_RESOLVED ? "Hibajegy megoldva"
                                                                   : "Hibajegy lezárva";
  entry.set_subject(fmt::format("{} {}: {}", what, ticket.number(), ticket.subject()));
  if (opened) entry.set_body(ticket.description().substr(0, kMaxBody));
  entry.set_source_module("helpdesk");
  // Once per event, however often it is delivered: a ticket resolved,
  // reopened and resolved again has two entries.
  entry.set_source_reference(opened ? fmt::format("ticket/{}/opened", ticket.id())
                                    : fmt::format("ticket/{}/event/{}", ticket.id(), event.id));
  return timeline;
}

}  // namespace

void LogTicketsOnTimeline(const kernel::ServiceParts& parts, std::span<const kernel::Event> run) {
  std::vector<partner_timeline::Entry> entries;
  for (const auto& event : run) {
    if (auto entry = TimelineEntry(event)) entries.push_back(std::move(*entry));
  }
  partner_timeline::Log(parts.channel, parts.log, entries);
}

}  // namespace karton::helpdesk

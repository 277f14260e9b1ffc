#include "tickets/ticket_timeline.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/calls.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::helpdesk {
namespace {

namespace pv1 = partners::v1;

// The timeline keeps at most 100,000 bytes of text per entry.
constexpr std::size_t kMaxBody = 100'000;

}  // namespace

void LogTicketOnTimeline(const kernel::ServiceParts& parts, const kernel::Event& event) {
  v1::Ticket ticket;
  if (!event.ParsePayload(ticket) || ticket.partner_id() == 0) return;
  const bool opened = event.topic == "helpdesk.ticket.created";
  const bool finished =
      ticket.state() == v1::TICKET_STATE_RESOLVED || ticket.state() == v1::TICKET_STATE_CLOSED;
  if (!opened && !(event.topic == "helpdesk.ticket.state_changed" && finished)) return;
  // A ticket merged into another is closed by the merge: the one kept
  // tells the story.
  if (!opened && ticket.merged_into_id() != 0) return;

  pv1::LogInteractionRequest request;
  auto* entry = request.mutable_interaction();
  entry->set_partner_id(ticket.partner_id());
  entry->set_contact_id(ticket.contact_id());
  entry->set_channel(pv1::INTERACTION_CHANNEL_NOTE);
  entry->set_direction(pv1::INTERACTION_DIRECTION_INTERNAL);
  *entry->mutable_occur_time() = opened ? ticket.create_time() : ticket.update_time();
  entry->set_user_id(ticket.assignee_user_id());
  const char* what = opened                                         ? "Hibajegy nyitva"
                     : ticket.state() == v1::TICKET_STATE_RESOLVED ? "Hibajegy megoldva"
                                                                    : "Hibajegy lezárva";
  entry->set_subject(fmt::format("{} {}: {}", what, ticket.number(), ticket.subject()));
  if (opened) entry->set_body(ticket.description().substr(0, kMaxBody));
  entry->set_source_module("helpdesk");
  // Once per event, however often it is delivered: a ticket resolved,
  // reopened and resolved again has two entries.
  entry->set_source_reference(opened ? fmt::format("ticket/{}/opened", ticket.id())
                                     : fmt::format("ticket/{}/event/{}", ticket.id(), event.id));
  auto call = kernel::KernelCallContext(std::chrono::seconds(30));
  pv1::Interaction logged;
  const auto status =
      pv1::PartnerService::NewStub(parts.channel())->LogInteraction(call.get(), request, &logged);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
      status.error_code() == grpc::StatusCode::NOT_FOUND) {
    // A partner erased or merged away meanwhile: nothing to log it on.
    parts.log.warn("ticket {} not logged on the timeline: {}", ticket.id(), status.error_message());
    return;
  }
  if (!status.ok()) {
    throw std::runtime_error(
        fmt::format("logging ticket {} on the timeline: {}", ticket.id(), status.error_message()));
  }
}

}  // namespace karton::helpdesk

#include "activities/invitation.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <libical/ical.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <stdexcept>

#include "activities/activity_repository.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "scope.h"

namespace karton::crm {
namespace {

namespace mv1 = messaging::v1;
using google::protobuf::util::TimeUtil;

struct ComponentDeleter {
  void operator()(icalcomponent* component) const { icalcomponent_free(component); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

icaltimetype UtcTime(std::int64_t seconds) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(seconds), 0,
                                       icaltimezone_get_utc_timezone());
}

// ORGANIZER or ATTENDEE: mailto:<address>, with the name as CN.
icalproperty* Person(icalproperty* property, const InvitationPerson& person) {
  if (!person.name.empty()) {
    icalproperty_add_parameter(property, icalparameter_new_cn(person.name.c_str()));
  }
  return property;
}

std::string Mailto(const std::string& email) { return "mailto:" + email; }

// "2026-12-10 09:00 UTC" for the text part.
std::string WhenText(const v1::Activity& activity) {
  return fmt::format(
      "{} – {} (UTC)", TimeUtil::ToString(activity.start_time()).substr(0, 16),
      TimeUtil::ToString(TimeUtil::SecondsToTimestamp(activity.start_time().seconds() +
                                                      activity.duration().seconds()))
          .substr(0, 16));
}

// What is sent to one invitee this time, if anything.
struct Due {
  const activity_repository::Invitation* invitation;
  std::string method;
};

std::optional<Due> DueFor(const v1::Activity& activity,
                          const activity_repository::Invitation& invitation) {
  const int sequence = activity.ical_sequence();
  const bool told_cancel = invitation.sent_method == "CANCEL";
  if (invitation.removed || activity.status() == v1::ACTIVITY_STATUS_CANCELED) {
    // Only someone invited is told it is off, and once.
    if (invitation.sent_sequence < 0 || told_cancel) return std::nullopt;
    return Due{&invitation, "CANCEL"};
  }
  if (activity.status() != v1::ACTIVITY_STATUS_PLANNED) return std::nullopt;  // done: nothing
  if (invitation.sent_method == "REQUEST" && invitation.sent_sequence >= sequence) {
    return std::nullopt;
  }
  return Due{&invitation, "REQUEST"};
}

}  // namespace

std::string BuildInvitation(const v1::Activity& activity, const std::string& method, int sequence,
                            const InvitationPerson& organizer,
                            const std::vector<InvitationPerson>& attendees,
                            std::chrono::system_clock::time_point now) {
  const bool cancel = method == "CANCEL";
  Component calendar(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_prodid("-//Karton//CRM//HU"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(
      calendar.get(), icalproperty_new_method(cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
  icalcomponent* event = icalcomponent_new(ICAL_VEVENT_COMPONENT);
  icalcomponent_add_property(event, icalproperty_new_uid(activity.ical_uid().c_str()));
  icalcomponent_add_property(event, icalproperty_new_sequence(sequence));
  icalcomponent_add_property(
      event,
      icalproperty_new_dtstamp(UtcTime(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count())));
  const std::int64_t start = activity.start_time().seconds();
  icalcomponent_add_property(event, icalproperty_new_dtstart(UtcTime(start)));
  icalcomponent_add_property(
      event, icalproperty_new_dtend(UtcTime(start + activity.duration().seconds())));
  icalcomponent_add_property(event, icalproperty_new_summary(activity.subject().c_str()));
  if (!activity.location().empty()) {
    icalcomponent_add_property(event, icalproperty_new_location(activity.location().c_str()));
  }
  if (!activity.description().empty()) {
    icalcomponent_add_property(event, icalproperty_new_description(activity.description().c_str()));
  }
  icalcomponent_add_property(
      event, Person(icalproperty_new_organizer(Mailto(organizer.email).c_str()), organizer));
  for (const auto& attendee : attendees) {
    icalproperty* property = icalproperty_new_attendee(Mailto(attendee.email).c_str());
    icalproperty_add_parameter(property, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
    icalproperty_add_parameter(property, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
    icalproperty_add_parameter(property, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
    icalcomponent_add_property(event, Person(property, attendee));
  }
  icalcomponent_add_property(
      event, icalproperty_new_status(cancel ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
  icalcomponent_add_component(calendar.get(), event);
  std::unique_ptr<char, decltype(&free)> text(icalcomponent_as_ical_string_r(calendar.get()),
                                              &free);
  return text.get();
}

void ScheduleInvitations(const kernel::ServiceParts& services, soci::session& session,
                         const v1::Activity& activity) {
  services.jobs.Schedule(session, {.kind = kInvitationJob,
                                   .payload = std::to_string(activity.id()),
                                   .run_at = {},
                                   .recurrence = "",
                                   .max_attempts = 10,
                                   .unique_key = fmt::format("crm.activity.{}.invitations.{}",
                                                             activity.id(), activity.etag())});
}

void SendInvitations(const kernel::ServiceParts& services, const kernel::JobRun& run) {
  const std::int64_t id = kernel::ParseInt64(run.payload).value_or(0);
  std::optional<v1::Activity> activity;
  std::vector<activity_repository::Invitation> invitations;
  {
    auto lease = services.database.Acquire();
    activity = activity_repository::Find(lease.Session(), id, Scope::Everything(), false);
    if (!activity) return;
    invitations = activity_repository::Invitations(lease.Session(), id);
  }
  std::vector<Due> due;
  for (const auto& invitation : invitations) {
    if (auto next = DueFor(*activity, invitation)) due.push_back(*next);
  }
  if (due.empty() || activity->assigned_user_id() == 0 || !activity->has_start_time()) return;

  // The organizer: the assignee, whom replies reach.
  kernel::v1::GetUserRequest get;
  get.set_id(activity->assigned_user_id());
  kernel::v1::User user;
  const auto found = kernel::v1::IdentityService::NewStub(services.channel())
                         ->GetUser(kernel::KernelCallContext().get(), get, &user);
  if (found.error_code() == grpc::StatusCode::NOT_FOUND) return;
  if (!found.ok()) {
    throw std::runtime_error(
        fmt::format("activity {}: the organizer: {}", id, found.error_message()));
  }
  if (user.email().empty()) {
    services.log.warn("activity {}: invitations not sent: its assignee (user {}) has no email", id,
                      user.id());
    return;
  }
  const InvitationPerson organizer{user.email(), user.name()};
  std::vector<InvitationPerson> everyone;
  for (const auto& invitation : invitations) {
    if (!invitation.removed) everyone.push_back({invitation.email, invitation.name});
  }

  const int sequence = activity->ical_sequence();
  for (const Due& next : due) {
    const auto& invitation = *next.invitation;
    const bool cancel = next.method == "CANCEL";
    // A removed invitee's CANCEL names them alone (RFC 5546 3.2.5).
    const std::vector<InvitationPerson> attendees =
        invitation.removed ? std::vector<InvitationPerson>{{invitation.email, invitation.name}}
                           : everyone;
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(mv1::CATEGORY_TRANSACTIONAL);
    request.mutable_recipient()->set_contact_id(invitation.contact_id);
    request.mutable_recipient()->set_address(invitation.email);
    request.set_language("hu");
    request.set_subject(fmt::format("{}: {}", cancel ? "Elmarad" : "Meghívó", activity->subject()));
    request.set_text_body(
        fmt::format("{}\n\n{}\nIdőpont: {}\n{}Szervező: {} <{}>\n\n{}",
                    cancel ? "Az alábbi találkozó elmarad." : "Meghívjuk az alábbi találkozóra.",
                    activity->subject(), WhenText(*activity),
                    activity->location().empty() ? "" : "Helyszín: " + activity->location() + "\n",
                    organizer.name, organizer.email, activity->description()));
    request.set_reply_to(organizer.email);
    auto* file = request.add_attachments();
    file->set_file_name("invite.ics");
    file->set_media_type("text/calendar");
    file->set_content(BuildInvitation(*activity, next.method, sequence, organizer, attendees,
                                      services.clock.Now()));
    request.set_calendar_method(next.method);
    request.set_idempotency_key(fmt::format("crm.activity.{}.invitee.{}.{}.{}", id, invitation.id,
                                            sequence, cancel ? "cancel" : "request"));
    mv1::Message message;
    const auto sent = mv1::MessagingService::NewStub(services.channel())
                          ->SendMessage(kernel::KernelCallContext(std::chrono::seconds(30)).get(),
                                        request, &message);
    if (sent.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
        sent.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      // Retrying cannot help (email not configured, an address refused).
      services.log.warn("activity {}: the invitation to invitee {} not sent: {}", id, invitation.id,
                        sent.error_message());
      continue;
    }
    if (!sent.ok()) {
      throw std::runtime_error(fmt::format("activity {}: the invitation to invitee {}: {}", id,
                                           invitation.id, sent.error_message()));
    }
    auto lease = services.database.Acquire();
    activity_repository::MarkInvitationSent(lease.Session(), invitation.id, sequence, next.method,
                                            message.id());
  }
}

}  // namespace karton::crm

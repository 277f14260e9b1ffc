// ActivityService's calendars (C7): ListCalendar, the secret feed URLs and
// the iCalendar feed itself (RFC 5545, written with libical), which Outlook
// and Google Calendar subscribe to and fetch again every few hours.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <libical/ical.h>
#include <soci/soci.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "activities/activity_repository.h"
#include "activities/activity_service.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "team_directory.h"

namespace karton::crm {
namespace {

using google::protobuf::util::TimeUtil;

// What a feed holds: the last three months and the next year.
constexpr auto kFeedPast = std::chrono::hours(24 * 92);
constexpr auto kFeedFuture = std::chrono::hours(24 * 366);
constexpr auto kMaxCalendarRange = std::chrono::hours(24 * 400);

struct Owner {
  std::string kind;  // "user" or "team"
  std::int64_t id = 0;
};

// Whose calendar a request means, and whether the caller may see it: one's
// own and one's teams'; managers and admins anyone's.
grpc::Status OwnerOf(const kernel::Caller& caller, std::int64_t user_id, std::int64_t team_id,
                     Owner& owner) {
  if (user_id != 0 && team_id != 0) {
    return kernel::InvalidField("user_id", "give a user_id or a team_id, not both");
  }
  const bool manager = caller.IsAdmin() || caller.HasRole(kernel::kRoleSalesManager);
  // A team may mix colleagues and outsiders: an external partner's calendar
  // is what is assigned to them, nothing wider.
  if (caller.IsExternalPartner() && (team_id != 0 || (user_id != 0 && user_id != caller.user_id))) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            "an external partner's calendar is their own (user_id and team_id stay empty)"};
  }
  if (team_id != 0) {
    const bool member =
        std::find(caller.team_ids.begin(), caller.team_ids.end(), team_id) != caller.team_ids.end();
    if (!member && !manager) {
      return {grpc::StatusCode::PERMISSION_DENIED,
              fmt::format("team {}'s calendar is for its members and managers", team_id)};
    }
    owner = {"team", team_id};
    return grpc::Status::OK;
  }
  const std::int64_t user = user_id == 0 ? caller.user_id : user_id;
  if (user == 0) return kernel::InvalidField("user_id", "is required for a call without a user");
  if (user != caller.user_id && !manager) {
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("user {}'s calendar is for them and managers", user)};
  }
  owner = {"user", user};
  return grpc::Status::OK;
}

std::string NewFeedToken() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char token[sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(token, sizeof token, bytes, sizeof bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return token;
}

// `token` is empty when the secret was made earlier: only its hash is kept.
v1::CalendarFeed FeedFor(const std::string& public_url, const Owner& owner,
                         const std::string& token, const google::protobuf::Timestamp& made) {
  v1::CalendarFeed feed;
  if (!token.empty()) feed.set_url(fmt::format("{}/calendar/{}.ics", public_url, token));
  *feed.mutable_create_time() = made;
  if (owner.kind == "team") {
    feed.set_team_id(owner.id);
  } else {
    feed.set_user_id(owner.id);
  }
  return feed;
}

// The users whose activities a calendar shows, as a PostgreSQL array.
std::string UsersOf(TeamDirectory& teams, const Owner& owner) {
  if (owner.kind == "user") return fmt::format("{{{}}}", owner.id);
  std::string list;
  for (const auto member : teams.ActiveMembers(owner.id)) {
    list += (list.empty() ? "" : ",") + std::to_string(member);
  }
  return "{" + list + "}";
}

struct ComponentDeleter {
  void operator()(icalcomponent* component) const { icalcomponent_free(component); }
};
using Component = std::unique_ptr<icalcomponent, ComponentDeleter>;

icaltimetype IcalTime(const google::protobuf::Timestamp& timestamp) {
  return icaltime_from_timet_with_zone(static_cast<time_t>(timestamp.seconds()), 0,
                                       icaltimezone_get_utc_timezone());
}

// One activity as a VEVENT: a stable UID (the one its invitations carry,
// naming no host), SEQUENCE from its version so clients take updates,
// VALARMs for its reminders.
icalcomponent* EventOf(const v1::Activity& activity) {
  icalcomponent* event = icalcomponent_new(ICAL_VEVENT_COMPONENT);
  icalcomponent_add_property(event, icalproperty_new_uid(activity.ical_uid().c_str()));
  icalcomponent_add_property(event, icalproperty_new_dtstamp(IcalTime(activity.update_time())));
  icalcomponent_add_property(event, icalproperty_new_sequence(std::stoi(activity.etag())));
  const auto& start = activity.has_start_time() ? activity.start_time() : activity.due_time();
  icalcomponent_add_property(event, icalproperty_new_dtstart(IcalTime(start)));
  google::protobuf::Timestamp end = start;
  end.set_seconds(start.seconds() + activity.duration().seconds());
  icalcomponent_add_property(event, icalproperty_new_dtend(IcalTime(end)));
  icalcomponent_add_property(event, icalproperty_new_summary(activity.subject().c_str()));
  std::string description = activity.description();
  if (!activity.outcome().empty())
    description += (description.empty() ? "" : "\n\n") + activity.outcome();
  if (!description.empty()) {
    icalcomponent_add_property(event, icalproperty_new_description(description.c_str()));
  }
  if (!activity.location().empty()) {
    icalcomponent_add_property(event, icalproperty_new_location(activity.location().c_str()));
  }
  std::string type = v1::ActivityType_Name(activity.type()).substr(14);  // ACTIVITY_TYPE_
  icalcomponent_add_property(event, icalproperty_new_categories(type.c_str()));
  icalcomponent_add_property(
      event, icalproperty_new_status(activity.status() == v1::ACTIVITY_STATUS_CANCELED
                                         ? ICAL_STATUS_CANCELLED
                                         : ICAL_STATUS_CONFIRMED));
  if (activity.status() == v1::ACTIVITY_STATUS_PLANNED) {
    for (const auto& reminder : activity.reminders()) {
      icalcomponent* alarm = icalcomponent_new(ICAL_VALARM_COMPONENT);
      icalcomponent_add_property(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
      icaltriggertype trigger{};
      trigger.time = icaltime_null_time();
      trigger.duration = icaldurationtype_from_int(-static_cast<int>(reminder.seconds()));
      icalcomponent_add_property(alarm, icalproperty_new_trigger(trigger));
      icalcomponent_add_property(alarm, icalproperty_new_description(activity.subject().c_str()));
      icalcomponent_add_component(event, alarm);
    }
  }
  return event;
}

}  // namespace

grpc::Status ActivityServiceImpl::ListCalendar(grpc::ServerContext* context,
                                               const v1::ListCalendarRequest* request,
                                               v1::ListCalendarResponse* response) {
  Owner owner;
  if (auto status =
          OwnerOf(kernel::CallerOf(*context), request->user_id(), request->team_id(), owner);
      !status.ok()) {
    return status;
  }
  if (!request->has_start_time() || !request->has_end_time() ||
      request->end_time().seconds() <= request->start_time().seconds()) {
    return kernel::InvalidField("end_time", "start_time and a later end_time are required");
  }
  const auto start = kernel::TimePoint(std::chrono::seconds(request->start_time().seconds()));
  const auto end = kernel::TimePoint(std::chrono::seconds(request->end_time().seconds()));
  if (end - start > kMaxCalendarRange) {
    return kernel::InvalidField("end_time", "is at most 400 days after start_time");
  }
  return kernel::Guarded(services_.log, "ListCalendar", [&]() -> grpc::Status {
    teams_.Refresh();
    const std::string users = UsersOf(teams_, owner);
    auto lease = services_.database.Acquire();
    for (auto& activity : activity_repository::Calendar(
             lease.Session(), users, owner.kind == "team" ? owner.id : 0, start, end, false)) {
      *response->add_activities() = std::move(activity);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::GetCalendarFeed(grpc::ServerContext* context,
                                                  const v1::GetCalendarFeedRequest* request,
                                                  v1::CalendarFeed* response) {
  Owner owner;
  if (auto status =
          OwnerOf(kernel::CallerOf(*context), request->user_id(), request->team_id(), owner);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(services_.log, "GetCalendarFeed", [&]() -> grpc::Status {
    teams_.Refresh();
    if (owner.kind == "team" && !teams_.ExistsNow(owner.id)) {
      return kernel::InvalidField("team_id", fmt::format("there is no team {}", owner.id));
    }
    auto lease = services_.database.Acquire();
    const std::string fresh = NewFeedToken();
    const auto state = activity_repository::EnsureFeed(lease.Session(), owner.kind, owner.id, fresh,
                                                       services_.clock.Now());
    *response =
        FeedFor(services_.public_url(), owner, state.created ? fresh : "", state.create_time);
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::RotateCalendarFeed(grpc::ServerContext* context,
                                                     const v1::RotateCalendarFeedRequest* request,
                                                     v1::CalendarFeed* response) {
  Owner owner;
  const kernel::Caller caller = kernel::CallerOf(*context);
  if (auto status = OwnerOf(caller, request->user_id(), request->team_id(), owner); !status.ok()) {
    return status;
  }
  return kernel::Guarded(services_.log, "RotateCalendarFeed", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    soci::transaction transaction(lease.Session());
    const std::string token = NewFeedToken();
    const auto now = services_.clock.Now();
    activity_repository::RotateFeed(lease.Session(), owner.kind, owner.id, token, now);
    services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate,
                           "crm.calendar_feed", owner.id,
                           {kernel::FieldChange::Of("rotated", owner.kind, "new secret")});
    transaction.commit();
    *response = FeedFor(
        services_.public_url(), owner, token,
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(now)));
    return grpc::Status::OK;
  });
}

kernel::HttpResponse ActivityServiceImpl::Feed(const kernel::HttpRequest& request) {
  const std::string& file = request.path_params.at("file");
  constexpr std::string_view kSuffix = ".ics";
  if (file.size() <= kSuffix.size() || file.substr(file.size() - kSuffix.size()) != kSuffix) {
    return kernel::HttpResponse::Text(404, "no such calendar\n");
  }
  const std::string token = file.substr(0, file.size() - kSuffix.size());
  std::optional<std::pair<std::string, std::int64_t>> found;
  std::vector<v1::Activity> activities;
  try {
    teams_.Refresh();
    auto lease = services_.database.Acquire();
    found = activity_repository::FeedOwner(lease.Session(), token);
    if (!found) return kernel::HttpResponse::Text(404, "no such calendar\n");
    const Owner owner{found->first, found->second};
    // A disabled user's calendar goes dark with the account: the URL may
    // have been copied anywhere while they worked here.
    if (owner.kind == "user" && teams_.IsDisabled(owner.id)) {
      return kernel::HttpResponse::Text(404, "no such calendar\n");
    }
    const auto now = services_.clock.Now();
    activities = activity_repository::Calendar(lease.Session(), UsersOf(teams_, owner),
                                               owner.kind == "team" ? owner.id : 0, now - kFeedPast,
                                               now + kFeedFuture, true);
  } catch (const std::exception& error) {
    services_.log.error("calendar feed failed: {}", kernel::DescribeDatabaseError(error));
    return kernel::HttpResponse::Text(503, "the calendar is not available right now\n");
  }
  Component calendar(icalcomponent_new(ICAL_VCALENDAR_COMPONENT));
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_prodid("-//Karton//CRM//HU"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  icalproperty* name = icalproperty_new_x("Karton");
  icalproperty_set_x_name(name, "X-WR-CALNAME");
  icalcomponent_add_property(calendar.get(), name);
  for (const auto& activity : activities) {
    icalcomponent_add_component(calendar.get(), EventOf(activity));
  }
  std::unique_ptr<char, decltype(&free)> text(icalcomponent_as_ical_string_r(calendar.get()),
                                              &free);
  kernel::HttpResponse response{200, "text/calendar; charset=utf-8", text.get(), {}};
  response.headers["cache-control"] = "private, max-age=300";
  response.headers["content-disposition"] = "inline; filename=\"karton.ics\"";
  return response;
}

}  // namespace karton::crm

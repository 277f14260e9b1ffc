#include "activities/activity_service.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <set>

#include "activities/activity_repository.h"
#include "activities/invitation.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "leads/lead_repository.h"
#include "leads/lead_rules.h"
#include "leads/lead_service.h"
#include "pipeline/next_step.h"
#include "pipeline/opportunity_repository.h"

namespace karton::crm {
namespace {

using google::protobuf::util::TimeUtil;
using kernel::Guarded;

constexpr int kMaxReminders = 5;
constexpr int kMaxInvitees = 50;

kernel::TimePoint TimeOf(const google::protobuf::Timestamp& timestamp) {
  return kernel::TimePoint(std::chrono::microseconds(TimeUtil::TimestampToMicroseconds(timestamp)));
}

// The time reminders count back from: the start, else the due time.
const google::protobuf::Timestamp& AnchorOf(const v1::Activity& activity) {
  return activity.has_start_time() ? activity.start_time() : activity.due_time();
}

grpc::Status CheckFields(v1::Activity& activity) {
  if (activity.type() == v1::ACTIVITY_TYPE_UNSPECIFIED ||
      !v1::ActivityType_IsValid(activity.type())) {
    return kernel::InvalidField("activity.type", "is required: CALL, MEETING, TASK or EMAIL");
  }
  activity.set_subject(Trimmed(activity.subject()));
  if (activity.subject().empty() || !IsAcceptableText(activity.subject(), kMaxShortText)) {
    return kernel::InvalidField("activity.subject", "is required: at most 200 bytes");
  }
  if (!IsAcceptableText(activity.description(), kMaxMessage)) {
    return kernel::InvalidField("activity.description", "is at most 10000 bytes of text");
  }
  if (!IsAcceptableText(activity.location(), kMaxShortText)) {
    return kernel::InvalidField("activity.location", "is at most 200 bytes");
  }
  if (!activity.has_start_time() && !activity.has_due_time()) {
    return kernel::InvalidField("activity.start_time", "give a start_time or a due_time");
  }
  for (const auto* time : {&activity.start_time(), &activity.due_time()}) {
    if (time->seconds() < TimeUtil::kTimestampMinSeconds ||
        time->seconds() > TimeUtil::kTimestampMaxSeconds || time->nanos() < 0 ||
        time->nanos() > 999999999) {
      return kernel::InvalidField(
          time == &activity.start_time() ? "activity.start_time" : "activity.due_time",
          "is not a valid time");
    }
  }
  if (activity.duration().seconds() < 0 || activity.duration().seconds() > 31 * 86400) {
    return kernel::InvalidField("activity.duration", "is 0 to 31 days");
  }
  if (activity.reminders_size() > kMaxReminders) {
    return kernel::InvalidField("activity.reminders", fmt::format("at most {}", kMaxReminders));
  }
  std::set<std::int64_t> seen;
  for (int i = 0; i < activity.reminders_size(); ++i) {
    const auto seconds = activity.reminders(i).seconds();
    if (seconds < 0 || seconds > 60 * 86400 || !seen.insert(seconds).second) {
      return kernel::InvalidField(fmt::format("activity.reminders[{}]", i),
                                  "is 0 to 60 days before, each different");
    }
  }
  if (!activity.related_resource_type().empty() &&
      !IsAcceptableText(activity.related_resource_type(), 64)) {
    return kernel::InvalidField("activity.related_resource_type", "is <module>.<resource>");
  }
  return grpc::Status::OK;
}

std::string InviteeField(int index, const char* field) {
  return fmt::format("activity.invitees[{}].{}", index, field);
}

// Invitees once resolved: each has an address, none twice; only a timed
// activity with an assignee (the organizer) has any, and a contact invitee
// belongs to the activity's partner (`partner_ids`, as ResolveInvitees
// found them).
grpc::Status CheckInvitees(const v1::Activity& activity,
                           const std::vector<std::int64_t>& partner_ids) {
  if (activity.invitees_size() == 0) return grpc::Status::OK;
  if (!activity.has_start_time() || activity.duration().seconds() <= 0) {
    return kernel::InvalidField("activity.invitees",
                                "only a timed activity (start_time and duration) has invitees");
  }
  if (activity.assigned_user_id() == 0) {
    return kernel::InvalidField("activity.assigned_user_id",
                                "an activity with invitees needs an assignee: the organizer");
  }
  std::set<std::string> seen;
  for (int i = 0; i < activity.invitees_size(); ++i) {
    const auto& invitee = activity.invitees(i);
    if (invitee.contact_id() != 0 && static_cast<std::size_t>(i) < partner_ids.size() &&
        partner_ids[i] != activity.partner_id()) {
      return kernel::InvalidField(InviteeField(i, "contact_id"),
                                  activity.partner_id() == 0
                                      ? "a contact invitee needs the activity's partner_id"
                                      : "is not a contact of the activity's partner");
    }
    std::string address = invitee.email();
    for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!seen.insert(address).second) {
      return kernel::InvalidField(
          InviteeField(i, invitee.contact_id() != 0 ? "contact_id" : "email"), "is invited twice");
    }
  }
  return grpc::Status::OK;
}

// A change the invitees must hear of: a new SEQUENCE (RFC 5546 2.1.4).
bool ChangesInvitation(const v1::Activity& before, const v1::Activity& after) {
  return before.subject() != after.subject() || before.location() != after.location() ||
         before.start_time().seconds() != after.start_time().seconds() ||
         before.duration().seconds() != after.duration().seconds();
}

// An external partner sees the activities of the deals shared with them,
// and changes only those assigned to them.
// `status` with its field paths under `field` instead of "activity": the
// checks of a new activity name "activity.subject", which for a next step
// is "next_activity.subject".
grpc::Status UnderField(const grpc::Status& status, const std::string& field) {
  if (status.ok() || field == "activity") return status;
  auto violations = kernel::FieldViolationsOf(status);
  if (violations.empty()) return status;
  for (auto& violation : violations) {
    if (violation.field.rfind("activity", 0) == 0) {
      violation.field = field + violation.field.substr(std::string_view("activity").size());
    }
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return kernel::InvalidFields(std::move(violations));
  }
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    return kernel::FailedPreconditionOnField(violations[0].field, violations[0].description);
  }
  return status;
}

grpc::Status RefuseOthersActivity(const kernel::Caller& caller, const v1::Activity& stored) {
  if (!caller.IsExternalPartner() || stored.assigned_user_id() == caller.user_id) return {};
  return {grpc::StatusCode::PERMISSION_DENIED,
          fmt::format("activity {} is assigned to someone else; an external partner changes "
                      "only their own activities",
                      stored.id())};
}

}  // namespace

kernel::MethodRoles ActivityServiceImpl::Roles() {
  // Tasks for external partners (P7): they plan, update and close
  // activities on the deals and leads shared with them, and keep their own
  // calendar; Prepare and OwnerOf hold them to that.
  auto workers = kernel::StaffRoles();
  workers.emplace_back(kernel::kRoleExternalPartner);
  return {{"CreateActivity", workers},    {"GetActivity", CrmReaders()},
          {"UpdateActivity", workers},    {"ListActivities", CrmReaders()},
          {"CompleteActivity", workers},  {"CancelActivity", workers},
          {"ListCalendar", workers},      {"GetCalendarFeed", workers},
          {"RotateCalendarFeed", workers}};
}

grpc::Status ActivityServiceImpl::ContactPartner(const grpc::ServerContext& caller,
                                                 std::int64_t contact_id,
                                                 std::int64_t& partner_id) {
  partner_id = 0;
  if (contact_id == 0) return grpc::Status::OK;
  auto call = kernel::CallContext(caller);
  partners::v1::GetContactRequest get;
  get.set_id(contact_id);
  partners::v1::Contact contact;
  const auto status = partners::v1::PartnerService::NewStub(services_.channel())
                          ->GetContact(call.get(), get, &contact);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return kernel::InvalidField("activity.contact_id", status.error_message());
  }
  partner_id = contact.partner_id();
  return status;
}

grpc::Status ActivityServiceImpl::ResolveInvitees(const grpc::ServerContext& caller,
                                                  v1::Activity& activity,
                                                  std::vector<std::int64_t>& partner_ids) {
  partner_ids.clear();
  if (activity.invitees_size() > kMaxInvitees) {
    return kernel::InvalidField("activity.invitees", fmt::format("at most {}", kMaxInvitees));
  }
  for (int i = 0; i < activity.invitees_size(); ++i) {
    v1::Invitee& invitee = *activity.mutable_invitees(i);
    invitee.clear_sent_sequence();
    invitee.clear_message_id();
    if (invitee.contact_id() < 0) {
      return kernel::InvalidField(InviteeField(i, "contact_id"), "names no contact");
    }
    if (invitee.contact_id() == 0) {
      partner_ids.push_back(0);
      invitee.set_email(Trimmed(invitee.email()));
      invitee.set_name(Trimmed(invitee.name()));
      if (!LooksLikeEmail(invitee.email())) {
        return kernel::InvalidField(InviteeField(i, "email"),
                                    "give a contact_id or an email address");
      }
      if (!IsAcceptableText(invitee.name(), kMaxShortText)) {
        return kernel::InvalidField(InviteeField(i, "name"), "is at most 200 bytes");
      }
      continue;
    }
    auto call = kernel::CallContext(caller);
    partners::v1::GetContactRequest get;
    get.set_id(invitee.contact_id());
    partners::v1::Contact contact;
    const auto status = partners::v1::PartnerService::NewStub(services_.channel())
                            ->GetContact(call.get(), get, &contact);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return kernel::InvalidField(InviteeField(i, "contact_id"), status.error_message());
    }
    if (!status.ok()) return status;
    if (contact.emails_size() == 0 || contact.emails(0).empty()) {
      return kernel::InvalidField(InviteeField(i, "contact_id"),
                                  fmt::format("contact {} has no email address", contact.id()));
    }
    invitee.set_email(contact.emails(0));
    invitee.set_name(contact.name());
    partner_ids.push_back(contact.partner_id());
  }
  return grpc::Status::OK;
}

grpc::Status ActivityServiceImpl::Prepare(soci::session& session, const Scope& scope,
                                          std::int64_t contact_partner_id, v1::Activity& activity) {
  if (auto status = CheckFields(activity); !status.ok()) return status;
  if (scope.kind == Scope::Kind::kShared) {
    // An external partner works on what is shared with them, as themselves:
    // the deal or lead names the partner, and the activity is theirs.
    if (activity.assigned_user_id() != scope.user_id) {
      return kernel::InvalidField("activity.assigned_user_id",
                                  "an external partner assigns activities to themselves");
    }
    if (activity.team_id() != 0) {
      return kernel::InvalidField("activity.team_id",
                                  "stays empty on an external partner's activity");
    }
    if (!activity.related_resource_type().empty()) {
      return kernel::InvalidField("activity.related_resource_type",
                                  "stays empty on an external partner's activity");
    }
  }
  const std::int64_t named_partner = activity.partner_id();
  std::int64_t linked_partner = 0;
  if (activity.opportunity_id() != 0) {
    const auto opportunity =
        opportunity_repository::Find(session, activity.opportunity_id(), scope, false);
    if (!opportunity)
      return kernel::InvalidField("activity.opportunity_id", "names no opportunity");
    linked_partner = opportunity->partner_id();
    if (activity.partner_id() == 0) activity.set_partner_id(opportunity->partner_id());
  }
  if (activity.lead_id() != 0) {
    const auto lead = lead_repository::Find(session, activity.lead_id(), scope, false);
    if (!lead) return kernel::InvalidField("activity.lead_id", "names no lead");
    if (linked_partner == 0) linked_partner = lead->partner_id();
    if (activity.partner_id() == 0) activity.set_partner_id(lead->partner_id());
  }
  // An external partner's activity lands on the shared deal's own partner,
  // not on one they merely name.
  if (scope.kind == Scope::Kind::kShared && named_partner != 0 && named_partner != linked_partner) {
    return kernel::InvalidField("activity.partner_id",
                                "is not the partner of the deal or lead shared with you");
  }
  if (activity.contact_id() != 0) {
    if (activity.partner_id() == 0) activity.set_partner_id(contact_partner_id);
    if (activity.partner_id() != contact_partner_id) {
      return kernel::InvalidField("activity.contact_id", "is a contact of another partner");
    }
  }
  return grpc::Status::OK;
}

void ActivityServiceImpl::ScheduleReminders(soci::session& session, const v1::Activity& activity) {
  if (activity.status() != v1::ACTIVITY_STATUS_PLANNED) return;
  const auto anchor = TimeOf(AnchorOf(activity));
  const auto anchor_us = kernel::ToEpochMicros(anchor);
  const auto now = services_.clock.Now();
  for (const auto& reminder : activity.reminders()) {
    const auto remind_at = anchor - std::chrono::seconds(reminder.seconds());
    if (remind_at < now) continue;  // its moment has passed already
    services_.jobs.Schedule(
        session, {.kind = kReminderJob,
                  .payload = fmt::format("{}:{}:{}", activity.id(), reminder.seconds(), anchor_us),
                  .run_at = remind_at,
                  .recurrence = "",
                  .max_attempts = 10,
                  .unique_key = fmt::format("crm.activity.{}.reminder.{}.{}", activity.id(),
                                            reminder.seconds(), anchor_us)});
  }
}

void ActivityServiceImpl::FireReminder(const kernel::JobRun& run) {
  std::int64_t id = 0, seconds = 0;
  long long anchor_us = 0;
  if (std::sscanf(run.payload.c_str(), "%ld:%ld:%lld", &id, &seconds, &anchor_us) != 3) return;
  auto lease = services_.database.Acquire();
  soci::transaction transaction(lease.Session());
  const auto activity = activity_repository::Find(lease.Session(), id, Scope::Everything(), true);
  if (!activity || activity->status() != v1::ACTIVITY_STATUS_PLANNED) return;
  // Moved or changed since this reminder was scheduled: a newer job has it.
  if (TimeUtil::TimestampToMicroseconds(AnchorOf(*activity)) != anchor_us) return;
  if (std::none_of(activity->reminders().begin(), activity->reminders().end(),
                   [&](const auto& reminder) { return reminder.seconds() == seconds; })) {
    return;
  }
  // The email to the assignee follows from this event (event_handlers.h).
  services_.events.Publish(lease.Session(), "crm.activity.due", id, *activity,
                           kernel::Caller::Internal());
  transaction.commit();
}

grpc::Status ActivityServiceImpl::PrepareNew(const grpc::ServerContext& context,
                                             const kernel::Caller& caller,
                                             const v1::Activity& requested,
                                             const std::string& field, NewActivity& prepared) {
  v1::Activity activity = requested;
  for (const int number :
       {v1::Activity::kIdFieldNumber, v1::Activity::kStatusFieldNumber,
        v1::Activity::kOutcomeFieldNumber, v1::Activity::kCompleteTimeFieldNumber}) {
    activity.GetReflection()->ClearField(&activity,
                                         v1::Activity::descriptor()->FindFieldByNumber(number));
  }
  if (activity.assigned_user_id() == 0 && activity.team_id() == 0) {
    activity.set_assigned_user_id(caller.user_id);
  }
  if (auto status = ContactPartner(context, activity.contact_id(), prepared.contact_partner);
      !status.ok()) {
    return UnderField(status, field);
  }
  if (auto status = ResolveInvitees(context, activity, prepared.invitee_partners); !status.ok()) {
    return UnderField(status, field);
  }
  if (caller.IsExternalPartner() && activity.opportunity_id() == 0 && activity.lead_id() == 0) {
    return kernel::InvalidField(field + ".opportunity_id",
                                "an external partner's activity belongs to a deal or lead "
                                "shared with them");
  }
  prepared.activity = std::move(activity);
  return grpc::Status::OK;
}

grpc::Status ActivityServiceImpl::InsertNew(soci::session& session, const kernel::Caller& caller,
                                            NewActivity& prepared, const std::string& field,
                                            const std::string& request_id, v1::Activity& created) {
  v1::Activity& activity = prepared.activity;
  if (auto status = Prepare(session, ScopeOf(caller), prepared.contact_partner, activity);
      !status.ok()) {
    return UnderField(status, field);
  }
  if (auto status = CheckInvitees(activity, prepared.invitee_partners); !status.ok()) {
    return UnderField(status, field);
  }
  // A refused INSERT needs no savepoint: every caller then returns the
  // refusal, and its transaction is rolled back whole.
  std::pair<std::int64_t, bool> inserted;
  try {
    inserted = activity_repository::Insert(session, activity, request_id, services_.clock.Now());
  } catch (const std::exception& error) {
    if (kernel::SqlState(error) != "23503") throw;
    return kernel::InvalidField(field + ".assigned_user_id",
                                "names no user, team or partner that exists");
  }
  if (inserted.second && activity.invitees_size() > 0) {
    activity_repository::ReplaceInvitees(session, inserted.first, activity.invitees());
  }
  created = *activity_repository::Find(session, inserted.first, Scope::Everything(), false);
  if (inserted.second) {
    ScheduleReminders(session, created);
    if (created.invitees_size() > 0) ScheduleInvitations(services_, session, created);
    services_.audit.Record(
        session, caller, kernel::AuditAction::kCreate, "crm.activity", created.id(),
        {kernel::FieldChange::Created("subject", created.subject()),
         kernel::FieldChange::Of("assigned_user_id", 0, created.assigned_user_id())});
    services_.events.Publish(session, "crm.activity.created", created.id(), created, caller);
  }
  return grpc::Status::OK;
}

grpc::Status ActivityServiceImpl::CreateActivity(grpc::ServerContext* context,
                                                 const v1::CreateActivityRequest* request,
                                                 v1::Activity* response) {
  return Guarded(services_.log, "CreateActivity", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    NewActivity prepared;
    if (auto status = PrepareNew(*context, caller, request->activity(), "activity", prepared);
        !status.ok()) {
      return status;
    }
    // BEGIN goes with the first statement, the audit entry and the event
    // with the COMMIT (ActivityServiceTest counts the round trips).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (auto status = InsertNew(lease.Session(), caller, prepared, "activity",
                                request->request_id(), *response);
        !status.ok()) {
      return status;
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::GetActivity(grpc::ServerContext* context,
                                              const v1::GetActivityRequest* request,
                                              v1::Activity* response) {
  return Guarded(services_.log, "GetActivity", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    const auto found = activity_repository::Find(lease.Session(), request->id(),
                                                 ScopeOf(kernel::CallerOf(*context)), false);
    if (!found) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no activity with id {}", request->id())};
    }
    *response = *found;
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::UpdateActivity(grpc::ServerContext* context,
                                                 const v1::UpdateActivityRequest* request,
                                                 v1::Activity* response) {
  const v1::Activity& change = request->activity();
  if (change.id() <= 0) return kernel::InvalidField("activity.id", "is required");
  // Status moves with Complete/Cancel.
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"type", "subject", "description", "location", "partner_id", "contact_id", "lead_id",
           "opportunity_id", "assigned_user_id", "team_id", "start_time", "duration", "due_time",
           "reminders", "invitees"},
          paths);
      !status.ok()) {
    return status;
  }
  return Guarded(services_.log, "UpdateActivity", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    // A new contact's partner, read before a connection is taken.
    std::int64_t contact_partner = 0;
    const bool new_contact = std::find(paths.begin(), paths.end(), "contact_id") != paths.end();
    if (new_contact) {
      if (auto status = ContactPartner(*context, change.contact_id(), contact_partner);
          !status.ok()) {
        return status;
      }
    }
    // New invitees' addresses, read before a connection is taken too.
    const bool new_invitees = std::find(paths.begin(), paths.end(), "invitees") != paths.end();
    v1::Activity invited;
    std::vector<std::int64_t> invitee_partners;
    if (new_invitees) {
      *invited.mutable_invitees() = change.invitees();
      if (auto status = ResolveInvitees(*context, invited, invitee_partners); !status.ok()) {
        return status;
      }
    }
    // BEGIN goes with the locked read, the audit entry and the event with
    // the COMMIT (ActivityServiceTest counts the round trips).
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored =
        activity_repository::Find(lease.Session(), change.id(), ScopeOf(caller), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no activity with id {}", change.id())};
    }
    if (auto refused = RefuseOthersActivity(caller, *stored); !refused.ok()) return refused;
    if (auto status = kernel::CheckEtag("activity", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    if (stored->status() != v1::ACTIVITY_STATUS_PLANNED) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("activity {} is closed", change.id())};
    }
    v1::Activity updated = *stored;
    kernel::ApplyUpdateMask(change, paths, updated);
    if (!new_contact && updated.contact_id() != 0) {
      // The stored contact: its partner is the one the activity has.
      contact_partner = stored->partner_id();
    }
    if (auto status = Prepare(lease.Session(), ScopeOf(caller), contact_partner, updated);
        !status.ok()) {
      return status;
    }
    if (new_invitees) {
      *updated.mutable_invitees() = invited.invitees();
    } else if (updated.partner_id() != stored->partner_id() &&
               std::any_of(updated.invitees().begin(), updated.invitees().end(),
                           [](const auto& invitee) { return invitee.contact_id() != 0; })) {
      return kernel::InvalidField("activity.partner_id",
                                  "the invitees are contacts of the partner: change the "
                                  "invitees (update_mask invitees) with it");
    }
    if (auto status = CheckInvitees(updated, invitee_partners); !status.ok()) return status;
    // A refusal returns before the COMMIT: the transaction rolls back whole.
    try {
      activity_repository::Update(lease.Session(), updated, services_.clock.Now());
    } catch (const std::exception& error) {
      if (kernel::SqlState(error) != "23503") throw;
      return kernel::InvalidField("activity.assigned_user_id", "names no user, team or partner");
    }
    bool invite = new_invitees && activity_repository::ReplaceInvitees(lease.Session(), change.id(),
                                                                       updated.invitees());
    if (ChangesInvitation(*stored, updated)) {
      activity_repository::BumpInviteSequence(lease.Session(), change.id());
      invite = invite || updated.invitees_size() > 0;
    }
    *response =
        *activity_repository::Find(lease.Session(), change.id(), Scope::Everything(), false);
    ScheduleReminders(lease.Session(), *response);
    if (invite) ScheduleInvitations(services_, lease.Session(), *response);
    // Every field that changed: a reschedule shows its old and new times.
    // (The invitations' SEQUENCE follows from the change; not a change itself.)
    const auto changes = kernel::DiffFields(&*stored, *response, {"ical_sequence"});
    if (!changes.empty()) {
      services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.activity",
                             change.id(), changes);
      services_.events.Publish(lease.Session(), "crm.activity.updated", change.id(), *response,
                               caller);
    }
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::ListActivities(grpc::ServerContext* context,
                                                 const v1::ListActivitiesRequest* request,
                                                 v1::ListActivitiesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  activity_repository::ListFilter filter{.assigned_user_id = request->assigned_user_id(),
                                         .partner_id = request->partner_id(),
                                         .lead_id = request->lead_id(),
                                         .opportunity_id = request->opportunity_id(),
                                         .status = ""};
  if (request->status() != v1::ACTIVITY_STATUS_UNSPECIFIED) {
    if (!v1::ActivityStatus_IsValid(request->status())) {
      return kernel::InvalidField("status", "is not an activity status");
    }
    std::string name = v1::ActivityStatus_Name(request->status()).substr(16);  // ACTIVITY_STATUS_
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    filter.status = name;
  }
  return Guarded(services_.log, "ListActivities", [&]() -> grpc::Status {
    auto lease = services_.database.Acquire();
    auto rows = activity_repository::List(lease.Session(), ScopeOf(kernel::CallerOf(*context)),
                                          filter, page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const auto& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_activities() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::Close(grpc::ServerContext* context, std::int64_t id,
                                        const std::string& etag, const v1::Activity* next_activity,
                                        const std::string& status, const std::string& outcome,
                                        const char* method, v1::Activity* response) {
  if (id <= 0) return kernel::InvalidField("id", "is required");
  if (etag.empty()) return kernel::InvalidField("etag", "is required");
  const std::string text = Trimmed(outcome);
  if (!IsAcceptableText(text, kMaxMessage)) {
    return kernel::InvalidField(status == "done" ? "outcome" : "reason",
                                "is at most 10000 bytes of text");
  }
  return Guarded(services_.log, method, [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    NewActivity next;
    if (next_activity != nullptr) {
      // The next step belongs where this one does unless it names a record
      // of its own: read (unlocked) before the contact look-ups, which run
      // without a connection held.
      v1::Activity requested = *next_activity;
      if (requested.opportunity_id() == 0 && requested.lead_id() == 0 &&
          requested.partner_id() == 0 && requested.contact_id() == 0) {
        auto lease = services_.database.Acquire();
        const auto current = activity_repository::Find(lease.Session(), id, ScopeOf(caller), false);
        if (!current) {
          return {grpc::StatusCode::NOT_FOUND, fmt::format("no activity with id {}", id)};
        }
        requested.set_opportunity_id(current->opportunity_id());
        requested.set_lead_id(current->lead_id());
        requested.set_partner_id(current->partner_id());
        requested.set_contact_id(current->contact_id());
      }
      if (auto prepared = PrepareNew(*context, caller, requested, "next_activity", next);
          !prepared.ok()) {
        return prepared;
      }
    }
    // As UpdateActivity: BEGIN with the locked read, the audit entry and the
    // event with the COMMIT, and a refusal before the COMMIT keeps nothing.
    auto lease = services_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    const auto stored = activity_repository::Find(lease.Session(), id, ScopeOf(caller), true);
    if (!stored) return {grpc::StatusCode::NOT_FOUND, fmt::format("no activity with id {}", id)};
    if (auto refused = RefuseOthersActivity(caller, *stored); !refused.ok()) return refused;
    if (auto stale = kernel::CheckEtag("activity", id, etag, stored->etag()); !stale.ok()) {
      return stale;
    }
    if (stored->status() != v1::ACTIVITY_STATUS_PLANNED) {
      return {grpc::StatusCode::FAILED_PRECONDITION, fmt::format("activity {} is closed", id)};
    }
    activity_repository::Close(lease.Session(), id, status, text, services_.clock.Now());
    if (next_activity != nullptr) {
      v1::Activity created;
      if (auto inserted = InsertNew(lease.Session(), caller, next, "next_activity", "", created);
          !inserted.ok()) {
        return inserted;
      }
    }
    // Its deal may not be left without a next step (C8).
    if (auto refused = CheckNextStep(
            lease.Session(), stored->opportunity_id(),
            status == "done" ? "completing its last planned activity"
                             : "cancelling its last planned activity (plan the next one first)");
        !refused.ok()) {
      return refused;
    }
    // Invitees hear of a cancellation (a new SEQUENCE); a meeting held is
    // nothing to tell them.
    const bool tell_invitees = status == "canceled" && stored->invitees_size() > 0;
    if (tell_invitees) activity_repository::BumpInviteSequence(lease.Session(), id);
    *response = *activity_repository::Find(lease.Session(), id, Scope::Everything(), false);
    if (tell_invitees) ScheduleInvitations(services_, lease.Session(), *response);
    // The outcome (or the reason for cancelling, kept as the outcome) too.
    std::vector<kernel::FieldChange> changes = {
        kernel::FieldChange::Of("status", "planned", status)};
    if (!text.empty()) changes.push_back(kernel::FieldChange::Of("outcome", "", text));
    services_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, "crm.activity",
                           id, changes);
    services_.events.Publish(lease.Session(),
                             status == "done" ? "crm.activity.completed" : "crm.activity.canceled",
                             id, *response, caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

grpc::Status ActivityServiceImpl::CompleteActivity(grpc::ServerContext* context,
                                                   const v1::CompleteActivityRequest* request,
                                                   v1::Activity* response) {
  return Close(context, request->id(), request->etag(),
               request->has_next_activity() ? &request->next_activity() : nullptr, "done",
               request->outcome(), "CompleteActivity", response);
}

grpc::Status ActivityServiceImpl::CancelActivity(grpc::ServerContext* context,
                                                 const v1::CancelActivityRequest* request,
                                                 v1::Activity* response) {
  return Close(context, request->id(), request->etag(), nullptr, "canceled", request->reason(),
               "CancelActivity", response);
}

}  // namespace karton::crm

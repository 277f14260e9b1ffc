#include "sla/sla_service.h"

#include <fmt/format.h>

#include <set>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/pagination.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "process/ticket_type_repository.h"
#include "sla/business_hours.h"
#include "sla/sla_repository.h"
#include "tickets/ticket_repository.h"

namespace karton::helpdesk {
namespace {

constexpr int kMaxTargetMinutes = 525'600;

grpc::Status NameTaken(const std::string& name) {
  return {grpc::StatusCode::ALREADY_EXISTS,
          fmt::format("calendar.name: there is a business calendar named '{}' already", name)};
}

bool IsDate(const common::v1::Date& date) {
  return date.year() >= 1900 && date.year() <= 9999 && date.month() >= 1 && date.month() <= 12 &&
         std::chrono::year_month_day(std::chrono::year(date.year()),
                                     std::chrono::month(static_cast<unsigned>(date.month())),
                                     std::chrono::day(static_cast<unsigned>(date.day())))
             .ok();
}

// The type, calendar and user a policy names exist.
grpc::Status CheckPolicyReferences(soci::session& session, const v1::SlaPolicy& policy) {
  if (policy.type_id() > 0 && !ticket_type_repository::Find(session, policy.type_id())) {
    return kernel::InvalidField("policy.type_id",
                                fmt::format("there is no ticket type {}", policy.type_id()));
  }
  if (!sla_repository::FindCalendar(session, policy.calendar_id())) {
    return kernel::InvalidField(
        "policy.calendar_id",
        fmt::format("there is no business calendar {}", policy.calendar_id()));
  }
  if (policy.escalate_to_user_id() > 0 &&
      !ticket_repository::UserExists(session, policy.escalate_to_user_id())) {
    return kernel::InvalidField("policy.escalate_to_user_id",
                                fmt::format("there is no user {}", policy.escalate_to_user_id()));
  }
  return grpc::Status::OK;
}

}  // namespace

std::vector<kernel::FieldViolation> CheckCalendar(const v1::BusinessCalendar& calendar) {
  std::vector<kernel::FieldViolation> problems;
  if (calendar.name().empty() || calendar.name().size() > 100) {
    problems.push_back({"calendar.name", "is required, at most 100 bytes"});
  }
  CalendarRules zone_only;
  zone_only.time_zone = calendar.time_zone();
  if (calendar.time_zone().size() > 64 || !BusinessHours::Load(zone_only)) {
    problems.push_back({"calendar.time_zone", "is not a time zone (Europe/Budapest)"});
  }
  std::set<int> weekdays;
  for (int i = 0; i < calendar.hours_size(); ++i) {
    const auto& hours = calendar.hours(i);
    const std::string at = fmt::format("calendar.hours[{}].", i);
    if (hours.weekday() < 1 || hours.weekday() > 7 || !weekdays.insert(hours.weekday()).second) {
      problems.push_back({at + "weekday", "1 (Monday) to 7 (Sunday), once each"});
    }
    const auto open = ParseClock(hours.open());
    const auto close = ParseClock(hours.close());
    if (!open) problems.push_back({at + "open", "a time of day as HH:MM"});
    if (!close) problems.push_back({at + "close", "a time of day as HH:MM"});
    if (open && close && *open >= *close) problems.push_back({at + "close", "after open"});
  }
  for (const auto* list : {"closed_dates", "working_dates"}) {
    const auto& dates =
        std::string(list) == "closed_dates" ? calendar.closed_dates() : calendar.working_dates();
    if (dates.size() > 200) problems.push_back({std::string("calendar.") + list, "at most 200"});
    for (int i = 0; i < dates.size(); ++i) {
      if (!IsDate(dates[i])) {
        problems.push_back({fmt::format("calendar.{}[{}]", list, i), "is not a date"});
      }
    }
  }
  return problems;
}

std::vector<kernel::FieldViolation> CheckPolicy(const v1::SlaPolicy& policy) {
  std::vector<kernel::FieldViolation> problems;
  if (policy.name().empty() || policy.name().size() > 100) {
    problems.push_back({"policy.name", "is required, at most 100 bytes"});
  }
  if (policy.type_id() < 0) problems.push_back({"policy.type_id", "is not an id"});
  if (!v1::TicketPriority_IsValid(policy.priority())) {
    problems.push_back({"policy.priority", "is not a ticket priority"});
  }
  if (policy.calendar_id() <= 0) problems.push_back({"policy.calendar_id", "is required"});
  if (policy.first_response_minutes() < 1 || policy.first_response_minutes() > kMaxTargetMinutes) {
    problems.push_back({"policy.first_response_minutes", "1 to 525600 business minutes"});
  }
  if (policy.resolution_minutes() < 1 || policy.resolution_minutes() > kMaxTargetMinutes) {
    problems.push_back({"policy.resolution_minutes", "1 to 525600 business minutes"});
  }
  if (policy.warn_percent() < 0 || policy.warn_percent() > 99) {
    problems.push_back({"policy.warn_percent", "1 to 99; 0 means 80"});
  }
  if (policy.escalate_to_user_id() < 0) {
    problems.push_back({"policy.escalate_to_user_id", "is not an id"});
  }
  return problems;
}

void SlaServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::BusinessCalendar>("helpdesk.business_calendar.created");
  events.DeclareTopic<v1::BusinessCalendar>("helpdesk.business_calendar.updated");
  events.DeclareTopic<v1::SlaPolicy>("helpdesk.sla_policy.created");
  events.DeclareTopic<v1::SlaPolicy>("helpdesk.sla_policy.updated");
}

kernel::MethodRoles SlaServiceImpl::Roles() {
  const std::vector<std::string> owners = {std::string(kernel::kRoleSupport),
                                           std::string(kernel::kRoleSalesManager)};
  return {{"CreateBusinessCalendar", owners},
          {"UpdateBusinessCalendar", owners},
          {"ListBusinessCalendars", kernel::StaffRoles()},
          {"CreateSlaPolicy", owners},
          {"UpdateSlaPolicy", owners},
          {"ListSlaPolicies", kernel::StaffRoles()}};
}

grpc::Status SlaServiceImpl::CreateBusinessCalendar(
    grpc::ServerContext* context, const v1::CreateBusinessCalendarRequest* request,
    v1::BusinessCalendar* response) {
  v1::BusinessCalendar calendar = request->calendar();
  calendar.clear_id();
  calendar.clear_etag();
  calendar.clear_create_time();
  calendar.clear_update_time();
  if (calendar.time_zone().empty()) calendar.set_time_zone("Europe/Budapest");
  if (auto problems = CheckCalendar(calendar); !problems.empty()) {
    return kernel::InvalidFields(std::move(problems));
  }
  return kernel::Guarded(parts_.log, "CreateBusinessCalendar", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto created = sla_repository::InsertCalendar(lease.Session(), calendar, parts_.clock.Now());
    if (!created) return NameTaken(calendar.name());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kCalendarResource,
                        created->id(), kernel::DiffFields(nullptr, *created));
    parts_.events.Publish(lease.Session(), "helpdesk.business_calendar.created", created->id(),
                          *created, caller);
    transaction.Commit();
    *response = std::move(*created);
    return grpc::Status::OK;
  });
}

grpc::Status SlaServiceImpl::UpdateBusinessCalendar(
    grpc::ServerContext* context, const v1::UpdateBusinessCalendarRequest* request,
    v1::BusinessCalendar* response) {
  const auto& change = request->calendar();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"name", "time_zone", "hours", "hungarian_holidays", "closed_dates", "working_dates"},
          paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateBusinessCalendar", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = sla_repository::FindCalendar(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND,
              fmt::format("no business calendar with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("calendar", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::BusinessCalendar next = *stored;
    kernel::ApplyUpdateMask(change, paths, next);
    if (next.time_zone().empty()) next.set_time_zone("Europe/Budapest");
    if (auto problems = CheckCalendar(next); !problems.empty()) {
      return kernel::InvalidFields(std::move(problems));
    }
    if (kernel::DiffFields(&*stored, next).empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = sla_repository::UpdateCalendar(lease.Session(), next, parts_.clock.Now());
    if (!written) return NameTaken(next.name());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kCalendarResource,
                        written->id(), kernel::DiffFields(&*stored, *written));
    parts_.events.Publish(lease.Session(), "helpdesk.business_calendar.updated", written->id(),
                          *written, caller);
    transaction.Commit();
    *response = std::move(*written);
    return grpc::Status::OK;
  });
}

grpc::Status SlaServiceImpl::ListBusinessCalendars(grpc::ServerContext*,
                                                   const v1::ListBusinessCalendarsRequest* request,
                                                   v1::ListBusinessCalendarsResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListBusinessCalendars", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = sla_repository::ListCalendars(lease.Session(), page.AfterId(), page.FetchLimit());
    response->set_next_page_token(
        kernel::FinishPage(rows, page, [](const v1::BusinessCalendar& row) {
          return kernel::PageCursor{"", row.id()};
        }));
    for (auto& row : rows) *response->add_calendars() = std::move(row);
    return grpc::Status::OK;
  });
}

grpc::Status SlaServiceImpl::CreateSlaPolicy(grpc::ServerContext* context,
                                             const v1::CreateSlaPolicyRequest* request,
                                             v1::SlaPolicy* response) {
  v1::SlaPolicy policy = request->policy();
  policy.clear_id();
  policy.clear_etag();
  policy.clear_create_time();
  policy.clear_update_time();
  policy.set_active(true);
  if (policy.warn_percent() == 0) policy.set_warn_percent(80);
  if (auto problems = CheckPolicy(policy); !problems.empty()) {
    return kernel::InvalidFields(std::move(problems));
  }
  return kernel::Guarded(parts_.log, "CreateSlaPolicy", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (auto status = CheckPolicyReferences(lease.Session(), policy); !status.ok()) return status;
    auto created = sla_repository::InsertPolicy(lease.Session(), policy, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kPolicyResource,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "helpdesk.sla_policy.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status SlaServiceImpl::UpdateSlaPolicy(grpc::ServerContext* context,
                                             const v1::UpdateSlaPolicyRequest* request,
                                             v1::SlaPolicy* response) {
  const auto& change = request->policy();
  std::vector<std::string> paths;
  if (auto status = kernel::UpdatePaths(
          *request, change,
          {"name", "type_id", "priority", "calendar_id", "first_response_minutes",
           "resolution_minutes", "warn_percent", "escalate_to_user_id", "active"},
          paths);
      !status.ok()) {
    return status;
  }
  return kernel::Guarded(parts_.log, "UpdateSlaPolicy", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    auto stored = sla_repository::FindPolicy(lease.Session(), change.id(), true);
    if (!stored) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no SLA policy with id {}", change.id())};
    }
    if (auto status = kernel::CheckEtag("policy", change.id(), change.etag(), stored->etag());
        !status.ok()) {
      return status;
    }
    v1::SlaPolicy next = *stored;
    kernel::ApplyUpdateMask(change, paths, next);
    if (next.warn_percent() == 0) next.set_warn_percent(80);
    if (auto problems = CheckPolicy(next); !problems.empty()) {
      return kernel::InvalidFields(std::move(problems));
    }
    if (auto status = CheckPolicyReferences(lease.Session(), next); !status.ok()) return status;
    if (kernel::DiffFields(&*stored, next).empty()) {
      *response = std::move(*stored);
      return grpc::Status::OK;
    }
    auto written = sla_repository::UpdatePolicy(lease.Session(), next, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kUpdate, kPolicyResource,
                        written.id(), kernel::DiffFields(&*stored, written));
    parts_.events.Publish(lease.Session(), "helpdesk.sla_policy.updated", written.id(), written,
                          caller);
    transaction.Commit();
    *response = std::move(written);
    return grpc::Status::OK;
  });
}

grpc::Status SlaServiceImpl::ListSlaPolicies(grpc::ServerContext*,
                                             const v1::ListSlaPoliciesRequest* request,
                                             v1::ListSlaPoliciesResponse* response) {
  kernel::Page page;
  if (auto status = kernel::ReadPage(*request, page); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "ListSlaPolicies", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    auto rows = sla_repository::ListPolicies(lease.Session(), request->include_inactive(),
                                             page.AfterId(), page.FetchLimit());
    response->set_next_page_token(kernel::FinishPage(rows, page, [](const v1::SlaPolicy& row) {
      return kernel::PageCursor{"", row.id()};
    }));
    for (auto& row : rows) *response->add_policies() = std::move(row);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk

#include "sla/sla_repository.h"

#include "helpdesk_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::helpdesk::sla_repository {
namespace {

#define KARTON_POLICY_COLUMNS                                                                  \
  "p.id, p.name, coalesce(p.type_id, 0) AS type_id, p.priority, p.calendar_id, "               \
  "p.first_response_minutes, p.resolution_minutes, p.warn_percent, "                           \
  "coalesce(p.escalate_to_user_id, 0) AS escalate_to_user_id, p.active, p.version::text AS "   \
  "etag, " KARTON_HELPDESK_MICROS("p.create_time") " AS create_time, " KARTON_HELPDESK_MICROS( \
      "p.update_time") " AS update_time"

const kernel::TypedQuery<v1::SlaPolicy> kInsertPolicy(
    "INSERT INTO helpdesk.sla_policy AS p (name, type_id, priority, calendar_id, "
    "first_response_minutes, resolution_minutes, warn_percent, escalate_to_user_id, "
    "create_time, update_time) VALUES ($1, nullif($2::bigint, 0), $3, $4::bigint, $5::integer, "
    "$6::integer, $7::integer, nullif($8::bigint, 0), " KARTON_HELPDESK_AT(
        "$9") ", " KARTON_HELPDESK_AT("$9") ") RETURNING " KARTON_POLICY_COLUMNS);
const std::string kFindPolicy =
    "SELECT " KARTON_POLICY_COLUMNS " FROM helpdesk.sla_policy p WHERE p.id = $1";
const kernel::TypedQuery<v1::SlaPolicy> kFindPolicyRow(kFindPolicy);
const kernel::TypedQuery<v1::SlaPolicy> kFindPolicyLocked(kFindPolicy + " FOR UPDATE");
const kernel::TypedQuery<v1::SlaPolicy> kUpdatePolicy(
    "UPDATE helpdesk.sla_policy p SET name = $2, type_id = nullif($3::bigint, 0), priority = $4, "
    "calendar_id = $5::bigint, first_response_minutes = $6::integer, "
    "resolution_minutes = $7::integer, warn_percent = $8::integer, "
    "escalate_to_user_id = nullif($9::bigint, 0), active = $10::boolean, "
    "update_time = " KARTON_HELPDESK_AT("$11") ", version = p.version + 1 WHERE p.id = $1 "
    "RETURNING " KARTON_POLICY_COLUMNS);
const kernel::TypedQuery<v1::SlaPolicy> kListPolicies(
    "SELECT " KARTON_POLICY_COLUMNS
    " FROM helpdesk.sla_policy p WHERE ($1::boolean OR p.active) "
    "AND p.id > $2::bigint ORDER BY p.id LIMIT $3");
const kernel::TypedQuery<v1::SlaPolicy> kPolicyFor(
    "SELECT " KARTON_POLICY_COLUMNS
    " FROM helpdesk.sla_policy p WHERE p.active "
    "AND (p.type_id IS NULL OR p.type_id = $1::bigint) AND (p.priority = '' OR p.priority = $2) "
    "ORDER BY (p.type_id IS NOT NULL) DESC, (p.priority <> '') DESC, p.id LIMIT 1");

// Calendars are read through RunPrepared: their date lists are arrays of
// Date messages, which typed rows fill from JSON of {year, month, day}.
const std::string kCalendarSelect =
    "SELECT c.id, c.name, c.time_zone, c.hours::text, c.hungarian_holidays, "
    "coalesce((SELECT string_agg(to_char(d, 'YYYY-MM-DD'), ',' ORDER BY d) "
    "FROM unnest(c.closed_dates) d), ''), "
    "coalesce((SELECT string_agg(to_char(d, 'YYYY-MM-DD'), ',' ORDER BY d) "
    "FROM unnest(c.working_dates) d), ''), c.version::text, " KARTON_HELPDESK_MICROS(
        "c.create_time") ", " KARTON_HELPDESK_MICROS("c.update_time") " ";

std::string Text(std::int64_t value) { return std::to_string(value); }
std::string Micros(kernel::TimePoint now) { return Text(kernel::ToEpochMicros(now)); }

std::string PriorityWord(v1::TicketPriority priority) {
  return priority == v1::TICKET_PRIORITY_UNSPECIFIED
             ? ""
             : kernel::EnumWord(*v1::TicketPriority_descriptor(), priority);
}

std::string DateList(const google::protobuf::RepeatedPtrField<common::v1::Date>& dates) {
  std::vector<std::string> texts;
  for (const auto& date : dates) {
    texts.push_back(std::to_string(date.year()) + "-" + std::to_string(date.month()) + "-" +
                    std::to_string(date.day()));
  }
  return kernel::TextArrayLiteral(texts);
}

std::string HoursJson(const v1::BusinessCalendar& calendar) {
  std::string json = "[";
  for (const auto& hours : calendar.hours()) {
    if (json.size() > 1) json += ',';
    json += kernel::PrintProtoJson(hours);
  }
  return json + "]";
}

void ReadDates(std::string_view text, google::protobuf::RepeatedPtrField<common::v1::Date>& dates) {
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto one = text.substr(0, comma);
    auto* date = dates.Add();
    date->set_year(std::stoi(std::string(one.substr(0, 4))));
    date->set_month(std::stoi(std::string(one.substr(5, 2))));
    date->set_day(std::stoi(std::string(one.substr(8, 2))));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

std::vector<v1::BusinessCalendar> ReadCalendars(const kernel::QueryRows& rows) {
  std::vector<v1::BusinessCalendar> calendars;
  for (int row = 0; row < rows.Count(); ++row) {
    v1::BusinessCalendar calendar;
    calendar.set_id(std::stoll(std::string(rows.Text(row, 0))));
    calendar.set_name(std::string(rows.Text(row, 1)));
    calendar.set_time_zone(std::string(rows.Text(row, 2)));
    v1::BusinessCalendar hours;
    kernel::ParseProtoJson("{\"hours\": " + std::string(rows.Text(row, 3)) + "}", hours);
    *calendar.mutable_hours() = hours.hours();
    calendar.set_hungarian_holidays(rows.Text(row, 4) == "t");
    ReadDates(rows.Text(row, 5), *calendar.mutable_closed_dates());
    ReadDates(rows.Text(row, 6), *calendar.mutable_working_dates());
    calendar.set_etag(std::string(rows.Text(row, 7)));
    const auto micros = [&](int column) { return std::stoll(std::string(rows.Text(row, column))); };
    calendar.mutable_create_time()->set_seconds(micros(8) / 1'000'000);
    calendar.mutable_create_time()->set_nanos(static_cast<int>(micros(8) % 1'000'000) * 1000);
    calendar.mutable_update_time()->set_seconds(micros(9) / 1'000'000);
    calendar.mutable_update_time()->set_nanos(static_cast<int>(micros(9) % 1'000'000) * 1000);
    calendars.push_back(std::move(calendar));
  }
  return calendars;
}

std::optional<v1::BusinessCalendar> One(std::vector<v1::BusinessCalendar> calendars) {
  if (calendars.empty()) return std::nullopt;
  return std::move(calendars.front());
}

std::vector<std::string> PolicyParams(const v1::SlaPolicy& policy) {
  return {policy.name(),
          Text(policy.type_id()),
          PriorityWord(policy.priority()),
          Text(policy.calendar_id()),
          Text(policy.first_response_minutes()),
          Text(policy.resolution_minutes()),
          Text(policy.warn_percent() == 0 ? 80 : policy.warn_percent()),
          Text(policy.escalate_to_user_id())};
}

}  // namespace

std::optional<v1::BusinessCalendar> InsertCalendar(soci::session& session,
                                                   const v1::BusinessCalendar& calendar,
                                                   kernel::TimePoint now) {
  return One(ReadCalendars(kernel::RunPrepared(
      session,
      "WITH c AS (INSERT INTO helpdesk.business_calendar (name, time_zone, hours, "
      "hungarian_holidays, closed_dates, working_dates, create_time, update_time) VALUES ($1, $2, "
      "$3::jsonb, $4::boolean, $5::date[], $6::date[], " KARTON_HELPDESK_AT(
          "$7") ", " KARTON_HELPDESK_AT("$7") ") ON CONFLICT ((lower(name))) DO NOTHING RETURNING "
                                              "*) " +
          kCalendarSelect + "FROM c",
      {calendar.name(), calendar.time_zone(), HoursJson(calendar),
       calendar.hungarian_holidays() ? "true" : "false", DateList(calendar.closed_dates()),
       DateList(calendar.working_dates()), Micros(now)})));
}

std::optional<v1::BusinessCalendar> FindCalendar(soci::session& session, std::int64_t id,
                                                 bool lock) {
  return One(ReadCalendars(
      kernel::RunPrepared(session,
                          kCalendarSelect + "FROM helpdesk.business_calendar c WHERE c.id = $1" +
                              (lock ? " FOR UPDATE" : ""),
                          {Text(id)})));
}

std::optional<v1::BusinessCalendar> UpdateCalendar(soci::session& session,
                                                   const v1::BusinessCalendar& calendar,
                                                   kernel::TimePoint now) {
  return One(ReadCalendars(kernel::RunPrepared(
      session,
      "WITH c AS (UPDATE helpdesk.business_calendar u SET name = $2, time_zone = $3, "
      "hours = $4::jsonb, hungarian_holidays = $5::boolean, closed_dates = $6::date[], "
      "working_dates = $7::date[], update_time = " KARTON_HELPDESK_AT(
          "$8") ", "
                "version = u.version + 1 WHERE u.id = $1 AND NOT EXISTS (SELECT 1 FROM "
                "helpdesk.business_calendar o WHERE o.id <> $1 AND lower(o.name) = lower($2)) "
                "RETURNING u.*) " +
          kCalendarSelect + "FROM c",
      {Text(calendar.id()), calendar.name(), calendar.time_zone(), HoursJson(calendar),
       calendar.hungarian_holidays() ? "true" : "false", DateList(calendar.closed_dates()),
       DateList(calendar.working_dates()), Micros(now)})));
}

std::vector<v1::BusinessCalendar> ListCalendars(soci::session& session, std::int64_t after_id,
                                                int limit) {
  return ReadCalendars(kernel::RunPrepared(
      session,
      kCalendarSelect + "FROM helpdesk.business_calendar c WHERE c.id > $1::bigint "
                        "ORDER BY c.id LIMIT $2",
      {Text(after_id), Text(limit)}));
}

v1::SlaPolicy InsertPolicy(soci::session& session, const v1::SlaPolicy& policy,
                           kernel::TimePoint now) {
  auto params = PolicyParams(policy);
  params.push_back(Micros(now));
  std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  return kInsertPolicy.All(session, bound).at(0);
}

std::optional<v1::SlaPolicy> FindPolicy(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindPolicyLocked : kFindPolicyRow).One(session, {Text(id)});
}

v1::SlaPolicy UpdatePolicy(soci::session& session, const v1::SlaPolicy& policy,
                           kernel::TimePoint now) {
  auto params = PolicyParams(policy);
  params.insert(params.begin(), Text(policy.id()));
  params.push_back(policy.active() ? "true" : "false");
  params.push_back(Micros(now));
  std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  return kUpdatePolicy.All(session, bound).at(0);
}

std::vector<v1::SlaPolicy> ListPolicies(soci::session& session, bool include_inactive,
                                        std::int64_t after_id, int limit) {
  return kListPolicies.All(session,
                           {include_inactive ? "true" : "false", Text(after_id), Text(limit)});
}

std::optional<v1::SlaPolicy> PolicyFor(soci::session& session, std::int64_t type_id,
                                       const std::string& priority) {
  return kPolicyFor.One(session, {Text(type_id), priority});
}

CalendarRules RulesOf(const v1::BusinessCalendar& calendar) {
  CalendarRules rules;
  rules.time_zone = calendar.time_zone().empty() ? "Europe/Budapest" : calendar.time_zone();
  for (const auto& hours : calendar.hours()) {
    if (hours.weekday() < 1 || hours.weekday() > 7) continue;
    const auto open = ParseClock(hours.open());
    const auto close = ParseClock(hours.close());
    if (open && close) {
      rules.week[static_cast<std::size_t>(hours.weekday() - 1)] = {*open, *close};
    }
  }
  rules.hungarian_holidays = calendar.hungarian_holidays();
  const auto day = [](const common::v1::Date& date) {
    return std::chrono::year(date.year()) /
           std::chrono::month(static_cast<unsigned>(date.month())) /
           std::chrono::day(static_cast<unsigned>(date.day()));
  };
  for (const auto& date : calendar.closed_dates()) rules.closed_dates.insert(day(date));
  for (const auto& date : calendar.working_dates()) rules.working_dates.insert(day(date));
  return rules;
}

std::string UserEmail(soci::session& session, std::int64_t user_id) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT email FROM kernel.user_account WHERE id = $1 AND NOT disabled",
      {Text(user_id)});
  return rows.Count() == 0 ? "" : std::string(rows.Text(0, 0));
}

}  // namespace karton::helpdesk::sla_repository

// Business calendars and SLA policies (helpdesk.business_calendar,
// helpdesk.sla_policy).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/clock.h"
#include "sla/business_hours.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk::sla_repository {

// nullopt when the name is taken (whatever its case).
std::optional<v1::BusinessCalendar> InsertCalendar(soci::session& session,
                                                   const v1::BusinessCalendar& calendar,
                                                   kernel::TimePoint now);
std::optional<v1::BusinessCalendar> FindCalendar(soci::session& session, std::int64_t id,
                                                 bool lock = false);
// nullopt when the name is taken.
std::optional<v1::BusinessCalendar> UpdateCalendar(soci::session& session,
                                                   const v1::BusinessCalendar& calendar,
                                                   kernel::TimePoint now);
std::vector<v1::BusinessCalendar> ListCalendars(soci::session& session, std::int64_t after_id,
                                                int limit);

v1::SlaPolicy InsertPolicy(soci::session& session, const v1::SlaPolicy& policy,
                           kernel::TimePoint now);
std::optional<v1::SlaPolicy> FindPolicy(soci::session& session, std::int64_t id, bool lock = false);
v1::SlaPolicy UpdatePolicy(soci::session& session, const v1::SlaPolicy& policy,
                           kernel::TimePoint now);
std::vector<v1::SlaPolicy> ListPolicies(soci::session& session, bool include_inactive,
                                        std::int64_t after_id, int limit);
// The most specific active policy for a ticket of `type_id` (0: none) and
// `priority` ("high").
std::optional<v1::SlaPolicy> PolicyFor(soci::session& session, std::int64_t type_id,
                                       const std::string& priority);

// The calendar's rules for BusinessHours.
CalendarRules RulesOf(const v1::BusinessCalendar& calendar);

// A user's email address, for the breach notice; "" when there is none.
std::string UserEmail(soci::session& session, std::int64_t user_id);

}  // namespace karton::helpdesk::sla_repository

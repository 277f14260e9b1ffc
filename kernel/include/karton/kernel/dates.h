// Calendar dates (karton.common.v1.Date) as modules check and bind them:
// a date that exists, written "YYYY-MM-DD" for a date parameter; and the
// moment a day begins in a time zone, for jobs due "at the end of the due
// date in Budapest".
#pragma once

#include <string>

#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::common::v1 {
class Date;
}  // namespace karton::common::v1

namespace karton::kernel {

// Whether the date exists in the Gregorian calendar (years 1 to 9999).
bool IsValidDate(const common::v1::Date& date);

// "2026-12-31"; "" for an unset (all zero) date, which a statement binds
// as NULL with nullif($n, '')::date.
std::string DateText(const common::v1::Date& date);

// The moment the day `plus_days` after `date` ("2026-03-28") begins in
// `time_zone` (an IANA name): PostgreSQL's zone rules, so a day across a
// daylight-saving change is 23 or 25 hours. StartOfDayIn(s, due, 1, zone)
// is the end of the due date.
TimePoint StartOfDayIn(soci::session& session, const std::string& date, int plus_days,
                       const std::string& time_zone);

}  // namespace karton::kernel

// Calendar dates (karton.common.v1.Date) as modules check and bind them:
// a date that exists, written "YYYY-MM-DD" for a date parameter.
#pragma once

#include <string>

namespace karton::common::v1 {
class Date;
}  // namespace karton::common::v1

namespace karton::kernel {

// Whether the date exists in the Gregorian calendar (years 1 to 9999).
bool IsValidDate(const common::v1::Date& date);

// "2026-12-31"; "" for an unset (all zero) date, which a statement binds
// as NULL with nullif($n, '')::date.
std::string DateText(const common::v1::Date& date);

}  // namespace karton::kernel

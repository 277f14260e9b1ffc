// Calendar dates as the orders module binds them: "YYYY-MM-DD".
#pragma once

#include <string>

#include "karton/common/v1/date.pb.h"

namespace karton::orders {

// Whether the date exists in the Gregorian calendar (years 1 to 9999).
bool IsValidDate(const common::v1::Date& date);

// "2026-12-31"; "" for an unset (all zero) date.
std::string DateText(const common::v1::Date& date);

}  // namespace karton::orders

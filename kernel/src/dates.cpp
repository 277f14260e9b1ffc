#include "karton/kernel/dates.h"

#include <fmt/format.h>

#include <chrono>

#include "karton/common/v1/date.pb.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"

namespace karton::kernel {

bool IsValidDate(const common::v1::Date& date) {
  if (date.year() < 1 || date.year() > 9999) return false;
  const std::chrono::year_month_day day{std::chrono::year(date.year()),
                                        std::chrono::month(static_cast<unsigned>(date.month())),
                                        std::chrono::day(static_cast<unsigned>(date.day()))};
  return date.month() >= 1 && date.month() <= 12 && date.day() >= 1 && day.ok();
}

std::string DateText(const common::v1::Date& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return "";
  return fmt::format("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
}

TimePoint StartOfDayIn(soci::session& session, const std::string& date, int plus_days,
                       const std::string& time_zone) {
  const auto rows = RunPrepared(
      session,
      "SELECT (extract(epoch FROM (($1::date + $2::integer)::timestamp AT TIME ZONE $3)) "
      "* 1000000)::bigint",
      {date, std::to_string(plus_days), time_zone});
  return TimePoint(std::chrono::microseconds(ParseInt64(rows.Text(0, 0)).value_or(0)));
}

}  // namespace karton::kernel

#include "sla/business_hours.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <fmt/format.h>

#include <memory>

#include "karton/hungarian_calendar/hungarian_calendar.h"

namespace karton::helpdesk {

namespace hc = karton::hungarian_calendar;
using std::chrono::year_month_day;

struct BusinessHours::Zone {
  absl::TimeZone zone;
};

namespace {

constexpr int kMaxDays = 3660;

absl::Time ToAbsl(kernel::TimePoint at) { return absl::FromUnixMicros(kernel::ToEpochMicros(at)); }

kernel::TimePoint FromAbsl(absl::Time at) {
  return kernel::TimePoint(std::chrono::microseconds(absl::ToUnixMicros(at)));
}

year_month_day NextDay(year_month_day date) {
  return year_month_day{std::chrono::sys_days{date} + std::chrono::days(1)};
}

// 0 for Monday.
unsigned WeekdayIndex(year_month_day date) {
  return (std::chrono::weekday{std::chrono::sys_days{date}}.c_encoding() + 6) % 7;
}

}  // namespace

std::optional<BusinessHours> BusinessHours::Load(CalendarRules rules) {
  auto zone = std::make_shared<Zone>();
  if (!absl::LoadTimeZone(rules.time_zone, &zone->zone)) return std::nullopt;
  return BusinessHours(std::move(rules), std::move(zone));
}

std::optional<OpeningHours> BusinessHours::HoursOn(year_month_day date) const {
  if (rules_.closed_dates.count(date) == 1) return std::nullopt;
  const OpeningHours own = rules_.week[WeekdayIndex(date)];
  const bool own_open = own.open < own.close;
  const OpeningHours monday = rules_.week[0];
  const auto extra_day = [&]() -> std::optional<OpeningHours> {
    if (own_open) return own;
    if (monday.open < monday.close) return monday;
    return std::nullopt;
  };
  if (rules_.working_dates.count(date) == 1) return extra_day();
  if (rules_.hungarian_holidays) {
    switch (hc::KindOf(date)) {
      case hc::DayKind::kPublicHoliday:
      case hc::DayKind::kSwappedRestDay:
        return std::nullopt;
      case hc::DayKind::kSwappedWorkingDay:
        return extra_day();
      case hc::DayKind::kWorkingDay:
      case hc::DayKind::kWeekend:
        break;
    }
  }
  if (!own_open) return std::nullopt;
  return own;
}

std::optional<std::pair<kernel::TimePoint, kernel::TimePoint>> BusinessHours::OpenOn(
    year_month_day date) const {
  const auto hours = HoursOn(date);
  if (!hours) return std::nullopt;
  const auto at = [&](int minutes) {
    const absl::CivilDay day(static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                             static_cast<unsigned>(date.day()));
    return FromAbsl(absl::FromCivil(absl::CivilMinute(day) + minutes, zone_->zone));
  };
  return std::make_pair(at(hours->open), at(hours->close));
}

year_month_day BusinessHours::LocalDate(kernel::TimePoint at) const {
  const auto civil = absl::ToCivilDay(ToAbsl(at), zone_->zone);
  return year_month_day{std::chrono::year(static_cast<int>(civil.year())),
                        std::chrono::month(static_cast<unsigned>(civil.month())),
                        std::chrono::day(static_cast<unsigned>(civil.day()))};
}

kernel::TimePoint BusinessHours::Add(kernel::TimePoint start, std::chrono::seconds amount) const {
  auto left = std::chrono::duration_cast<kernel::TimePoint::duration>(amount);
  auto date = LocalDate(start);
  for (int i = 0; i < kMaxDays; ++i, date = NextDay(date)) {
    const auto open = OpenOn(date);
    if (!open || open->second <= start) continue;
    const auto from = std::max(open->first, start);
    if (left <= open->second - from) return from + std::max(left, kernel::TimePoint::duration{0});
    left -= open->second - from;
  }
  return start + std::chrono::days(kMaxDays);
}

std::chrono::seconds BusinessHours::Between(kernel::TimePoint from, kernel::TimePoint to) const {
  kernel::TimePoint::duration total{0};
  if (to <= from) return std::chrono::seconds(0);
  auto date = LocalDate(from);
  const auto last = LocalDate(to);
  for (int i = 0; i < kMaxDays && std::chrono::sys_days{date} <= std::chrono::sys_days{last};
       ++i, date = NextDay(date)) {
    const auto open = OpenOn(date);
    if (!open) continue;
    const auto begin = std::max(open->first, from);
    const auto end = std::min(open->second, to);
    if (end > begin) total += end - begin;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(total);
}

std::optional<int> ParseClock(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (const std::size_t at : {0u, 1u, 3u, 4u}) {
    if (text[at] < '0' || text[at] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

std::string ClockText(int minutes) {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

}  // namespace karton::helpdesk

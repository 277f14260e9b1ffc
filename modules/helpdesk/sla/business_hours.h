// Business-hours arithmetic for SLA targets (docs/helpdesk.md, "SLA"): when
// a target of so many business hours is due after a start, and how much
// business time lies between two moments, in a calendar's time zone, by its
// opening hours per weekday, with the Hungarian public holidays and the
// yearly decrees' working-day swaps (libs/hungarian_calendar) and the
// calendar's own closed and extra working dates. Pure: no database, no
// clock; time zones from the system's zone data (absl::TimeZone), so summer
// time changes are exact.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "karton/kernel/clock.h"

namespace karton::helpdesk {

struct OpeningHours {
  // Minutes after local midnight; open >= close means closed all day.
  int open = 0;
  int close = 0;
};

struct CalendarRules {
  std::string time_zone = "Europe/Budapest";
  // Monday first.
  std::array<OpeningHours, 7> week{};
  // Public holidays and the decrees' swapped rest days are closed; a
  // swapped working Saturday is open with Monday's hours.
  bool hungarian_holidays = true;
  // The calendar's own days: closed ones, and working ones (Monday's hours
  // when the day has none of its own). A date in both is closed.
  std::set<std::chrono::year_month_day> closed_dates;
  std::set<std::chrono::year_month_day> working_dates;
};

class BusinessHours {
 public:
  // nullopt when the zone is not known to the system's zone data.
  static std::optional<BusinessHours> Load(CalendarRules rules);

  // The moment `amount` of business time has passed after `start` (`start`
  // itself when amount is 0 or less and start is open; else the next
  // opening). Looks at most ten years ahead; a calendar that is never open
  // answers ten years later.
  kernel::TimePoint Add(kernel::TimePoint start, std::chrono::seconds amount) const;
  // The business time between `from` and `to` (0 when to <= from).
  std::chrono::seconds Between(kernel::TimePoint from, kernel::TimePoint to) const;

  // Whether the calendar opens on that local date at all, and its hours.
  std::optional<OpeningHours> HoursOn(std::chrono::year_month_day date) const;

  const CalendarRules& Rules() const { return rules_; }

 private:
  struct Zone;
  BusinessHours(CalendarRules rules, std::shared_ptr<const Zone> zone)
      : rules_(std::move(rules)), zone_(std::move(zone)) {}

  // The open interval of local date `date`, as instants; nullopt when closed.
  std::optional<std::pair<kernel::TimePoint, kernel::TimePoint>> OpenOn(
      std::chrono::year_month_day date) const;
  std::chrono::year_month_day LocalDate(kernel::TimePoint at) const;

  CalendarRules rules_;
  std::shared_ptr<const Zone> zone_;
};

// "08:00" -> 480; nullopt unless HH:MM with 00 <= HH <= 24 and MM < 60
// (24:00 only as itself).
std::optional<int> ParseClock(const std::string& text);
std::string ClockText(int minutes);

}  // namespace karton::helpdesk

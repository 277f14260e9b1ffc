// Business-hours arithmetic: across evenings, weekends, Hungarian public
// holidays, the 2026 decree's swapped days, summer time ending, pauses
// (Between), and a calendar's own dates. Times are Budapest local times.
#include "sla/business_hours.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>

namespace karton::helpdesk {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using namespace std::chrono_literals;

CalendarRules OfficeHours() {
  CalendarRules rules;
  for (int day = 0; day < 5; ++day)
    rules.week[static_cast<std::size_t>(day)] = {8 * 60, 16 * 60 + 30};
  return rules;
}

BusinessHours Load(CalendarRules rules = OfficeHours()) { return *BusinessHours::Load(rules); }

// A Budapest wall-clock time.
kernel::TimePoint Local(int year, int month, int day, int hour, int minute) {
  absl::TimeZone budapest;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Budapest", &budapest));
  const auto at = absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), budapest);
  return kernel::TimePoint(std::chrono::microseconds(absl::ToUnixMicros(at)));
}

TEST(BusinessHoursTest, WithinADayAndAcrossTheEvening) {
  const auto calendar = Load();
  EXPECT_EQ(calendar.Add(Local(2026, 10, 5, 9, 0), 2h), Local(2026, 10, 5, 11, 0));
  EXPECT_EQ(calendar.Add(Local(2026, 10, 5, 15, 0), 3h), Local(2026, 10, 6, 9, 30));
  // Exactly at closing: due at closing, not the next morning.
  EXPECT_EQ(calendar.Add(Local(2026, 10, 5, 15, 0), 90min), Local(2026, 10, 5, 16, 30));
}

TEST(BusinessHoursTest, AWeekendIsSkipped) {
  const auto calendar = Load();
  EXPECT_EQ(calendar.Add(Local(2026, 10, 9, 16, 0), 1h), Local(2026, 10, 12, 8, 30));
  EXPECT_EQ(calendar.Between(Local(2026, 10, 9, 16, 0), Local(2026, 10, 12, 8, 30)), 1h);
  EXPECT_EQ(calendar.Between(Local(2026, 10, 10, 9, 0), Local(2026, 10, 11, 18, 0)), 0s);
}

TEST(BusinessHoursTest, AHolidayAWeekendAndTheEndOfSummerTime) {
  const auto calendar = Load();
  // Thursday 22 October 2026, 15:00; 23 October is a national holiday,
  // summer time ends on Sunday 25 October. Four hours: 1.5 on Thursday,
  // 2.5 on Monday morning, 10:30 CET, which is 09:30 UTC.
  const auto due = calendar.Add(Local(2026, 10, 22, 15, 0), 4h);
  EXPECT_EQ(due, Local(2026, 10, 26, 10, 30));
  EXPECT_EQ(kernel::ToEpochMicros(due) / 1'000'000,
            absl::ToUnixSeconds(
                absl::FromCivil(absl::CivilSecond(2026, 10, 26, 9, 30, 0), absl::UTCTimeZone())));
  EXPECT_EQ(calendar.Between(Local(2026, 10, 22, 15, 0), due), 4h);
}

TEST(BusinessHoursTest, TheDecreesSwappedDaysOf2026) {
  const auto calendar = Load();
  // 24 December 2026 (Thursday) is a rest day by decree, 25 and 26 are
  // holidays, then the weekend.
  EXPECT_EQ(calendar.Add(Local(2026, 12, 23, 15, 0), 4h), Local(2026, 12, 28, 10, 30));
  // Saturday 12 December 2026 is a working day by decree.
  EXPECT_EQ(calendar.Add(Local(2026, 12, 11, 16, 0), 1h), Local(2026, 12, 12, 8, 30));
  // 2 January 2026 (Friday) is a rest day, Saturday 10 January a working day.
  EXPECT_FALSE(calendar.HoursOn(2026y / 1 / 2).has_value());
  EXPECT_TRUE(calendar.HoursOn(2026y / 1 / 10).has_value());
}

TEST(BusinessHoursTest, EasterOf2027IsClosed) {
  const auto calendar = Load();
  // Good Friday 26 March and Easter Monday 29 March 2027.
  EXPECT_EQ(calendar.Add(Local(2027, 3, 25, 16, 0), 1h), Local(2027, 3, 30, 8, 30));
}

TEST(BusinessHoursTest, AStartOutsideTheHoursBeginsAtTheNextOpening) {
  const auto calendar = Load();
  EXPECT_EQ(calendar.Add(Local(2026, 10, 10, 10, 0), 0s), Local(2026, 10, 12, 8, 0));
  EXPECT_EQ(calendar.Add(Local(2026, 10, 12, 6, 0), 30min), Local(2026, 10, 12, 8, 30));
  EXPECT_EQ(calendar.Add(Local(2026, 10, 12, 17, 0), 30min), Local(2026, 10, 13, 8, 30));
}

TEST(BusinessHoursTest, WhatIsLeftOfATargetAtAPauseIsWhatRunsAfterIt) {
  const auto calendar = Load();
  const auto start = Local(2026, 10, 5, 14, 0);
  const auto due = calendar.Add(start, 8h);
  const auto paused = Local(2026, 10, 6, 9, 0);  // 2.5 h + 1 h used
  const auto left = calendar.Between(paused, due);
  EXPECT_EQ(left, 8h - 3h - 30min);
  // Resumed on Thursday at 10:00: due 4.5 business hours later.
  EXPECT_EQ(calendar.Add(Local(2026, 10, 8, 10, 0), left), Local(2026, 10, 8, 14, 30));
}

TEST(BusinessHoursTest, TheCalendarsOwnDatesComeFirst) {
  auto rules = OfficeHours();
  rules.closed_dates = {2026y / 10 / 6};
  rules.working_dates = {2026y / 10 / 10, 2026y / 10 / 23};
  const auto calendar = Load(rules);
  EXPECT_EQ(calendar.Add(Local(2026, 10, 5, 16, 0), 1h), Local(2026, 10, 7, 8, 30));
  EXPECT_EQ(calendar.Add(Local(2026, 10, 9, 16, 0), 1h), Local(2026, 10, 10, 8, 30));
  EXPECT_TRUE(calendar.HoursOn(2026y / 10 / 23).has_value());  // a holiday made a working day
  rules = OfficeHours();
  rules.hungarian_holidays = false;
  EXPECT_TRUE(Load(rules).HoursOn(2026y / 10 / 23).has_value());
  EXPECT_FALSE(Load(rules).HoursOn(2026y / 12 / 12).has_value());  // a Saturday as any other
}

TEST(BusinessHoursTest, ACalendarNeverOpenAndAnUnknownZone) {
  CalendarRules closed;
  closed.hungarian_holidays = false;
  const auto calendar = Load(closed);
  const auto start = Local(2026, 10, 5, 9, 0);
  EXPECT_GT(calendar.Add(start, 1h), start + std::chrono::days(3650));
  closed.time_zone = "Europe/Nowhere";
  EXPECT_FALSE(BusinessHours::Load(closed).has_value());
}

TEST(BusinessHoursTest, ClockTimes) {
  EXPECT_EQ(ParseClock("08:00"), 480);
  EXPECT_EQ(ParseClock("16:30"), 990);
  EXPECT_EQ(ParseClock("24:00"), 1440);
  for (const char* bad : {"8:00", "24:30", "12:60", "ab:cd", "12:00:00", ""}) {
    EXPECT_EQ(ParseClock(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(ClockText(990), "16:30");
}

}  // namespace
}  // namespace karton::helpdesk

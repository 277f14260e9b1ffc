#include "karton/hungarian_calendar/hungarian_calendar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

namespace hc = karton::hungarian_calendar;
using namespace std::chrono;  // NOLINT: the calendar literals (2026y, ...)

namespace {

std::vector<std::string> Names(const std::vector<hc::NameDay>& days, hc::NameDayRank rank) {
  std::vector<std::string> names;
  for (const auto& name_day : days) {
    if (name_day.rank == rank) {
      names.emplace_back(name_day.name);
    }
  }
  return names;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::ranges::find(names, name) != names.end();
}

// "2026-04-30 main" for each day `name` is celebrated in `y`.
std::vector<std::string> DaysIn(std::string_view name, year y) {
  std::vector<std::string> days;
  for (const auto& [date, rank] : hc::DaysOf(name, y)) {
    days.push_back(std::to_string(static_cast<int>(date.year())) + "-" +
                   std::to_string(static_cast<unsigned>(date.month())) + "-" +
                   std::to_string(static_cast<unsigned>(date.day())) +
                   (rank == hc::NameDayRank::kMain ? " main" : " secondary"));
  }
  return days;
}

bool HasDay(const std::vector<hc::NameDayDate>& days, month_day when, hc::NameDayRank rank) {
  return std::ranges::any_of(days, [&](const auto& d) { return d.day == when && d.rank == rank; });
}

}  // namespace

// ---- Name days ----------------------------------------------------------------

TEST(HungarianNameDays, KnownMainDays) {
  EXPECT_EQ(Names(hc::NameDaysOn(2026, 1, 2), hc::NameDayRank::kMain),
            std::vector<std::string>{"Ábel"});
  const auto christmas_eve = Names(hc::NameDaysOn(2026, 12, 24), hc::NameDayRank::kMain);
  EXPECT_TRUE(Contains(christmas_eve, "Ádám"));
  EXPECT_TRUE(Contains(christmas_eve, "Éva"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 5, 15), hc::NameDayRank::kMain), "Zsófia"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 8, 20), hc::NameDayRank::kMain), "István"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 12, 26), hc::NameDayRank::kMain), "István"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 11, 25), hc::NameDayRank::kMain), "Katalin"));
}

TEST(HungarianNameDays, DaysOfANameWithMainAndSecondary) {
  const auto istvan = hc::DaysOf("István");
  EXPECT_TRUE(HasDay(istvan, August / 20, hc::NameDayRank::kMain));
  EXPECT_TRUE(HasDay(istvan, December / 26, hc::NameDayRank::kMain));
  EXPECT_TRUE(HasDay(istvan, August / 2, hc::NameDayRank::kSecondary));

  // Katalin: Nov 25 and Apr 30 are main days in this calendar, Apr 29 a
  // secondary one.
  const auto katalin = hc::DaysOf("Katalin");
  EXPECT_TRUE(HasDay(katalin, November / 25, hc::NameDayRank::kMain));
  EXPECT_TRUE(HasDay(katalin, April / 30, hc::NameDayRank::kMain));
  EXPECT_TRUE(HasDay(katalin, April / 29, hc::NameDayRank::kSecondary));
  EXPECT_FALSE(HasDay(katalin, April / 29, hc::NameDayRank::kMain));

  const auto abel = hc::DaysOf("Ábel");
  ASSERT_FALSE(abel.empty());
  EXPECT_EQ(abel.front().day, January / 2);
  EXPECT_EQ(abel.front().rank, hc::NameDayRank::kMain);
  // Calendar order.
  EXPECT_TRUE(std::ranges::is_sorted(abel, {}, [](const auto& d) { return d.day; }));
}

TEST(HungarianNameDays, MainNamesComeFirst) {
  for (auto d = sys_days{2026y / January / 1}; d < sys_days{2027y / January / 1}; d += days{1}) {
    const auto names = hc::NameDaysOn(year_month_day{d});
    ASSERT_FALSE(names.empty()) << "no name on " << static_cast<unsigned>(year_month_day{d}.month())
                                << "/" << static_cast<unsigned>(year_month_day{d}.day());
    EXPECT_EQ(names.front().rank, hc::NameDayRank::kMain);
    EXPECT_TRUE(std::ranges::is_partitioned(
        names, [](const auto& n) { return n.rank == hc::NameDayRank::kMain; }));
  }
}

TEST(HungarianNameDays, EveryDayOfACommonYearHasNamesAndTheListIsWhole) {
  std::size_t entries = 0;
  std::set<std::string> distinct;
  for (auto d = sys_days{2026y / January / 1}; d < sys_days{2027y / January / 1}; d += days{1}) {
    const auto names = hc::NameDaysOn(year_month_day{d});
    EXPECT_FALSE(Names(names, hc::NameDayRank::kMain).empty());
    entries += names.size();
    for (const auto& name_day : names) {
      distinct.emplace(name_day.name);
    }
  }
  EXPECT_GT(entries, 5000u);
  EXPECT_GT(distinct.size(), 1800u);
}

TEST(HungarianNameDays, LeapYearMovesFebruary24To28OnByOneDay) {
  // Common year: Mátyás on Feb 24, Elemér on Feb 28.
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 2, 24), hc::NameDayRank::kMain), "Mátyás"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2026, 2, 28), hc::NameDayRank::kMain), "Elemér"));
  // Leap year: Feb 24 is the leap day, with no names ("Mátyás ugrása").
  EXPECT_TRUE(hc::NameDaysOn(2028, 2, 24).empty());
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2028, 2, 25), hc::NameDayRank::kMain), "Mátyás"));
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2028, 2, 29), hc::NameDayRank::kMain), "Elemér"));
  // Feb 23 and March do not move.
  EXPECT_EQ(Names(hc::NameDaysOn(2028, 2, 23), hc::NameDayRank::kMain),
            Names(hc::NameDaysOn(2026, 2, 23), hc::NameDayRank::kMain));
  EXPECT_EQ(Names(hc::NameDaysOn(2028, 3, 1), hc::NameDayRank::kMain),
            Names(hc::NameDaysOn(2026, 3, 1), hc::NameDayRank::kMain));
  // 2100 is not a leap year.
  EXPECT_TRUE(Contains(Names(hc::NameDaysOn(2100, 2, 24), hc::NameDayRank::kMain), "Mátyás"));

  EXPECT_EQ(DaysIn("Mátyás", 2026y).front(), "2026-2-24 main");
  EXPECT_EQ(DaysIn("Mátyás", 2028y).front(), "2028-2-25 main");
  EXPECT_TRUE(Contains(DaysIn("Elemér", 2028y), "2028-2-29 main"));
  EXPECT_TRUE(Contains(DaysIn("Elemér", 2026y), "2026-2-28 main"));
}

TEST(HungarianNameDays, MatchingIgnoresCaseButNotAccents) {
  const auto agnes = hc::DaysOf("Ágnes");
  ASSERT_FALSE(agnes.empty());
  EXPECT_TRUE(HasDay(agnes, January / 21, hc::NameDayRank::kMain));
  const auto same = [&](std::string_view input) {
    const auto found = hc::DaysOf(input);
    return found.size() == agnes.size() &&
           std::ranges::equal(found, agnes, [](const auto& a, const auto& b) {
             return a.day == b.day && a.rank == b.rank;
           });
  };
  EXPECT_TRUE(same("ÁGNES"));
  EXPECT_TRUE(same("ágnes"));
  EXPECT_TRUE(same("  Ágnes\n"));
  EXPECT_TRUE(same("A\xCC\x81gnes"));  // "A" + COMBINING ACUTE ACCENT (NFD)
  EXPECT_TRUE(hc::DaysOf("Agnes").empty());
  EXPECT_TRUE(hc::DaysOf("AGNES").empty());
  EXPECT_FALSE(hc::DaysOf("ÖRS").empty());
  EXPECT_EQ(hc::DaysOf("ÖRS").size(), hc::DaysOf("Örs").size());
  EXPECT_EQ(hc::DaysOf("ZSÓFIA").size(), hc::DaysOf("Zsófia").size());
  EXPECT_TRUE(hc::DaysOf("").empty());
  EXPECT_TRUE(hc::DaysOf("   ").empty());
  EXPECT_TRUE(hc::DaysOf("\xC3").empty());  // truncated UTF-8
  EXPECT_TRUE(hc::DaysOf("Nincsilyennév").empty());

  EXPECT_TRUE(hc::HasNameDayOn("éva", 2026y / December / 24));
  EXPECT_FALSE(hc::HasNameDayOn("Eva", 2026y / December / 24));
  EXPECT_FALSE(hc::HasNameDayOn("Mátyás", 2028y / February / 24));
  EXPECT_TRUE(hc::HasNameDayOn("MÁTYÁS", 2028y / February / 25));
  EXPECT_EQ(hc::NameKey(" ŐSZE Ű\t"), "ősze ű");
  EXPECT_EQ(hc::NameKey("\xFF"), "");
}

// DaysOf folds only the calendar's names of the input's byte length: that is
// right only while folding keeps every name's length.
TEST(HungarianNameDays, FoldingKeepsTheLengthOfEveryName) {
  std::set<std::string_view> names;
  for (auto d = sys_days{2028y / January / 1}; d < sys_days{2029y / January / 1}; d += days{1}) {
    for (const auto& name_day : hc::NameDaysOn(year_month_day{d})) {
      EXPECT_EQ(hc::NameKey(name_day.name).size(), name_day.name.size()) << name_day.name;
      names.insert(name_day.name);
    }
  }
  for (const auto name : names) {
    EXPECT_FALSE(hc::DaysOf(name).empty()) << name;
  }
}

TEST(HungarianNameDays, AnInvalidDateIsAnError) {
  EXPECT_THROW(hc::NameDaysOn(2026, 2, 29), std::invalid_argument);
  EXPECT_THROW(hc::NameDaysOn(2026, 13, 1), std::invalid_argument);
  EXPECT_THROW(hc::NameDaysOn(2026, 4, 31), std::invalid_argument);
  EXPECT_NO_THROW(hc::NameDaysOn(2028, 2, 29));
}

// ---- Holidays and working days ---------------------------------------------------

TEST(HungarianHolidays, EasterSunday) {
  EXPECT_EQ(hc::EasterSunday(1818y), 1818y / March / 22);  // the earliest possible
  EXPECT_EQ(hc::EasterSunday(1943y), 1943y / April / 25);  // the latest possible
  EXPECT_EQ(hc::EasterSunday(2000y), 2000y / April / 23);
  EXPECT_EQ(hc::EasterSunday(2019y), 2019y / April / 21);
  EXPECT_EQ(hc::EasterSunday(2024y), 2024y / March / 31);
  EXPECT_EQ(hc::EasterSunday(2025y), 2025y / April / 20);
  EXPECT_EQ(hc::EasterSunday(2026y), 2026y / April / 5);
  EXPECT_EQ(hc::EasterSunday(2027y), 2027y / March / 28);
  EXPECT_EQ(hc::EasterSunday(2038y), 2038y / April / 25);
  EXPECT_EQ(hc::EasterSunday(2285y), 2285y / March / 22);
  EXPECT_THROW(hc::EasterSunday(1500y), std::invalid_argument);
}

TEST(HungarianHolidays, The2026PublicHolidays) {
  const std::vector<std::pair<year_month_day, std::string>> expected{
      {2026y / January / 1, "Újév"},
      {2026y / March / 15, "Nemzeti ünnep (az 1848-as forradalom)"},
      {2026y / April / 3, "Nagypéntek"},
      {2026y / April / 5, "Húsvétvasárnap"},
      {2026y / April / 6, "Húsvéthétfő"},
      {2026y / May / 1, "A munka ünnepe"},
      {2026y / May / 24, "Pünkösdvasárnap"},
      {2026y / May / 25, "Pünkösdhétfő"},
      {2026y / August / 20, "Az államalapítás ünnepe"},
      {2026y / October / 23, "Nemzeti ünnep (az 1956-os forradalom)"},
      {2026y / November / 1, "Mindenszentek"},
      {2026y / December / 25, "Karácsony"},
      {2026y / December / 26, "Karácsony másnapja"},
  };
  std::vector<std::pair<year_month_day, std::string>> found;
  for (auto d = sys_days{2026y / January / 1}; d < sys_days{2027y / January / 1}; d += days{1}) {
    if (const auto name = hc::HolidayName(year_month_day{d})) {
      EXPECT_TRUE(hc::IsPublicHoliday(year_month_day{d}));
      found.emplace_back(year_month_day{d}, std::string{*name});
    }
  }
  EXPECT_EQ(found, expected);
  // Christmas Eve is no public holiday by law (a decree makes it a rest day).
  EXPECT_FALSE(hc::IsPublicHoliday(2026y / December / 24));
  // Good Friday is one since 2017.
  EXPECT_FALSE(hc::IsPublicHoliday(2016y / March / 25));
  EXPECT_TRUE(hc::IsPublicHoliday(2017y / April / 14));
}

TEST(HungarianWorkingDays, EachSwapOf2026) {
  ASSERT_TRUE(hc::HasWorkScheduleDecree(2026y));
  EXPECT_EQ(hc::WorkScheduleDecree(2026y), "10/2025. (IV. 30.) NGM rendelet");
  const auto swaps = hc::WorkScheduleSwaps(2026y);
  ASSERT_EQ(swaps.size(), 6u);
  const std::vector<std::pair<year_month_day, bool>> expected{
      {2026y / January / 2, false}, {2026y / January / 10, true},  {2026y / August / 8, true},
      {2026y / August / 21, false}, {2026y / December / 12, true}, {2026y / December / 24, false},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(swaps[i].date, expected[i].first);
    EXPECT_EQ(swaps[i].working, expected[i].second);
    EXPECT_EQ(hc::IsWorkingDay(expected[i].first), expected[i].second);
    EXPECT_EQ(hc::KindOf(expected[i].first),
              expected[i].second ? hc::DayKind::kSwappedWorkingDay : hc::DayKind::kSwappedRestDay);
    EXPECT_FALSE(hc::IsPublicHoliday(expected[i].first));
  }
}

TEST(HungarianWorkingDays, The2025Decree) {
  EXPECT_EQ(hc::WorkScheduleDecree(2025y), "11/2024. (IV. 8.) NGM rendelet");
  EXPECT_EQ(hc::WorkScheduleSwaps(2025y).size(), 6u);
  EXPECT_TRUE(hc::IsWorkingDay(2025y / May / 17));
  EXPECT_FALSE(hc::IsWorkingDay(2025y / May / 2));
  EXPECT_TRUE(hc::IsWorkingDay(2025y / October / 18));
  EXPECT_FALSE(hc::IsWorkingDay(2025y / October / 24));
  EXPECT_TRUE(hc::IsWorkingDay(2025y / December / 13));
  EXPECT_FALSE(hc::IsWorkingDay(2025y / December / 24));
}

TEST(HungarianWorkingDays, EverySwapTurnsTheRightKindOfDay) {
  for (const int y : {2025, 2026}) {
    for (const auto& swap : hc::WorkScheduleSwaps(year{y})) {
      const weekday wd{sys_days{swap.date}};
      if (swap.working) {
        EXPECT_EQ(wd, Saturday);
      } else {
        EXPECT_NE(wd, Saturday);
        EXPECT_NE(wd, Sunday);
      }
    }
  }
}

TEST(HungarianWorkingDays, OrdinaryDays) {
  EXPECT_TRUE(hc::IsWorkingDay(2026y / December / 4));    // Friday
  EXPECT_FALSE(hc::IsWorkingDay(2026y / December / 5));   // Saturday
  EXPECT_FALSE(hc::IsWorkingDay(2026y / December / 6));   // Sunday
  EXPECT_TRUE(hc::IsWorkingDay(2026y / December / 7));    // Monday
  EXPECT_FALSE(hc::IsWorkingDay(2026y / December / 25));  // Christmas, Friday
  EXPECT_FALSE(hc::IsWorkingDay(2026y / April / 3));      // Good Friday
  EXPECT_FALSE(hc::IsWorkingDay(2026y / May / 25));       // Pentecost Monday
  EXPECT_TRUE(hc::IsWorkingDay(2026y / March / 16));      // the Monday after Mar 15
  EXPECT_EQ(hc::KindOf(2026y / March / 15), hc::DayKind::kPublicHoliday);  // a Sunday
  EXPECT_EQ(hc::KindOf(2026y / March / 14), hc::DayKind::kWeekend);
  EXPECT_EQ(hc::KindOf(2026y / March / 13), hc::DayKind::kWorkingDay);
}

TEST(HungarianWorkingDays, AYearWithoutItsDecreeFollowsThePlainCalendar) {
  EXPECT_FALSE(hc::HasWorkScheduleDecree(2027y));
  EXPECT_FALSE(hc::WorkScheduleDecree(2027y).has_value());
  EXPECT_TRUE(hc::WorkScheduleSwaps(2027y).empty());
  EXPECT_TRUE(hc::IsWorkingDay(2027y / December / 24));  // a Friday, no decree in the data
  EXPECT_FALSE(hc::IsWorkingDay(2027y / March / 26));    // Good Friday
  EXPECT_FALSE(hc::IsWorkingDay(2027y / March / 29));    // Easter Monday
  EXPECT_THROW(hc::IsWorkingDay(2027y / February / 29), std::invalid_argument);
}

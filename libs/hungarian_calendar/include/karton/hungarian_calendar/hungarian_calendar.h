// The Hungarian calendar as public data (libs/hungarian_calendar/README.md,
// docs/hungarian-calendar.md): name days (névnapok) with their main and
// secondary days, public holidays (munkaszüneti napok) and the yearly
// decrees' working-day swaps (munkanap-áthelyezések). Everything is compiled
// in from data/*.tsv; nothing is read at run time and nothing is cached, so
// every function is safe to call from any thread.
//
// Dates are std::chrono::year_month_day. A date that is not a real date
// (2026-02-30, !date.ok()) is a programmer error: std::invalid_argument.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::hungarian_calendar {

// ---- Name days ----------------------------------------------------------

// "fő névnap" (the name printed on wall calendars) or one of the others.
enum class NameDayRank { kMain, kSecondary };

struct NameDay {
  std::string_view name;  // as the calendar spells it: UTF-8, NFC, "Ágnes"
  NameDayRank rank;
};

struct NameDayDate {
  // In a common year: the calendar's own day. DaysOf(name, year) gives the
  // day in a given year, with the leap-year shift applied.
  std::chrono::month_day day;
  NameDayRank rank;
};

struct DatedNameDay {
  std::chrono::year_month_day date;
  NameDayRank rank;
};

// The names celebrated on `date`, main names first, then the secondary ones,
// each group in the calendar's order. In a leap year Feb 24 is the leap day
// (szökőnap) and has no names (empty); the names of Feb 24-28 are
// celebrated on Feb 25-29 ("Mátyás ugrása").
std::vector<NameDay> NameDaysOn(std::chrono::year_month_day date);
std::vector<NameDay> NameDaysOn(int year, unsigned month, unsigned day);

// Every day `given_name` is celebrated, in calendar order. Matching is on
// the whole given name, case-insensitive (Unicode case folding) but accents
// matter: "ÁGNES" and "ágnes" find "Ágnes", "Agnes" finds nothing. Input in
// decomposed form (NFD, as some keyboards send it) matches too; leading and
// trailing white space is ignored. Empty for an unknown name or for input
// that is not UTF-8.
std::vector<NameDayDate> DaysOf(std::string_view given_name);
// The same days as dates in `year` (Feb 24-28 move one day on in leap years).
std::vector<DatedNameDay> DaysOf(std::string_view given_name, std::chrono::year year);

// Whether `given_name` (matched as DaysOf matches) has a name day on `date`,
// main or secondary.
bool HasNameDayOn(std::string_view given_name, std::chrono::year_month_day date);

// The key names are matched by: NFC, Unicode case-folded UTF-8 ("ágnes"
// for "ÁGNES"), white space trimmed; empty for input that is not UTF-8.
// For callers that index their own names (e.g. partners) the same way.
std::string NameKey(std::string_view given_name);

// ---- Public holidays and working days -----------------------------------

// Gregorian Easter Sunday of `year` (anonymous Gregorian algorithm).
std::chrono::year_month_day EasterSunday(std::chrono::year year);

// Munkaszüneti nap: Jan 1, Mar 15, Good Friday (since 2017), Easter Sunday
// and Monday, May 1, Pentecost Sunday and Monday, Aug 20, Oct 23, Nov 1,
// Dec 25 and 26 (data/public_holidays.tsv). Dec 24 is not one by law; a
// decree may make it a rest day (see DayKind).
bool IsPublicHoliday(std::chrono::year_month_day date);
// "Újév", "Nagypéntek", "Karácsony másnapja", ...; nullopt on other days.
std::optional<std::string_view> HolidayName(std::chrono::year_month_day date);

enum class DayKind {
  kWorkingDay,         // Monday to Friday, not a holiday
  kWeekend,            // Saturday or Sunday, not a holiday
  kPublicHoliday,      // IsPublicHoliday
  kSwappedRestDay,     // a weekday the year's decree makes a rest day
  kSwappedWorkingDay,  // a Saturday the year's decree makes a working day
};
DayKind KindOf(std::chrono::year_month_day date);

// A working day in the general work schedule (általános munkarend): a
// weekday that is neither a public holiday nor a swapped rest day, or a
// swapped working Saturday. For a year whose decree is not in the data
// (HasWorkScheduleDecree), swaps are unknown and only weekdays and
// holidays count.
bool IsWorkingDay(std::chrono::year_month_day date);

// Whether the data holds `year`'s swap decree (2025, 2026; not 2027 yet).
bool HasWorkScheduleDecree(std::chrono::year year);
// The decree's citation, "10/2025. (IV. 30.) NGM rendelet"; nullopt when
// not in the data.
std::optional<std::string_view> WorkScheduleDecree(std::chrono::year year);

struct WorkScheduleSwap {
  std::chrono::year_month_day date;
  bool working;  // true: a working Saturday; false: a rest weekday
};
// The swaps of `year`'s decree in date order; empty without one.
std::vector<WorkScheduleSwap> WorkScheduleSwaps(std::chrono::year year);

}  // namespace karton::hungarian_calendar

#include "karton/hungarian_calendar/hungarian_calendar.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <stdexcept>

namespace karton::hungarian_calendar {
namespace {

using std::chrono::day;
using std::chrono::February;
using std::chrono::month;
using std::chrono::month_day;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month_day;

// ---- The data, generated from data/*.tsv (cmake/EmbedCalendarData.cmake) --

struct NameDayRow {
  unsigned char month;
  unsigned char day;
  const char* name;
  bool main;
};
constexpr NameDayRow kNameDays[] = {
#include "namedays.inc"
};

struct HolidayRow {
  bool from_easter;  // false: month/day; true: offset days from Easter Sunday
  unsigned char month;
  unsigned char day;
  short offset;
  short first_year;
  const char* name;
};
constexpr HolidayRow kPublicHolidays[] = {
#include "public_holidays.inc"
};

struct ScheduleRow {
  short year;
  unsigned char month;  // 0 for the row naming the year's decree
  unsigned char day;
  bool working;
  const char* decree;  // only on the decree row
};
constexpr ScheduleRow kWorkSchedule[] = {
#include "work_schedule.inc"
};

// NameDaysOn finds a day's rows with a binary search: the rows must be in
// date order, main rows first within a day.
constexpr bool NameDaysInOrder() {
  for (std::size_t i = 1; i < std::size(kNameDays); ++i) {
    const auto& before = kNameDays[i - 1];
    const auto& row = kNameDays[i];
    const int by_date = (row.month - before.month) * 100 + (row.day - before.day);
    if (by_date < 0 || (by_date == 0 && row.main && !before.main)) {
      return false;
    }
  }
  return true;
}
static_assert(NameDaysInOrder(),
              "data/namedays.tsv: rows out of date order, or a main name after a secondary one");

// Every swap belongs to a year whose decree row comes first.
constexpr bool SwapsHaveDecrees() {
  short decree_year = 0;
  for (const auto& row : kWorkSchedule) {
    if (row.month == 0) {
      decree_year = row.year;
    } else if (row.year != decree_year) {
      return false;
    }
  }
  return true;
}
static_assert(SwapsHaveDecrees(),
              "data/work_schedule.tsv: a swap without its year's decree row before it");

// ---- Helpers -------------------------------------------------------------

void RequireValid(const year_month_day& date) {
  if (!date.ok()) {
    throw std::invalid_argument("hungarian_calendar: not a valid date");
  }
}

// In a leap year Feb 24 is the leap day and the calendar's Feb 24-28 are
// celebrated on Feb 25-29. Returns the calendar day a date celebrates, or
// nullopt for the leap day.
std::optional<month_day> CalendarDayOf(const year_month_day& date) {
  if (date.year().is_leap() && date.month() == February) {
    const unsigned d = static_cast<unsigned>(date.day());
    if (d == 24) {
      return std::nullopt;
    }
    if (d > 24) {
      return month_day{February, day{d - 1}};
    }
  }
  return month_day{date.month(), date.day()};
}

// The date in `y` on which the calendar day `calendar_day` is celebrated.
year_month_day DateIn(year y, month_day calendar_day) {
  const unsigned d = static_cast<unsigned>(calendar_day.day());
  if (y.is_leap() && calendar_day.month() == February && d >= 24) {
    return year_month_day{y, February, day{d + 1}};
  }
  return year_month_day{y, calendar_day.month(), calendar_day.day()};
}

NameDayRank RankOf(const NameDayRow& row) {
  return row.main ? NameDayRank::kMain : NameDayRank::kSecondary;
}

std::pair<const NameDayRow*, const NameDayRow*> RowsOf(month_day calendar_day) {
  const auto key = [](unsigned m, unsigned d) { return m * 100 + d; };
  const unsigned wanted =
      key(static_cast<unsigned>(calendar_day.month()), static_cast<unsigned>(calendar_day.day()));
  const auto* first = std::lower_bound(
      std::begin(kNameDays), std::end(kNameDays), wanted,
      [&](const NameDayRow& row, unsigned k) { return key(row.month, row.day) < k; });
  const auto* last = std::upper_bound(
      first, std::end(kNameDays), wanted,
      [&](unsigned k, const NameDayRow& row) { return k < key(row.month, row.day); });
  return {first, last};
}

bool IsUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto length = static_cast<std::int32_t>(text.size());
  if (static_cast<std::size_t>(length) != text.size()) {
    return false;
  }
  for (std::int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) {
      return false;
    }
  }
  return true;
}

// The names of kNameDays whose key can equal `key`: case folding keeps the
// UTF-8 length of every letter the calendar's names use (ASCII and the
// Hungarian accented letters; the unit tests check it), so only names of
// the same byte length need folding.
template <class Visit>
void ForEachMatch(std::string_view given_name, Visit visit) {
  const std::string key = NameKey(given_name);
  if (key.empty()) {
    return;
  }
  for (const auto& row : kNameDays) {
    const std::string_view name{row.name};
    if (name.size() == key.size() && NameKey(name) == key) {
      visit(row);
    }
  }
}

std::chrono::weekday WeekdayOf(const year_month_day& date) {
  return std::chrono::weekday{sys_days{date}};
}

bool IsWeekend(const year_month_day& date) {
  const auto weekday = WeekdayOf(date);
  return weekday == std::chrono::Saturday || weekday == std::chrono::Sunday;
}

const ScheduleRow* SwapOn(const year_month_day& date) {
  const auto y = static_cast<int>(date.year());
  const auto m = static_cast<unsigned>(date.month());
  const auto d = static_cast<unsigned>(date.day());
  for (const auto& row : kWorkSchedule) {
    if (row.month != 0 && row.year == y && row.month == m && row.day == d) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

// ---- Name days -------------------------------------------------------------

std::string NameKey(std::string_view given_name) {
  if (!IsUtf8(given_name)) {
    return {};
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) {
    throw std::runtime_error("hungarian_calendar: ICU has no NFC normalizer");
  }
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(given_name.data(), static_cast<std::int32_t>(given_name.size())));
  text.trim();
  icu::UnicodeString folded = nfc->normalize(text, status);
  folded.foldCase(U_FOLD_CASE_DEFAULT);
  folded = nfc->normalize(folded, status);
  if (U_FAILURE(status)) {
    return {};
  }
  std::string key;
  folded.toUTF8String(key);
  return key;
}

std::vector<NameDay> NameDaysOn(year_month_day date) {
  RequireValid(date);
  std::vector<NameDay> names;
  if (const auto calendar_day = CalendarDayOf(date)) {
    const auto [first, last] = RowsOf(*calendar_day);
    for (const auto* row = first; row != last; ++row) {
      names.push_back(NameDay{row->name, RankOf(*row)});
    }
  }
  return names;
}

std::vector<NameDay> NameDaysOn(int y, unsigned m, unsigned d) {
  return NameDaysOn(year_month_day{year{y}, month{m}, day{d}});
}

std::vector<NameDayDate> DaysOf(std::string_view given_name) {
  std::vector<NameDayDate> days;
  ForEachMatch(given_name, [&](const NameDayRow& row) {
    days.push_back(NameDayDate{month_day{month{row.month}, day{row.day}}, RankOf(row)});
  });
  return days;
}

std::vector<DatedNameDay> DaysOf(std::string_view given_name, year y) {
  if (!y.ok()) {
    throw std::invalid_argument("hungarian_calendar: not a valid year");
  }
  std::vector<DatedNameDay> days;
  for (const auto& name_day : DaysOf(given_name)) {
    days.push_back(DatedNameDay{DateIn(y, name_day.day), name_day.rank});
  }
  return days;
}

bool HasNameDayOn(std::string_view given_name, year_month_day date) {
  RequireValid(date);
  const std::string key = NameKey(given_name);
  if (key.empty()) {
    return false;
  }
  return std::ranges::any_of(
      NameDaysOn(date), [&](const NameDay& name_day) { return NameKey(name_day.name) == key; });
}

// ---- Public holidays and working days ----------------------------------------

year_month_day EasterSunday(year y) {
  const int n = static_cast<int>(y);
  if (n < 1583 || n > 9999) {
    throw std::invalid_argument(
        "hungarian_calendar: Easter is computed for Gregorian years 1583-9999");
  }
  // The anonymous Gregorian algorithm (Meeus, Astronomical Algorithms, ch. 8).
  const int a = n % 19;
  const int b = n / 100;
  const int c = n % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int easter_month = (h + l - 7 * m + 114) / 31;
  const int easter_day = (h + l - 7 * m + 114) % 31 + 1;
  return year_month_day{y, month{static_cast<unsigned>(easter_month)},
                        day{static_cast<unsigned>(easter_day)}};
}

std::optional<std::string_view> HolidayName(year_month_day date) {
  RequireValid(date);
  const int y = static_cast<int>(date.year());
  std::optional<sys_days> easter;
  for (const auto& row : kPublicHolidays) {
    if (y < row.first_year) {
      continue;
    }
    if (row.from_easter) {
      if (!easter) {
        easter = sys_days{EasterSunday(date.year())};
      }
      if (sys_days{date} == *easter + std::chrono::days{row.offset}) {
        return row.name;
      }
    } else if (date.month() == month{row.month} && date.day() == day{row.day}) {
      return row.name;
    }
  }
  return std::nullopt;
}

bool IsPublicHoliday(year_month_day date) { return HolidayName(date).has_value(); }

DayKind KindOf(year_month_day date) {
  if (IsPublicHoliday(date)) {
    return DayKind::kPublicHoliday;
  }
  if (const auto* swap = SwapOn(date)) {
    return swap->working ? DayKind::kSwappedWorkingDay : DayKind::kSwappedRestDay;
  }
  return IsWeekend(date) ? DayKind::kWeekend : DayKind::kWorkingDay;
}

bool IsWorkingDay(year_month_day date) {
  const DayKind kind = KindOf(date);
  return kind == DayKind::kWorkingDay || kind == DayKind::kSwappedWorkingDay;
}

std::optional<std::string_view> WorkScheduleDecree(year y) {
  const int n = static_cast<int>(y);
  for (const auto& row : kWorkSchedule) {
    if (row.month == 0 && row.year == n) {
      return row.decree;
    }
  }
  return std::nullopt;
}

bool HasWorkScheduleDecree(year y) { return WorkScheduleDecree(y).has_value(); }

std::vector<WorkScheduleSwap> WorkScheduleSwaps(year y) {
  const int n = static_cast<int>(y);
  std::vector<WorkScheduleSwap> swaps;
  for (const auto& row : kWorkSchedule) {
    if (row.month != 0 && row.year == n) {
      swaps.push_back(
          WorkScheduleSwap{year_month_day{y, month{row.month}, day{row.day}}, row.working});
    }
  }
  std::ranges::sort(
      swaps, [](const auto& a, const auto& b) { return sys_days{a.date} < sys_days{b.date}; });
  return swaps;
}

}  // namespace karton::hungarian_calendar

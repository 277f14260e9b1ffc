#include "letters/letters.h"

#include <fmt/format.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <array>
#include <chrono>

namespace karton::messaging {
namespace {

std::string CountryName(const std::string& code) {
  icu::UnicodeString name;
  icu::Locale("", code.c_str()).getDisplayCountry(icu::Locale::getEnglish(), name);
  std::string utf8;
  name.toUpper(icu::Locale::getEnglish()).toUTF8String(utf8);
  return utf8.empty() ? code : utf8;
}

void AddIfSet(std::vector<std::string>& lines, const std::string& line) {
  if (!line.empty()) lines.push_back(line);
}

}  // namespace

std::vector<std::string> AddressLines(const std::string& name, const std::string& attention,
                                      const common::v1::Address& address,
                                      const std::string& home_country) {
  std::vector<std::string> lines;
  AddIfSet(lines, name);
  AddIfSet(lines, attention);
  AddIfSet(lines, address.extra());
  const std::string& country = address.country();
  if (country == "HU") {
    AddIfSet(lines, address.city());
    AddIfSet(lines, address.street());
    AddIfSet(lines, address.postal_code());
  } else {
    AddIfSet(lines, address.street());
    std::string city_line = address.postal_code();
    if (!city_line.empty() && !address.city().empty()) city_line += ' ';
    city_line += address.city();
    if (!address.region().empty()) city_line += (city_line.empty() ? "" : " ") + address.region();
    AddIfSet(lines, city_line);
  }
  if (!country.empty() && country != home_country) lines.push_back(CountryName(country));
  return lines;
}

std::string LetterDate(kernel::TimePoint when, const std::string& language,
                       const std::string& place) {
  static constexpr std::array<const char*, 12> kHungarianMonths = {
      "január", "február",   "március",    "április", "május",    "június",
      "július", "augusztus", "szeptember", "október", "november", "december"};
  static constexpr std::array<const char*, 12> kEnglishMonths = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(when)};
  const int year = static_cast<int>(day.year());
  const unsigned month = static_cast<unsigned>(day.month());
  const unsigned day_of_month = static_cast<unsigned>(day.day());
  const std::string date =
      language.rfind("hu", 0) == 0
          ? fmt::format("{}. {} {}.", year, kHungarianMonths[month - 1], day_of_month)
          : fmt::format("{} {} {}", day_of_month, kEnglishMonths[month - 1], year);
  return place.empty() ? date : fmt::format("{}, {}", place, date);
}

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string record;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) record += ',';
    record += '"';
    for (const char c : fields[i]) {
      if (c == '"') record += '"';
      record += c;
    }
    record += '"';
  }
  return record + "\r\n";
}

}  // namespace karton::messaging

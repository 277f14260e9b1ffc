#include "validation.h"

#include <fmt/format.h>
#include <phonenumbers/phonenumberutil.h>
#include <re2/re2.h>
#include <unicode/ucurr.h>
#include <unicode/uloc.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "karton/kernel/money.h"

namespace karton::partners {
namespace {

std::string Trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Without the separators people type into identifiers.
std::string Compact(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ' && c != '-' && c != '.' && c != '\t') compact += c;
  }
  return compact;
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// The check digit of a Hungarian törzsszám (the first seven of its eight
// digits, weights 9 7 3 1 9 7 3).
int TaxNumberCheckDigit(std::string_view seven_digits) {
  static constexpr int kWeights[] = {9, 7, 3, 1, 9, 7, 3};
  int sum = 0;
  for (std::size_t i = 0; i < 7; ++i) sum += (seven_digits[i] - '0') * kWeights[i];
  return (10 - sum % 10) % 10;
}

std::optional<std::string> CheckTorzsszam(std::string_view eight_digits, std::string& problem) {
  const int expected = TaxNumberCheckDigit(eight_digits);
  if (eight_digits[7] - '0' != expected) {
    problem = fmt::format("the check digit (8th digit) is {}, it should be {}", eight_digits[7],
                          expected);
    return std::nullopt;
  }
  return std::string(eight_digits);
}

// VIES formats after the country prefix.
const std::pair<const char*, const char*> kVatFormats[] = {
    {"AT", R"(U\d{8})"},
    {"BE", R"([01]\d{9})"},
    {"BG", R"(\d{9,10})"},
    {"CY", R"(\d{8}[A-Z])"},
    {"CZ", R"(\d{8,10})"},
    {"DE", R"(\d{9})"},
    {"DK", R"(\d{8})"},
    {"EE", R"(\d{9})"},
    {"EL", R"(\d{9})"},
    {"ES", R"([A-Z0-9]\d{7}[A-Z0-9])"},
    {"FI", R"(\d{8})"},
    {"FR", R"([A-HJ-NP-Z0-9]{2}\d{9})"},
    {"HR", R"(\d{11})"},
    {"HU", R"(\d{8})"},
    {"IE", R"(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])"},
    {"IT", R"(\d{11})"},
    {"LT", R"(\d{9}|\d{12})"},
    {"LU", R"(\d{8})"},
    {"LV", R"(\d{11})"},
    {"MT", R"(\d{8})"},
    {"NL", R"(\d{9}B\d{2})"},
    {"PL", R"(\d{10})"},
    {"PT", R"(\d{9})"},
    {"RO", R"([1-9]\d{1,9})"},
    {"SE", R"(\d{10}01)"},
    {"SI", R"(\d{8})"},
    {"SK", R"(\d{10})"},
    {"XI", R"(\d{9}|\d{12}|GD\d{3}|HA\d{3})"},
};

// IBAN lengths of the countries that use IBANs (SWIFT's registry).
const std::pair<const char*, std::size_t> kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18},
    {"DO", 28}, {"EE", 20}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22},
    {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23},
    {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31},
    {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29},
    {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20},
};

}  // namespace

std::optional<std::string> NormalizeHungarianTaxNumber(std::string_view text,
                                                       std::string& problem) {
  const std::string digits = Compact(Trimmed(text));
  if (digits.size() != 11 || !AllDigits(digits)) {
    problem = "must be 11 digits, written 12345678-1-12";
    return std::nullopt;
  }
  if (!CheckTorzsszam(std::string_view(digits).substr(0, 8), problem)) return std::nullopt;
  const int vat_code = digits[8] - '0';
  if (vat_code < 1 || vat_code > 5) {
    problem = fmt::format("the VAT code (9th digit) must be 1 to 5, not {}", vat_code);
    return std::nullopt;
  }
  const int county = std::stoi(digits.substr(9, 2));
  if (!((county >= 2 && county <= 20) || (county >= 22 && county <= 44) || county == 51)) {
    problem = fmt::format("{} is not a county code (02-20, 22-44 or 51)", digits.substr(9, 2));
    return std::nullopt;
  }
  return fmt::format("{}-{}-{}", digits.substr(0, 8), digits.substr(8, 1), digits.substr(9, 2));
}

std::optional<std::string> NormalizeEuVatNumber(std::string_view text, std::string& problem) {
  std::string vat = Upper(Compact(Trimmed(text)));
  if (vat.size() < 4) {
    problem = "must start with a country prefix, e.g. HU12345678";
    return std::nullopt;
  }
  std::string country = vat.substr(0, 2);
  if (country == "GR") country = "EL";  // Greece's VAT prefix is EL
  const std::string number = vat.substr(2);
  for (const auto& [prefix, format] : kVatFormats) {
    if (country != prefix) continue;
    if (!RE2::FullMatch(number, RE2(format))) {
      problem = fmt::format("'{}' is not a {} VAT number", number, country);
      return std::nullopt;
    }
    if (country == "HU" && !CheckTorzsszam(number, problem)) return std::nullopt;
    return country + number;
  }
  problem = fmt::format("'{}' is not the prefix of an EU VAT number", vat.substr(0, 2));
  return std::nullopt;
}

std::optional<std::string> NormalizeIban(std::string_view text, std::string& problem) {
  const std::string iban = Upper(Compact(Trimmed(text)));
  if (iban.size() < 15 || iban.size() > 34 || !std::isalpha(static_cast<unsigned char>(iban[0])) ||
      !std::isalpha(static_cast<unsigned char>(iban[1])) || !AllDigits(iban.substr(2, 2)) ||
      !std::all_of(iban.begin(), iban.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
    problem = "must be two letters, two check digits and the account (15 to 34 characters)";
    return std::nullopt;
  }
  const std::string country = iban.substr(0, 2);
  for (const auto& [code, length] : kIbanLengths) {
    if (country == code && iban.size() != length) {
      problem =
          fmt::format("{} IBANs have {} characters, this one has {}", country, length, iban.size());
      return std::nullopt;
    }
  }
  // ISO 13616: move the first four characters to the end, letters become
  // 10..35, and the number must be 1 modulo 97 (computed piece by piece).
  const std::string rearranged = iban.substr(4) + iban.substr(0, 4);
  int remainder = 0;
  for (char c : rearranged) {
    const int value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10;
    remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97;
  }
  if (remainder != 1) {
    problem = "the check digits do not match (mistyped?)";
    return std::nullopt;
  }
  return iban;
}

std::optional<std::string> NormalizeEmail(std::string_view text, std::string& problem) {
  const std::string email = Lower(Trimmed(text));
  static const RE2 kEmail(
      R"([a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)");
  if (email.size() > 254 || !RE2::FullMatch(email, kEmail) ||
      email.find("..") != std::string::npos) {
    problem = fmt::format("'{}' is not an email address", std::string(text));
    return std::nullopt;
  }
  return email;
}

std::optional<std::string> NormalizePhone(std::string_view text, std::string& problem,
                                          const char* default_region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (text.size() > 64 ||
      util.Parse(std::string(text), default_region, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsValidNumber(number)) {
    problem = fmt::format("'{}' is not a valid phone number", std::string(text));
    return std::nullopt;
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::optional<std::string> NormalizeCountryCode(std::string_view text, std::string& problem) {
  const std::string code = Upper(Trimmed(text));
  for (const char* const* country = uloc_getISOCountries(); *country != nullptr; ++country) {
    if (code == *country) return code;
  }
  problem =
      fmt::format("'{}' is not an ISO 3166 country code (e.g. HU, AT, DE)", std::string(text));
  return std::nullopt;
}

std::optional<std::string> NormalizeCurrencyCode(std::string_view text, std::string& problem) {
  const std::string code = Upper(Trimmed(text));
  if (code.size() == 3 &&
      std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    const UChar currency[4] = {static_cast<UChar>(code[0]), static_cast<UChar>(code[1]),
                               static_cast<UChar>(code[2]), 0};
    if (ucurr_getNumericCode(currency) != 0) return code;
  }
  problem = fmt::format("'{}' is not an ISO 4217 currency code (e.g. HUF, EUR)", std::string(text));
  return std::nullopt;
}

std::optional<std::string> NormalizeDefaultCurrency(std::string_view text, std::string& problem) {
  const std::string code = Upper(Trimmed(text));
  if (code.empty() || kernel::IsSupportedCurrency(code)) return code;
  problem = fmt::format("'{}' is not a currency Karton prices in (HUF, EUR)", std::string(text));
  return std::nullopt;
}

const std::vector<std::string>& SupportedLanguages() {
  static const std::vector<std::string> kLanguages = {"hu", "en"};
  return kLanguages;
}

std::optional<std::string> NormalizeLanguage(std::string_view text, std::string& problem) {
  const std::string tag = Lower(Trimmed(text));
  const auto& languages = SupportedLanguages();
  if (tag.empty() || std::find(languages.begin(), languages.end(), tag) != languages.end()) {
    return tag;
  }
  std::string list;
  for (const auto& language : languages) list += (list.empty() ? "" : ", ") + language;
  problem =
      fmt::format("'{}' is not a language documents are written in ({})", std::string(text), list);
  return std::nullopt;
}

bool IsValidDate(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29) return leap;
  return day <= kDays[static_cast<std::size_t>(month - 1)];
}

bool IsValidMonthDay(std::string_view text) {
  if (text.size() != 5 || text[2] != '-' || !AllDigits(text.substr(0, 2)) ||
      !AllDigits(text.substr(3, 2))) {
    return false;
  }
  // 2000 is a leap year: 02-29 is a name day like any other.
  return IsValidDate(2000, std::stoi(std::string(text.substr(0, 2))),
                     std::stoi(std::string(text.substr(3, 2))));
}

std::optional<std::string> NormalizeTag(std::string_view text, std::string& problem) {
  const std::string tag = Lower(Trimmed(text));
  if (tag.empty() || tag.size() > 50 || tag.find(',') != std::string::npos ||
      !IsAcceptableText(tag, 50)) {
    problem = "must be 1 to 50 characters without commas";
    return std::nullopt;
  }
  return tag;
}

bool IsAcceptableText(std::string_view text, std::size_t max) {
  if (text.size() > max) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0 || c == 0) return false;  // invalid UTF-8, or a NUL PostgreSQL cannot store
  }
  return true;
}

}  // namespace karton::partners

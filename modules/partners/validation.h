// Checks and normal forms of the partner card's identifiers: Hungarian tax
// numbers, EU VAT numbers, IBANs, emails, phone numbers, country and
// currency codes. Each Normalize* returns the normal form, or nullopt and a
// problem a person can act on ("check digit is 7, not 3").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::partners {

// Strings the API accepts are bounded; longer ones are refused, not cut.
inline constexpr std::size_t kMaxShortText = 200;   // names, cities, keys
inline constexpr std::size_t kMaxLongText = 2000;   // websites, custom values
inline constexpr std::size_t kMaxPersonName = 100;  // a person's first and last name each
inline constexpr std::size_t kMaxSalutation = 30;   // "Dr.", "Prof. Dr."
inline constexpr int kMaxPaymentTermsDays = 365;

// "12345676-2-42" from "12345676242" or "12345676-2-42": eight digits whose
// last is the check digit of the first seven (weights 9 7 3 1 9 7 3), the
// VAT code 1-5, and a county code (02-20, 22-44, 51).
std::optional<std::string> NormalizeHungarianTaxNumber(std::string_view text, std::string& problem);

// "HU12345676", "ATU12345678": spaces and dots removed, upper case, the
// country prefix (EL for Greece, XI for Northern Ireland) and that country's
// format. Hungarian numbers must also pass the tax-number check digit.
std::optional<std::string> NormalizeEuVatNumber(std::string_view text, std::string& problem);

// "HU42117730161111101800000000": spaces removed, upper case, the length of
// the country (where known), and ISO 13616's mod-97 check.
std::optional<std::string> NormalizeIban(std::string_view text, std::string& problem);

// Trimmed and lower case; one "@", a dotted domain, no spaces, at most 254
// characters.
std::optional<std::string> NormalizeEmail(std::string_view text, std::string& problem);

// E.164 ("+36301234567") by libphonenumber; numbers without a country code
// are read in `default_region` ("HU").
std::optional<std::string> NormalizePhone(std::string_view text, std::string& problem,
                                          const char* default_region = "HU");

// ISO 3166-1 alpha-2 ("HU"), upper-cased; ICU's list.
std::optional<std::string> NormalizeCountryCode(std::string_view text, std::string& problem);

// ISO 4217 ("HUF"), upper-cased; ICU's list.
std::optional<std::string> NormalizeCurrencyCode(std::string_view text, std::string& problem);

// A partner's default currency: one Karton prices in (kernel::
// IsSupportedCurrency: "HUF", "EUR"), upper-cased.
std::optional<std::string> NormalizeDefaultCurrency(std::string_view text, std::string& problem);

// The languages documents can be written in ("hu", "en"), lower-cased.
const std::vector<std::string>& SupportedLanguages();
// A preferred language: one of SupportedLanguages, any case.
std::optional<std::string> NormalizeLanguage(std::string_view text, std::string& problem);

// A name day, "MM-DD" with a day that exists in that month (leap day
// allowed).
bool IsValidMonthDay(std::string_view text);

// A calendar date (year 1-9999).
bool IsValidDate(int year, int month, int day);

// Tags: trimmed, lower case, at most 50 characters, no commas.
std::optional<std::string> NormalizeTag(std::string_view text, std::string& problem);

// Valid UTF-8 of at most `max` bytes.
bool IsAcceptableText(std::string_view text, std::size_t max);

}  // namespace karton::partners

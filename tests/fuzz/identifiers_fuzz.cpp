// The partner card's identifiers from outside text (modules/partners/
// validation.cpp): Hungarian tax numbers, EU VAT numbers, IBANs, emails,
// phone numbers (libphonenumber), country and currency codes (ICU), tags,
// languages, name days. Each either gives a normal form or a problem, and
// a normal form is a fixed point: normalised again it stays the same.
//
// The first byte picks the default region of phone numbers; the rest is the
// text, given to every normaliser.
#include <string>

#include "fuzz_check.h"
#include "validation.h"

using karton::fuzz::Check;
namespace partners = karton::partners;

namespace {

using Normalizer = std::optional<std::string> (*)(std::string_view, std::string&);

void FixedPoint(const char* what, Normalizer normalize, std::string_view text) {
  std::string problem;
  const auto normal = normalize(text, problem);
  if (!normal) {
    Check(!problem.empty(), what, text);
    return;
  }
  std::string again_problem;
  const auto again = normalize(*normal, again_problem);
  Check(again && *again == *normal, what, *normal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  karton::fuzz::Input input(data, size);
  static const char* const kRegions[] = {"HU", "DE", "US", "GB", "ZZ"};
  const char* region = kRegions[input.Byte() % 5];
  const std::string_view text = input.Rest();

  FixedPoint("a tax number's normal form is one", partners::NormalizeHungarianTaxNumber, text);
  FixedPoint("an EU VAT number's normal form is one", partners::NormalizeEuVatNumber, text);
  FixedPoint("an IBAN's normal form is one", partners::NormalizeIban, text);
  FixedPoint("an email's normal form is one", partners::NormalizeEmail, text);
  FixedPoint("a country code's normal form is one", partners::NormalizeCountryCode, text);
  FixedPoint("a currency code's normal form is one", partners::NormalizeCurrencyCode, text);
  FixedPoint("a default currency's normal form is one", partners::NormalizeDefaultCurrency, text);
  FixedPoint("a language's normal form is one", partners::NormalizeLanguage, text);
  FixedPoint("a tag's normal form is one", partners::NormalizeTag, text);

  std::string problem;
  const auto phone = partners::NormalizePhone(text, problem, region);
  if (phone) {
    Check(phone->size() > 1 && (*phone)[0] == '+', "a phone number is E.164", *phone);
    std::string again_problem;
    const auto again = partners::NormalizePhone(*phone, again_problem, region);
    Check(again && *again == *phone, "an E.164 number normalises to itself", *phone);
  } else {
    Check(!problem.empty(), "a refused phone number says why", text);
  }
  (void)partners::IsValidMonthDay(text);
  (void)partners::IsAcceptableText(text, 200);
  return 0;
}

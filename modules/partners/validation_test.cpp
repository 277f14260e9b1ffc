#include "validation.h"

#include <gtest/gtest.h>

namespace karton::partners {
namespace {

std::string Ok(std::optional<std::string> value, const std::string& problem) {
  EXPECT_TRUE(value.has_value()) << problem;
  return value.value_or("");
}

TEST(HungarianTaxNumber, ChecksTheCheckDigitVatCodeAndCounty) {
  std::string problem;
  // 1234567: 9+14+9+4+45+42+21 = 144, so the check digit is 6.
  EXPECT_EQ(Ok(NormalizeHungarianTaxNumber("12345676242", problem), problem), "12345676-2-42");
  EXPECT_EQ(Ok(NormalizeHungarianTaxNumber(" 12345676-2-42 ", problem), problem), "12345676-2-42");
  EXPECT_FALSE(NormalizeHungarianTaxNumber("12345678-2-42", problem));
  EXPECT_EQ(problem, "the check digit (8th digit) is 8, it should be 6");
  EXPECT_FALSE(NormalizeHungarianTaxNumber("12345676-7-42", problem));
  EXPECT_FALSE(NormalizeHungarianTaxNumber("12345676-2-21", problem));
  EXPECT_NE(problem.find("county"), std::string::npos);
  EXPECT_FALSE(NormalizeHungarianTaxNumber("1234567", problem));
}

TEST(EuVatNumber, FollowsEachCountrysFormat) {
  std::string problem;
  EXPECT_EQ(Ok(NormalizeEuVatNumber("hu 12345676", problem), problem), "HU12345676");
  EXPECT_FALSE(NormalizeEuVatNumber("HU12345678", problem));  // bad check digit
  EXPECT_EQ(Ok(NormalizeEuVatNumber("ATU12345678", problem), problem), "ATU12345678");
  EXPECT_FALSE(NormalizeEuVatNumber("AT12345678", problem));
  EXPECT_EQ(Ok(NormalizeEuVatNumber("GR123456789", problem), problem), "EL123456789");
  EXPECT_EQ(Ok(NormalizeEuVatNumber("NL123456789B01", problem), problem), "NL123456789B01");
  EXPECT_FALSE(NormalizeEuVatNumber("US123456789", problem));
  EXPECT_NE(problem.find("prefix"), std::string::npos);
}

TEST(Iban, ChecksLengthAndMod97) {
  std::string problem;
  // Published examples.
  EXPECT_EQ(Ok(NormalizeIban("HU42 1177 3016 1111 1018 0000 0000", problem), problem),
            "HU42117730161111101800000000");
  EXPECT_EQ(Ok(NormalizeIban("de89 3704 0044 0532 0130 00", problem), problem),
            "DE89370400440532013000");
  EXPECT_FALSE(NormalizeIban("HU43117730161111101800000000", problem));
  EXPECT_NE(problem.find("check digits"), std::string::npos);
  EXPECT_FALSE(NormalizeIban("HU4211773016111110180000000", problem));
  EXPECT_NE(problem.find("28 characters"), std::string::npos);
}

TEST(EmailPhoneCountryCurrency, Normalise) {
  std::string problem;
  EXPECT_EQ(Ok(NormalizeEmail(" Info@Kovacs.HU ", problem), problem), "info@kovacs.hu");
  EXPECT_FALSE(NormalizeEmail("info@kovacs", problem));
  EXPECT_FALSE(NormalizeEmail("in fo@kovacs.hu", problem));
  EXPECT_EQ(Ok(NormalizePhone("06 30 123 4567", problem), problem), "+36301234567");
  EXPECT_EQ(Ok(NormalizePhone("+43 664 1234567", problem), problem), "+436641234567");
  EXPECT_FALSE(NormalizePhone("123", problem));
  EXPECT_EQ(Ok(NormalizeCountryCode("hu", problem), problem), "HU");
  EXPECT_FALSE(NormalizeCountryCode("XX", problem));
  EXPECT_EQ(Ok(NormalizeCurrencyCode("huf", problem), problem), "HUF");
  EXPECT_FALSE(NormalizeCurrencyCode("ABC", problem));
}

TEST(Dates, MonthDaysAndCalendarDates) {
  EXPECT_TRUE(IsValidMonthDay("02-29"));
  EXPECT_TRUE(IsValidMonthDay("12-31"));
  EXPECT_FALSE(IsValidMonthDay("02-30"));
  EXPECT_FALSE(IsValidMonthDay("13-01"));
  EXPECT_FALSE(IsValidMonthDay("3-15"));
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_FALSE(IsValidDate(0, 1, 1));
}

TEST(Text, IsBoundedValidUtf8WithoutNul) {
  EXPECT_TRUE(IsAcceptableText("Árvíztűrő tükörfúrógép", 100));
  EXPECT_FALSE(IsAcceptableText("\xC3\x28", 100));
  EXPECT_FALSE(IsAcceptableText(std::string("a\0b", 3), 100));
  EXPECT_FALSE(IsAcceptableText(std::string(101, 'a'), 100));
}

}  // namespace
}  // namespace karton::partners

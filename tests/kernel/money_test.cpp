// The money rules every pricing module shares: exact decimals, rounding
// half away from zero to whole forints or cents, VAT rates by category.
#include "karton/kernel/money.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "karton/common/v1/vat.pb.h"

namespace karton::kernel {
namespace {

TEST(ScaledDecimal, ReadsExactlyWhatIsWritten) {
  EXPECT_EQ(ParseScaledDecimal("2.5", 3), 2500);
  EXPECT_EQ(ParseScaledDecimal("0.125", 3), 125);
  EXPECT_EQ(ParseScaledDecimal("12", 2), 1200);
  EXPECT_EQ(ParseScaledDecimal("-1.5", 2), -150);
  EXPECT_EQ(ParseScaledDecimal("007.10", 2), 710);
}

TEST(ScaledDecimal, RefusesAnythingElse) {
  for (const char* text :
       {"", " 1", "1 ", "1,5", "1e3", "1.", ".5", "--1", "+1", "1.2345", "0x10", "١"}) {
    EXPECT_EQ(ParseScaledDecimal(text, 3), std::nullopt) << text;
  }
  EXPECT_EQ(ParseScaledDecimal("9223372036854775808", 0), std::nullopt);
  EXPECT_EQ(ParseScaledDecimal("9223372036854775.808", 3), std::nullopt);
  EXPECT_EQ(ParseScaledDecimal("9223372036854775.807", 3),
            std::numeric_limits<std::int64_t>::max());
}

TEST(ScaledDecimal, FormatsWithoutTrailingZeros) {
  EXPECT_EQ(FormatScaledDecimal(2500, 3), "2.5");
  EXPECT_EQ(FormatScaledDecimal(0, 3), "0");
  EXPECT_EQ(FormatScaledDecimal(125, 3), "0.125");
  EXPECT_EQ(FormatScaledDecimal(-150, 2), "-1.5");
  EXPECT_EQ(FormatScaledDecimal(7000, 3), "7");
}

TEST(VatRates, FollowTheHungarianRatesAndZeroForEveryException) {
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_STANDARD_27), 2700);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_REDUCED_18), 1800);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_REDUCED_5), 500);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_ZERO), 0);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_EXEMPT_AAM), 0);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_OUT_OF_SCOPE_EUFAD37), 0);
  EXPECT_EQ(VatRateBasisPoints(common::v1::VAT_CATEGORY_UNSPECIFIED), std::nullopt);
  EXPECT_EQ(VatRateBasisPoints(static_cast<common::v1::VatCategory>(99)), std::nullopt);
}

TEST(PriceLine, RoundsHufToWholeForintsHalfAwayFromZero) {
  // 2.5 × 19,900 Ft − 10% = 44,775 Ft; 27% of it is 12,089.25 -> 12,089.
  const auto amounts = PriceLine(2500, 1'990'000, 1000, 2700, RoundingStep("HUF"));
  EXPECT_EQ(amounts.net, 4'477'500);
  EXPECT_EQ(amounts.vat, 1'208'900);
  EXPECT_EQ(amounts.gross, 5'686'400);
  // 1 × 0.50 Ft rounds up to 1 Ft; 1 × 0.49 Ft down to 0.
  EXPECT_EQ(PriceLine(1000, 50, 0, 0, 100).net, 100);
  EXPECT_EQ(PriceLine(1000, 49, 0, 0, 100).net, 0);
  // A credit line rounds away from zero the same way.
  EXPECT_EQ(PriceLine(-1000, 50, 0, 0, 100).net, -100);
}

TEST(PriceLine, RoundsEurToCents) {
  // 3 × 12.345 EUR is not representable; 0.333 × 10.00 EUR = 3.33 EUR.
  const auto amounts = PriceLine(333, 1000, 0, 2700, RoundingStep("EUR"));
  EXPECT_EQ(amounts.net, 333);
  EXPECT_EQ(amounts.vat, 90);  // 89.91 cents
  EXPECT_EQ(amounts.gross, 423);
  // 12.5% off 1.00 EUR: 0.875 -> 0.88.
  EXPECT_EQ(PriceLine(1000, 100, 1250, 0, 1).net, 88);
}

TEST(PriceLine, ComputesHugeProductsExactlyAndRefusesOverflow) {
  // 1,000,000 units at 10^9 minor units: 10^15 minor units, exactly.
  EXPECT_EQ(PriceLine(1'000'000'000, 1'000'000'000, 0, 2700, 1).net, 1'000'000'000'000'000);
  EXPECT_THROW(PriceLine(std::numeric_limits<std::int64_t>::max(), 1'000'000'000, 0, 0, 1),
               std::overflow_error);
}

TEST(VatOn, IsComputedOnTheSumNotPerLine) {
  // Three lines of 1 Ft at 27%: per line 0.27 -> 0 each; on the sum 0.81 -> 1.
  EXPECT_EQ(VatOn(300, 2700, 100), 100);
  EXPECT_EQ(VatOn(100, 2700, 100), 0);
}

TEST(VatByCategory, SumsNetsPerCategoryInCategoryOrder) {
  const auto summary = VatByCategory({{common::v1::VAT_CATEGORY_REDUCED_5, 998'000},
                                      {common::v1::VAT_CATEGORY_STANDARD_27, 200},
                                      {common::v1::VAT_CATEGORY_STANDARD_27, 200},
                                      {common::v1::VAT_CATEGORY_STANDARD_27, 200}},
                                     100);
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary[0].vat_category, common::v1::VAT_CATEGORY_STANDARD_27);
  EXPECT_EQ(summary[0].net, 600);
  EXPECT_EQ(summary[0].vat, 200);  // 1.62 Ft -> 2 Ft
  EXPECT_EQ(summary[1].net, 998'000);
  EXPECT_EQ(summary[1].vat, 49'900);
  EXPECT_THROW(VatByCategory({{1, std::numeric_limits<std::int64_t>::max()}, {1, 1}}, 1),
               std::overflow_error);
}

TEST(ConvertAtRate, GivesTheHufValueOfAEuroAmountInWholeForints) {
  // 1,234.56 EUR at 395.12 HUF/EUR = 487,799.35 Ft -> 487,799 Ft.
  EXPECT_EQ(ConvertAtRate(123'456, 395'120'000, 100), 48'779'900);
  EXPECT_EQ(ConvertAtRate(-123'456, 395'120'000, 100), -48'779'900);
}

TEST(FormatMoney, ShowsWholeForintsAndCents) {
  EXPECT_EQ(FormatMoney(1'990'000, "HUF"), "19,900 HUF");
  EXPECT_EQ(FormatMoney(1'234'567, "EUR"), "12,345.67 EUR");
  EXPECT_EQ(FormatMoney(-5, "EUR"), "-0.05 EUR");
  EXPECT_EQ(FormatMoney(12'000'000'000, "HUF"), "120,000,000 HUF");
}

}  // namespace
}  // namespace karton::kernel

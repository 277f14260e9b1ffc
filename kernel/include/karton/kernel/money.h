// Money and exact decimals, one way for every module that prices things
// (orders, invoicing): amounts are integer minor units (fillér, cent),
// quantities and percentages exact decimals scaled to integers, and every
// rounding is half away from zero to the currency's smallest step. No
// floating point anywhere.
//
//   auto quantity = kernel::ParseScaledDecimal(line.quantity(), 3);   // "2.5" -> 2500
//   auto amounts = kernel::PriceLine(*quantity, 1'990'000, 1000, 2700,
//   kernel::RoundingStep("HUF"));
//   // 2.5 × 19,900 Ft − 10% = 44,775 Ft net, 12,089 Ft VAT (27%), 56,864 Ft gross
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace karton::common::v1 {
enum VatCategory : int;
}  // namespace karton::common::v1

namespace karton::kernel {

// "2.5" with 3 fraction digits is 2500: the decimal times 10^fraction_digits.
// A leading '-' is allowed; nothing else but digits and one '.'. nullopt for
// empty text, spaces, exponents, more fraction digits than allowed, or a
// value beyond int64.
std::optional<std::int64_t> ParseScaledDecimal(std::string_view text, int fraction_digits);

// The inverse, without trailing zeros: (2500, 3) -> "2.5", (0, 3) -> "0".
std::string FormatScaledDecimal(std::int64_t value, int fraction_digits);

// The currencies Karton prices in: "HUF" and "EUR".
bool IsSupportedCurrency(std::string_view currency_code);

// The step amounts are rounded to, in minor units: 100 for HUF (whole
// forints, as Hungarian invoices show them), 1 for EUR (a cent).
std::int64_t RoundingStep(std::string_view currency_code);

// The VAT rate in basis points (2700 is 27%): 0 for the zero rate and every
// exempt, out-of-scope or reverse-charge category; nullopt for
// VAT_CATEGORY_UNSPECIFIED and values the enum does not have.
std::optional<int> VatRateBasisPoints(common::v1::VatCategory category);

struct LineAmounts {
  std::int64_t net = 0;
  std::int64_t vat = 0;
  std::int64_t gross = 0;
};

// One line: net = quantity × unit price × (1 − discount), then VAT at the
// rate, each rounded to `step`. quantity in thousandths, unit price in minor
// units, discount in hundredths of a percent (1250 is 12.5%), rate in basis
// points. Throws std::overflow_error when the net does not fit in int64.
LineAmounts PriceLine(std::int64_t quantity_thousandths, std::int64_t unit_price_minor,
                      std::int64_t discount_hundredths_percent, int vat_rate_basis_points,
                      std::int64_t step);

// VAT on a net amount at the rate, rounded to `step`: a document's VAT per
// category is VatOn(sum of the category's nets).
std::int64_t VatOn(std::int64_t net_minor, int vat_rate_basis_points, std::int64_t step);

// One line's VAT category (a common.v1.VatCategory value) and net amount.
struct CategoryNet {
  int vat_category = 0;
  std::int64_t net = 0;
};
// A document's VAT summary row: the category's summed net and the VAT on it.
struct CategoryVat {
  int vat_category = 0;
  std::int64_t net = 0;
  std::int64_t vat = 0;
};
// The VAT summary of a document, in category order: nets summed per
// category, VAT computed on each sum (VatOn), the way Hungarian invoices
// show it. Throws std::overflow_error when a sum leaves int64.
std::vector<CategoryVat> VatByCategory(const std::vector<CategoryNet>& lines, std::int64_t step);

// An amount in another currency at `rate_millionths` (units of the target
// currency per unit of the amount's, times 10^6: 395.12 HUF/EUR is
// 395120000), in the target's minor units, rounded to `step`: the HUF
// value of a euro amount, as NAV wants VAT shown. Both currencies have two
// minor digits. Throws std::overflow_error beyond int64.
std::int64_t ConvertAtRate(std::int64_t minor_units, std::int64_t rate_millionths,
                           std::int64_t step);

// An amount for people: (1234567, "EUR") -> "12,345.67 EUR",
// (1990000, "HUF") -> "19,900 HUF" (whole forints shown without fillér).
std::string FormatMoney(std::int64_t minor_units, std::string_view currency_code);

}  // namespace karton::kernel

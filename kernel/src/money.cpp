#include "karton/kernel/money.h"

#include <limits>
#include <map>
#include <stdexcept>

#include "karton/common/v1/vat.pb.h"

namespace karton::kernel {
namespace {

// GCC's 128-bit integer: a quantity × price × discount product of two int64
// amounts fits, so a line is computed exactly before its one rounding.
__extension__ using Wide = __int128;

// numerator / denominator, rounded half away from zero to a multiple of step.
Wide RoundedQuotient(Wide numerator, Wide denominator, std::int64_t step) {
  const Wide divisor = denominator * step;
  const bool negative = (numerator < 0) != (divisor < 0);
  const Wide magnitude = numerator < 0 ? -numerator : numerator;
  const Wide divisor_magnitude = divisor < 0 ? -divisor : divisor;
  Wide quotient = magnitude / divisor_magnitude;
  if ((magnitude % divisor_magnitude) * 2 >= divisor_magnitude) ++quotient;
  return (negative ? -quotient : quotient) * step;
}

std::int64_t Narrow(Wide value) {
  if (value > std::numeric_limits<std::int64_t>::max() ||
      value < std::numeric_limits<std::int64_t>::min()) {
    throw std::overflow_error("the amount does not fit in 64 bits");
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace

std::optional<std::int64_t> ParseScaledDecimal(std::string_view text, int fraction_digits) {
  if (text.empty() || fraction_digits < 0 || fraction_digits > 9) return std::nullopt;
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const auto point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || (point != std::string_view::npos && fraction.empty()) ||
      fraction.size() > static_cast<std::size_t>(fraction_digits)) {
    return std::nullopt;
  }
  Wide value = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  }
  for (int i = 0; i < fraction_digits; ++i) {
    const std::size_t at = static_cast<std::size_t>(i);
    int digit = 0;
    if (at < fraction.size()) {
      if (fraction[at] < '0' || fraction[at] > '9') return std::nullopt;
      digit = fraction[at] - '0';
    }
    value = value * 10 + digit;
    if (value > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  }
  return static_cast<std::int64_t>(negative ? -value : value);
}

std::string FormatScaledDecimal(std::int64_t value, int fraction_digits) {
  const bool negative = value < 0;
  const Wide magnitude = negative ? -static_cast<Wide>(value) : static_cast<Wide>(value);
  Wide scale = 1;
  for (int i = 0; i < fraction_digits; ++i) scale *= 10;
  std::string whole = std::to_string(static_cast<std::uint64_t>(magnitude / scale));
  std::string fraction;
  Wide rest = magnitude % scale;
  for (int i = 0; i < fraction_digits; ++i) {
    scale /= 10;
    fraction += static_cast<char>('0' + static_cast<int>(rest / scale));
    rest %= scale;
  }
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = negative ? "-" + whole : whole;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

bool IsSupportedCurrency(std::string_view currency_code) {
  return currency_code == "HUF" || currency_code == "EUR";
}

std::int64_t RoundingStep(std::string_view currency_code) {
  return currency_code == "HUF" ? 100 : 1;
}

std::optional<int> VatRateBasisPoints(common::v1::VatCategory category) {
  switch (category) {
    case common::v1::VAT_CATEGORY_STANDARD_27:
      return 2700;
    case common::v1::VAT_CATEGORY_REDUCED_18:
      return 1800;
    case common::v1::VAT_CATEGORY_REDUCED_5:
      return 500;
    case common::v1::VAT_CATEGORY_UNSPECIFIED:
      return std::nullopt;
    default:
      if (!common::v1::VatCategory_IsValid(category)) return std::nullopt;
      return 0;
  }
}

LineAmounts PriceLine(std::int64_t quantity_thousandths, std::int64_t unit_price_minor,
                      std::int64_t discount_hundredths_percent, int vat_rate_basis_points,
                      std::int64_t step) {
  // quantity/1000 × price × (10000 − discount)/10000, rounded once.
  const Wide exact = static_cast<Wide>(quantity_thousandths) * unit_price_minor *
                     (10000 - discount_hundredths_percent);
  LineAmounts amounts;
  amounts.net = Narrow(RoundedQuotient(exact, Wide{1000} * 10000, step));
  amounts.vat = VatOn(amounts.net, vat_rate_basis_points, step);
  amounts.gross = Narrow(static_cast<Wide>(amounts.net) + amounts.vat);
  return amounts;
}

std::int64_t VatOn(std::int64_t net_minor, int vat_rate_basis_points, std::int64_t step) {
  return Narrow(
      RoundedQuotient(static_cast<Wide>(net_minor) * vat_rate_basis_points, Wide{10000}, step));
}

std::vector<CategoryVat> VatByCategory(const std::vector<CategoryNet>& lines,
                                       std::int64_t step) {
  std::map<int, Wide> nets;
  for (const auto& line : lines) nets[line.vat_category] += line.net;
  std::vector<CategoryVat> summary;
  for (const auto& [category, net] : nets) {
    const std::int64_t narrow = Narrow(net);
    const int rate =
        VatRateBasisPoints(static_cast<common::v1::VatCategory>(category)).value_or(0);
    summary.push_back({category, narrow, VatOn(narrow, rate, step)});
  }
  return summary;
}

std::int64_t ConvertAtRate(std::int64_t minor_units, std::int64_t rate_millionths,
                           std::int64_t step) {
  return Narrow(
      RoundedQuotient(static_cast<Wide>(minor_units) * rate_millionths, Wide{1000000}, step));
}

std::string FormatMoney(std::int64_t minor_units, std::string_view currency_code) {
  const bool negative = minor_units < 0;
  const Wide magnitude =
      negative ? -static_cast<Wide>(minor_units) : static_cast<Wide>(minor_units);
  std::string whole = std::to_string(static_cast<std::uint64_t>(magnitude / 100));
  for (int at = static_cast<int>(whole.size()) - 3; at > 0; at -= 3) {
    whole.insert(static_cast<std::size_t>(at), ",");
  }
  const int cents = static_cast<int>(magnitude % 100);
  std::string out = negative ? "-" + whole : whole;
  if (currency_code != "HUF" || cents != 0) {
    out += '.';
    out += static_cast<char>('0' + cents / 10);
    out += static_cast<char>('0' + cents % 10);
  }
  return out + " " + std::string(currency_code);
}

}  // namespace karton::kernel

#include "invoices/invoice_lines.h"

#include <fmt/format.h>

#include <cctype>
#include <stdexcept>

#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/money.h"
#include "karton/kernel/typed_rows.h"

namespace karton::invoicing {
namespace {

// 10 billion forints (or 100 million euros) in minor units.
constexpr std::int64_t kMaxUnitPriceMinor = 1'000'000'000'000;
constexpr std::int64_t kMaxQuantityThousandths = 1'000'000'000;

bool Add(std::int64_t& sum, std::int64_t value) {
  return !__builtin_add_overflow(sum, value, &sum);
}

void Set(common::v1::Money* money, const std::string& currency, std::int64_t minor) {
  money->set_currency_code(currency);
  money->set_minor_units(minor);
}

}  // namespace

std::string VatCategoryWord(common::v1::VatCategory category) {
  return kernel::EnumWord(*common::v1::VatCategory_descriptor(), category);
}

std::optional<std::int64_t> ParseRate(const std::string& text) {
  if (text.empty()) return 0;
  const auto rate = kernel::ParseScaledDecimal(text, 6);
  if (!rate || *rate <= 0 || *rate > 100'000'000'000) return std::nullopt;
  return rate;
}

std::vector<kernel::FieldViolation> PriceLines(
    google::protobuf::RepeatedPtrField<v1::InvoiceLine>& lines, const std::string& currency_code,
    const std::string& field_prefix) {
  std::vector<kernel::FieldViolation> violations;
  const auto refuse = [&](int index, const char* field, std::string why) {
    violations.push_back(
        {fmt::format("{}lines[{}].{}", field_prefix, index, field), std::move(why)});
  };
  if (lines.empty() || lines.size() > kMaxLines) {
    violations.push_back(
        {field_prefix + "lines", fmt::format("1 to {} lines are required", kMaxLines)});
    return violations;
  }
  struct Parsed {
    std::int64_t quantity = 0, discount = 0;
    int rate = 0;
  };
  std::vector<Parsed> parsed(static_cast<std::size_t>(lines.size()));
  for (int index = 0; index < lines.size(); ++index) {
    auto& line = lines[index];
    auto& values = parsed[static_cast<std::size_t>(index)];
    line.set_position(index + 1);
    if (line.unit().empty()) line.set_unit("db");
    if (line.description().empty() || line.description().size() > 1000) {
      refuse(index, "description", "is required, at most 1000 bytes");
    }
    if (line.unit().size() > 20) refuse(index, "unit", "at most 20 bytes");
    if (line.product_id() < 0) refuse(index, "product_id", "must not be negative");
    const auto quantity = kernel::ParseScaledDecimal(line.quantity(), 3);
    if (!quantity || *quantity == 0 || *quantity > kMaxQuantityThousandths ||
        *quantity < -kMaxQuantityThousandths) {
      refuse(index, "quantity",
             "must be a decimal other than 0 with at most 3 fraction digits, up to 1000000");
    } else {
      values.quantity = *quantity;
      line.set_quantity(kernel::FormatScaledDecimal(*quantity, 3));
    }
    if (!line.has_unit_price()) {
      refuse(index, "unit_price", "is required");
    } else {
      if (line.unit_price().currency_code().empty()) {
        line.mutable_unit_price()->set_currency_code(currency_code);
      }
      if (line.unit_price().currency_code() != currency_code) {
        refuse(index, "unit_price.currency_code",
               fmt::format("must be the invoice's currency, {}", currency_code));
      } else if (line.unit_price().minor_units() < 0 ||
                 line.unit_price().minor_units() > kMaxUnitPriceMinor) {
        refuse(index, "unit_price.minor_units", "must be from 0 to 10^12");
      }
    }
    const auto discount = kernel::ParseScaledDecimal(
        line.discount_percent().empty() ? "0" : line.discount_percent(), 2);
    if (!discount || *discount < 0 || *discount > 10000) {
      refuse(index, "discount_percent",
             "must be a decimal from 0 to 100, at most 2 fraction digits");
    } else {
      values.discount = *discount;
      line.set_discount_percent(kernel::FormatScaledDecimal(*discount, 2));
    }
    if (const auto rate = kernel::VatRateBasisPoints(line.vat_category())) {
      values.rate = *rate;
    } else {
      refuse(index, "vat_category", "is required: one of the VAT categories");
    }
  }
  if (!violations.empty()) return violations;
  const std::int64_t step = kernel::RoundingStep(currency_code);
  for (int index = 0; index < lines.size(); ++index) {
    auto& line = lines[index];
    const auto& values = parsed[static_cast<std::size_t>(index)];
    const auto amounts = kernel::PriceLine(values.quantity, line.unit_price().minor_units(),
                                           values.discount, values.rate, step);
    Set(line.mutable_net_amount(), currency_code, amounts.net);
    Set(line.mutable_vat_amount(), currency_code, amounts.vat);
    Set(line.mutable_gross_amount(), currency_code, amounts.gross);
  }
  try {
    TotalsOf(lines, currency_code, 0);
  } catch (const std::overflow_error&) {
    violations.push_back({field_prefix + "lines", "the invoice's total is too large"});
  }
  return violations;
}

v1::InvoiceTotals TotalsOf(const google::protobuf::RepeatedPtrField<v1::InvoiceLine>& lines,
                           const std::string& currency_code, std::int64_t rate_millionths) {
  std::vector<kernel::CategoryNet> nets;
  std::int64_t net = 0;
  for (const auto& line : lines) {
    nets.push_back({line.vat_category(), line.net_amount().minor_units()});
    if (!Add(net, line.net_amount().minor_units())) {
      throw std::overflow_error("the invoice's net total does not fit");
    }
  }
  v1::InvoiceTotals totals;
  std::int64_t vat = 0;
  std::int64_t vat_huf = 0;
  for (const auto& category : kernel::VatByCategory(nets, kernel::RoundingStep(currency_code))) {
    if (!Add(vat, category.vat)) throw std::overflow_error("the VAT total does not fit");
    auto* row = totals.add_vat_summary();
    row->set_vat_category(static_cast<common::v1::VatCategory>(category.vat_category));
    Set(row->mutable_net_amount(), currency_code, category.net);
    Set(row->mutable_vat_amount(), currency_code, category.vat);
    if (rate_millionths > 0) {
      const std::int64_t huf = currency_code == "HUF"
                                   ? category.vat
                                   : kernel::ConvertAtRate(category.vat, rate_millionths, 100);
      Set(row->mutable_vat_amount_huf(), "HUF", huf);
      if (!Add(vat_huf, huf)) throw std::overflow_error("the forint VAT does not fit");
    }
  }
  std::int64_t gross = net;
  if (!Add(gross, vat)) throw std::overflow_error("the gross total does not fit");
  Set(totals.mutable_net_amount(), currency_code, net);
  Set(totals.mutable_vat_amount(), currency_code, vat);
  Set(totals.mutable_gross_amount(), currency_code, gross);
  if (rate_millionths > 0) Set(totals.mutable_vat_amount_huf(), "HUF", vat_huf);
  return totals;
}

}  // namespace karton::invoicing

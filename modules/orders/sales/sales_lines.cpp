#include "sales/sales_lines.h"

#include <fmt/format.h>

#include <cctype>
#include <set>
#include <stdexcept>

#include "karton/common/v1/vat.pb.h"
#include "karton/kernel/money.h"
#include "karton/kernel/typed_rows.h"

namespace karton::orders {
namespace {

// 100 Ft -> "100 HUF" for people.
std::string Amount(std::int64_t minor, const std::string& currency) {
  return kernel::FormatMoney(minor, currency);
}

bool Add(std::int64_t& sum, std::int64_t value) {
  return !__builtin_add_overflow(sum, value, &sum);
}

}  // namespace

std::string VatCategoryWord(common::v1::VatCategory category) {
  return kernel::EnumWord(*common::v1::VatCategory_descriptor(), category);
}

common::v1::VatCategory VatCategoryOfWord(const std::string& word) {
  return static_cast<common::v1::VatCategory>(
      kernel::EnumValueOfWord(*common::v1::VatCategory_descriptor(), word).value_or(0));
}

std::vector<std::int64_t> ProductIdsOf(
    const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines) {
  std::set<std::int64_t> ids;
  for (const auto& line : lines) {
    if (line.product_id() > 0) ids.insert(line.product_id());
  }
  return {ids.begin(), ids.end()};
}

std::vector<kernel::FieldViolation> PriceLines(
    google::protobuf::RepeatedPtrField<v1::SalesLine>& lines, const std::string& currency_code,
    const std::map<std::int64_t, PricedProduct>& products, const std::string& field_prefix) {
  std::vector<kernel::FieldViolation> violations;
  const auto refuse = [&](int index, const char* field, std::string why) {
    violations.push_back(
        {fmt::format("{}lines[{}].{}", field_prefix, index, field), std::move(why)});
  };
  if (lines.empty()) {
    violations.push_back({field_prefix + "lines", "at least one line is required"});
    return violations;
  }
  if (lines.size() > kMaxLines) {
    violations.push_back({field_prefix + "lines", fmt::format("at most {} lines", kMaxLines)});
    return violations;
  }
  struct Parsed {
    std::int64_t quantity = 0;
    std::int64_t discount = 0;
    int rate = 0;
  };
  std::vector<Parsed> parsed(static_cast<std::size_t>(lines.size()));
  for (int index = 0; index < lines.size(); ++index) {
    v1::SalesLine& line = lines[index];
    Parsed& values = parsed[static_cast<std::size_t>(index)];
    line.set_position(index + 1);
    line.clear_net_amount();
    line.clear_vat_amount();
    line.clear_gross_amount();
    const PricedProduct* product = nullptr;
    if (line.product_id() < 0) {
      refuse(index, "product_id", "must be a product id or 0 for a free-text line");
    } else if (line.product_id() > 0) {
      const auto found = products.find(line.product_id());
      if (found == products.end()) {
        refuse(index, "product_id", fmt::format("there is no product {}", line.product_id()));
      } else if (!found->second.active) {
        refuse(index, "product_id",
               fmt::format("product {} ({}) is inactive", line.product_id(), found->second.name));
      } else {
        product = &found->second;
      }
    }
    // Defaults from the product.
    if (product != nullptr) {
      if (line.description().empty()) line.set_description(product->name);
      if (line.unit().empty()) line.set_unit(product->unit);
      if (line.vat_category() == common::v1::VAT_CATEGORY_UNSPECIFIED) {
        line.set_vat_category(product->vat_category);
      }
      if (!line.has_unit_price() && product->unit_price_minor) {
        line.mutable_unit_price()->set_currency_code(currency_code);
        line.mutable_unit_price()->set_minor_units(*product->unit_price_minor);
      }
    }
    if (line.unit().empty()) line.set_unit("db");
    // A line naming a product that cannot be used has said what is wrong
    // with it: the fields the product would have filled are not named too.
    const bool unusable_product = line.product_id() != 0 && product == nullptr;
    if (line.description().empty()) {
      if (!unusable_product) {
        refuse(index, "description", "is required on a line without a product");
      }
    } else if (line.description().size() > 1000) {
      refuse(index, "description", "at most 1000 bytes");
    }
    if (line.unit().size() > 20) refuse(index, "unit", "at most 20 bytes");

    const auto quantity = kernel::ParseScaledDecimal(line.quantity(), 3);
    if (line.quantity().empty()) {
      refuse(index, "quantity", "is required");
    } else if (!quantity) {
      refuse(index, "quantity", "must be a decimal with at most 3 fraction digits, like 2.5");
    } else if (*quantity <= 0 || *quantity > kMaxQuantityThousandths) {
      refuse(index, "quantity", "must be above 0 and at most 1000000");
    } else {
      values.quantity = *quantity;
      line.set_quantity(kernel::FormatScaledDecimal(*quantity, 3));
    }

    if (!line.has_unit_price()) {
      if (!unusable_product)
        refuse(index, "unit_price",
               product != nullptr
                   ? fmt::format("product {} has no price in {} for this partner; give one",
                                 product->id, currency_code)
                   : std::string("is required on a line without a product"));
    } else if (line.unit_price().currency_code().empty()) {
      line.mutable_unit_price()->set_currency_code(currency_code);
    }
    if (line.has_unit_price()) {
      if (line.unit_price().currency_code() != currency_code) {
        refuse(index, "unit_price.currency_code",
               fmt::format("must be the document's currency, {}", currency_code));
      } else if (line.unit_price().minor_units() < 0 ||
                 line.unit_price().minor_units() > kMaxUnitPriceMinor) {
        refuse(index, "unit_price.minor_units",
               fmt::format("must be from 0 to {}", Amount(kMaxUnitPriceMinor, currency_code)));
      }
    }

    const std::string discount_text =
        line.discount_percent().empty() ? "0" : line.discount_percent();
    const auto discount = kernel::ParseScaledDecimal(discount_text, 2);
    if (!discount || *discount < 0 || *discount > 10000) {
      refuse(index, "discount_percent",
             "must be a decimal from 0 to 100 with at most 2 fraction digits");
    } else {
      values.discount = *discount;
      line.set_discount_percent(kernel::FormatScaledDecimal(*discount, 2));
    }

    const auto rate = kernel::VatRateBasisPoints(line.vat_category());
    if (!rate && unusable_product && line.vat_category() == common::v1::VAT_CATEGORY_UNSPECIFIED) {
      // named with the product already
    } else if (!rate) {
      refuse(index, "vat_category",
             line.vat_category() == common::v1::VAT_CATEGORY_UNSPECIFIED
                 ? "is required on a line without a product"
                 : "is not a VAT category");
    } else {
      values.rate = *rate;
    }
  }
  if (!violations.empty()) return violations;

  const std::int64_t step = kernel::RoundingStep(currency_code);
  for (int index = 0; index < lines.size(); ++index) {
    v1::SalesLine& line = lines[index];
    const Parsed& values = parsed[static_cast<std::size_t>(index)];
    const auto amounts = kernel::PriceLine(values.quantity, line.unit_price().minor_units(),
                                           values.discount, values.rate, step);
    for (auto [money, minor] : {std::pair{line.mutable_net_amount(), amounts.net},
                                std::pair{line.mutable_vat_amount(), amounts.vat},
                                std::pair{line.mutable_gross_amount(), amounts.gross}}) {
      money->set_currency_code(currency_code);
      money->set_minor_units(minor);
    }
  }
  try {
    TotalsOf(lines, currency_code);
  } catch (const std::overflow_error&) {
    violations.push_back({field_prefix + "lines", "the document's total is too large"});
  }
  return violations;
}

v1::SalesTotals TotalsOf(const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines,
                         const std::string& currency_code) {
  std::vector<kernel::CategoryNet> nets;
  std::int64_t net = 0;
  for (const auto& line : lines) {
    nets.push_back({line.vat_category(), line.net_amount().minor_units()});
    if (!Add(net, line.net_amount().minor_units())) {
      throw std::overflow_error("the document's net total does not fit in 64 bits");
    }
  }
  v1::SalesTotals totals;
  std::int64_t vat = 0;
  for (const auto& category : kernel::VatByCategory(nets, kernel::RoundingStep(currency_code))) {
    if (!Add(vat, category.vat)) throw std::overflow_error("the VAT total does not fit");
    auto* subtotal = totals.add_by_category();
    subtotal->set_vat_category(static_cast<common::v1::VatCategory>(category.vat_category));
    subtotal->mutable_net_amount()->set_currency_code(currency_code);
    subtotal->mutable_net_amount()->set_minor_units(category.net);
    subtotal->mutable_vat_amount()->set_currency_code(currency_code);
    subtotal->mutable_vat_amount()->set_minor_units(category.vat);
  }
  std::int64_t gross = net;
  if (!Add(gross, vat)) throw std::overflow_error("the gross total does not fit");
  for (auto [money, minor] :
       {std::pair{totals.mutable_net_amount(), net}, std::pair{totals.mutable_vat_amount(), vat},
        std::pair{totals.mutable_gross_amount(), gross}}) {
    money->set_currency_code(currency_code);
    money->set_minor_units(minor);
  }
  return totals;
}

}  // namespace karton::orders

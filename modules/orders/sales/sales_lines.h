// The lines of a quotation or an order: how a line as a client writes it
// becomes a line as stored (defaults from the product and its price, the
// amounts computed), and what a document adds up to (docs/orders.md,
// "Money"). Pure rules, no database: unit-tested in sales_lines_test.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/errors.h"
#include "karton/orders/v1/orders.pb.h"

namespace karton::orders {

inline constexpr int kMaxLines = 500;
// 1,000,000 units, in thousandths.
inline constexpr std::int64_t kMaxQuantityThousandths = 1'000'000'000;
// 10 billion forints (or 100 million euros) in minor units.
inline constexpr std::int64_t kMaxUnitPriceMinor = 1'000'000'000'000;

// A catalogue product as a line sees it, with the net unit price the
// document's partner gets in the document's currency (nullopt: none).
struct PricedProduct {
  std::int64_t id = 0;
  std::string name;
  std::string unit;
  common::v1::VatCategory vat_category = common::v1::VAT_CATEGORY_UNSPECIFIED;
  bool active = true;
  std::optional<std::int64_t> unit_price_minor;
  // The price list the price came from; 0 for the list price.
  std::int64_t price_list_id = 0;
};

// Fills each line's defaults and amounts in place (positions 1..n). Every
// problem is a violation naming the field under `field_prefix`
// ("quotation.lines[2].quantity"); `products` holds the products the lines
// name that exist. Nothing is computed when there is a violation.
std::vector<kernel::FieldViolation> PriceLines(
    google::protobuf::RepeatedPtrField<v1::SalesLine>& lines, const std::string& currency_code,
    const std::map<std::int64_t, PricedProduct>& products, const std::string& field_prefix);

// The document's totals: nets summed, VAT per category on the category's
// summed net, gross = net + VAT. Throws std::overflow_error beyond int64.
v1::SalesTotals TotalsOf(const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines,
                         const std::string& currency_code);

// The ids of the products the lines name, each once.
std::vector<std::int64_t> ProductIdsOf(
    const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines);

// How a VAT category is stored and read (typed_rows: the part after the
// enum's prefix, lower case): VAT_CATEGORY_STANDARD_27 <-> "standard_27".
std::string VatCategoryWord(common::v1::VatCategory category);
common::v1::VatCategory VatCategoryOfWord(const std::string& word);

}  // namespace karton::orders

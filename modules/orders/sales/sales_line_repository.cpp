#include "sales/sales_line_repository.h"

#include <string>
#include <vector>

#include "karton/kernel/money.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "orders_sql.h"
#include "sales/sales_lines.h"

namespace karton::orders::sales_line_repository {
namespace {

// $1: the document's id, $2: its currency.
#define KARTON_SALES_LINE_COLUMNS \
  "SELECT position, coalesce(product_id, 0) AS product_id, description, "                   \
  "trim_scale(quantity_thousandths::numeric / 1000)::text AS quantity, unit, "             \
  KARTON_ORDERS_MONEY("$2::text", "unit_price_minor", "unit_price") ", "                    \
  "trim_scale(discount_hundredths::numeric / 100)::text AS discount_percent, vat_category, " \
  KARTON_ORDERS_MONEY("$2::text", "net_minor", "net_amount") ", "                           \
  KARTON_ORDERS_MONEY("$2::text", "vat_minor", "vat_amount") ", "                           \
  KARTON_ORDERS_MONEY("$2::text", "gross_minor", "gross_amount") " FROM orders.sales_line "

const kernel::TypedQuery<v1::SalesLine> kQuotationLines(
    KARTON_SALES_LINE_COLUMNS "WHERE quotation_id = $1 ORDER BY position");
const kernel::TypedQuery<v1::SalesLine> kOrderLines(KARTON_SALES_LINE_COLUMNS
                                                    "WHERE order_id = $1 ORDER BY position");

// One INSERT for every line: the columns as arrays, unnested together.
const std::string kInsertLines =
    "INSERT INTO orders.sales_line (quotation_id, order_id, position, product_id, description, "
    "quantity_thousandths, unit, unit_price_minor, discount_hundredths, vat_category, net_minor, "
    "vat_minor, gross_minor) "
    "SELECT nullif($1::bigint, 0), nullif($2::bigint, 0), l.position, nullif(l.product_id, 0), "
    "l.description, l.quantity, l.unit, l.unit_price, l.discount, l.vat_category, l.net, l.vat, "
    "l.gross FROM unnest($3::integer[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], "
    "$8::bigint[], $9::integer[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[]) "
    "AS l(position, product_id, description, quantity, unit, unit_price, discount, vat_category, "
    "net, vat, gross)";

}  // namespace

void Replace(soci::session& session, Owner owner, std::int64_t document_id,
             const google::protobuf::RepeatedPtrField<v1::SalesLine>& lines) {
  const std::string id = std::to_string(document_id);
  kernel::RunPreparedLater(session,
                           owner == Owner::kQuotation
                               ? "DELETE FROM orders.sales_line WHERE quotation_id = $1"
                               : "DELETE FROM orders.sales_line WHERE order_id = $1",
                           {id});
  std::vector<int> positions;
  std::vector<std::int64_t> products, quantities, prices, discounts, nets, vats, grosses;
  std::vector<std::string> descriptions, units, categories;
  for (const auto& line : lines) {
    positions.push_back(line.position());
    products.push_back(line.product_id());
    descriptions.push_back(line.description());
    quantities.push_back(kernel::ParseScaledDecimal(line.quantity(), 3).value_or(0));
    units.push_back(line.unit());
    prices.push_back(line.unit_price().minor_units());
    discounts.push_back(kernel::ParseScaledDecimal(line.discount_percent(), 2).value_or(0));
    categories.push_back(VatCategoryWord(line.vat_category()));
    nets.push_back(line.net_amount().minor_units());
    vats.push_back(line.vat_amount().minor_units());
    grosses.push_back(line.gross_amount().minor_units());
  }
  const bool of_quotation = owner == Owner::kQuotation;
  kernel::RunPreparedLater(
      session, kInsertLines,
      {of_quotation ? id : "0", of_quotation ? "0" : id, kernel::IntegerArrayLiteral(positions),
       kernel::IntegerArrayLiteral(products), kernel::TextArrayLiteral(descriptions),
       kernel::IntegerArrayLiteral(quantities), kernel::TextArrayLiteral(units),
       kernel::IntegerArrayLiteral(prices), kernel::IntegerArrayLiteral(discounts),
       kernel::TextArrayLiteral(categories), kernel::IntegerArrayLiteral(nets),
       kernel::IntegerArrayLiteral(vats), kernel::IntegerArrayLiteral(grosses)});
}

google::protobuf::RepeatedPtrField<v1::SalesLine> Read(soci::session& session, Owner owner,
                                                       std::int64_t document_id,
                                                       const std::string& currency_code) {
  const auto& query = owner == Owner::kQuotation ? kQuotationLines : kOrderLines;
  auto rows = query.All(session, {std::to_string(document_id), currency_code});
  google::protobuf::RepeatedPtrField<v1::SalesLine> lines;
  for (auto& row : rows) *lines.Add() = std::move(row);
  return lines;
}

}  // namespace karton::orders::sales_line_repository

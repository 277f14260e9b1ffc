#include "catalogue/product_repository.h"

#include <soci/soci.h>

#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"
#include "orders_sql.h"

namespace karton::orders::product_repository {
namespace {

#define KARTON_PRODUCT_COLUMNS                                                             \
  "p.id, p.sku, p.name, p.unit, p.vat_category, "                                          \
  "nullif(p.list_price_currency, '') AS \"list_price.currency_code\", "                    \
  "CASE WHEN p.list_price_currency <> '' THEN p.list_price_minor END "                     \
  "AS \"list_price.minor_units\", p.active, p.description, p.version::text AS "            \
  "etag, " KARTON_ORDERS_MICROS("p.create_time") " AS create_time, " KARTON_ORDERS_MICROS( \
      "p.update_time") " AS update_time"

const kernel::TypedQuery<v1::Product> kInsert(
    "INSERT INTO orders.product AS p (sku, name, unit, vat_category, list_price_currency, "
    "list_price_minor, active, description, create_time, update_time) VALUES ($1, $2, $3, $4, "
    "$5, $6::bigint, $7::boolean, $8, " KARTON_ORDERS_AT("$9") ", " KARTON_ORDERS_AT(
        "$9") ") ON CONFLICT DO NOTHING RETURNING " KARTON_PRODUCT_COLUMNS);
const kernel::TypedQuery<v1::Product> kFind("SELECT " KARTON_PRODUCT_COLUMNS
                                            " FROM orders.product p WHERE p.id = $1");
const kernel::TypedQuery<v1::Product> kFindLocked("SELECT " KARTON_PRODUCT_COLUMNS
                                                  " FROM orders.product p WHERE p.id = $1 "
                                                  "FOR UPDATE");
const kernel::TypedQuery<v1::Product> kUpdate(
    "UPDATE orders.product p SET sku = $2, name = $3, unit = $4, vat_category = $5, "
    "list_price_currency = $6, list_price_minor = $7::bigint, active = $8::boolean, "
    "description = $9, update_time = " KARTON_ORDERS_AT("$10") ", version = p.version + 1 "
    "WHERE p.id = $1 AND NOT EXISTS (SELECT 1 FROM orders.product o WHERE lower(o.sku) = "
    "lower($2) AND o.id <> $1) RETURNING " KARTON_PRODUCT_COLUMNS);
// Keyset by lower(sku); the query matches SKU or name, case-insensitively.
const kernel::TypedQuery<v1::Product> kList(
    "SELECT " KARTON_PRODUCT_COLUMNS
    " FROM orders.product p "
    "WHERE ($1 = '' OR p.sku ILIKE '%' || $1 || '%' OR p.name ILIKE '%' || $1 || '%') "
    "AND ($2::boolean OR p.active) AND lower(p.sku) > lower($3) ORDER BY lower(p.sku) LIMIT $4");

// For each product asked for: the partner's own price list first, then the
// general ones, the latest valid_from first, valid today; else the list
// price in that currency.
const std::string kPriced =
    "WITH today AS (SELECT coalesce(nullif($6, '')::date, "
    "(to_timestamp($4::bigint / 1e6) AT TIME ZONE $5)::date) AS day) "
    "SELECT p.id, p.name, p.unit, p.vat_category, p.active, "
    "coalesce(src.unit_price_minor, CASE WHEN p.list_price_currency = $2 "
    "THEN p.list_price_minor END) AS unit_price, coalesce(src.price_list_id, 0) "
    "FROM orders.product p CROSS JOIN today LEFT JOIN LATERAL ("
    "SELECT i.unit_price_minor, l.id AS price_list_id FROM orders.price_list_item i "
    "JOIN orders.price_list l ON l.id = i.price_list_id "
    "WHERE i.product_id = p.id AND l.currency_code = $2 "
    "AND (l.partner_id IS NULL OR l.partner_id = $3::bigint) "
    "AND (l.valid_from IS NULL OR l.valid_from <= today.day) "
    "AND (l.valid_until IS NULL OR l.valid_until >= today.day) "
    "ORDER BY (l.partner_id IS NULL), l.valid_from DESC NULLS LAST, l.id DESC LIMIT 1) src ON true "
    "WHERE p.id = ANY($1::bigint[])";

std::vector<std::string> Params(const v1::Product& product) {
  return {product.sku(),
          product.name(),
          product.unit(),
          VatCategoryWord(product.vat_category()),
          product.has_list_price() ? product.list_price().currency_code() : "",
          std::to_string(product.has_list_price() ? product.list_price().minor_units() : 0),
          product.active() ? "true" : "false",
          product.description()};
}

}  // namespace

std::optional<v1::Product> Insert(soci::session& session, const v1::Product& product,
                                  kernel::TimePoint now) {
  auto params = Params(product);
  params.push_back(std::to_string(kernel::ToEpochMicros(now)));
  std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  return kInsert.One(session, bound);
}

std::optional<v1::Product> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {std::to_string(id)});
}

std::optional<v1::Product> Update(soci::session& session, const v1::Product& product,
                                  kernel::TimePoint now) {
  auto params = Params(product);
  params.insert(params.begin(), std::to_string(product.id()));
  params.push_back(std::to_string(kernel::ToEpochMicros(now)));
  std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  return kUpdate.One(session, bound);
}

std::vector<v1::Product> List(soci::session& session, const ListFilter& filter,
                              const std::string& after_sku, int limit) {
  return kList.All(session, {filter.query, filter.include_inactive ? "true" : "false", after_sku,
                             std::to_string(limit)});
}

std::map<std::int64_t, PricedProduct> Priced(soci::session& session,
                                             const std::vector<std::int64_t>& ids,
                                             std::int64_t partner_id,
                                             const std::string& currency_code,
                                             kernel::TimePoint now, const std::string& time_zone,
                                             const std::string& on_date) {
  std::map<std::int64_t, PricedProduct> products;
  if (ids.empty()) return products;
  const auto rows = kernel::RunPrepared(
      session, kPriced,
      {kernel::IntegerArrayLiteral(ids), currency_code, std::to_string(partner_id),
       std::to_string(kernel::ToEpochMicros(now)), time_zone, on_date});
  for (int row = 0; row < rows.Count(); ++row) {
    PricedProduct product;
    product.id = kernel::ParseInt64(rows.Text(row, 0)).value_or(0);
    product.name = std::string(rows.Text(row, 1));
    product.unit = std::string(rows.Text(row, 2));
    product.vat_category = VatCategoryOfWord(std::string(rows.Text(row, 3)));
    product.active = rows.Text(row, 4) == "t";
    if (!rows.IsNull(row, 5)) product.unit_price_minor = kernel::ParseInt64(rows.Text(row, 5));
    product.price_list_id = kernel::ParseInt64(rows.Text(row, 6)).value_or(0);
    products.emplace(product.id, std::move(product));
  }
  return products;
}

}  // namespace karton::orders::product_repository

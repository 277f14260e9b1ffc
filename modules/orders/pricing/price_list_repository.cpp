#include "pricing/price_list_repository.h"

#include "karton/kernel/dates.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "orders_sql.h"

namespace karton::orders::price_list_repository {
namespace {

#define KARTON_PRICE_LIST_COLUMNS                                                          \
  "l.id, l.name, l.currency_code, coalesce(l.partner_id, 0) AS partner_id, l.valid_from, " \
  "l.valid_until, l.version::text AS etag, " KARTON_ORDERS_MICROS(                         \
      "l.create_time") " AS create_time, " KARTON_ORDERS_MICROS("l.update_time") " AS update_time"

const kernel::TypedQuery<v1::PriceList> kInsert(
    "INSERT INTO orders.price_list AS l (name, currency_code, partner_id, valid_from, "
    "valid_until, create_time, update_time) VALUES ($1, $2, nullif($3::bigint, 0), "
    "nullif($4, '')::date, nullif($5, '')::date, " KARTON_ORDERS_AT("$6") ", " KARTON_ORDERS_AT(
        "$6") ") RETURNING " KARTON_PRICE_LIST_COLUMNS);
const kernel::TypedQuery<v1::PriceList> kFind("SELECT " KARTON_PRICE_LIST_COLUMNS
                                              " FROM orders.price_list l WHERE l.id = $1");
const kernel::TypedQuery<v1::PriceList> kFindLocked(
    "SELECT " KARTON_PRICE_LIST_COLUMNS " FROM orders.price_list l WHERE l.id = $1 FOR UPDATE");
const kernel::TypedQuery<v1::PriceList> kUpdate(
    "UPDATE orders.price_list l SET name = $2, currency_code = $3, "
    "partner_id = nullif($4::bigint, 0), valid_from = nullif($5, '')::date, "
    "valid_until = nullif($6, '')::date, update_time = " KARTON_ORDERS_AT(
        "$7") ", version = l.version + 1 WHERE l.id = $1 RETURNING " KARTON_PRICE_LIST_COLUMNS);
const kernel::TypedQuery<v1::PriceList> kList(
    "SELECT " KARTON_PRICE_LIST_COLUMNS
    " FROM orders.price_list l "
    "WHERE ($1::bigint = 0 OR l.partner_id = $1::bigint) "
    "AND ($2::bigint = 0 OR l.id < $2::bigint) ORDER BY l.id DESC LIMIT $3");
const kernel::TypedQuery<v1::PriceListItem> kItems(
    "SELECT i.product_id, l.currency_code AS \"unit_price.currency_code\", "
    "i.unit_price_minor AS \"unit_price.minor_units\" FROM orders.price_list_item i "
    "JOIN orders.price_list l ON l.id = i.price_list_id WHERE i.price_list_id = $1 "
    "ORDER BY i.product_id");

void WriteItems(soci::session& session, const v1::PriceList& list) {
  const std::string id = std::to_string(list.id());
  kernel::RunPreparedLater(session, "DELETE FROM orders.price_list_item WHERE price_list_id = $1",
                           {id});
  if (list.items().empty()) return;
  std::vector<std::int64_t> products, prices;
  for (const auto& item : list.items()) {
    products.push_back(item.product_id());
    prices.push_back(item.unit_price().minor_units());
  }
  kernel::RunPreparedLater(
      session,
      "INSERT INTO orders.price_list_item (price_list_id, product_id, unit_price_minor) "
      "SELECT $1, p, u FROM unnest($2::bigint[], $3::bigint[]) AS i(p, u)",
      {id, kernel::IntegerArrayLiteral(products), kernel::IntegerArrayLiteral(prices)});
}

}  // namespace

v1::PriceList Insert(soci::session& session, const v1::PriceList& list, kernel::TimePoint now) {
  auto created = *kInsert.One(
      session, {list.name(), list.currency_code(), std::to_string(list.partner_id()),
                kernel::DateText(list.valid_from()), kernel::DateText(list.valid_until()),
                std::to_string(kernel::ToEpochMicros(now))});
  *created.mutable_items() = list.items();
  WriteItems(session, created);
  return created;
}

std::optional<v1::PriceList> Find(soci::session& session, std::int64_t id, bool lock) {
  auto found = (lock ? kFindLocked : kFind).One(session, {std::to_string(id)});
  if (!found) return found;
  for (auto& item : kItems.All(session, {std::to_string(id)})) {
    *found->add_items() = std::move(item);
  }
  return found;
}

v1::PriceList Update(soci::session& session, const v1::PriceList& list, kernel::TimePoint now) {
  auto updated = *kUpdate.One(
      session, {std::to_string(list.id()), list.name(), list.currency_code(),
                std::to_string(list.partner_id()), kernel::DateText(list.valid_from()),
                kernel::DateText(list.valid_until()), std::to_string(kernel::ToEpochMicros(now))});
  *updated.mutable_items() = list.items();
  WriteItems(session, updated);
  return updated;
}

std::vector<v1::PriceList> List(soci::session& session, std::int64_t partner_id,
                                std::int64_t before_id, int limit) {
  return kList.All(session,
                   {std::to_string(partner_id), std::to_string(before_id), std::to_string(limit)});
}

std::vector<std::int64_t> ExistingProducts(soci::session& session,
                                           const std::vector<std::int64_t>& product_ids) {
  std::vector<std::int64_t> existing;
  if (product_ids.empty()) return existing;
  const auto rows =
      kernel::RunPrepared(session, "SELECT id FROM orders.product WHERE id = ANY($1::bigint[])",
                          {kernel::IntegerArrayLiteral(product_ids)});
  for (int row = 0; row < rows.Count(); ++row) {
    existing.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  return existing;
}

}  // namespace karton::orders::price_list_repository

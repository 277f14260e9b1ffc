#include "orders/order_repository.h"

#include <stdexcept>

#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"
#include "orders_sql.h"

namespace karton::orders::order_repository {
namespace {

#define KARTON_ORDER_COLUMNS \
  "o.id, o.number, o.partner_id, coalesce(o.contact_id, 0) AS contact_id, "                    \
  "coalesce(o.quotation_id, 0) AS quotation_id, o.currency_code, o.state, o.note, "            \
  "coalesce(o.owner_user_id, 0) AS owner_user_id, o.cancel_reason, o.credit_override_reason, " \
  KARTON_ORDERS_MONEY("o.currency_code", "o.net_minor", "totals.net_amount") ", "              \
  KARTON_ORDERS_MONEY("o.currency_code", "o.vat_minor", "totals.vat_amount") ", "              \
  KARTON_ORDERS_MONEY("o.currency_code", "o.gross_minor", "totals.gross_amount") ", "          \
  KARTON_ORDERS_MICROS("o.confirm_time") " AS confirm_time, "                                  \
  KARTON_ORDERS_MICROS("o.ship_time") " AS ship_time, "                                        \
  KARTON_ORDERS_MICROS("o.deliver_time") " AS deliver_time, "                                  \
  KARTON_ORDERS_MICROS("o.complete_time") " AS complete_time, "                                \
  KARTON_ORDERS_MICROS("o.cancel_time") " AS cancel_time, o.version::text AS etag, "           \
  KARTON_ORDERS_MICROS("o.create_time") " AS create_time, "                                    \
  KARTON_ORDERS_MICROS("o.update_time") " AS update_time"

const kernel::TypedQuery<v1::Order> kInsert(
    "WITH next AS (SELECT nextval('orders.sales_order_id_seq') AS id) "
    "INSERT INTO orders.sales_order AS o (id, number, partner_id, contact_id, quotation_id, "
    "currency_code, note, owner_user_id, net_minor, vat_minor, gross_minor, created_by, "
    "request_id, create_time, update_time) "
    "SELECT next.id, 'RE-' || to_char(" KARTON_ORDERS_AT("$12") " AT TIME ZONE $13, 'YYYY') "
    "|| '-' || lpad(next.id::text, greatest(6, length(next.id::text)), '0'), $1, nullif($2::bigint, 0), nullif($3::bigint, 0), "
    "$4, $5, nullif($6::bigint, 0), $7::bigint, $8::bigint, $9::bigint, $10, $11, "
    KARTON_ORDERS_AT("$12") ", " KARTON_ORDERS_AT("$12") " FROM next "
    "ON CONFLICT (created_by, request_id) WHERE request_id <> '' DO NOTHING "
    "RETURNING " KARTON_ORDER_COLUMNS);
const kernel::TypedQuery<v1::Order> kFindByRequest("SELECT " KARTON_ORDER_COLUMNS
                                                   " FROM orders.sales_order o "
                                                   "WHERE o.created_by = $1 AND o.request_id = $2");
const std::string kFind =
    "SELECT " KARTON_ORDER_COLUMNS
    " FROM orders.sales_order o WHERE " KARTON_ORDERS_VISIBLE("o", "orders.order") " AND o.id = $3";
const kernel::TypedQuery<v1::Order> kFindOrder(kFind);
const kernel::TypedQuery<v1::Order> kFindLocked(kFind + " FOR UPDATE");
const kernel::TypedQuery<v1::Order> kUpdate(
    "UPDATE orders.sales_order o SET contact_id = nullif($2::bigint, 0), currency_code = $3, "
    "note = $4, owner_user_id = nullif($5::bigint, 0), net_minor = $6::bigint, "
    "vat_minor = $7::bigint, gross_minor = $8::bigint, update_time = " KARTON_ORDERS_AT(
        "$9") ", version = o.version + 1 WHERE o.id = $1 RETURNING " KARTON_ORDER_COLUMNS);
// One statement per target state, each stamping its own time column ($3);
// confirming and cancelling also write their reason ($4).
#define KARTON_ORDER_SET_STATE(assignments)                                                       \
  "UPDATE orders.sales_order o SET state = $2, " assignments ", update_time = " KARTON_ORDERS_AT( \
      "$3") ", version = o.version + 1 WHERE o.id = $1 RETURNING " KARTON_ORDER_COLUMNS
const kernel::TypedQuery<v1::Order> kConfirm(
    KARTON_ORDER_SET_STATE("credit_override_reason = $4, confirm_time = " KARTON_ORDERS_AT("$3")));
const kernel::TypedQuery<v1::Order> kShip(
    KARTON_ORDER_SET_STATE("ship_time = " KARTON_ORDERS_AT("$3")));
const kernel::TypedQuery<v1::Order> kDeliver(
    KARTON_ORDER_SET_STATE("deliver_time = " KARTON_ORDERS_AT("$3")));
const kernel::TypedQuery<v1::Order> kComplete(
    KARTON_ORDER_SET_STATE("complete_time = " KARTON_ORDERS_AT("$3")));
const kernel::TypedQuery<v1::Order> kCancel(
    KARTON_ORDER_SET_STATE("cancel_reason = $4, cancel_time = " KARTON_ORDERS_AT("$3")));
const kernel::TypedQuery<v1::Order> kList(
    "SELECT " KARTON_ORDER_COLUMNS " FROM orders.sales_order o WHERE "
    KARTON_ORDERS_VISIBLE("o", "orders.order")
    " AND ($3::bigint = 0 OR o.partner_id = $3::bigint) AND ($4 = '' OR o.state = $4) "
    "AND ($5::bigint = 0 OR o.owner_user_id = $5::bigint) "
    "AND ($6::bigint = 0 OR o.id < $6::bigint) ORDER BY o.id DESC LIMIT $7");

const kernel::TypedQuery<v1::Order> kListOpen(
    "SELECT " KARTON_ORDER_COLUMNS " FROM orders.sales_order o WHERE "
    KARTON_ORDERS_VISIBLE("o", "orders.order")
    " AND o.partner_id = $3::bigint AND o.state IN ('draft', 'confirmed', 'shipped', 'delivered') "
    "ORDER BY o.id DESC LIMIT $4");
const std::string kOpenGross =
    "SELECT o.currency_code, sum(o.gross_minor)::bigint FROM orders.sales_order o WHERE "
    KARTON_ORDERS_VISIBLE("o", "orders.order")
    " AND o.partner_id = $3::bigint AND o.state IN ('draft', 'confirmed', 'shipped', 'delivered') "
    "GROUP BY o.currency_code ORDER BY o.currency_code";

std::string Text(std::int64_t value) { return std::to_string(value); }

}  // namespace

std::optional<v1::Order> Insert(soci::session& session, const v1::Order& order,
                                std::int64_t created_by, const std::string& request_id,
                                kernel::TimePoint now, const std::string& time_zone) {
  const auto& totals = order.totals();
  return kInsert.One(
      session, {Text(order.partner_id()), Text(order.contact_id()), Text(order.quotation_id()),
                order.currency_code(), order.note(), Text(order.owner_user_id()),
                Text(totals.net_amount().minor_units()), Text(totals.vat_amount().minor_units()),
                Text(totals.gross_amount().minor_units()), Text(created_by), request_id,
                Text(kernel::ToEpochMicros(now)), time_zone});
}

std::optional<v1::Order> FindByRequest(soci::session& session, std::int64_t created_by,
                                       const std::string& request_id) {
  return kFindByRequest.One(session, {Text(created_by), request_id});
}

std::optional<v1::Order> Find(soci::session& session, std::int64_t id, const Visibility& visibility,
                              bool lock) {
  return (lock ? kFindLocked : kFindOrder)
      .One(session, {visibility.Word(), visibility.User(), Text(id)});
}

v1::Order Update(soci::session& session, const v1::Order& order, kernel::TimePoint now) {
  const auto& totals = order.totals();
  return *kUpdate.One(
      session, {Text(order.id()), Text(order.contact_id()), order.currency_code(), order.note(),
                Text(order.owner_user_id()), Text(totals.net_amount().minor_units()),
                Text(totals.vat_amount().minor_units()), Text(totals.gross_amount().minor_units()),
                Text(kernel::ToEpochMicros(now))});
}

v1::Order SetState(soci::session& session, std::int64_t id, const std::string& state,
                   const std::string& reason, kernel::TimePoint now) {
  const std::string at = Text(kernel::ToEpochMicros(now));
  if (state == "confirmed") return *kConfirm.One(session, {Text(id), state, at, reason});
  if (state == "cancelled") return *kCancel.One(session, {Text(id), state, at, reason});
  if (state == "shipped") return *kShip.One(session, {Text(id), state, at});
  if (state == "delivered") return *kDeliver.One(session, {Text(id), state, at});
  if (state == "completed") return *kComplete.One(session, {Text(id), state, at});
  throw std::logic_error("no order state " + state);
}

std::vector<v1::Order> List(soci::session& session, const Visibility& visibility,
                            const ListFilter& filter, std::int64_t before_id, int limit) {
  return kList.All(session,
                   {visibility.Word(), visibility.User(), Text(filter.partner_id), filter.state,
                    Text(filter.owner_user_id), Text(before_id), Text(limit)});
}

std::vector<std::int64_t> Purchasers(soci::session& session, const Visibility& visibility,
                                     const std::vector<std::int64_t>& product_ids,
                                     long long since_us, std::int64_t after_partner_id, int limit) {
  std::string products = "{";
  for (const auto id : product_ids) products += (products.size() > 1 ? "," : "") + Text(id);
  products += "}";
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT DISTINCT o.partner_id FROM orders.sales_order o WHERE " KARTON_ORDERS_VISIBLE(
          "o", "orders.order") " AND o.state IN ('confirmed', 'shipped', 'delivered', "
                               "'completed') AND o.confirm_time IS NOT NULL "
                               "AND ($4::bigint = 0 OR o.confirm_time >= to_timestamp($4::bigint "
                               "/ 1e6)) AND o.partner_id > $5::bigint AND (cardinality($3::bigint[]) "
                               "= 0 OR EXISTS (SELECT 1 FROM orders.sales_line l WHERE l.order_id = "
                               "o.id AND l.product_id = ANY ($3::bigint[]))) "
                               "ORDER BY o.partner_id LIMIT $6",
      {visibility.Word(), visibility.User(), products, std::to_string(since_us),
       Text(after_partner_id), Text(limit)});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row) {
    ids.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  return ids;
}

std::vector<v1::Order> ListOpen(soci::session& session, const Visibility& visibility,
                                std::int64_t partner_id, int limit) {
  return kListOpen.All(session,
                       {visibility.Word(), visibility.User(), Text(partner_id), Text(limit)});
}

std::vector<std::pair<std::string, std::int64_t>> OpenGrossByCurrency(soci::session& session,
                                                                      const Visibility& visibility,
                                                                      std::int64_t partner_id) {
  const auto rows = kernel::RunPrepared(session, kOpenGross,
                                        {visibility.Word(), visibility.User(), Text(partner_id)});
  std::vector<std::pair<std::string, std::int64_t>> sums;
  for (int row = 0; row < rows.Count(); ++row) {
    sums.emplace_back(std::string(rows.Text(row, 0)),
                      kernel::ParseInt64(rows.Text(row, 1)).value_or(0));
  }
  return sums;
}

std::int64_t OpenOrdersGross(soci::session& session, std::int64_t partner_id,
                             const std::string& currency_code, std::int64_t except_id) {
  const auto rows =
      kernel::RunPrepared(session,
                          "SELECT coalesce(sum(gross_minor), 0)::bigint FROM orders.sales_order "
                          "WHERE partner_id = $1 AND currency_code = $2 AND id <> $3 "
                          "AND state IN ('confirmed', 'shipped', 'delivered')",
                          {Text(partner_id), currency_code, Text(except_id)});
  return kernel::ParseInt64(rows.Text(0, 0)).value_or(0);
}

}  // namespace karton::orders::order_repository

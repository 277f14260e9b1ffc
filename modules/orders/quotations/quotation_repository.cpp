#include "quotations/quotation_repository.h"

#include "karton/kernel/dates.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"
#include "orders_sql.h"

namespace karton::orders::quotation_repository {
namespace {

#define KARTON_QUOTATION_COLUMNS \
  "q.id, q.number, q.partner_id, coalesce(q.contact_id, 0) AS contact_id, "                   \
  "coalesce(q.opportunity_id, 0) AS opportunity_id, q.currency_code, q.state, q.valid_until, " \
  "q.note, coalesce(q.owner_user_id, 0) AS owner_user_id, coalesce(q.order_id, 0) AS order_id, " \
  "q.reject_reason, " KARTON_ORDERS_MONEY("q.currency_code", "q.net_minor",                   \
                                          "totals.net_amount") ", "                           \
  KARTON_ORDERS_MONEY("q.currency_code", "q.vat_minor", "totals.vat_amount") ", "             \
  KARTON_ORDERS_MONEY("q.currency_code", "q.gross_minor", "totals.gross_amount") ", "         \
  "q.version::text AS etag, " KARTON_ORDERS_MICROS("q.create_time") " AS create_time, "       \
  KARTON_ORDERS_MICROS("q.update_time") " AS update_time, "                                 \
  KARTON_ORDERS_MICROS("q.sent_time") " AS sent_time, "                                     \
  "coalesce(q.sent_message_id, 0) AS sent_message_id"

const kernel::TypedQuery<v1::Quotation> kInsert(
    "WITH next AS (SELECT nextval('orders.quotation_id_seq') AS id) "
    "INSERT INTO orders.quotation AS q (id, number, partner_id, contact_id, opportunity_id, "
    "currency_code, valid_until, note, owner_user_id, net_minor, vat_minor, gross_minor, "
    "created_by, request_id, create_time, update_time) "
    "SELECT next.id, 'AJ-' || to_char(" KARTON_ORDERS_AT("$13") " AT TIME ZONE $14, 'YYYY') "
    "|| '-' || lpad(next.id::text, greatest(6, length(next.id::text)), '0'), $1, nullif($2::bigint, 0), nullif($3::bigint, 0), "
    "$4, $5::date, $6, nullif($7::bigint, 0), $8::bigint, $9::bigint, $10::bigint, $11, $12, "
    KARTON_ORDERS_AT("$13") ", " KARTON_ORDERS_AT("$13") " FROM next "
    "ON CONFLICT (created_by, request_id) WHERE request_id <> '' DO NOTHING "
    "RETURNING " KARTON_QUOTATION_COLUMNS);
const kernel::TypedQuery<v1::Quotation> kFindByRequest(
    "SELECT " KARTON_QUOTATION_COLUMNS
    " FROM orders.quotation q "
    "WHERE q.created_by = $1 AND q.request_id = $2");
const std::string kFind =
    "SELECT " KARTON_QUOTATION_COLUMNS " FROM orders.quotation q WHERE " KARTON_ORDERS_VISIBLE(
        "q", "orders.quotation") " AND q.id = $3";
const kernel::TypedQuery<v1::Quotation> kFindQuotation(kFind);
const kernel::TypedQuery<v1::Quotation> kFindLocked(kFind + " FOR UPDATE");
const kernel::TypedQuery<v1::Quotation> kUpdate(
    "UPDATE orders.quotation q SET contact_id = nullif($2::bigint, 0), "
    "opportunity_id = nullif($3::bigint, 0), currency_code = $4, valid_until = $5::date, "
    "note = $6, owner_user_id = nullif($7::bigint, 0), net_minor = $8::bigint, "
    "vat_minor = $9::bigint, gross_minor = $10::bigint, update_time = " KARTON_ORDERS_AT(
        "$11") ", version = q.version + 1 WHERE q.id = $1 RETURNING " KARTON_QUOTATION_COLUMNS);
const kernel::TypedQuery<v1::Quotation> kSetState(
    "UPDATE orders.quotation q SET state = $2, reject_reason = $3, "
    "order_id = nullif($4::bigint, 0), update_time = " KARTON_ORDERS_AT(
        "$5") ", version = q.version + 1 WHERE q.id = $1 RETURNING " KARTON_QUOTATION_COLUMNS);
const kernel::TypedQuery<v1::Quotation> kMarkSent(
    "UPDATE orders.quotation q SET state = 'sent', sent_time = " KARTON_ORDERS_AT(
        "$3") ", sent_message_id = nullif($2::bigint, 0), update_time = " KARTON_ORDERS_AT(
        "$3") ", version = q.version + 1 WHERE q.id = $1 RETURNING " KARTON_QUOTATION_COLUMNS);
const kernel::TypedQuery<v1::Quotation> kList(
    "SELECT " KARTON_QUOTATION_COLUMNS " FROM orders.quotation q WHERE "
    KARTON_ORDERS_VISIBLE("q", "orders.quotation")
    " AND ($3::bigint = 0 OR q.partner_id = $3::bigint) AND ($4 = '' OR q.state = $4) "
    "AND ($5::bigint = 0 OR q.opportunity_id = $5::bigint) "
    "AND ($6::bigint = 0 OR q.owner_user_id = $6::bigint) "
    "AND ($7::bigint = 0 OR q.id < $7::bigint) ORDER BY q.id DESC LIMIT $8");
const kernel::TypedQuery<v1::Quotation> kListOpen(
    "SELECT " KARTON_QUOTATION_COLUMNS " FROM orders.quotation q WHERE "
    KARTON_ORDERS_VISIBLE("q", "orders.quotation")
    " AND q.partner_id = $3::bigint AND q.state IN ('draft', 'sent') "
    "ORDER BY q.id DESC LIMIT $4");
const kernel::TypedQuery<v1::Quotation> kFindOpenUntil(
    "SELECT " KARTON_QUOTATION_COLUMNS
    " FROM orders.quotation q WHERE q.id = $1 "
    "AND q.valid_until = $2::date AND q.state IN ('draft', 'sent') FOR UPDATE");

std::string Text(std::int64_t value) { return std::to_string(value); }

}  // namespace

std::optional<v1::Quotation> Insert(soci::session& session, const v1::Quotation& quotation,
                                    std::int64_t created_by, const std::string& request_id,
                                    kernel::TimePoint now, const std::string& time_zone) {
  const auto& totals = quotation.totals();
  return kInsert.One(
      session,
      {Text(quotation.partner_id()), Text(quotation.contact_id()), Text(quotation.opportunity_id()),
       quotation.currency_code(), kernel::DateText(quotation.valid_until()), quotation.note(),
       Text(quotation.owner_user_id()), Text(totals.net_amount().minor_units()),
       Text(totals.vat_amount().minor_units()), Text(totals.gross_amount().minor_units()),
       Text(created_by), request_id, Text(kernel::ToEpochMicros(now)), time_zone});
}

std::optional<v1::Quotation> FindByRequest(soci::session& session, std::int64_t created_by,
                                           const std::string& request_id) {
  return kFindByRequest.One(session, {Text(created_by), request_id});
}

std::optional<v1::Quotation> Find(soci::session& session, std::int64_t id,
                                  const Visibility& visibility, bool lock) {
  return (lock ? kFindLocked : kFindQuotation)
      .One(session, {visibility.Word(), visibility.User(), Text(id)});
}

v1::Quotation Update(soci::session& session, const v1::Quotation& quotation,
                     kernel::TimePoint now) {
  const auto& totals = quotation.totals();
  return *kUpdate.One(
      session,
      {Text(quotation.id()), Text(quotation.contact_id()), Text(quotation.opportunity_id()),
       quotation.currency_code(), kernel::DateText(quotation.valid_until()), quotation.note(),
       Text(quotation.owner_user_id()), Text(totals.net_amount().minor_units()),
       Text(totals.vat_amount().minor_units()), Text(totals.gross_amount().minor_units()),
       Text(kernel::ToEpochMicros(now))});
}

v1::Quotation SetState(soci::session& session, std::int64_t id, const std::string& state,
                       const std::string& reject_reason, std::int64_t order_id,
                       kernel::TimePoint now) {
  return *kSetState.One(
      session, {Text(id), state, reject_reason, Text(order_id), Text(kernel::ToEpochMicros(now))});
}

v1::Quotation MarkSent(soci::session& session, std::int64_t id, std::int64_t message_id,
                       kernel::TimePoint now) {
  return *kMarkSent.One(session, {Text(id), Text(message_id), Text(kernel::ToEpochMicros(now))});
}

std::vector<v1::Quotation> List(soci::session& session, const Visibility& visibility,
                                const ListFilter& filter, std::int64_t before_id, int limit) {
  return kList.All(session, {visibility.Word(), visibility.User(), Text(filter.partner_id),
                             filter.state, Text(filter.opportunity_id), Text(filter.owner_user_id),
                             Text(before_id), Text(limit)});
}

std::vector<v1::Quotation> ListOpen(soci::session& session, const Visibility& visibility,
                                    std::int64_t partner_id, int limit) {
  return kListOpen.All(session,
                       {visibility.Word(), visibility.User(), Text(partner_id), Text(limit)});
}

std::optional<v1::Quotation> FindOpenUntil(soci::session& session, std::int64_t id,
                                           const std::string& valid_until) {
  return kFindOpenUntil.One(session, {Text(id), valid_until});
}

bool MarkExpiringAnnounced(soci::session& session, std::int64_t id,
                           const std::string& valid_until) {
  return kernel::RunPrepared(session,
                             "UPDATE orders.quotation SET expiring_notice_date = valid_until "
                             "WHERE id = $1 AND valid_until = $2::date "
                             "AND expiring_notice_date IS DISTINCT FROM valid_until RETURNING id",
                             {Text(id), valid_until})
             .Count() == 1;
}

}  // namespace karton::orders::quotation_repository

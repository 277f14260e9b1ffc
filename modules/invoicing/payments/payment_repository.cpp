#include "payments/payment_repository.h"

#include <fmt/format.h>

#include "invoices/invoice_lines.h"
#include "invoicing_sql.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::invoicing::payment_repository {
namespace {

#define KARTON_PAYMENT_COLUMNS \
  "p.id, p.invoice_id, " KARTON_INVOICING_MONEY("i.currency_code", "p.amount_minor",    \
                                                "amount") ", "                          \
  "p.method, p.paid_on, p.reference, " KARTON_INVOICING_MICROS("p.create_time")         \
  " AS create_time, p.kind, coalesce(p.credit_note_id, 0) AS credit_note_id"

const kernel::TypedQuery<v1::Payment> kInsert(
    "WITH p AS (INSERT INTO invoicing.payment (invoice_id, amount_minor, method, paid_on, "
    "reference, created_by, request_id, create_time, kind) VALUES ($1, $2::bigint, $3, "
    "$4::date, $5, $6::bigint, $7, " KARTON_INVOICING_AT("$8") ", $9) "
    "ON CONFLICT (created_by, request_id) "
    "WHERE request_id <> '' DO NOTHING RETURNING *) "
    "SELECT " KARTON_PAYMENT_COLUMNS " FROM p JOIN invoicing.invoice i ON i.id = p.invoice_id");
const kernel::TypedQuery<v1::Payment> kInsertOffset(
    "WITH p AS (INSERT INTO invoicing.payment (invoice_id, amount_minor, method, paid_on, "
    "reference, created_by, request_id, create_time, kind, credit_note_id) VALUES ($1, "
    "$2::bigint, NULL, $3::date, $4, $5::bigint, $6, " KARTON_INVOICING_AT("$7") ", 'offset', "
    "$8::bigint) ON CONFLICT (created_by, request_id) "
    "WHERE request_id <> '' DO NOTHING RETURNING *) "
    "SELECT " KARTON_PAYMENT_COLUMNS " FROM p JOIN invoicing.invoice i ON i.id = p.invoice_id");
const kernel::TypedQuery<v1::Payment> kFindByRequest(
    "SELECT " KARTON_PAYMENT_COLUMNS
    " FROM invoicing.payment p JOIN invoicing.invoice i "
    "ON i.id = p.invoice_id WHERE p.created_by = $1 AND p.request_id = $2");
const kernel::TypedQuery<v1::Payment> kList(
    "SELECT " KARTON_PAYMENT_COLUMNS
    " FROM invoicing.payment p JOIN invoicing.invoice i "
    "ON i.id = p.invoice_id WHERE ($1::bigint = 0 OR p.invoice_id = $1::bigint "
    "OR p.credit_note_id = $1::bigint) "
    "AND ($2::bigint = 0 OR i.partner_id = $2::bigint) AND p.id > $3::bigint "
    "ORDER BY p.id LIMIT $4");

const kernel::TypedQuery<v1::Payment> kRecent(
    "SELECT " KARTON_PAYMENT_COLUMNS
    " FROM invoicing.payment p JOIN invoicing.invoice i ON i.id = p.invoice_id "
    "WHERE i.partner_id = $1 ORDER BY p.paid_on DESC, p.id DESC LIMIT $2");

std::string Text(std::int64_t value) { return std::to_string(value); }

}  // namespace

std::optional<v1::Payment> Insert(soci::session& session, const v1::Payment& payment,
                                  v1::PaymentKind kind, const std::string& paid_on,
                                  std::int64_t created_by, const std::string& request_id,
                                  kernel::TimePoint now) {
  const std::string method =
      payment.method() == v1::PAYMENT_METHOD_UNSPECIFIED
          ? "transfer"
          : kernel::EnumWord(*v1::PaymentMethod_descriptor(), payment.method());
  const bool refund = kind == v1::PAYMENT_KIND_REFUND;
  auto recorded =
      kInsert.One(session, {Text(payment.invoice_id()), Text(payment.amount().minor_units()),
                            method, paid_on, payment.reference(), Text(created_by), request_id,
                            Text(kernel::ToEpochMicros(now)), refund ? "refund" : "payment"});
  if (!recorded) return recorded;
  // A payment adds to what was paid; a refund, paid out, takes from it (a
  // credit note's paid_minor goes below zero, its negative open amount up
  // towards zero). Either settles the invoice when nothing stays open.
  const std::int64_t change =
      refund ? -payment.amount().minor_units() : payment.amount().minor_units();
  kernel::RunPrepared(
      session,
      "UPDATE invoicing.invoice SET paid_minor = paid_minor + $2::bigint, "
      "paid_date = CASE WHEN gross_minor - paid_minor - credited_minor - $2::bigint = 0 "
      "THEN $3::date END, "
      "update_time = " KARTON_INVOICING_AT("$4") ", version = version + 1 WHERE id = $1",
      {Text(payment.invoice_id()), Text(change), paid_on, Text(kernel::ToEpochMicros(now))});
  return recorded;
}

std::optional<v1::Payment> InsertOffset(soci::session& session, std::int64_t credit_note_id,
                                        std::int64_t invoice_id, std::int64_t amount_minor,
                                        const std::string& offset_on, const std::string& reference,
                                        std::int64_t created_by, const std::string& request_id,
                                        kernel::TimePoint now) {
  const std::string at = Text(kernel::ToEpochMicros(now));
  auto recorded =
      kInsertOffset.One(session, {Text(invoice_id), Text(amount_minor), offset_on, reference,
                                  Text(created_by), request_id, at, Text(credit_note_id)});
  if (!recorded) return recorded;
  // Credited on both, as a credit note's amount taken off its original:
  // the invoice's open amount down to zero at most, the credit note's
  // (negative) up to zero at most; each settles when nothing stays open.
  for (const auto& [id, change] :
       {std::pair{invoice_id, amount_minor}, std::pair{credit_note_id, -amount_minor}}) {
    kernel::RunPrepared(
        session,
        "UPDATE invoicing.invoice SET credited_minor = credited_minor + $2::bigint, "
        "paid_date = CASE WHEN gross_minor - paid_minor - credited_minor - $2::bigint = 0 "
        "THEN $3::date END, "
        "update_time = " KARTON_INVOICING_AT("$4") ", version = version + 1 WHERE id = $1",
        {Text(id), Text(change), offset_on, at});
  }
  return recorded;
}

std::optional<v1::Payment> FindByRequest(soci::session& session, std::int64_t created_by,
                                         const std::string& request_id) {
  return kFindByRequest.One(session, {Text(created_by), request_id});
}

std::vector<v1::Payment> List(soci::session& session, std::int64_t invoice_id,
                              std::int64_t partner_id, std::int64_t after_id, int limit) {
  return kList.All(session, {Text(invoice_id), Text(partner_id), Text(after_id), Text(limit)});
}

std::vector<v1::Payment> Recent(soci::session& session, std::int64_t partner_id, int limit) {
  return kRecent.All(session, {Text(partner_id), Text(limit)});
}

Balance BalanceOf(soci::session& session, std::int64_t partner_id, const std::string& currency_code,
                  const std::string& today) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT coalesce(sum(gross_minor - paid_minor - credited_minor) FILTER "
      "(WHERE paid_date IS NULL), 0)::bigint, "
      "coalesce(sum(gross_minor - paid_minor - credited_minor) FILTER (WHERE paid_date IS NULL "
      "AND gross_minor > 0 AND due_date < $3::date), 0)::bigint, "
      "count(*) FILTER (WHERE paid_date IS NULL), "
      "count(*) FILTER (WHERE paid_date IS NULL AND gross_minor > 0 AND due_date < $3::date), "
      // Lateness counts what the partner paid; an invoice a credit note
      // settled whole was never paid late.
      "coalesce(round(avg(greatest(paid_date - due_date, 0)) FILTER (WHERE paid_date IS NOT "
      "NULL AND paid_minor > 0)), 0)::integer, "
      "coalesce(max($3::date - due_date) FILTER (WHERE paid_date IS NULL AND gross_minor > 0 "
      "AND due_date < $3::date), 0) "
      "FROM invoicing.invoice WHERE partner_id = $1 AND currency_code = $2 AND state = 'issued'",
      {Text(partner_id), currency_code, today});
  Balance balance;
  balance.open = kernel::ParseInt64(rows.Text(0, 0)).value_or(0);
  balance.overdue = kernel::ParseInt64(rows.Text(0, 1)).value_or(0);
  balance.open_count = static_cast<int>(kernel::ParseInt64(rows.Text(0, 2)).value_or(0));
  balance.overdue_count = static_cast<int>(kernel::ParseInt64(rows.Text(0, 3)).value_or(0));
  balance.average_days_late = static_cast<int>(kernel::ParseInt64(rows.Text(0, 4)).value_or(0));
  balance.most_days_overdue = static_cast<int>(kernel::ParseInt64(rows.Text(0, 5)).value_or(0));
  return balance;
}

}  // namespace karton::invoicing::payment_repository

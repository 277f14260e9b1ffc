#include "invoices/invoice_repository.h"

#include <fmt/format.h>

#include "invoices/invoice_lines.h"
#include "invoices/invoice_parties.h"
#include "invoicing_sql.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/money.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/sharing.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"

namespace karton::invoicing::invoice_repository {
namespace {

#define KARTON_INVOICE_COLUMNS \
  "i.id, coalesce(i.number, '') AS number, i.state, i.partner_id, "                              \
  "coalesce(i.order_id, 0) AS order_id, i.currency_code, "                                       \
  "CASE WHEN i.rate_millionths > 0 THEN trim_scale(i.rate_millionths::numeric / 1000000)::text " \
  "ELSE '' END AS exchange_rate, i.issue_date, i.fulfillment_date, i.due_date, "                 \
  "i.payment_method, i.note, "                                                                   \
  KARTON_INVOICING_MONEY("i.currency_code", "i.net_minor", "totals.net_amount") ", "             \
  KARTON_INVOICING_MONEY("i.currency_code", "i.vat_minor", "totals.vat_amount") ", "             \
  KARTON_INVOICING_MONEY("i.currency_code", "i.gross_minor", "totals.gross_amount") ", "         \
  "CASE WHEN i.state = 'issued' THEN 'HUF' END AS \"totals.vat_amount_huf.currency_code\", "      \
  "CASE WHEN i.state = 'issued' THEN i.vat_huf_minor END "                                       \
  "AS \"totals.vat_amount_huf.minor_units\", "                                                   \
  KARTON_INVOICING_MONEY("i.currency_code", "i.paid_minor", "paid_amount") ", "                  \
  KARTON_INVOICING_MONEY("i.currency_code", "i.gross_minor - i.paid_minor - i.credited_minor",   \
                         "open_amount") ", "                                                     \
  "i.kind, coalesce(i.original_invoice_id, 0) AS original_invoice_id, "                          \
  "coalesce((SELECT o.number FROM invoicing.invoice o WHERE o.id = i.original_invoice_id), '') " \
  "AS original_number, coalesce(i.modification_index, 0) AS modification_index, i.reason, "      \
  "i.seller, i.buyer, "                                                                          \
  "i.version::text AS etag, " KARTON_INVOICING_MICROS("i.create_time") " AS create_time, "       \
  KARTON_INVOICING_MICROS("i.update_time") " AS update_time, "                                   \
  KARTON_INVOICING_MICROS("i.issue_time") " AS issue_time"

const kernel::TypedQuery<v1::Invoice> kInsert(
    "INSERT INTO invoicing.invoice AS i (partner_id, order_id, currency_code, rate_millionths, "
    "fulfillment_date, due_date, payment_method, note, net_minor, vat_minor, gross_minor, "
    "created_by, request_id, create_time, update_time, kind, original_invoice_id, reason) "
    "VALUES ($1, nullif($2::bigint, 0), $3, $4::bigint, nullif($5, '')::date, "
    "nullif($6, '')::date, $7, $8, $9::bigint, $10::bigint, $11::bigint, $12::bigint, $13, "
    KARTON_INVOICING_AT("$14") ", " KARTON_INVOICING_AT("$14") ", $15, "
    "nullif($16::bigint, 0), $17) ON CONFLICT (created_by, request_id) WHERE request_id <> '' DO NOTHING RETURNING "
    KARTON_INVOICE_COLUMNS);
const kernel::TypedQuery<v1::Invoice> kFindByRequest(
    "SELECT " KARTON_INVOICE_COLUMNS
    " FROM invoicing.invoice i WHERE i.created_by = $1 AND i.request_id = $2");
const kernel::TypedQuery<v1::Invoice> kFind("SELECT " KARTON_INVOICE_COLUMNS
                                            " FROM invoicing.invoice i WHERE i.id = $1");
const kernel::TypedQuery<v1::Invoice> kFindLocked(
    "SELECT " KARTON_INVOICE_COLUMNS " FROM invoicing.invoice i WHERE i.id = $1 FOR UPDATE");
const kernel::TypedQuery<v1::Invoice> kUpdate(
    "UPDATE invoicing.invoice i SET currency_code = $2, rate_millionths = $3::bigint, "
    "fulfillment_date = nullif($4, '')::date, due_date = nullif($5, '')::date, "
    "payment_method = $6, note = $7, net_minor = $8::bigint, vat_minor = $9::bigint, "
    "gross_minor = $10::bigint, update_time = " KARTON_INVOICING_AT(
        "$11") ", version = i.version + 1 WHERE i.id = $1 RETURNING " KARTON_INVOICE_COLUMNS);
const kernel::TypedQuery<v1::Invoice> kIssue(
    "UPDATE invoicing.invoice i SET state = 'issued', number = $2, issue_date = $3::date, "
    "fulfillment_date = coalesce(i.fulfillment_date, $3::date), "
    "due_date = coalesce(i.due_date, $3::date + $4::integer), vat_huf_minor = $5::bigint, "
    "seller = $7::jsonb, buyer = $8::jsonb, modification_index = nullif($9::integer, 0), "
    "line_number_offset = $10::integer, issue_time = " KARTON_INVOICING_AT("$6") ", update_time = " KARTON_INVOICING_AT(
        "$6") ", version = i.version + 1 WHERE i.id = $1 RETURNING " KARTON_INVOICE_COLUMNS);
const kernel::TypedQuery<v1::Invoice> kFindVisible(
    "SELECT " KARTON_INVOICE_COLUMNS
    " FROM invoicing.invoice i WHERE " KARTON_VISIBLE_TO("i",
                                                         "invoicing.invoice") " AND i.id = $3");
const kernel::TypedQuery<v1::Invoice> kList(
    "SELECT " KARTON_INVOICE_COLUMNS
    " FROM invoicing.invoice i WHERE " KARTON_VISIBLE_TO("i", "invoicing.invoice")
    " AND ($3::bigint = 0 OR i.partner_id = $3::bigint) AND ($4 = '' OR i.state = $4) "
    "AND (NOT $5::boolean OR (i.state = 'issued' AND i.paid_date IS NULL)) "
    "AND ($6::bigint = 0 OR i.id < $6::bigint) ORDER BY i.id DESC LIMIT $7");
// What the partner card shows: what is still owed, the oldest due first.
const kernel::TypedQuery<v1::Invoice> kListOpen(
    "SELECT " KARTON_INVOICE_COLUMNS
    " FROM invoicing.invoice i WHERE " KARTON_VISIBLE_TO("i", "invoicing.invoice")
    " AND i.partner_id = $3 AND i.state = 'issued' AND i.paid_date IS NULL "
    "AND i.gross_minor - i.paid_minor - i.credited_minor > 0 ORDER BY i.due_date, i.id LIMIT $4");
const kernel::TypedQuery<v1::InvoiceLine> kLines(
    "SELECT l.position, CASE WHEN i.kind <> 'invoice' AND i.state = 'issued' "
    "THEN i.line_number_offset + l.position ELSE 0 END AS line_number_reference, "
    "coalesce(l.product_id, 0) AS product_id, l.description, "
    "trim_scale(l.quantity_thousandths::numeric / 1000)::text AS quantity, l.unit, "
    KARTON_INVOICING_MONEY("$2::text", "l.unit_price_minor", "unit_price") ", "
    "trim_scale(l.discount_hundredths::numeric / 100)::text AS discount_percent, l.vat_category, "
    KARTON_INVOICING_MONEY("$2::text", "l.net_minor", "net_amount") ", "
    KARTON_INVOICING_MONEY("$2::text", "l.vat_minor", "vat_amount") ", "
    KARTON_INVOICING_MONEY("$2::text", "l.gross_minor", "gross_amount")
    " FROM invoicing.invoice_line l JOIN invoicing.invoice i ON i.id = l.invoice_id "
    "WHERE l.invoice_id = $1 ORDER BY l.position");

std::string Text(std::int64_t value) { return std::to_string(value); }

std::string MethodWord(v1::PaymentMethod method) {
  return method == v1::PAYMENT_METHOD_UNSPECIFIED
             ? "transfer"
             : kernel::EnumWord(*v1::PaymentMethod_descriptor(), method);
}

// Replaces the invoice's lines, at once rather than queued with the commit:
// a storno is issued in the transaction that writes it, and issuing reads
// the lines back.
void WriteLines(soci::session& session, std::int64_t invoice_id,
                const google::protobuf::RepeatedPtrField<v1::InvoiceLine>& lines) {
  const std::string id = Text(invoice_id);
  kernel::RunPrepared(session, "DELETE FROM invoicing.invoice_line WHERE invoice_id = $1", {id});
  std::vector<std::int64_t> positions, products, quantities, prices, discounts, nets, vats, grosses;
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
  kernel::RunPrepared(
      session,
      "INSERT INTO invoicing.invoice_line (invoice_id, position, product_id, description, "
      "quantity_thousandths, unit, unit_price_minor, discount_hundredths, vat_category, "
      "net_minor, vat_minor, gross_minor) SELECT $1, l.p, nullif(l.product, 0), l.d, l.q, l.u, "
      "l.price, l.discount, l.vat_category, l.net, l.vat, l.gross FROM unnest($2::integer[], "
      "$3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::integer[], "
      "$9::text[], $10::bigint[], $11::bigint[], $12::bigint[]) AS l(p, product, d, q, u, price, "
      "discount, vat_category, net, vat, gross)",
      {id, kernel::IntegerArrayLiteral(positions), kernel::IntegerArrayLiteral(products),
       kernel::TextArrayLiteral(descriptions), kernel::IntegerArrayLiteral(quantities),
       kernel::TextArrayLiteral(units), kernel::IntegerArrayLiteral(prices),
       kernel::IntegerArrayLiteral(discounts), kernel::TextArrayLiteral(categories),
       kernel::IntegerArrayLiteral(nets), kernel::IntegerArrayLiteral(vats),
       kernel::IntegerArrayLiteral(grosses)});
}

}  // namespace

std::optional<v1::Invoice> Insert(soci::session& session, const v1::Invoice& invoice,
                                  std::int64_t rate_millionths, std::int64_t created_by,
                                  const std::string& request_id, kernel::TimePoint now) {
  const auto& totals = invoice.totals();
  auto created = kInsert.One(
      session,
      {Text(invoice.partner_id()), Text(invoice.order_id()), invoice.currency_code(),
       Text(rate_millionths), kernel::DateText(invoice.fulfillment_date()),
       kernel::DateText(invoice.due_date()), MethodWord(invoice.payment_method()), invoice.note(),
       Text(totals.net_amount().minor_units()), Text(totals.vat_amount().minor_units()),
       Text(totals.gross_amount().minor_units()), Text(created_by), request_id,
       Text(kernel::ToEpochMicros(now)),
       kernel::EnumWord(*v1::InvoiceKind_descriptor(),
                        invoice.kind() == v1::INVOICE_KIND_UNSPECIFIED ? v1::INVOICE_KIND_INVOICE
                                                                       : invoice.kind()),
       Text(invoice.original_invoice_id()), invoice.reason()});
  if (created) WriteLines(session, created->id(), invoice.lines());
  return created;
}

std::optional<v1::Invoice> FindByRequest(soci::session& session, std::int64_t created_by,
                                         const std::string& request_id) {
  return kFindByRequest.One(session, {Text(created_by), request_id});
}

std::optional<v1::Invoice> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {Text(id)});
}

std::optional<std::int64_t> InvoiceOfOrder(soci::session& session, std::int64_t order_id) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT id FROM invoicing.invoice WHERE order_id = $1", {Text(order_id)});
  if (rows.Count() == 0) return std::nullopt;
  return kernel::ParseInt64(rows.Text(0, 0));
}

v1::Invoice Update(soci::session& session, const v1::Invoice& invoice, std::int64_t rate_millionths,
                   kernel::TimePoint now) {
  const auto& totals = invoice.totals();
  auto updated = *kUpdate.One(
      session, {Text(invoice.id()), invoice.currency_code(), Text(rate_millionths),
                kernel::DateText(invoice.fulfillment_date()), kernel::DateText(invoice.due_date()),
                MethodWord(invoice.payment_method()), invoice.note(),
                Text(totals.net_amount().minor_units()), Text(totals.vat_amount().minor_units()),
                Text(totals.gross_amount().minor_units()), Text(kernel::ToEpochMicros(now))});
  WriteLines(session, invoice.id(), invoice.lines());
  return updated;
}

std::string Today(soci::session& session, kernel::TimePoint now, const std::string& time_zone) {
  const auto rows =
      kernel::RunPrepared(session, "SELECT " KARTON_INVOICING_TODAY("$1", "$2") "::text",
                          {Text(kernel::ToEpochMicros(now)), time_zone});
  return std::string(rows.Text(0, 0));
}

int TakeNumber(soci::session& session, const std::string& series, int year) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO invoicing.number_series AS s (series, year, last_number) VALUES ($1, $2, 1) "
      "ON CONFLICT (series, year) DO UPDATE SET last_number = s.last_number + 1 "
      "RETURNING last_number",
      {series, Text(year)});
  return static_cast<int>(kernel::ParseInt64(rows.Text(0, 0)).value_or(0));
}

v1::Invoice Issue(soci::session& session, const Issuing& issuing, kernel::TimePoint now) {
  return *kIssue.One(session, {Text(issuing.id), issuing.number, issuing.issue_date,
                               Text(issuing.payment_terms_days), Text(issuing.vat_huf_minor),
                               Text(kernel::ToEpochMicros(now)), PartyJson(issuing.seller),
                               PartyJson(issuing.buyer), Text(issuing.modification_index),
                               Text(issuing.line_number_offset)});
}

CreditChain CreditChainOf(soci::session& session, std::int64_t original_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FILTER (WHERE i.id <> $1 AND i.state = 'issued'), "
      "coalesce((SELECT count(*) FROM invoicing.invoice_line l JOIN invoicing.invoice c "
      "ON c.id = l.invoice_id WHERE c.id = $1 OR (c.original_invoice_id = $1 "
      "AND c.state = 'issued')), 0), "
      "coalesce(max(i.number) FILTER (WHERE i.kind = 'storno' AND i.state = 'issued'), '') "
      "FROM invoicing.invoice i WHERE i.id = $1 OR i.original_invoice_id = $1",
      {Text(original_id)});
  CreditChain chain;
  chain.issued_credit_notes = static_cast<int>(kernel::ParseInt64(rows.Text(0, 0)).value_or(0));
  chain.lines = static_cast<int>(kernel::ParseInt64(rows.Text(0, 1)).value_or(0));
  chain.storno_number = std::string(rows.Text(0, 2));
  return chain;
}

std::vector<std::int64_t> IssuedModifications(soci::session& session, std::int64_t original_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT id FROM invoicing.invoice WHERE original_invoice_id = $1 "
      "AND kind = 'modification' AND state = 'issued' ORDER BY modification_index",
      {Text(original_id)});
  std::vector<std::int64_t> ids;
  for (int row = 0; row < rows.Count(); ++row) {
    ids.push_back(kernel::ParseInt64(rows.Text(row, 0)).value_or(0));
  }
  return ids;
}

std::int64_t ApplyCredit(soci::session& session, std::int64_t credit_note_id,
                         std::int64_t original_id, const std::string& on_date) {
  // What the credit note takes off: as much of its (negative) gross as is
  // open on the original, never more.
  const auto rows = kernel::RunPrepared(
      session,
      "WITH note AS (SELECT gross_minor FROM invoicing.invoice WHERE id = $1), "
      "original AS (SELECT id, greatest(gross_minor - paid_minor - credited_minor, 0) AS open "
      "FROM invoicing.invoice WHERE id = $2), "
      "applied AS (SELECT least(-note.gross_minor, original.open) AS amount FROM note, original "
      "WHERE note.gross_minor < 0), "
      "settle_original AS (UPDATE invoicing.invoice i SET credited_minor = i.credited_minor + "
      "a.amount, paid_date = CASE WHEN i.gross_minor - i.paid_minor - i.credited_minor - a.amount "
      "<= 0 THEN $3::date ELSE i.paid_date END, version = i.version + 1 FROM applied a "
      "WHERE i.id = $2 AND a.amount > 0 RETURNING a.amount), "
      "settle_note AS (UPDATE invoicing.invoice i SET credited_minor = -a.amount, "
      "paid_date = CASE WHEN i.gross_minor + a.amount >= 0 THEN $3::date END "
      "FROM applied a WHERE i.id = $1 RETURNING a.amount) "
      "SELECT coalesce((SELECT amount FROM settle_note), 0)",
      {Text(credit_note_id), Text(original_id), on_date});
  return kernel::ParseInt64(rows.Text(0, 0)).value_or(0);
}

std::optional<v1::Invoice> FindVisible(soci::session& session, std::int64_t id,
                                       const kernel::RecordVisibility& visibility) {
  return kFindVisible.One(session, {visibility.Word(), visibility.User(), Text(id)});
}

std::vector<v1::Invoice> List(soci::session& session, const kernel::RecordVisibility& visibility,
                              const ListFilter& filter, std::int64_t before_id, int limit) {
  return kList.All(session,
                   {visibility.Word(), visibility.User(), Text(filter.partner_id), filter.state,
                    filter.open_only ? "true" : "false", Text(before_id), Text(limit)});
}

std::vector<v1::Invoice> ListOpen(soci::session& session,
                                  const kernel::RecordVisibility& visibility,
                                  std::int64_t partner_id, int limit) {
  return kListOpen.All(session,
                       {visibility.Word(), visibility.User(), Text(partner_id), Text(limit)});
}

google::protobuf::RepeatedPtrField<v1::InvoiceLine> ReadLines(soci::session& session,
                                                              std::int64_t invoice_id,
                                                              const std::string& currency_code) {
  google::protobuf::RepeatedPtrField<v1::InvoiceLine> lines;
  for (auto& line : kLines.All(session, {Text(invoice_id), currency_code})) {
    *lines.Add() = std::move(line);
  }
  return lines;
}

bool MarkOverdueAnnounced(soci::session& session, std::int64_t id, const std::string& due) {
  const auto rows = kernel::RunPrepared(
      session,
      "UPDATE invoicing.invoice SET overdue_notice_date = due_date WHERE id = $1 "
      "AND state = 'issued' AND due_date = $2::date AND paid_date IS NULL "
      "AND gross_minor - paid_minor - credited_minor > 0 "
      "AND overdue_notice_date IS DISTINCT FROM due_date RETURNING id",
      {Text(id), due});
  return rows.Count() == 1;
}

std::int64_t RateOf(soci::session& session, std::int64_t invoice_id) {
  const auto rows = kernel::RunPrepared(
      session, "SELECT rate_millionths FROM invoicing.invoice WHERE id = $1", {Text(invoice_id)});
  return rows.Count() == 0 ? 0 : kernel::ParseInt64(rows.Text(0, 0)).value_or(0);
}

}  // namespace karton::invoicing::invoice_repository

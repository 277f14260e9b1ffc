// Invoices, their lines and their number series (invoicing.invoice,
// invoice_line, number_series).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "karton/kernel/clock.h"
#include "karton/kernel/sharing.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::invoicing::invoice_repository {

// Inserts a draft (lines priced already) with its lines; nullopt when the
// creator used `request_id` before.
std::optional<v1::Invoice> Insert(soci::session& session, const v1::Invoice& invoice,
                                  std::int64_t rate_millionths, std::int64_t created_by,
                                  const std::string& request_id, kernel::TimePoint now);
std::optional<v1::Invoice> FindByRequest(soci::session& session, std::int64_t created_by,
                                         const std::string& request_id);
// The header (no lines; totals without the VAT summary).
std::optional<v1::Invoice> Find(soci::session& session, std::int64_t id, bool lock = false);
// The invoice billing the order, if any.
std::optional<std::int64_t> InvoiceOfOrder(soci::session& session, std::int64_t order_id);
// Writes a draft's fields and replaces its lines.
v1::Invoice Update(soci::session& session, const v1::Invoice& invoice, std::int64_t rate_millionths,
                   kernel::TimePoint now);

// Today in `time_zone` as "YYYY-MM-DD".
std::string Today(soci::session& session, kernel::TimePoint now, const std::string& time_zone);
// The next number of `series` in `year`: the row stays locked until the
// transaction ends, and a rollback gives the number back.
int TakeNumber(soci::session& session, const std::string& series, int year);
// What issuing fixes on a draft.
struct Issuing {
  std::int64_t id = 0;
  std::string number;
  std::string issue_date;
  // Due = issue date + this, when the draft names no due date.
  int payment_terms_days = 0;
  std::int64_t vat_huf_minor = 0;
  v1::InvoiceParty seller;
  v1::InvoiceParty buyer;
  // A credit note's place in its original's chain (0 for an invoice).
  int modification_index = 0;
  int line_number_offset = 0;
};
// Makes the draft issued: its number, issue date, the defaults of the
// other dates, its forint VAT, its parties.
v1::Invoice Issue(soci::session& session, const Issuing& issuing, kernel::TimePoint now);

// An issued invoice and the credit notes that correct it.
struct CreditChain {
  // Issued credit notes so far.
  int issued_credit_notes = 0;
  // Lines of the original and of its issued credit notes.
  int lines = 0;
  // The issued storno's number, if one cancelled the invoice.
  std::string storno_number;
};
// Read with the original locked (Find(..., lock = true)), so two credit
// notes of one invoice are issued one after the other.
CreditChain CreditChainOf(soci::session& session, std::int64_t original_id);
// The original's issued modifications, in order (a storno negates them too).
std::vector<std::int64_t> IssuedModifications(soci::session& session, std::int64_t original_id);
// Takes a credit note with a negative gross off what is open on its
// original, as far as it goes, and marks what it settles; returns the
// amount taken off (0 when nothing was open).
std::int64_t ApplyCredit(soci::session& session, std::int64_t credit_note_id,
                         std::int64_t original_id, const std::string& on_date);

struct ListFilter {
  std::int64_t partner_id = 0;
  std::string state;
  bool open_only = false;
};
// What the caller sees (sharing.h): GetInvoice, ListInvoices, the PDF.
std::vector<v1::Invoice> List(soci::session& session, const kernel::RecordVisibility& visibility,
                              const ListFilter& filter, std::int64_t before_id, int limit);
std::optional<v1::Invoice> FindVisible(soci::session& session, std::int64_t id,
                                       const kernel::RecordVisibility& visibility);
// The partner's issued invoices with something open, the oldest due first.
std::vector<v1::Invoice> ListOpen(soci::session& session,
                                  const kernel::RecordVisibility& visibility,
                                  std::int64_t partner_id, int limit);

google::protobuf::RepeatedPtrField<v1::InvoiceLine> ReadLines(soci::session& session,
                                                              std::int64_t invoice_id,
                                                              const std::string& currency_code);

// Records that the invoice's overdue notice for due date `due` is
// published: false when it was already, or when the invoice is not
// issued with that due date and something open.
bool MarkOverdueAnnounced(soci::session& session, std::int64_t id, const std::string& due);

// The exchange rate stored with the invoice, in millionths (0: none).
std::int64_t RateOf(soci::session& session, std::int64_t invoice_id);

}  // namespace karton::invoicing::invoice_repository

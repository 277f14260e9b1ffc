// Invoices, their lines and their number series (invoicing.invoice,
// invoice_line, number_series).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/invoicing/v1/invoicing.pb.h"
#include "karton/kernel/clock.h"

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
// Makes the draft issued: its number, issue date, the defaults of the
// other dates, its forint VAT.
v1::Invoice Issue(soci::session& session, std::int64_t id, const std::string& number,
                  const std::string& issue_date, int payment_terms_days, std::int64_t vat_huf_minor,
                  kernel::TimePoint now);

struct ListFilter {
  std::int64_t partner_id = 0;
  std::string state;
  bool open_only = false;
};
std::vector<v1::Invoice> List(soci::session& session, const ListFilter& filter,
                              std::int64_t before_id, int limit);

google::protobuf::RepeatedPtrField<v1::InvoiceLine> ReadLines(soci::session& session,
                                                              std::int64_t invoice_id,
                                                              const std::string& currency_code);

// The exchange rate stored with the invoice, in millionths (0: none).
std::int64_t RateOf(soci::session& session, std::int64_t invoice_id);

}  // namespace karton::invoicing::invoice_repository

// Payments against invoices (invoicing.payment), and what they add up to
// per partner.
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

namespace karton::invoicing::payment_repository {

// Records the payment or refund (checked already) and adds it to the
// invoice's paid amount (a refund negatively), settling it on `paid_on`
// when nothing stays open; nullopt when the creator used `request_id`
// before.
std::optional<v1::Payment> Insert(soci::session& session, const v1::Payment& payment,
                                  v1::PaymentKind kind, const std::string& paid_on,
                                  std::int64_t created_by, const std::string& request_id,
                                  kernel::TimePoint now);
// Records an offset (checked already): `amount_minor` of the credit note's
// credit set off against the invoice, credited on both, each settling on
// `offset_on` when nothing stays open on it; nullopt when the creator used
// `request_id` before.
std::optional<v1::Payment> InsertOffset(soci::session& session, std::int64_t credit_note_id,
                                        std::int64_t invoice_id, std::int64_t amount_minor,
                                        const std::string& offset_on, const std::string& reference,
                                        std::int64_t created_by, const std::string& request_id,
                                        kernel::TimePoint now);
std::optional<v1::Payment> FindByRequest(soci::session& session, std::int64_t created_by,
                                         const std::string& request_id);
// Oldest first, ids above `after_id`: an invoice's payments and offsets
// (and a credit note's refunds and the offsets of its credit), or all of
// a partner's.
std::vector<v1::Payment> List(soci::session& session, std::int64_t invoice_id,
                              std::int64_t partner_id, std::int64_t after_id, int limit);

// The partner's latest payments, newest first.
std::vector<v1::Payment> Recent(soci::session& session, std::int64_t partner_id, int limit);

struct Balance {
  std::int64_t open = 0;
  std::int64_t overdue = 0;
  int open_count = 0;
  int overdue_count = 0;
  // Over the invoices paid in full: how many days after the due date, on
  // average, 0 for on time.
  int average_days_late = 0;
  // Of the open invoices: the most days any is past its due date.
  int most_days_overdue = 0;
};
// The partner's issued invoices in `currency_code`, as of `today`.
Balance BalanceOf(soci::session& session, std::int64_t partner_id, const std::string& currency_code,
                  const std::string& today);

}  // namespace karton::invoicing::payment_repository

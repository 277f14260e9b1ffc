// Quotations (orders.quotation); their lines are sales_line_repository's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/orders/v1/orders.pb.h"
#include "visibility.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::orders::quotation_repository {

// Inserts the header (lines and totals priced already); nullopt when
// `request_id` was used by the same creator before.
std::optional<v1::Quotation> Insert(soci::session& session, const v1::Quotation& quotation,
                                    std::int64_t created_by, const std::string& request_id,
                                    kernel::TimePoint now, const std::string& time_zone);
std::optional<v1::Quotation> FindByRequest(soci::session& session, std::int64_t created_by,
                                           const std::string& request_id);
// The header only (no lines): totals without their per-category part.
std::optional<v1::Quotation> Find(soci::session& session, std::int64_t id,
                                  const Visibility& visibility, bool lock = false);
// Writes the updatable fields and the totals.
v1::Quotation Update(soci::session& session, const v1::Quotation& quotation, kernel::TimePoint now);
// Moves it to `state` ("accepted", "rejected", "expired") with the
// reason and order it brings.
v1::Quotation SetState(soci::session& session, std::int64_t id, const std::string& state,
                       const std::string& reject_reason, std::int64_t order_id,
                       kernel::TimePoint now);

// Records that `message_id` emailed it now; a draft becomes sent.
v1::Quotation MarkSent(soci::session& session, std::int64_t id, std::int64_t message_id,
                       kernel::TimePoint now);

struct ListFilter {
  std::int64_t partner_id = 0;
  std::string state;
  std::int64_t opportunity_id = 0;
  std::int64_t owner_user_id = 0;
};
// Headers, newest first, ids below `before_id` (0: from the newest).
std::vector<v1::Quotation> List(soci::session& session, const Visibility& visibility,
                                const ListFilter& filter, std::int64_t before_id, int limit);

// The partner's draft and sent quotations, newest first (headers).
std::vector<v1::Quotation> ListOpen(soci::session& session, const Visibility& visibility,
                                    std::int64_t partner_id, int limit);

// The quotation to expire (or announce) by a job scheduled for
// `valid_until`: found only while it is still draft or sent with that
// valid_until, locked.
std::optional<v1::Quotation> FindOpenUntil(soci::session& session, std::int64_t id,
                                           const std::string& valid_until);

// Records that the expiring notice for `valid_until` goes out; false when
// it went out already.
bool MarkExpiringAnnounced(soci::session& session, std::int64_t id, const std::string& valid_until);

}  // namespace karton::orders::quotation_repository

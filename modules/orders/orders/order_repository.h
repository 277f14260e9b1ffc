// Sales orders (orders.sales_order); their lines are sales_line_repository's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/orders/v1/orders.pb.h"
#include "visibility.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::orders::order_repository {

// Inserts the header (lines and totals priced already); nullopt when
// `request_id` was used by the same creator before.
std::optional<v1::Order> Insert(soci::session& session, const v1::Order& order,
                                std::int64_t created_by, const std::string& request_id,
                                kernel::TimePoint now, const std::string& time_zone);
std::optional<v1::Order> FindByRequest(soci::session& session, std::int64_t created_by,
                                       const std::string& request_id);
// The header only (no lines).
std::optional<v1::Order> Find(soci::session& session, std::int64_t id, const Visibility& visibility,
                              bool lock = false);
// Writes the fields a draft may change, and the totals.
v1::Order Update(soci::session& session, const v1::Order& order, kernel::TimePoint now);
// Moves it to `state`, stamping that state's time; `reason` is the cancel
// reason for "cancelled", the credit override reason for "confirmed".
v1::Order SetState(soci::session& session, std::int64_t id, const std::string& state,
                   const std::string& reason, kernel::TimePoint now);

struct ListFilter {
  std::int64_t partner_id = 0;
  std::string state;
  std::int64_t owner_user_id = 0;
};
std::vector<v1::Order> List(soci::session& session, const Visibility& visibility,
                            const ListFilter& filter, std::int64_t before_id, int limit);

// The partners with a confirmed (not cancelled) order since `since_us` (0:
// ever) with a line of any of `product_ids` (empty: any), above
// `after_partner_id`, by id.
std::vector<std::int64_t> Purchasers(soci::session& session, const Visibility& visibility,
                                     const std::vector<std::int64_t>& product_ids,
                                     long long since_us, std::int64_t after_partner_id, int limit);

// The partner's orders not yet completed or cancelled, newest first
// (headers).
std::vector<v1::Order> ListOpen(soci::session& session, const Visibility& visibility,
                                std::int64_t partner_id, int limit);

// Their gross per currency, all of them: currency -> minor units.
std::vector<std::pair<std::string, std::int64_t>> OpenGrossByCurrency(soci::session& session,
                                                                      const Visibility& visibility,
                                                                      std::int64_t partner_id);

// The gross of the partner's confirmed, shipped and delivered orders in
// `currency_code`, the order `except_id` left out: what the partner is to
// pay for what it was promised and has not been invoiced yet.
std::int64_t OpenOrdersGross(soci::session& session, std::int64_t partner_id,
                             const std::string& currency_code, std::int64_t except_id);

}  // namespace karton::orders::order_repository

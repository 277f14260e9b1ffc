// Price lists and their items (orders.price_list, orders.price_list_item).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/orders/v1/orders.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::orders::price_list_repository {

// Inserts the list and its items; the items are written with the commit.
v1::PriceList Insert(soci::session& session, const v1::PriceList& list, kernel::TimePoint now);
// With its items, by product id.
std::optional<v1::PriceList> Find(soci::session& session, std::int64_t id, bool lock = false);
// Writes every updatable field and replaces the items.
v1::PriceList Update(soci::session& session, const v1::PriceList& list, kernel::TimePoint now);
// Without items, newest first, ids below `before_id` (0: from the newest).
std::vector<v1::PriceList> List(soci::session& session, std::int64_t partner_id,
                                std::int64_t before_id, int limit);
// Which of `product_ids` exist.
std::vector<std::int64_t> ExistingProducts(soci::session& session,
                                           const std::vector<std::int64_t>& product_ids);

}  // namespace karton::orders::price_list_repository

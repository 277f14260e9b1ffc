// The product catalogue's rows (orders.product).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/orders/v1/orders.pb.h"
#include "sales/sales_lines.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::orders::product_repository {

// Inserts `product` (checked already); nullopt when its SKU is taken.
std::optional<v1::Product> Insert(soci::session& session, const v1::Product& product,
                                  kernel::TimePoint now);
std::optional<v1::Product> Find(soci::session& session, std::int64_t id, bool lock = false);
// Writes every updatable field of `product`; nullopt when its SKU is taken.
std::optional<v1::Product> Update(soci::session& session, const v1::Product& product,
                                  kernel::TimePoint now);

struct ListFilter {
  std::string query;
  bool include_inactive = false;
};
// Ordered by SKU (case-insensitively), after `after_sku` ("" on the first page).
std::vector<v1::Product> List(soci::session& session, const ListFilter& filter,
                              const std::string& after_sku, int limit);

// The products `ids` names that exist, with the net unit price `partner_id`
// gets in `currency_code` on `on_date` ("YYYY-MM-DD"; "" for today in
// `time_zone`), as price_list_service.proto's ResolvePrice describes.
std::map<std::int64_t, PricedProduct> Priced(soci::session& session,
                                             const std::vector<std::int64_t>& ids,
                                             std::int64_t partner_id,
                                             const std::string& currency_code,
                                             kernel::TimePoint now, const std::string& time_zone,
                                             const std::string& on_date = "");

}  // namespace karton::orders::product_repository

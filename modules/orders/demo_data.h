// The orders module's demo data: a small heating company's catalogue, a
// general and a partner's own price list, quotations (one about to expire)
// and orders in every state (docs/orders.md).
#pragma once

#include "orders_settings.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {
class ModuleContext;
}  // namespace karton::kernel

namespace karton::orders {

void LoadOrdersDemoData(kernel::ModuleContext& context, soci::session& session,
                        const OrdersSettings& settings);

}  // namespace karton::orders

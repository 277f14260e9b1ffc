// Who sees which quotations and orders (docs/orders.md, "Who sees what"):
// the kernel's record visibility (sharing.h) under orders' names.
#pragma once

#include "karton/kernel/sharing.h"

namespace karton::orders {

using Visibility = kernel::RecordVisibility;
using kernel::VisibilityOf;

#define KARTON_ORDERS_VISIBLE(alias, resource_type) KARTON_VISIBLE_TO(alias, resource_type)

}  // namespace karton::orders

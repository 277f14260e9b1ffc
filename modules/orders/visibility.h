// Who sees which quotations and orders (docs/orders.md, "Who sees what"):
// the company's staff and kartond itself see every one; an external
// partner only those shared with them (kernel RecordGrants); nobody sees
// nothing. Repositories bind it as two parameters of one SQL condition, so
// a document out of sight is simply not found.
#pragma once

#include <cstdint>
#include <string>

#include "karton/kernel/access.h"

namespace karton::orders {

struct Visibility {
  bool everything = false;
  // Whose shares count when not everything (0: nobody's, so nothing).
  std::int64_t user_id = 0;

  std::string Word() const { return everything ? "all" : "shared"; }
  std::string User() const { return std::to_string(user_id); }

  static Visibility Everything() { return {true, 0}; }
};

inline Visibility VisibilityOf(const kernel::Caller& caller) {
  if (caller.IsInternal() || caller.IsStaff()) return Visibility::Everything();
  if (caller.IsExternalPartner()) return {false, caller.user_id};
  return {false, 0};
}

// The condition, for a table aliased `alias` holding records of
// `resource_type`, with the visibility bound at $1 (word) and $2 (user).
#define KARTON_ORDERS_VISIBLE(alias, resource_type)       \
  "($1 = 'all' OR ($1 = 'shared' AND $2::bigint > 0 AND " \
  "kernel.is_shared_with('" resource_type "', " alias ".id, $2::bigint)))"

}  // namespace karton::orders

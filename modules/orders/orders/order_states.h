// What an order may do in which state (order_service.proto): the state
// machine and the credit check's arithmetic, without a database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace karton::orders {

enum class OrderAction { kConfirm, kShip, kDeliver, kComplete, kCancel };

// The state the action leads to: "confirmed", "shipped", ...
std::string TargetState(OrderAction action);
// The event it publishes: "orders.order.confirmed", ...
std::string EventTopic(OrderAction action);
// nullopt when `action` is allowed in `current_state`; otherwise why not,
// naming the current state ("order 12 is shipped; only a confirmed order
// can be marked shipped").
std::optional<std::string> RefuseTransition(OrderAction action, const std::string& current_state,
                                            std::int64_t order_id);

// What the credit check adds up, in the limit's currency (minor units).
struct CreditPosition {
  std::int64_t limit = 0;
  std::int64_t open_orders = 0;     // confirmed, not yet completed
  std::int64_t owed_elsewhere = 0;  // what other modules say is owed (invoices)
  std::int64_t this_order = 0;
};
// By how much the position exceeds the limit; nullopt when it does not.
std::optional<std::int64_t> CreditExcess(const CreditPosition& position);

}  // namespace karton::orders

#include "orders/order_states.h"

#include <fmt/format.h>

#include <vector>

namespace karton::orders {
namespace {

struct Rule {
  const char* target;
  const char* verb;  // for the refusal: "confirmed", "marked shipped", ...
  std::vector<const char*> from;
  const char* allowed;  // for the refusal: "a draft order"
};

const Rule& RuleOf(OrderAction action) {
  static const Rule kConfirm{"confirmed", "confirmed", {"draft"}, "a draft order"};
  static const Rule kShip{"shipped", "marked shipped", {"confirmed"}, "a confirmed order"};
  static const Rule kDeliver{"delivered", "marked delivered", {"shipped"}, "a shipped order"};
  static const Rule kComplete{"completed", "completed", {"delivered"}, "a delivered order"};
  static const Rule kCancel{"cancelled",
                            "cancelled",
                            {"draft", "confirmed", "shipped"},
                            "a draft, confirmed or shipped order"};
  switch (action) {
    case OrderAction::kConfirm:
      return kConfirm;
    case OrderAction::kShip:
      return kShip;
    case OrderAction::kDeliver:
      return kDeliver;
    case OrderAction::kComplete:
      return kComplete;
    case OrderAction::kCancel:
      break;
  }
  return kCancel;
}

}  // namespace

std::string TargetState(OrderAction action) { return RuleOf(action).target; }

std::string EventTopic(OrderAction action) {
  return std::string("orders.order.") + RuleOf(action).target;
}

std::optional<std::string> RefuseTransition(OrderAction action, const std::string& current_state,
                                            std::int64_t order_id) {
  const Rule& rule = RuleOf(action);
  for (const char* from : rule.from) {
    if (current_state == from) return std::nullopt;
  }
  return fmt::format("order {} is {}; only {} can be {}", order_id, current_state, rule.allowed,
                     rule.verb);
}

std::optional<std::int64_t> CreditExcess(const CreditPosition& position) {
  std::int64_t exposure = 0;
  if (__builtin_add_overflow(position.open_orders, position.owed_elsewhere, &exposure) ||
      __builtin_add_overflow(exposure, position.this_order, &exposure)) {
    return INT64_MAX;
  }
  if (exposure <= position.limit) return std::nullopt;
  return exposure - position.limit;
}

}  // namespace karton::orders

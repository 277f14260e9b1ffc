// The order state machine and the credit check's arithmetic.
#include "orders/order_states.h"

#include <gtest/gtest.h>

namespace karton::orders {
namespace {

TEST(OrderStates, EachActionIsAllowedFromItsStatesOnly) {
  const std::vector<std::string> states = {"draft",     "confirmed", "shipped",
                                           "delivered", "completed", "cancelled"};
  const std::vector<std::pair<OrderAction, std::vector<std::string>>> allowed = {
      {OrderAction::kConfirm, {"draft"}},
      {OrderAction::kShip, {"confirmed"}},
      {OrderAction::kDeliver, {"shipped"}},
      {OrderAction::kComplete, {"delivered"}},
      {OrderAction::kCancel, {"draft", "confirmed", "shipped"}},
  };
  for (const auto& [action, from] : allowed) {
    for (const auto& state : states) {
      const bool expected = std::find(from.begin(), from.end(), state) != from.end();
      EXPECT_EQ(!RefuseTransition(action, state, 1).has_value(), expected)
          << TargetState(action) << " from " << state;
    }
  }
}

TEST(OrderStates, ARefusalNamesTheCurrentState) {
  EXPECT_EQ(RefuseTransition(OrderAction::kShip, "draft", 12),
            "order 12 is draft; only a confirmed order can be marked shipped");
  EXPECT_EQ(EventTopic(OrderAction::kDeliver), "orders.order.delivered");
}

TEST(CreditExcess, CountsOpenOrdersWhatIsOwedAndThisOrder) {
  EXPECT_EQ(
      CreditExcess({.limit = 1000, .open_orders = 300, .owed_elsewhere = 200, .this_order = 500}),
      std::nullopt);
  EXPECT_EQ(
      CreditExcess({.limit = 1000, .open_orders = 300, .owed_elsewhere = 200, .this_order = 501}),
      1);
  EXPECT_EQ(CreditExcess({.limit = 0, .open_orders = 0, .owed_elsewhere = 0, .this_order = 1}), 1);
}

}  // namespace
}  // namespace karton::orders

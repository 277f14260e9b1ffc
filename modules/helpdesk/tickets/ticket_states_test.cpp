// Which state changes ChangeState allows.
#include "tickets/ticket_states.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace karton::helpdesk {
namespace {

const std::vector<std::string> kStates = {
    "new", "open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"};

TEST(TicketStatesTest, EveryStateButNewMayBeReachedFromNewAndOpen) {
  for (const auto& from : {"new", "open"}) {
    for (const auto& to : kStates) {
      if (to == from) continue;
      EXPECT_EQ(RefuseStateChange(from, to, false).has_value(), to == "new") << from << "→" << to;
    }
  }
}

TEST(TicketStatesTest, WaitingGoesOnToTheOtherWaitingOpenResolvedOrClosed) {
  EXPECT_FALSE(RefuseStateChange("waiting_on_customer", "waiting_on_third_party", false));
  EXPECT_FALSE(RefuseStateChange("waiting_on_third_party", "open", false));
  EXPECT_FALSE(RefuseStateChange("waiting_on_customer", "resolved", false));
  EXPECT_TRUE(RefuseStateChange("waiting_on_customer", "new", false));
}

TEST(TicketStatesTest, AFinishedTicketIsReopenedOrClosedAndNothingElse) {
  EXPECT_FALSE(RefuseStateChange("resolved", "open", false));
  EXPECT_FALSE(RefuseStateChange("resolved", "closed", false));
  EXPECT_FALSE(RefuseStateChange("closed", "open", false));
  EXPECT_TRUE(RefuseStateChange("resolved", "waiting_on_customer", false));
  EXPECT_TRUE(RefuseStateChange("closed", "resolved", false));
  EXPECT_TRUE(IsReopen("resolved", "open"));
  EXPECT_TRUE(IsReopen("closed", "open"));
  EXPECT_FALSE(IsReopen("waiting_on_customer", "open"));
}

TEST(TicketStatesTest, AMergedTicketStaysClosedAndNoStateIsEnteredTwice) {
  EXPECT_EQ(*RefuseStateChange("closed", "open", true),
            "the ticket was merged into another; it stays closed");
  EXPECT_EQ(*RefuseStateChange("open", "open", false), "the ticket is open already");
}

}  // namespace
}  // namespace karton::helpdesk

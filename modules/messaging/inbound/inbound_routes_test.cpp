#include "inbound/inbound_routes.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace karton::messaging {
namespace {

TEST(InboundRoutesTest, ReadsPairsInLowerCase) {
  const auto routes =
      ParseInboundRoutes(" Support@Karton.Example=helpdesk , szerviz@karton.example = helpdesk,");
  ASSERT_EQ(routes.size(), 2U);
  EXPECT_EQ(routes[0].address, "support@karton.example");
  EXPECT_EQ(routes[0].route, "helpdesk");
  EXPECT_EQ(routes[1].address, "szerviz@karton.example");
  EXPECT_TRUE(ParseInboundRoutes("").empty());
}

TEST(InboundRoutesTest, RefusesWhatIsNotAnAddressAndARoute) {
  for (const char* bad : {"support@karton.example", "support=helpdesk",
                          "support@karton.example=", "support@karton.example=Help Desk",
                          "a@karton.example=helpdesk,A@karton.example=crm"}) {
    try {
      ParseInboundRoutes(bad);
      ADD_FAILURE() << bad << " was taken";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("messaging.inbound_routes"), std::string::npos)
          << error.what();
    }
  }
}

TEST(InboundRoutesTest, ToComesBeforeCc) {
  const auto routes =
      ParseInboundRoutes("support@karton.example=helpdesk,sales@karton.example=crm");
  EXPECT_EQ(
      RouteOf(routes, {"anna@example.hu", "sales@karton.example"}, {"support@karton.example"}),
      "crm");
  EXPECT_EQ(RouteOf(routes, {"anna@example.hu"}, {"support@karton.example"}), "helpdesk");
  EXPECT_EQ(RouteOf(routes, {"anna@example.hu"}, {}), "");
  EXPECT_EQ(RouteOf({}, {"support@karton.example"}, {}), "");
}

}  // namespace
}  // namespace karton::messaging

// The reports' visibility is crm's (docs/crm.md, "Who sees what").
#include "scope.h"

#include <gtest/gtest.h>

namespace karton::reports {
namespace {

kernel::Caller User(std::vector<std::string> roles, std::vector<std::int64_t> teams = {}) {
  kernel::Caller caller;
  caller.user_id = 7;
  caller.roles = std::move(roles);
  caller.team_ids = std::move(teams);
  return caller;
}

TEST(ReportScopeTest, SalesSeeTheirOwnAndTheirTeams) {
  const Scope scope = ScopeOf(User({"sales"}, {3, 9}));
  EXPECT_EQ(scope.kind, "own");
  EXPECT_EQ(scope.user_id, 7);
  EXPECT_EQ(scope.team_ids, "{3,9}");
}

TEST(ReportScopeTest, ManagersAccountingSupportAndAdminsSeeEverything) {
  for (const char* role : {"sales_manager", "accounting", "support", "admin"}) {
    EXPECT_EQ(ScopeOf(User({"sales", role})).kind, "all") << role;
  }
  EXPECT_EQ(ScopeOf(kernel::Caller::Internal()).kind, "all");
}

TEST(ReportScopeTest, NobodyAndExternalPartnersSeeNothing) {
  EXPECT_EQ(ScopeOf(kernel::Caller()).kind, "none");
  EXPECT_EQ(ScopeOf(User({"external_partner", "sales"})).kind, "none");
  EXPECT_EQ(ScopeOf(User({"some_module_role"})).kind, "none");
}

}  // namespace
}  // namespace karton::reports

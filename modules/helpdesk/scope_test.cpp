// Who sees which tickets, as ScopeOf decides it from the caller.
#include "scope.h"

#include <gtest/gtest.h>

namespace karton::helpdesk {
namespace {

kernel::Caller User(std::int64_t id, std::vector<std::string> roles,
                    std::vector<std::int64_t> teams = {}) {
  kernel::Caller caller;
  caller.user_id = id;
  caller.roles = std::move(roles);
  caller.team_ids = std::move(teams);
  return caller;
}

TEST(ScopeTest, SupportManagersAccountingAdminsAndKartondSeeEveryTicket) {
  for (const char* role : {"support", "sales_manager", "accounting", "admin"}) {
    EXPECT_STREQ(ScopeOf(User(3, {role})).Name(), "all") << role;
  }
  EXPECT_STREQ(ScopeOf(kernel::Caller::Internal()).Name(), "all");
}

TEST(ScopeTest, ASalespersonSeesTheirOwnWithTheirTeams) {
  const auto scope = ScopeOf(User(7, {"sales"}, {3, 9}));
  EXPECT_STREQ(scope.Name(), "own");
  EXPECT_EQ(scope.User(), "7");
  EXPECT_EQ(scope.team_ids, "{3,9}");
}

TEST(ScopeTest, AnExternalPartnerSeesWhatIsSharedEvenWithAnotherRoleBeside) {
  EXPECT_STREQ(ScopeOf(User(8, {"external_partner"})).Name(), "shared");
  EXPECT_STREQ(ScopeOf(User(8, {"external_partner", "support"})).Name(), "shared");
}

TEST(ScopeTest, NobodyAndUnknownRolesSeeNothing) {
  EXPECT_STREQ(ScopeOf(kernel::Caller{}).Name(), "none");
  EXPECT_STREQ(ScopeOf(User(9, {"warehouse_clerk"})).Name(), "none");
  EXPECT_STREQ(Scope{}.Name(), "none");
}

}  // namespace
}  // namespace karton::helpdesk

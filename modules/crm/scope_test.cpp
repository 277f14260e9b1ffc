// Unit tests of ScopeOf (scope.h): which scope each kind of caller gets, and
// the parameters (name, user, team array) scoped queries bind from it.
#include "scope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace karton::crm {
namespace {

kernel::Caller As(std::int64_t user_id, std::vector<std::string> roles,
                  std::vector<std::int64_t> teams = {}) {
  kernel::Caller caller;
  caller.user_id = user_id;
  caller.roles = std::move(roles);
  caller.team_ids = std::move(teams);
  return caller;
}

TEST(Scope, AdminsManagersAccountingSupportAndKartondSeeEverything) {
  for (const std::string_view role : {kernel::kRoleAdmin, kernel::kRoleSalesManager,
                                      kernel::kRoleAccounting, kernel::kRoleSupport}) {
    const Scope scope = ScopeOf(As(5, {std::string(role)}));
    EXPECT_EQ(scope.kind, Scope::Kind::kAll) << role;
    EXPECT_STREQ(scope.Name(), "all") << role;
  }
  EXPECT_EQ(ScopeOf(kernel::Caller::Internal()).kind, Scope::Kind::kAll);
  EXPECT_STREQ(Scope::Everything().Name(), "all");
  // Sales together with a wider role: the wider one wins.
  EXPECT_EQ(ScopeOf(As(5, {"sales", "support"})).kind, Scope::Kind::kAll);
}

TEST(Scope, SalesSeeTheirOwnAndTheirTeamsAsAnArrayLiteral) {
  const Scope scope = ScopeOf(As(42, {"sales"}, {3, 17}));
  EXPECT_EQ(scope.kind, Scope::Kind::kOwn);
  EXPECT_STREQ(scope.Name(), "own");
  EXPECT_EQ(scope.user_id, 42);
  EXPECT_EQ(scope.team_ids, "{3,17}");
  EXPECT_EQ(ScopeOf(As(42, {"sales"})).team_ids, "{}");
}

TEST(Scope, ExternalPartnersSeeWhatIsSharedWithThem) {
  const Scope scope = ScopeOf(As(9, {"external_partner"}, {4}));
  EXPECT_EQ(scope.kind, Scope::Kind::kShared);
  EXPECT_STREQ(scope.Name(), "shared");
  EXPECT_EQ(scope.user_id, 9);
  // An admin is never restricted as an external partner (kernel rule).
  EXPECT_EQ(ScopeOf(As(9, {"external_partner", "admin"})).kind, Scope::Kind::kAll);
}

TEST(Scope, CallersWithoutAUserOrAKnownRoleSeeNothing) {
  EXPECT_STREQ(Scope{}.Name(), "none");  // a forgotten scope hides
  for (const kernel::Caller& caller : {kernel::Caller{}, As(0, {"admin"}), As(0, {"sales"}),
                                       As(-3, {"sales_manager"}), As(7, {"auditor"}), As(7, {})}) {
    const Scope scope = ScopeOf(caller);
    EXPECT_EQ(scope.kind, Scope::Kind::kNone) << caller.user_id;
    EXPECT_STREQ(scope.Name(), "none");
  }
}

// The kernel restricts someone marked external_partner whatever else they
// hold (Caller::IsStaff); crm once looked for the manager, accounting and
// support roles first and gave such a user every lead and deal.
TEST(Scope, AnExternalPartnerIsRestrictedWhateverElseTheyHold) {
  for (const char* role : {"sales_manager", "accounting", "support", "sales"}) {
    const kernel::Caller caller = As(9, {"external_partner", role});
    ASSERT_TRUE(caller.IsExternalPartner());
    EXPECT_STREQ(ScopeOf(caller).Name(), "shared") << role;
  }
}

}  // namespace
}  // namespace karton::crm

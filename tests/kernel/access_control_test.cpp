#include "access_control.h"

#include <gtest/gtest.h>

namespace karton::kernel {
namespace {

std::string DeclareError(const std::string& service, const MethodRoles& roles) {
  MethodRoleTable table;
  try {
    table.Declare(service, roles);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

TEST(MethodRoleTable, RecordsRolesByPath) {
  MethodRoleTable table;
  table.Declare("karton.kernel.v1.KernelService",
                {{"ListModules", {"sales", "*"}}, {"AdvanceClock", {"admin"}}});
  const auto* allowed = table.Allowed("/karton.kernel.v1.KernelService/ListModules");
  ASSERT_NE(allowed, nullptr);
  EXPECT_EQ(*allowed, (std::vector<std::string>{"sales", "*"}));
  EXPECT_EQ(table.Allowed("/karton.kernel.v1.KernelService/Nothing"), nullptr);
}

TEST(MethodRoleTable, EveryMethodMustSayWhoMayCallIt) {
  EXPECT_EQ(DeclareError("karton.kernel.v1.IdentityService", {{"WhoAmI", {"*"}}}),
            "karton.kernel.v1.IdentityService/CreateUser declares no roles: every method must say "
            "who may call it");
}

TEST(MethodRoleTable, RefusesUnknownRolesMethodsAndServices) {
  EXPECT_EQ(DeclareError("karton.kernel.v1.KernelService",
                         {{"ListModules", {"janitor"}}, {"AdvanceClock", {"admin"}}}),
            "karton.kernel.v1.KernelService/ListModules names the unknown role 'janitor'");
  EXPECT_EQ(DeclareError("karton.kernel.v1.KernelService", {{"ListModules", {"*"}},
                                                            {"AdvanceClock", {"admin"}},
                                                            {"DropEverything", {"admin"}}}),
            "roles are declared for karton.kernel.v1.KernelService/DropEverything, which the "
            "service does not have");
  EXPECT_EQ(DeclareError("karton.nothing.v1.NothingService", {}),
            "no proto service named karton.nothing.v1.NothingService is linked in");
}

TEST(Caller, RolesAndExternalPartners) {
  Caller partner{7, {"external_partner"}, {}, 0};
  EXPECT_TRUE(partner.IsExternalPartner());
  EXPECT_FALSE(partner.IsStaff());
  EXPECT_FALSE(partner.IsAdmin());
  Caller admin{1, {"admin", "external_partner"}, {}, 0};
  EXPECT_FALSE(admin.IsExternalPartner());  // an admin sees everything
  EXPECT_TRUE(admin.IsStaff());
  EXPECT_EQ(SerializeCaller(Caller{5, {"sales", "support"}, {3, 4}, 9}), "5;sales,support;3,4;9");
}

// The fail-open hand-off (security review): a call whose caller could not be
// established ran as Caller{}, which the CRM scoped as everything and
// partners treated as staff. An empty caller is nobody now, with no rights.
TEST(Caller, AnEmptyCallerIsNobodyAndHasNoRights) {
  const Caller nobody;
  EXPECT_TRUE(nobody.IsNobody());
  EXPECT_FALSE(nobody.IsInternal());
  EXPECT_FALSE(nobody.IsStaff());
  EXPECT_FALSE(nobody.IsExternalPartner());
  EXPECT_FALSE(nobody.IsAdmin());
  EXPECT_THROW(ActorUserId(nobody), NoCallerError);
  // Roles without a user behind them are no one's roles either.
  const Caller roles_only{0, {"admin"}, {}, 0};
  EXPECT_TRUE(roles_only.IsNobody());
  EXPECT_FALSE(roles_only.IsStaff());

  const Caller kartond = Caller::Internal();
  EXPECT_TRUE(kartond.IsInternal());
  EXPECT_FALSE(kartond.IsNobody());
  EXPECT_TRUE(kartond.IsStaff());
  EXPECT_EQ(ActorUserId(kartond), 0);
  EXPECT_EQ(ActorUserId(Caller{5, {"sales"}, {}, 9}), 5);
}

TEST(Caller, TheCallerMetadataRoundTripsAndAnythingMalformedIsNobody) {
  const Caller seller{5, {"sales", "support"}, {3, 4}, 9};
  const auto parsed = ParseCaller(SerializeCaller(seller));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->user_id, 5);
  EXPECT_EQ(parsed->roles, seller.roles);
  EXPECT_EQ(parsed->team_ids, seller.team_ids);
  EXPECT_EQ(parsed->api_token_id, 9);
  EXPECT_FALSE(parsed->IsInternal());

  EXPECT_EQ(SerializeCaller(Caller::Internal()), "internal");
  ASSERT_TRUE(ParseCaller("internal").has_value());
  EXPECT_TRUE(ParseCaller("internal")->IsInternal());

  for (const char* malformed :
       {"", "0;admin;;", "-1;admin;;", "x;admin;;", "5;sales", "5;sales;;", "5;sales;;9;extra",
        "5;sales;3,x;9", "5 ;sales;;9", "99999999999999999999;admin;;", "Internal"}) {
    if (std::string_view(malformed) == "5;sales;;") {
      // Four fields, no token id: a well-formed forwarded user.
      EXPECT_TRUE(ParseCaller(malformed).has_value()) << malformed;
      continue;
    }
    EXPECT_FALSE(ParseCaller(malformed).has_value()) << "'" << malformed << "'";
  }
}

TEST(TokenSecret, IsLongRandomAndStoredOnlyAsItsHash) {
  const auto first = GenerateTokenSecret();
  const auto second = GenerateTokenSecret();
  EXPECT_NE(first.secret, second.secret);
  EXPECT_EQ(first.secret.rfind("karton_", 0), 0u);
  EXPECT_EQ(first.secret.size(), 7u + 43u);  // 256 bits, base64url
  EXPECT_EQ(first.hash_hex, TokenHashHex(first.secret));
  EXPECT_EQ(first.hash_hex.size(), 64u);
  EXPECT_EQ(first.prefix, first.secret.substr(0, 12));
}

}  // namespace
}  // namespace karton::kernel

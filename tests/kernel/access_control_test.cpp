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
  EXPECT_FALSE(partner.IsAdmin());
  Caller admin{1, {"admin", "external_partner"}, {}, 0};
  EXPECT_FALSE(admin.IsExternalPartner());  // an admin sees everything
  EXPECT_EQ(SerializeCaller(Caller{5, {"sales", "support"}, {3, 4}, 9}), "5;sales,support;3,4;9");
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

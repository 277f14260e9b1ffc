#include "module_graph.h"

#include <gtest/gtest.h>

namespace karton::kernel {
namespace {

ModuleInfo Module(std::string name, std::vector<ModuleDependencyInfo> depends = {},
                  std::string version = "1.0.0") {
  return ModuleInfo{name, version, 1, std::move(depends), "/modules/" + name + ".so", {}, {}};
}

std::vector<std::string> Names(const std::vector<ModuleInfo>& modules) {
  std::vector<std::string> names;
  for (const auto& module : modules) names.push_back(module.name);
  return names;
}

std::string ErrorOf(const std::vector<ModuleInfo>& found, const std::vector<std::string>& wanted) {
  try {
    ResolveStartOrder(found, wanted);
  } catch (const ModuleError& error) {
    return error.what();
  }
  return "no error";
}

TEST(ResolveStartOrder, PutsDependenciesFirstAndIsDeterministic) {
  const std::vector<ModuleInfo> found = {
      Module("invoicing", {{"partners", ""}, {"orders", ""}}),
      Module("crm", {{"partners", ""}}),
      Module("orders", {{"partners", ""}}),
      Module("partners"),
  };
  EXPECT_EQ(Names(ResolveStartOrder(found, {})),
            (std::vector<std::string>{"partners", "crm", "orders", "invoicing"}));
}

TEST(ResolveStartOrder, SubsetBringsItsDependenciesOnly) {
  const std::vector<ModuleInfo> found = {Module("crm", {{"partners", ""}}), Module("partners"),
                                         Module("helpdesk", {{"partners", ""}})};
  EXPECT_EQ(Names(ResolveStartOrder(found, {"crm"})),
            (std::vector<std::string>{"partners", "crm"}));
}

TEST(ResolveStartOrder, RejectsDuplicateNamesNamingBothFiles) {
  auto second = Module("partners");
  second.path = "/other/partners2.so";
  const std::string error = ErrorOf({Module("partners"), second}, {});
  EXPECT_NE(error.find("duplicate module name 'partners'"), std::string::npos) << error;
  EXPECT_NE(error.find("/other/partners2.so"), std::string::npos) << error;
}

TEST(ResolveStartOrder, RejectsMissingDependency) {
  const std::string error = ErrorOf({Module("crm", {{"partners", ""}})}, {});
  EXPECT_NE(error.find("module 'crm'"), std::string::npos) << error;
  EXPECT_NE(error.find("'partners', which is not installed"), std::string::npos) << error;
}

TEST(ResolveStartOrder, RejectsTooOldDependency) {
  const std::string error =
      ErrorOf({Module("crm", {{"partners", "2.1.0"}}), Module("partners", {}, "2.0.9")}, {});
  EXPECT_NE(error.find("needs 'partners' >= 2.1.0, but 2.0.9 is installed"), std::string::npos)
      << error;
}

TEST(ResolveStartOrder, NamesTheWholeCycle) {
  const std::string error =
      ErrorOf({Module("a", {{"b", ""}}), Module("b", {{"c", ""}}), Module("c", {{"a", ""}})}, {});
  EXPECT_EQ(error, "module dependency cycle: a -> b -> c -> a");
}

TEST(ResolveStartOrder, RejectsUnknownWantedModule) {
  const std::string error = ErrorOf({Module("partners")}, {"crm"});
  EXPECT_NE(error.find("--modules names 'crm'"), std::string::npos) << error;
}

TEST(SemanticVersion, ParsesAndOrders) {
  ASSERT_TRUE(SemanticVersion::Parse("1.2.3"));
  ASSERT_TRUE(SemanticVersion::Parse("1.2.3-rc.1+build.5"));
  EXPECT_FALSE(SemanticVersion::Parse("1.2"));
  EXPECT_FALSE(SemanticVersion::Parse("01.2.3"));
  EXPECT_FALSE(SemanticVersion::Parse("1.2.x"));
  EXPECT_FALSE(SemanticVersion::Parse(""));
  EXPECT_TRUE(*SemanticVersion::Parse("1.9.0") < *SemanticVersion::Parse("1.10.0"));
  EXPECT_TRUE(*SemanticVersion::Parse("2.0.0-rc.1") < *SemanticVersion::Parse("2.0.0"));
  EXPECT_FALSE(*SemanticVersion::Parse("2.0.0") < *SemanticVersion::Parse("2.0.0"));
}

TEST(IsValidModuleName, AcceptsSchemaSafeNamesOnly) {
  EXPECT_TRUE(IsValidModuleName("partners"));
  EXPECT_TRUE(IsValidModuleName("note_stats2"));
  EXPECT_FALSE(IsValidModuleName(""));
  EXPECT_FALSE(IsValidModuleName("Partners"));
  EXPECT_FALSE(IsValidModuleName("2fa"));
  EXPECT_FALSE(IsValidModuleName("crm;drop"));
  EXPECT_FALSE(IsValidModuleName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidModuleName("kernel"));
  EXPECT_FALSE(IsValidModuleName("public"));
  EXPECT_FALSE(IsValidModuleName("pg_catalog"));
}

}  // namespace
}  // namespace karton::kernel

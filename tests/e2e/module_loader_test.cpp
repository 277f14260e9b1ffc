// Every way a module set can be wrong ends kartond's start with one clear
// line, a non-zero exit and nothing started: not even the database is touched.
#include <gtest/gtest.h>

#include <fstream>

#include "karton/kernel/module_api.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

struct Failure {
  int exit_code;
  std::string stderr_text;
};

class ModuleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  Failure Start(const std::filesystem::path& modules_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--database-url", conninfo_,
                                          "--data-dir",     data_dir_.Path().string(),
                                          "--modules-dir",  modules_dir.string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    KartondProcess kartond(arguments);
    const int exit_code = kartond.WaitForExit();
    return {exit_code, kartond.Stderr()};
  }

  // The one line a person reads.
  static std::string ErrorLine(const Failure& failure) {
    const auto at = failure.stderr_text.find("kartond: error: ");
    if (at == std::string::npos) return "(no error line) " + failure.stderr_text;
    return failure.stderr_text.substr(at, failure.stderr_text.find('\n', at) - at);
  }

  void ExpectNothingStarted() {
    EXPECT_EQ(QueryScalar(conninfo_, "SELECT to_regclass('kernel.schema_migration') IS NULL"), "t");
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
};

TEST_F(ModuleLoaderTest, DependencyCycle) {
  const auto failure = Start(TestModulesDirectory("cycle"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_EQ(ErrorLine(failure),
            "kartond: error: module dependency cycle: cycle_a -> cycle_b -> cycle_a");
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, MissingDependency) {
  const auto failure = Start(TestModulesDirectory("missing"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("module 'lonely'"), std::string::npos) << ErrorLine(failure);
  EXPECT_NE(ErrorLine(failure).find("depends on module 'absent', which is not installed"),
            std::string::npos)
      << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, KernelApiMismatch) {
  const auto failure = Start(TestModulesDirectory("api"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find(
                "future.so was built for kernel API version 999, this kernel provides version " +
                std::to_string(KARTON_KERNEL_API_VERSION)),
            std::string::npos)
      << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, DuplicateName) {
  const auto failure = Start(TestModulesDirectory("duplicate"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("duplicate module name 'alpha'"), std::string::npos)
      << ErrorLine(failure);
  EXPECT_NE(ErrorLine(failure).find("alpha_again.so"), std::string::npos) << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, ModuleClaimingAKernelRole) {
  const auto failure = Start(TestModulesDirectory("badrole"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("module 'claimer' ("), std::string::npos) << ErrorLine(failure);
  EXPECT_NE(ErrorLine(failure).find("declares the role 'sales': it is one of the kernel's roles"),
            std::string::npos)
      << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, TwoModulesDeclaringOneRole) {
  const auto failure = Start(TestModulesDirectory("roleclash"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_EQ(ErrorLine(failure),
            "kartond: error: modules 'keeper_a' and 'keeper_b' both declare the role 'keeper'");
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, FileThatIsNotASharedLibrary) {
  TemporaryDirectory modules;
  std::ofstream(modules.Path() / "junk.so") << std::string(4096, 'x');
  const auto failure = Start(modules.Path());
  EXPECT_EQ(failure.exit_code, 1);
  // dlerror's own text is passed on.
  EXPECT_NE(
      ErrorLine(failure).find("cannot load module file " + (modules.Path() / "junk.so").string() +
                              ": " + (modules.Path() / "junk.so").string()),
      std::string::npos)
      << ErrorLine(failure);
  EXPECT_NE(ErrorLine(failure).find("invalid ELF header"), std::string::npos) << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, SharedLibraryWithoutEntryPoint) {
  const auto failure = Start(TestModulesDirectory("noentry"));
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("lookalike.so is not a Karton module: it has no "
                                    "karton_module_descriptor symbol"),
            std::string::npos)
      << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, UnknownModuleInSubset) {
  const auto failure = Start(TestModulesDirectory("good"), {"--modules", "alpha,ghost"});
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("--modules names 'ghost'"), std::string::npos)
      << ErrorLine(failure);
  ExpectNothingStarted();
}

TEST_F(ModuleLoaderTest, MissingModulesDirectory) {
  const auto failure = Start("/nonexistent/modules");
  EXPECT_EQ(failure.exit_code, 1);
  EXPECT_NE(ErrorLine(failure).find("modules directory /nonexistent/modules does not exist"),
            std::string::npos)
      << ErrorLine(failure);
}

}  // namespace
}  // namespace karton::testing

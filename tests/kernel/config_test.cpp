#include "config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "karton/kernel/module_api.h"

namespace karton::kernel {
namespace {

// Environment variables are process-wide: each test sets and clears its own.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnvironment() { ::unsetenv(name_); }

 private:
  const char* name_;
};

ServerOptions Parse(std::vector<const char*> arguments,
                    const ModuleDeclarations& declarations = {}) {
  arguments.insert(arguments.begin(), "kartond");
  auto options =
      ParseServerOptions(static_cast<int>(arguments.size()), arguments.data(), declarations);
  if (!options) throw std::runtime_error("help was printed");
  return *options;
}

std::string ConfigErrorOf(std::vector<const char*> arguments,
                          const ModuleDeclarations& declarations = {}) {
  try {
    Parse(std::move(arguments), declarations);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(taken)";
}

// One file per test: ctest runs the tests of this binary as parallel
// processes, which must not write each other's config.
std::string WriteConfig(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/karton-config-test-" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                           ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ServerOptions, DefaultsMatchTheDocumentedOnes) {
  const auto options = Parse({});
  EXPECT_EQ(options.grpc_listen, "127.0.0.1:50051");
  EXPECT_EQ(options.http_listen, "127.0.0.1:8080");
  EXPECT_EQ(options.data_dir, "var");
  EXPECT_TRUE(options.database_url.empty());
  EXPECT_FALSE(options.demo);
}

TEST(ServerOptions, FlagBeatsEnvironmentBeatsFile) {
  const std::string file = WriteConfig(
      "grpc-listen = \"127.0.0.1:1001\"\nhttp_listen = \"127.0.0.1:2001\"\n"
      "data-dir = \"/from/file\"\nmodules = [\"crm\", \"partners\"]\ndemo = true\n");
  ScopedEnvironment grpc("KARTON_GRPC_LISTEN", "127.0.0.1:1002");
  ScopedEnvironment http("KARTON_HTTP_LISTEN", "127.0.0.1:2002");
  const auto options = Parse({"--config", file.c_str(), "--grpc-listen", "127.0.0.1:1003"});
  EXPECT_EQ(options.grpc_listen, "127.0.0.1:1003");  // flag
  EXPECT_EQ(options.http_listen, "127.0.0.1:2002");  // environment
  EXPECT_EQ(options.data_dir, "/from/file");         // file
  EXPECT_EQ(options.modules, (std::vector<std::string>{"crm", "partners"}));
  EXPECT_TRUE(options.demo);
}

TEST(ServerOptions, UnknownFlagIsNamed) {
  try {
    Parse({"--no-such-option", "1"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("--no-such-option"), std::string::npos)
        << error.what();
  }
}

TEST(ServerOptions, UnknownFileKeyIsNamed) {
  const std::string file = WriteConfig("grpc-listen = \"x:1\"\ncolour = \"blue\"\n");
  try {
    Parse({"--config", file.c_str()});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("unknown option 'colour'"), std::string::npos)
        << error.what();
  }
}

TEST(ServerOptions, BadValueIsRefused) {
  EXPECT_THROW(Parse({"--db-pool-size", "0"}), ConfigError);
  EXPECT_THROW(Parse({"--log-level", "chatty"}), ConfigError);
  EXPECT_THROW(Parse({"--config", "/no/such/file.toml"}), ConfigError);
}

TEST(ServerOptions, ModuleOptionsComeFromEverySourceLastOneWinning) {
  const std::string file = WriteConfig(
      "module-option = [\"partners.document_max_mib=10\", "
      "\"partners.other=x\"]\n");
  ScopedEnvironment environment("KARTON_MODULE_OPTION", "crm.region=HU");
  const auto options =
      Parse({"--config", file.c_str(), "--module-option", "partners.document_max_mib=20"});
  EXPECT_EQ(options.module_options.at("partners").at("document_max_mib"), "20");
  EXPECT_EQ(options.module_options.at("partners").at("other"), "x");
  EXPECT_EQ(options.module_options.at("crm").at("region"), "HU");
  EXPECT_THROW(Parse({"--module-option", "no-dot"}), ConfigError);
}

// A comma splits options only where the next <module>.<key>= starts, so a
// value may hold commas (a company's address), in a flag and in the
// environment's list alike.
TEST(ServerOptions, AModuleOptionValueMayHoldCommas) {
  ScopedEnvironment environment("KARTON_MODULE_OPTION",
                                "crm.region=HU,orders.company_address=1132 Budapest, Váci út 18.");
  const auto options =
      Parse({"--module-option", "orders.company_name=Kovács, Szabó és Társa Kft."});
  EXPECT_EQ(options.module_options.at("orders").at("company_name"), "Kovács, Szabó és Társa Kft.");
  const auto from_environment = Parse({});
  EXPECT_EQ(from_environment.module_options.at("crm").at("region"), "HU");
  EXPECT_EQ(from_environment.module_options.at("orders").at("company_address"),
            "1132 Budapest, Váci út 18.");
}

// A module's declared options: its own flag, the --help listing, and the
// check of each --module-option's key and value before anything starts.
TEST(ServerOptions, ModulesDeclareTheirOptionsWhichAreCheckedBeforeTheStart) {
  std::filesystem::path asked_dir = "(not asked)";
  const ModuleDeclarations declarations = [&](const std::filesystem::path& dir) {
    asked_dir = dir;
    ModuleInfo mail{"mail", "1.2.0", KARTON_KERNEL_API_VERSION, {}, "/m/mail.so", {}, {}};
    mail.options = {{"relay_url", "url", "Where mail goes", "", "relay-url"},
                    {"per_second", "number", "Mails per second", "100", ""},
                    {"retries", "integer", "Attempts per mail", "5", ""}};
    return std::vector<ModuleInfo>{mail};
  };
  auto options =
      Parse({"--modules-dir", "/opt/karton/modules", "--relay-url", "smtp://relay:25",
             "--module-option", "mail.per_second=2.5", "--module-option", "other.anything=x"},
            declarations);
  EXPECT_EQ(asked_dir, "/opt/karton/modules");
  EXPECT_EQ(options.module_options.at("mail").at("relay_url"), "smtp://relay:25");
  EXPECT_EQ(options.module_options.at("mail").at("per_second"), "2.5");
  // A module that was not found is the start's to report (--modules may leave it out).
  EXPECT_EQ(options.module_options.at("other").at("anything"), "x");
  {
    ScopedEnvironment environment("KARTON_RELAY_URL", "smtp://from-env:25");
    EXPECT_EQ(Parse({}, declarations).module_options.at("mail").at("relay_url"),
              "smtp://from-env:25");
  }
  EXPECT_EQ(asked_dir, "");  // the default directory

  EXPECT_EQ(ConfigErrorOf({"--module-option", "mail.per_secnd=3"}, declarations),
            "--module-option mail.per_secnd: the module mail has no option 'per_secnd' (it has: "
            "relay_url, per_second, retries)");
  EXPECT_EQ(ConfigErrorOf({"--module-option", "mail.retries=2.5"}, declarations),
            "--module-option mail.retries: '2.5' is not a whole number");
  EXPECT_EQ(ConfigErrorOf({"--module-option", "mail.per_second=fast"}, declarations),
            "--module-option mail.per_second: 'fast' is not a number");
  // Without the module, its flag is unknown, and the message says why.
  EXPECT_NE(ConfigErrorOf({"--relay-url", "smtp://x"},
                          [](const std::filesystem::path&) -> std::vector<ModuleInfo> {
                            throw ModuleError("modules directory /x does not exist");
                          })
                .find("modules directory /x does not exist"),
            std::string::npos);

  ::testing::internal::CaptureStdout();
  std::vector<const char*> help{"kartond", "--help"};
  EXPECT_FALSE(ParseServerOptions(2, help.data(), declarations));
  const std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(printed.find("--relay-url"), std::string::npos) << printed;
  EXPECT_NE(printed.find("mail.per_second (number, default: 100)"), std::string::npos) << printed;
}

TEST(ServerOptions, CallsPerMinuteAreByRoleAndNameWhatIsWrong) {
  EXPECT_EQ(Parse({}).calls_per_minute_by_role,
            (std::map<std::string, double>{{"external_partner", 1200}}));
  EXPECT_EQ(Parse({"--calls-per-minute", "sales=600, external_partner=0"}).calls_per_minute_by_role,
            (std::map<std::string, double>{{"sales", 600}, {"external_partner", 0}}));
  EXPECT_TRUE(Parse({"--calls-per-minute", ""}).calls_per_minute_by_role.empty());
  for (const char* bad : {"guest=5", "sales", "sales=fast", "sales=-1", "sales=5x"}) {
    try {
      Parse({"--calls-per-minute", bad});
      ADD_FAILURE() << bad << " was taken";
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("--calls-per-minute"), std::string::npos) << bad;
    }
  }
}

}  // namespace
}  // namespace karton::kernel

// The command line covers everything: every method of every service in
// proto/karton/*/v1 has a `karton` command, or is in kWithoutCommand with
// the reason. The methods come from the protos on disk, read through the
// descriptors compiled into this program; the commands from `karton
// internal rpc-list`, the table each command declares (tools/karton/
// rpc_registry.h), which the CLI's e2e tests hold to what the commands
// really call (KARTON_CHECK_RPC_DECLARATIONS=1). A method added to a proto
// fails this test until a command calls it or kWithoutCommand says why not.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kartond_process.h"

namespace karton::testing {
namespace {

// Methods deliberately without a command. All are offers at extension
// points: one module calls another's, as the caller; people reach them
// through the calling module's command.
const std::map<std::string, std::string_view> kWithoutCommand = {
    {"karton.crm.v1.PersonalDataService/ExportPersonalDataSection",
     "the CRM's part of partners' ExportPersonalData (karton partners personal-data export)"},
    {"karton.crm.v1.PersonalDataService/ErasePersonalDataSection",
     "the CRM's part of partners' ErasePersonalData (karton partners personal-data erase)"},
    {"karton.messaging.v1.PersonalDataService/ExportPersonalDataSection",
     "messaging's part of partners' ExportPersonalData (karton partners personal-data export)"},
    {"karton.messaging.v1.PersonalDataService/ErasePersonalDataSection",
     "messaging's part of partners' ErasePersonalData (karton partners personal-data erase)"},
    {"karton.crm.v1.RecordAccessService/CheckRecordAccess",
     "the extension point record_access: other modules ask it before they show a CRM record; "
     "the CRM's own commands show what the caller may see"},
    {"karton.messaging.v1.RecordAccessService/CheckRecordAccess",
     "the extension point record_access: partners asks it before it shows a document of a "
     "message (karton partners documents)"},
    {"karton.orders.v1.OrdersOverviewService/CustomerOverviewSection",
     "a section of the CRM's GetCustomerOverview (karton overview PARTNER)"},
    {"karton.invoicing.v1.InvoicingOverviewService/CustomerOverviewSection",
     "a section of the CRM's GetCustomerOverview (karton overview PARTNER)"},
    {"karton.helpdesk.v1.HelpdeskOverviewService/CustomerOverviewSection",
     "a section of the CRM's GetCustomerOverview (karton overview PARTNER)"},
    {"karton.invoicing.v1.PaymentService/CreditExposure",
     "the extension point orders.credit_exposure, asked by orders' credit check (karton orders "
     "confirm); karton balance PARTNER shows people the same figures"},
};

// "karton.crm.v1.LeadService/ListLeads" of every service in the product's
// protos; `problems` gets the files this program does not hold.
std::set<std::string> ProtoMethods(std::vector<std::string>& problems) {
  const auto root = std::filesystem::path(KARTON_TEST_SOURCE_DIR).parent_path() / "proto";
  std::set<std::string> methods;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "karton")) {
    if (entry.path().extension() != ".proto") continue;
    const auto name = entry.path().lexically_relative(root).generic_string();
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) {
      problems.push_back(name +
                         " is not compiled into kartond_e2e_tests: link its module's proto "
                         "library (karton::<module>_proto) in tests/CMakeLists.txt");
      continue;
    }
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.insert(std::string(service->full_name()) + "/" +
                       std::string(service->method(m)->name()));
      }
    }
  }
  return methods;
}

// Method -> the commands that call it, from `karton internal rpc-list`.
std::map<std::string, std::set<std::string>> CommandMethods(int& exit_code) {
  const auto client = EnvironmentPathOr("KARTON_CLIENT", KARTON_TEST_BINARY_DIR "/bin/karton");
  const auto [code, output] = RunCommand(client.string() + " internal rpc-list");
  exit_code = code;
  std::map<std::string, std::set<std::string>> methods;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) methods[line.substr(0, tab)].insert(line.substr(tab + 1));
  }
  return methods;
}

TEST(CliCoverage, EveryRpcHasACommandOrIsExemptWithAReason) {
  std::vector<std::string> problems;
  const auto in_protos = ProtoMethods(problems);
  for (const auto& problem : problems) ADD_FAILURE() << problem;
  int exit_code = -1;
  const auto in_commands = CommandMethods(exit_code);
  // A declared name that no service has is reported by rpc-list itself.
  EXPECT_EQ(exit_code, 0) << "karton internal rpc-list failed (see its stderr above)";
  // Seen at all: otherwise the test would pass by reading nothing.
  ASSERT_GT(in_protos.size(), 150u);
  ASSERT_GT(in_commands.size(), 150u);

  for (const auto& method : in_protos) {
    const bool has_command = in_commands.count(method) == 1;
    const bool exempt = kWithoutCommand.count(method) == 1;
    EXPECT_TRUE(has_command || exempt)
        << method << " has no karton command: add one in tools/karton (declared with Rpcs(), "
        << "rpc_registry.h) and in docs/api.md, or add it to kWithoutCommand with the reason";
    EXPECT_FALSE(has_command && exempt)
        << method << " has a command (" << *in_commands.at(method).begin()
        << ") but is also in kWithoutCommand";
  }
  for (const auto& [method, commands] : in_commands) {
    EXPECT_EQ(in_protos.count(method), 1u) << "`karton " << *commands.begin() << "` declares "
                                           << method << ", which no service in proto/karton has";
  }
  for (const auto& [method, reason] : kWithoutCommand) {
    EXPECT_EQ(in_protos.count(method), 1u) << method << " is exempt but no service has it";
    EXPECT_FALSE(reason.empty()) << method << " is exempt without a reason";
  }
}

}  // namespace
}  // namespace karton::testing

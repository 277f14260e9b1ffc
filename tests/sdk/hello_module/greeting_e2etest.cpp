// The hello module in a real kartond: the installed kartond loads hello.so
// from the modules folder this build made (KARTON_MODULES_DIR, set by
// karton_add_module_tests), on a throwaway PostgreSQL, and is called over
// gRPC on a socket like any client would.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "karton/hello/v1/greeting_service.grpc.pb.h"
#include "kartond_process.h"
#include "temporary_directory.h"
#include "throwaway_postgres.h"

namespace karton::hello {
namespace {

class HelloInKartondTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = karton::testing::SharedPostgres().CreateDatabase(
        karton::testing::DatabaseNameForCurrentTest());
    kartond_ = std::make_unique<karton::testing::KartondProcess>(std::vector<std::string>{
        "--database-url", conninfo_, "--data-dir", data_dir_.Path().string(), "--module-option",
        "hello.default_language=hu"});
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    stub_ = v1::GreetingService::NewStub(
        grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials()));
  }

  std::unique_ptr<grpc::ClientContext> AsAdmin() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context->AddMetadata("authorization", "Bearer " + kartond_->AdminToken());
    return context;
  }

  std::string conninfo_;
  karton::testing::TemporaryDirectory data_dir_;
  std::unique_ptr<karton::testing::KartondProcess> kartond_;
  std::unique_ptr<v1::GreetingService::Stub> stub_;
};

TEST_F(HelloInKartondTest, AGreetingIsCreatedInTheConfiguredLanguageAndReadBack) {
  v1::CreateGreetingRequest create;
  create.mutable_greeting()->set_name("Anna");
  v1::Greeting created;
  const auto status = stub_->CreateGreeting(AsAdmin().get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.text(), "Szia, Anna!");

  v1::GetGreetingRequest get;
  get.set_id(created.id());
  v1::Greeting found;
  ASSERT_TRUE(stub_->GetGreeting(AsAdmin().get(), get, &found).ok());
  EXPECT_EQ(found.name(), "Anna");
  EXPECT_EQ(found.language(), "hu");
  // The event was committed with the row (in the outbox, or already in the log).
  EXPECT_EQ(
      karton::testing::QueryScalar(
          conninfo_,
          "SELECT (SELECT count(*) FROM kernel.event WHERE topic = 'hello.greeting.created') + "
          "(SELECT count(*) FROM kernel.event_outbox WHERE topic = 'hello.greeting.created')"),
      "1");
}

TEST_F(HelloInKartondTest, ABadGreetingIsRefusedNamingTheField) {
  v1::CreateGreetingRequest create;
  create.mutable_greeting()->set_language("de");
  v1::Greeting created;
  const auto status = stub_->CreateGreeting(AsAdmin().get(), create, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::BadRequest bad_request;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "greeting.name");
  EXPECT_EQ(bad_request.field_violations(1).field(), "greeting.language");
}

TEST_F(HelloInKartondTest, NobodyWithoutATokenMayCreate) {
  v1::CreateGreetingRequest create;
  create.mutable_greeting()->set_name("Anna");
  grpc::ClientContext anonymous;
  v1::Greeting created;
  EXPECT_EQ(stub_->CreateGreeting(&anonymous, create, &created).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(HelloOptionsTest, KartondHelpListsTheModulesOption) {
  const auto [exit_code, output] =
      karton::testing::RunCommand(karton::testing::KartondBinary().string() + " --help");
  EXPECT_EQ(exit_code, 0);
  EXPECT_NE(output.find("hello.default_language"), std::string::npos) << output;
}

}  // namespace
}  // namespace karton::hello

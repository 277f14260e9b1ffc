// GreetingService against its real SQL on a throwaway database, with a
// FakeModuleContext's clock, audit trail and event bus: what a create
// writes, and what a read gives back.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "greeting_service.h"
#include "module_database_test.h"
#include "throwaway_postgres.h"

namespace karton::hello {
namespace {

class GreetingServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  // The kernel's migrations and this project's schema/hello/.
  GreetingServiceTest() : ModuleDatabaseTest("hello", {"hello"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    GreetingService::DeclareTopics(context_.Events());
    service_ = std::make_unique<GreetingService>(*database_, context_.Time(), context_.Audit(),
                                                 context_.Events(), context_.Log(), "en");
  }

  std::unique_ptr<GreetingService> service_;
};

TEST_F(GreetingServiceTest, ACreatedGreetingIsStoredAuditedAndPublished) {
  const auto created_at =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000));
  context_.Clock().Set(created_at);
  grpc::ServerContext call;
  v1::CreateGreetingRequest request;
  request.mutable_greeting()->set_name("Anna");
  request.mutable_greeting()->set_language("hu");
  v1::Greeting created;
  const auto status = service_->CreateGreeting(&call, &request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(created.id(), 0);
  EXPECT_EQ(created.text(), "Szia, Anna!");
  EXPECT_EQ(created.create_time().seconds(), 1'780'000'000);

  grpc::ServerContext read_call;
  v1::GetGreetingRequest get;
  get.set_id(created.id());
  v1::Greeting found;
  ASSERT_TRUE(service_->GetGreeting(&read_call, &get, &found).ok());
  EXPECT_EQ(found.SerializeAsString(), created.SerializeAsString());

  ASSERT_EQ(context_.RecordedEvents().PublishedTopics(),
            std::vector<std::string>{"hello.greeting.created"});
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].resource_type, "hello.greeting");
  EXPECT_EQ(audited[0].resource_id, created.id());
}

TEST_F(GreetingServiceTest, ARefusedGreetingWritesNothing) {
  grpc::ServerContext call;
  v1::CreateGreetingRequest request;
  request.mutable_greeting()->set_language("de");
  v1::Greeting created;
  const auto status = service_->CreateGreeting(&call, &request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("greeting.name"), std::string::npos);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM hello.greeting"), "0");
  EXPECT_TRUE(context_.RecordedEvents().PublishedTopics().empty());
}

TEST_F(GreetingServiceTest, AnUnknownIdIsNotFound) {
  grpc::ServerContext call;
  v1::GetGreetingRequest get;
  get.set_id(4242);
  v1::Greeting found;
  EXPECT_EQ(service_->GetGreeting(&call, &get, &found).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace karton::hello

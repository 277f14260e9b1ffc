// GreetingService against its real SQL on a throwaway database, with a
// FakeModuleContext's clock, audit trail and event bus: what a create
// writes, and what a read gives back. The service is called over an
// in-process gRPC server, so each call carries its caller the way the
// kernel forwards it (kernel::ForwardCaller); a call that forwards nobody
// is refused, as kartond refuses it.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "greeting_service.h"
#include "karton/kernel/access.h"
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
    service_ = std::make_unique<GreetingService>(kernel::PartsOf(context_), "en");
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    stub_ = v1::GreetingService::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
    // CreateGreeting is for sales and sales managers (HelloModule::Roles).
    salesperson_.user_id = NewUser("anna", "sales");
    salesperson_.roles = {"sales"};
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // A call as `caller` (the salesperson unless told otherwise).
  std::unique_ptr<grpc::ClientContext> As(const kernel::Caller& caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    kernel::ForwardCaller(caller, *context);
    return context;
  }
  std::unique_ptr<grpc::ClientContext> Call() { return As(salesperson_); }

  kernel::Caller salesperson_;
  std::unique_ptr<GreetingService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::GreetingService::Stub> stub_;
};

TEST_F(GreetingServiceTest, ACreatedGreetingIsStoredAuditedAndPublished) {
  const auto created_at =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000));
  context_.Clock().Set(created_at);
  v1::CreateGreetingRequest request;
  request.mutable_greeting()->set_name("Anna");
  request.mutable_greeting()->set_language("hu");
  v1::Greeting created;
  const auto status = stub_->CreateGreeting(Call().get(), request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(created.id(), 0);
  EXPECT_EQ(created.text(), "Szia, Anna!");
  EXPECT_EQ(created.create_time().seconds(), 1'780'000'000);

  v1::GetGreetingRequest get;
  get.set_id(created.id());
  v1::Greeting found;
  ASSERT_TRUE(stub_->GetGreeting(Call().get(), get, &found).ok());
  EXPECT_EQ(found.SerializeAsString(), created.SerializeAsString());

  ASSERT_EQ(context_.RecordedEvents().PublishedTopics(),
            std::vector<std::string>{"hello.greeting.created"});
  EXPECT_EQ(context_.RecordedEvents().Published().at(0).actor.user_id, salesperson_.user_id);
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].resource_type, "hello.greeting");
  EXPECT_EQ(audited[0].resource_id, created.id());
  EXPECT_EQ(audited[0].actor.user_id, salesperson_.user_id);
}

TEST_F(GreetingServiceTest, ARefusedGreetingWritesNothing) {
  v1::CreateGreetingRequest request;
  request.mutable_greeting()->set_language("de");
  v1::Greeting created;
  const auto status = stub_->CreateGreeting(Call().get(), request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("greeting.name"), std::string::npos);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM hello.greeting"), "0");
  EXPECT_TRUE(context_.RecordedEvents().PublishedTopics().empty());
}

TEST_F(GreetingServiceTest, ACreateByNobodyIsDeniedAndWritesNothing) {
  // A call that forwards no caller reaches the service as nobody, whose
  // writes the audit trail and the event bus refuse.
  v1::CreateGreetingRequest request;
  request.mutable_greeting()->set_name("Anna");
  request.mutable_greeting()->set_language("hu");
  grpc::ClientContext nobody;
  v1::Greeting created;
  const auto status = stub_->CreateGreeting(&nobody, request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM hello.greeting"), "0");
  EXPECT_TRUE(context_.RecordedEvents().PublishedTopics().empty());
  EXPECT_TRUE(context_.RecordedAudit().Recorded().empty());
}

TEST_F(GreetingServiceTest, AnUnknownIdIsNotFound) {
  v1::GetGreetingRequest get;
  get.set_id(4242);
  v1::Greeting found;
  EXPECT_EQ(stub_->GetGreeting(Call().get(), get, &found).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace karton::hello

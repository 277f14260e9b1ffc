// kernel::CallExtensions: every offer is called at once, each answer comes
// back with its own module and status, in the order of the offers. A real
// gRPC server in this process answers, over its in-process channel. The
// service is a product one (crm's overview) only because its generated code
// is linked into every test; any unary method would do.
#include "karton/kernel/calls.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "karton/crm/v1/customer_overview_service.grpc.pb.h"

namespace karton::kernel {
namespace {

constexpr const char* kSection = "/karton.crm.v1.CustomerOverviewService/GetCustomerOverview";

// Each call waits until `expected` calls have arrived, for at most five
// seconds. Called one after another, the first would wait in vain and fail;
// called side by side, all of them meet and answer.
class MeetingService final : public crm::v1::CustomerOverviewService::Service {
 public:
  explicit MeetingService(int expected) : expected_(expected) {}

  grpc::Status GetCustomerOverview(grpc::ServerContext*,
                                   const crm::v1::GetCustomerOverviewRequest* request,
                                   crm::v1::CustomerOverview* response) override {
    std::unique_lock lock(mutex_);
    ++arrived_;
    arrivals_.notify_all();
    if (!arrivals_.wait_for(lock, std::chrono::seconds(5), [&] { return arrived_ >= expected_; })) {
      return {grpc::StatusCode::UNAVAILABLE, "the other calls never came"};
    }
    response->mutable_partner()->set_id(request->partner_id());
    return grpc::Status::OK;
  }

 private:
  const int expected_;
  std::mutex mutex_;
  std::condition_variable arrivals_;
  int arrived_ = 0;
};

class CallExtensionsTest : public ::testing::Test {
 protected:
  void StartServer(int meeting_of) {
    service_ = std::make_unique<MeetingService>(meeting_of);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }

  std::unique_ptr<MeetingService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::ServerContext incoming_;  // the call the offers are asked for
};

TEST_F(CallExtensionsTest, CallsEveryOfferAtOnce) {
  StartServer(3);
  crm::v1::GetCustomerOverviewRequest request;
  request.set_partner_id(7);
  const auto answers = CallExtensions<crm::v1::CustomerOverview>(
      channel_, incoming_, {{"alpha", kSection}, {"beta", kSection}, {"gamma", kSection}}, request);
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& answer : answers) {
    EXPECT_TRUE(answer.status.ok()) << answer.module << ": " << answer.status.error_message();
    EXPECT_EQ(answer.response.partner().id(), 7) << answer.module;
  }
}

TEST_F(CallExtensionsTest, EachAnswerKeepsItsModuleAndStatusInTheOrderOfTheOffers) {
  StartServer(2);
  crm::v1::GetCustomerOverviewRequest request;
  request.set_partner_id(8);
  const auto answers = CallExtensions<crm::v1::CustomerOverview>(
      channel_, incoming_,
      {{"alpha", kSection},
       {"ghost", "/karton.crm.v1.CustomerOverviewService/NoSuchMethod"},
       {"beta", kSection}},
      request);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].module, "alpha");
  EXPECT_TRUE(answers[0].status.ok()) << answers[0].status.error_message();
  EXPECT_EQ(answers[1].module, "ghost");
  EXPECT_EQ(answers[1].status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(answers[2].module, "beta");
  EXPECT_TRUE(answers[2].status.ok()) << answers[2].status.error_message();
  EXPECT_EQ(answers[2].response.partner().id(), 8);
}

TEST_F(CallExtensionsTest, NoOffersNoCalls) {
  StartServer(1);
  EXPECT_TRUE(CallExtensions<crm::v1::CustomerOverview>(channel_, incoming_, {},
                                                        crm::v1::GetCustomerOverviewRequest())
                  .empty());
}

}  // namespace
}  // namespace karton::kernel

// kernel::CallExtensions: every offer is called at once, each answer comes
// back with its own module and status, in the order of the offers. A real
// gRPC server in this process answers, over its in-process channel.
#include "karton/kernel/calls.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "karton/common/v1/customer_overview.pb.h"
#include "karton/loyalty/v1/loyalty_service.grpc.pb.h"

namespace karton::kernel {
namespace {

constexpr const char* kSection = "/karton.loyalty.v1.LoyaltyService/GetOverviewSection";

// Each call waits until `expected` calls have arrived, for at most five
// seconds. Called one after another, the first would wait in vain and fail;
// called side by side, all of them meet and answer.
class MeetingService final : public loyalty::v1::LoyaltyService::Service {
 public:
  explicit MeetingService(int expected) : expected_(expected) {}

  grpc::Status GetOverviewSection(grpc::ServerContext*,
                                  const common::v1::CustomerOverviewSectionRequest* request,
                                  common::v1::CustomerOverviewSection* response) override {
    std::unique_lock lock(mutex_);
    ++arrived_;
    arrivals_.notify_all();
    if (!arrivals_.wait_for(lock, std::chrono::seconds(5), [&] { return arrived_ >= expected_; })) {
      return {grpc::StatusCode::UNAVAILABLE, "the other calls never came"};
    }
    response->set_title("partner " + std::to_string(request->partner_id()));
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
  common::v1::CustomerOverviewSectionRequest request;
  request.set_partner_id(7);
  const auto answers = CallExtensions<common::v1::CustomerOverviewSection>(
      channel_, incoming_, {{"alpha", kSection}, {"beta", kSection}, {"gamma", kSection}},
      request);
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& answer : answers) {
    EXPECT_TRUE(answer.status.ok()) << answer.module << ": " << answer.status.error_message();
    EXPECT_EQ(answer.response.title(), "partner 7") << answer.module;
  }
}

TEST_F(CallExtensionsTest, EachAnswerKeepsItsModuleAndStatusInTheOrderOfTheOffers) {
  StartServer(2);
  common::v1::CustomerOverviewSectionRequest request;
  request.set_partner_id(8);
  const auto answers = CallExtensions<common::v1::CustomerOverviewSection>(
      channel_, incoming_,
      {{"alpha", kSection},
       {"ghost", "/karton.loyalty.v1.LoyaltyService/NoSuchMethod"},
       {"beta", kSection}},
      request);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].module, "alpha");
  EXPECT_TRUE(answers[0].status.ok()) << answers[0].status.error_message();
  EXPECT_EQ(answers[1].module, "ghost");
  EXPECT_EQ(answers[1].status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(answers[2].module, "beta");
  EXPECT_TRUE(answers[2].status.ok()) << answers[2].status.error_message();
  EXPECT_EQ(answers[2].response.title(), "partner 8");
}

TEST_F(CallExtensionsTest, NoOffersNoCalls) {
  StartServer(1);
  EXPECT_TRUE(CallExtensions<common::v1::CustomerOverviewSection>(
                  channel_, incoming_, {}, common::v1::CustomerOverviewSectionRequest())
                  .empty());
}

}  // namespace
}  // namespace karton::kernel

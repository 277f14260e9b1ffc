// The fixture most black-box tests start from: a real kartond with the
// "good" test modules on a fresh database of the shared throwaway cluster,
// and helpers to call it as a given token.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {

class RunningKartondTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    kartond_ = std::make_unique<KartondProcess>(std::vector<std::string>{
        "--database-url", conninfo_, "--data-dir", data_dir_.Path().string(), "--modules-dir",
        TestModulesDirectory("good").string()});
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    admin_token_ = kartond_->AdminToken();
  }

  // A call context with a deadline and, unless `token` is empty, a bearer token.
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  std::string conninfo_;
  TemporaryDirectory data_dir_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_token_;
};

}  // namespace karton::testing

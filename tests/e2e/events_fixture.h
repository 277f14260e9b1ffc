// Shared by the domain-event and webhook tests: a real kartond with the
// "events" fixture modules (parcels publishes, tracking subscribes) on a
// fresh database, and helpers to drive it.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "karton/parcels/v1/parcels_service.grpc.pb.h"
#include "kartond_process.h"
#include "throwaway_postgres.h"

namespace karton::testing {

class EventsTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }

  // Short poll and claim times keep the tests quick; both are only
  // fallbacks (NOTIFY wakes delivery; claims matter after a crash).
  std::unique_ptr<KartondProcess> Start(const TemporaryDirectory& data_dir,
                                        std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--database-url", conninfo_, "--data-dir",
                                          data_dir.Path().string(), "--modules-dir",
                                          TestModulesDirectory("events").string(),
                                          "--event-poll-ms", "200", "--event-claim-seconds", "2",
                                          // The receivers listen on loopback.
                                          "--webhook-allow-cidr", "127.0.0.1/32"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    auto kartond = std::make_unique<KartondProcess>(arguments);
    EXPECT_TRUE(kartond->WaitUntilReady()) << kartond->Stderr();
    if (token_.empty()) token_ = kartond->AdminToken();
    return kartond;
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context->AddMetadata("authorization", "Bearer " + (token.empty() ? token_ : token));
    return context;
  }

  static std::shared_ptr<grpc::Channel> ChannelTo(const KartondProcess& kartond) {
    return grpc::CreateChannel(kartond.GrpcAddress(), grpc::InsecureChannelCredentials());
  }

  parcels::v1::Parcel CreateParcel(const KartondProcess& kartond, const std::string& label,
                                   const std::string& location = "depot") {
    parcels::v1::CreateParcelRequest request;
    request.mutable_parcel()->set_label(label);
    request.mutable_parcel()->set_location(location);
    parcels::v1::Parcel parcel;
    const grpc::Status status = parcels::v1::ParcelsService::NewStub(ChannelTo(kartond))
                                    ->CreateParcel(Context().get(), request, &parcel);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return parcel;
  }

  void MoveParcel(const KartondProcess& kartond, std::int64_t id, const std::string& location) {
    parcels::v1::MoveParcelRequest request;
    request.set_id(id);
    request.set_location(location);
    parcels::v1::Parcel parcel;
    const grpc::Status status = parcels::v1::ParcelsService::NewStub(ChannelTo(kartond))
                                    ->MoveParcel(Context().get(), request, &parcel);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  std::string Query(const std::string& sql) const { return QueryScalar(conninfo_, sql); }

  // Polls `sql` until it answers `expected` (true) or `timeout` passes.
  bool WaitFor(const std::string& sql, const std::string& expected,
               std::chrono::seconds timeout = std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Query(sql) == expected) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Query(sql) == expected;
  }

  std::string conninfo_;
  std::string token_;
};

}  // namespace karton::testing

// For crm's service tests on a throwaway database: a call as a given user,
// and the round trips a call makes.
//
//   CallAs call(anna, "sales");
//   service.UpdateActivity(&call.context, &request, &answer);
//
//   WrittenRoundTrips counted(*database_, [&] { return Complete(activity, done); });
//   EXPECT_EQ(counted.round_trips, 4) << counted.ends;
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "round_trips.h"

namespace karton::crm {

// A server context carrying `user` with `roles` as the caller, as kartond's
// interceptor puts it in the karton-caller metadata ("user;roles;teams;token").
struct CallAs {
  CallAs(std::int64_t user, const std::string& roles, const std::string& teams = "")
      : spouse(&context) {
    spouse.AddClientMetadata("karton-caller",
                             std::to_string(user) + ";" + roles + ";" + teams + ";0");
  }
  grpc::ServerContext context;
  grpc::testing::ServerContextTestSpouse spouse;
};

// Runs `write` (a call answering a grpc::Status, which must be OK) while the
// pool's connections are traced: how many round trips it made, and their
// ends for a failure's message.
struct WrittenRoundTrips {
  template <typename Write>
  WrittenRoundTrips(kernel::Database& database, Write&& write) {
    karton::testing::PoolRoundTrips trips(database);
    const grpc::Status status = write();
    ends = trips.Stop();
    EXPECT_TRUE(status.ok()) << status.error_message();
    round_trips = karton::testing::CountRoundTrips(ends);
  }
  int round_trips = 0;
  std::string ends;
};

}  // namespace karton::crm

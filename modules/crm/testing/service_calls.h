// For crm's service tests on a throwaway database: a call as a given user.
// (The round trips a call makes: karton::testing::TraceRoundTrips.)
//
//   CallAs call(anna, "sales");
//   service.UpdateActivity(&call.context, &request, &answer);
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>

#include <cstdint>
#include <string>

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

}  // namespace karton::crm

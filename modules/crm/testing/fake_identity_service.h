// For crm's database tests: the kernel's users and teams as TeamDirectory
// lists them, served in-process by a fake of the kernel's IdentityService.
//
//   karton::crm::FakeIdentityService identity;
//   identity.users = {anna, bela};
//   identity.teams[south] = {anna, bela};
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&identity);
//   auto server = builder.BuildAndStart();
//   context_.UseChannel(server->InProcessChannel(grpc::ChannelArguments()));
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "karton/kernel/v1/identity_service.grpc.pb.h"

namespace karton::crm {

class FakeIdentityService final : public kernel::v1::IdentityService::Service {
 public:
  std::set<std::int64_t> users;
  std::set<std::int64_t> disabled;                          // of `users`
  std::map<std::int64_t, std::vector<std::int64_t>> teams;  // team -> members

  grpc::Status ListUsers(grpc::ServerContext*, const kernel::v1::ListUsersRequest*,
                         kernel::v1::ListUsersResponse* response) override {
    for (const auto id : users) {
      auto* user = response->add_users();
      user->set_id(id);
      user->set_disabled(disabled.count(id) > 0);
    }
    return grpc::Status::OK;
  }
  grpc::Status ListTeams(grpc::ServerContext*, const kernel::v1::ListTeamsRequest*,
                         kernel::v1::ListTeamsResponse* response) override {
    for (const auto& [id, members] : teams) {
      auto* team = response->add_teams();
      team->set_id(id);
      for (const auto member : members) team->add_member_user_ids(member);
    }
    return grpc::Status::OK;
  }
};

}  // namespace karton::crm

// karton.kernel.v1.IdentityService and the first-start admin bootstrap.
#pragma once

#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/v1/identity_service.grpc.pb.h"

namespace karton::kernel {

class Database;

class IdentityServiceImpl final : public v1::IdentityService::Service {
 public:
  // `credentials_changed` runs after every committed change that can alter
  // what a token may do (revocation, user disabled, roles, team membership).
  // `module_roles`: the roles the loaded modules declare, which users may
  // be given besides the kernel's (User.module_roles).
  IdentityServiceImpl(Database& database, AuditLog& audit, std::set<std::string> module_roles,
                      std::function<void()> credentials_changed)
      : database_(database),
        audit_(audit),
        module_roles_(std::move(module_roles)),
        credentials_changed_(std::move(credentials_changed)) {}

  // Who may call what (enforced by AccessControl before any handler runs).
  static MethodRoles Roles();

  grpc::Status CreateUser(grpc::ServerContext*, const v1::CreateUserRequest*, v1::User*) override;
  grpc::Status GetUser(grpc::ServerContext*, const v1::GetUserRequest*, v1::User*) override;
  grpc::Status ListUsers(grpc::ServerContext*, const v1::ListUsersRequest*,
                         v1::ListUsersResponse*) override;
  grpc::Status UpdateUser(grpc::ServerContext*, const v1::UpdateUserRequest*, v1::User*) override;
  grpc::Status SetPassword(grpc::ServerContext*, const v1::SetPasswordRequest*,
                           v1::User*) override;
  grpc::Status CreateTeam(grpc::ServerContext*, const v1::CreateTeamRequest*, v1::Team*) override;
  grpc::Status ListTeams(grpc::ServerContext*, const v1::ListTeamsRequest*,
                         v1::ListTeamsResponse*) override;
  grpc::Status AddTeamMember(grpc::ServerContext*, const v1::AddTeamMemberRequest*,
                             v1::Team*) override;
  grpc::Status RemoveTeamMember(grpc::ServerContext*, const v1::RemoveTeamMemberRequest*,
                                v1::Team*) override;
  grpc::Status CreateApiToken(grpc::ServerContext*, const v1::CreateApiTokenRequest*,
                              v1::CreateApiTokenResponse*) override;
  grpc::Status ListApiTokens(grpc::ServerContext*, const v1::ListApiTokensRequest*,
                             v1::ListApiTokensResponse*) override;
  grpc::Status RevokeApiToken(grpc::ServerContext*, const v1::RevokeApiTokenRequest*,
                              v1::ApiToken*) override;
  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*, v1::WhoAmIResponse*) override;

 private:
  Database& database_;
  AuditLog& audit_;
  const std::set<std::string> module_roles_;
  std::function<void()> credentials_changed_;
};

// On a database without any admin: creates the user "admin" with a token
// that never expires and writes the token to `token_file` (mode 0600).
// Returns true when it did. Safe against two kartond starting at once.
bool BootstrapAdmin(Database& database, AuditLog& audit, const std::filesystem::path& token_file);

}  // namespace karton::kernel

#include "identity_service.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/util/time_util.h>
#include <soci/postgresql/soci-postgresql.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "access_control.h"
#include "event_store.h"
#include "identity_repository.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/pagination.h"

namespace karton::kernel {
namespace {

using google::protobuf::util::TimeUtil;

const std::pair<v1::Role, std::string_view> kRoleNames[] = {
    {v1::ROLE_ADMIN, kRoleAdmin},
    {v1::ROLE_SALES, kRoleSales},
    {v1::ROLE_SALES_MANAGER, kRoleSalesManager},
    {v1::ROLE_ACCOUNTING, kRoleAccounting},
    {v1::ROLE_SUPPORT, kRoleSupport},
    {v1::ROLE_EXTERNAL_PARTNER, kRoleExternalPartner},
};

std::string RoleName(v1::Role role) {
  for (const auto& [value, name] : kRoleNames) {
    if (value == role) return std::string(name);
  }
  return "";
}

v1::Role RoleValue(const std::string& name) {
  for (const auto& [value, role_name] : kRoleNames) {
    if (role_name == name) return value;
  }
  return v1::ROLE_UNSPECIFIED;
}

grpc::Status Invalid(const std::string& field, const std::string& problem) {
  return InvalidField(field, problem);
}

// argon2id at libsodium's interactive limits, the same for every password
// (web_sessions.cpp's decoy hash too, so timings match).
grpc::Status HashPassword(const std::string& password, const std::string& field,
                          std::string& hash) {
  if (password.size() < 10) return Invalid(field, "must be at least 10 characters");
  if (password.size() > 1024) return Invalid(field, "may be at most 1024 characters");
  char buffer[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(buffer, password.c_str(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, "not enough memory to hash the password"};
  }
  hash = buffer;
  return grpc::Status::OK;
}

// Turns what the database refused into the status a client can act on.
grpc::Status FromDatabaseError(const std::exception& error, const std::string& what) {
  if (dynamic_cast<const NoCallerError*>(&error) != nullptr) {
    return {grpc::StatusCode::PERMISSION_DENIED, "this call has no verified caller"};
  }
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) {
    const std::string state = pg->sqlstate();
    if (state == "23505") return {grpc::StatusCode::ALREADY_EXISTS, what + " already exists"};
    if (state == "23503")
      return {grpc::StatusCode::NOT_FOUND, what + " refers to a missing record"};
  }
  spdlog::error("identity: {}", DescribeDatabaseError(error));
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

void ToProto(const identity::UserRow& row, v1::User* user) {
  user->set_id(row.id);
  user->set_name(row.name);
  user->set_email(row.email);
  for (const auto& role : row.roles) {
    const v1::Role kernel_role = RoleValue(role);
    if (kernel_role != v1::ROLE_UNSPECIFIED) {
      user->add_roles(kernel_role);
    } else {
      user->add_module_roles(role);
    }
  }
  user->set_disabled(row.disabled);
  for (auto team : row.team_ids) user->add_team_ids(team);
  *user->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time_us);
  *user->mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(row.update_time_us);
  user->set_etag(std::to_string(row.version));
}

void ToProto(const identity::TeamRow& row, v1::Team* team) {
  team->set_id(row.id);
  team->set_name(row.name);
  for (auto member : row.member_user_ids) team->add_member_user_ids(member);
  *team->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time_us);
}

void ToProto(const identity::TokenRow& row, v1::ApiToken* token) {
  token->set_id(row.id);
  token->set_user_id(row.user_id);
  token->set_display_name(row.display_name);
  token->set_prefix(row.prefix);
  *token->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(row.create_time_us);
  if (row.expire_time_us) {
    *token->mutable_expire_time() = TimeUtil::MicrosecondsToTimestamp(*row.expire_time_us);
  }
  if (row.revoke_time_us) {
    *token->mutable_revoke_time() = TimeUtil::MicrosecondsToTimestamp(*row.revoke_time_us);
  }
  token->set_kind(row.kind == "web_session" ? v1::API_TOKEN_KIND_WEB_SESSION
                                            : v1::API_TOKEN_KIND_API);
  token->set_user_agent(row.user_agent);
  token->set_client_address(row.client_address);
}

std::string RolesJson(const std::vector<std::string>& roles) {
  std::string json = "[";
  for (const auto& role : roles) json += (json.size() > 1 ? "," : "") + JsonString(role);
  return json + "]";
}

std::string IdsJson(const std::vector<std::int64_t>& ids) {
  return fmt::format("[{}]", fmt::join(ids, ","));
}

// Field-level differences between two versions of a user, for the audit.
std::vector<FieldChange> UserChanges(const identity::UserRow* before,
                                     const identity::UserRow& after) {
  auto field = [&](std::string name, std::optional<std::string> old_json, std::string new_json) {
    return FieldChange{std::move(name), std::move(old_json), std::move(new_json)};
  };
  return {
      field("name", before ? std::optional(JsonString(before->name)) : std::nullopt,
            JsonString(after.name)),
      field("email", before ? std::optional(JsonString(before->email)) : std::nullopt,
            JsonString(after.email)),
      field("roles", before ? std::optional(RolesJson(before->roles)) : std::nullopt,
            RolesJson(after.roles)),
      field("disabled",
            before ? std::optional<std::string>(before->disabled ? "true" : "false") : std::nullopt,
            after.disabled ? "true" : "false"),
  };
}

// The kernel's roles of `user` by name, added to `names`.
grpc::Status KernelRoleNames(const v1::User& user, std::vector<std::string>& names) {
  for (int role : user.roles()) {
    const std::string name = RoleName(static_cast<v1::Role>(role));
    if (name.empty()) return Invalid("user.roles", fmt::format("unknown role {}", role));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return grpc::Status::OK;
}

// The module roles of `user`, each declared by a loaded module, added to
// `names`.
grpc::Status ModuleRoleNames(const v1::User& user, const std::set<std::string>& declared,
                             std::vector<std::string>& names) {
  for (const auto& name : user.module_roles()) {
    if (declared.count(name) == 0) {
      return Invalid("user.module_roles",
                     fmt::format("'{}' is not a role any loaded module declares", name));
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return grpc::Status::OK;
}

// The rules for a user's whole set of roles, kernel's and modules'.
grpc::Status CheckRoleSet(const std::vector<std::string>& names) {
  if (names.empty()) return Invalid("user.roles", "at least one role is required");
  // An external partner sees only what is shared with them; a staff role
  // beside it would make the user both, and every module would have to
  // guess which one wins.
  const bool external =
      std::find(names.begin(), names.end(), std::string(kRoleExternalPartner)) != names.end();
  if (external && names.size() > 1) {
    return Invalid("user.roles", "external_partner cannot be combined with other roles");
  }
  return grpc::Status::OK;
}

grpc::Status ValidateEmail(const std::string& email) {
  const auto at = email.find('@');
  if (email.empty()) return Invalid("user.email", "is required");
  if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find_first_of(" \t\r\n") != std::string::npos) {
    return Invalid("user.email", fmt::format("'{}' is not an email address", email));
  }
  return grpc::Status::OK;
}

}  // namespace

MethodRoles IdentityServiceImpl::Roles() {
  const std::vector<std::string> admin = {std::string(kRoleAdmin)};
  const std::vector<std::string> staff = StaffRoles();
  const std::vector<std::string> anyone = {std::string(kAnyRole)};
  return {{"CreateUser", admin},      {"GetUser", staff},          {"ListUsers", staff},
          {"UpdateUser", admin},      {"CreateTeam", admin},       {"ListTeams", staff},
          {"AddTeamMember", admin},   {"RemoveTeamMember", admin}, {"CreateApiToken", anyone},
          {"RevokeApiToken", anyone}, {"ListApiTokens", anyone},   {"WhoAmI", anyone},
          {"SetPassword", anyone}};
}

grpc::Status IdentityServiceImpl::CreateUser(grpc::ServerContext* context,
                                             const v1::CreateUserRequest* request,
                                             v1::User* response) {
  const v1::User& user = request->user();
  if (user.name().empty()) return Invalid("user.name", "is required");
  if (auto status = ValidateEmail(user.email()); !status.ok()) return status;
  identity::NewUser row{user.name(), user.email(), {}, "", request->request_id()};
  if (auto status = KernelRoleNames(user, row.roles); !status.ok()) return status;
  if (auto status = ModuleRoleNames(user, module_roles_, row.roles); !status.ok()) return status;
  if (auto status = CheckRoleSet(row.roles); !status.ok()) return status;
  if (!request->password().empty()) {
    if (auto status = HashPassword(request->password(), "password", row.password_hash);
        !status.ok()) {
      return status;
    }
  }
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    bool inserted = false;
    const auto created = identity::InsertUser(lease.Session(), row, &inserted);
    if (inserted) {
      audit_.Record(lease.Session(), CallerOf(*context), AuditAction::kCreate, "kernel.user",
                    created.id, UserChanges(nullptr, created));
    }
    transaction.commit();
    ToProto(created, response);
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error, fmt::format("user.email: a user with email {}", user.email()));
  }
}

grpc::Status IdentityServiceImpl::GetUser(grpc::ServerContext*, const v1::GetUserRequest* request,
                                          v1::User* response) {
  if (request->id() <= 0) return Invalid("id", "must be a user id");
  auto lease = database_.Acquire();
  auto user = identity::FindUser(lease.Session(), request->id());
  if (!user) return {grpc::StatusCode::NOT_FOUND, fmt::format("no user with id {}", request->id())};
  ToProto(*user, response);
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::ListUsers(grpc::ServerContext*,
                                            const v1::ListUsersRequest* request,
                                            v1::ListUsersResponse* response) {
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  auto lease = database_.Acquire();
  auto rows = identity::ListUsers(lease.Session(), page.AfterId(), page.FetchLimit());
  response->set_next_page_token(FinishPage(rows, page, [](const auto& row) {
    return PageCursor{"", row.id};
  }));
  for (const auto& row : rows) ToProto(row, response->add_users());
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::UpdateUser(grpc::ServerContext* context,
                                             const v1::UpdateUserRequest* request,
                                             v1::User* response) {
  const v1::User& user = request->user();
  if (user.id() <= 0) return Invalid("user.id", "must be a user id");
  if (request->update_mask().paths().empty()) return Invalid("update_mask", "names no field");
  const auto etag = ParseInt64(user.etag());
  if (!etag) return Invalid("user.etag", "is required: send the etag of the user you read");
  const std::int64_t expected_version = *etag;
  identity::UserChanges changes;
  // roles and module_roles are stored as one list: a mask naming one keeps
  // the stored other.
  std::optional<std::vector<std::string>> new_kernel_roles, new_module_roles;
  for (const auto& path : request->update_mask().paths()) {
    if (path == "name") {
      if (user.name().empty()) return Invalid("user.name", "must not be empty");
      changes.name = user.name();
    } else if (path == "email") {
      if (auto status = ValidateEmail(user.email()); !status.ok()) return status;
      changes.email = user.email();
    } else if (path == "roles") {
      std::vector<std::string> roles;
      if (auto status = KernelRoleNames(user, roles); !status.ok()) return status;
      new_kernel_roles = roles;
    } else if (path == "module_roles") {
      std::vector<std::string> roles;
      if (auto status = ModuleRoleNames(user, module_roles_, roles); !status.ok()) return status;
      new_module_roles = roles;
    } else if (path == "disabled") {
      changes.disabled = user.disabled();
    } else {
      return Invalid(
          "update_mask",
          fmt::format("'{}' cannot be updated (name, email, roles, module_roles, disabled can)",
                      path));
    }
  }
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    const auto before = identity::FindUser(lease.Session(), user.id());
    if (!before) return {grpc::StatusCode::NOT_FOUND, fmt::format("no user with id {}", user.id())};
    if (new_kernel_roles || new_module_roles) {
      std::vector<std::string> roles;
      for (const auto& role : before->roles) {
        const bool kernel_role = RoleValue(role) != v1::ROLE_UNSPECIFIED;
        if ((kernel_role && !new_kernel_roles) || (!kernel_role && !new_module_roles)) {
          roles.push_back(role);
        }
      }
      for (const auto* part : {&new_kernel_roles, &new_module_roles}) {
        if (*part) roles.insert(roles.end(), (*part)->begin(), (*part)->end());
      }
      if (auto status = CheckRoleSet(roles); !status.ok()) return status;
      changes.roles = roles;
    }
    auto updated = identity::UpdateUser(lease.Session(), user.id(), expected_version, changes);
    if (!updated) {
      return {grpc::StatusCode::ABORTED,
              "user.etag: the user was changed since you read it; read it again"};
    }
    audit_.Record(lease.Session(), CallerOf(*context), AuditAction::kUpdate, "kernel.user",
                  updated->id, UserChanges(&*before, *updated));
    event_store::AnnounceCredentialsChanged(lease.Session());
    transaction.commit();
    credentials_changed_();
    ToProto(*updated, response);
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error, fmt::format("user.email: a user with email {}", user.email()));
  }
}

grpc::Status IdentityServiceImpl::SetPassword(grpc::ServerContext* context,
                                              const v1::SetPasswordRequest* request,
                                              v1::User* response) {
  const Caller caller = CallerOf(*context);
  const std::int64_t owner = request->user_id() == 0 ? caller.user_id : request->user_id();
  if (owner <= 0) return Invalid("user_id", "is required for calls without a user");
  const bool own = owner == caller.user_id;
  if (!own && !caller.IsAdmin()) {
    return {grpc::StatusCode::PERMISSION_DENIED, "only an admin may set another user's password"};
  }
  std::string new_hash;
  if (request->new_password().empty()) {
    // Removing is for an admin locking someone out of the web client; a
    // user cannot remove their own by mistake.
    if (own) return Invalid("new_password", "is required");
  } else if (auto status = HashPassword(request->new_password(), "new_password", new_hash);
             !status.ok()) {
    return status;
  }
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    const auto current_hash = identity::PasswordHashOf(lease.Session(), owner);
    if (!current_hash)
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no user with id {}", owner)};
    // One's own password changes only with the current one: a browser left
    // signed in must not be enough to take the account over.
    if (own && !current_hash->empty()) {
      if (request->current_password().empty()) return Invalid("current_password", "is required");
      if (crypto_pwhash_str_verify(current_hash->c_str(), request->current_password().data(),
                                   request->current_password().size()) != 0) {
        return Invalid("current_password", "is wrong");
      }
    }
    identity::SetPasswordHash(lease.Session(), owner, new_hash);
    // Every other browser signed in as the user signs in again, with the
    // new password: whoever knew the old one is out.
    const long long ended =
        identity::RevokeWebSessions(lease.Session(), owner, own ? caller.api_token_id : 0);
    audit_.Record(lease.Session(), caller, AuditAction::kUpdate, "kernel.user", owner,
                  {FieldChange::Of("password", current_hash->empty() ? "none" : "set",
                                   new_hash.empty() ? "removed" : "changed"),
                   FieldChange::Of("web_sessions_ended", 0, ended)});
    event_store::AnnounceCredentialsChanged(lease.Session());
    const auto user = identity::FindUser(lease.Session(), owner);
    transaction.commit();
    credentials_changed_();
    ToProto(*user, response);
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error, "the password");
  }
}

grpc::Status IdentityServiceImpl::CreateTeam(grpc::ServerContext* context,
                                             const v1::CreateTeamRequest* request,
                                             v1::Team* response) {
  if (request->team().name().empty()) return Invalid("team.name", "is required");
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    bool inserted = false;
    const auto team = identity::InsertTeam(lease.Session(), request->team().name(),
                                           request->request_id(), &inserted);
    if (inserted) {
      audit_.Record(lease.Session(), CallerOf(*context), AuditAction::kCreate, "kernel.team",
                    team.id, {FieldChange::Created("name", team.name)});
    }
    transaction.commit();
    ToProto(team, response);
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error,
                             fmt::format("team.name: a team named {}", request->team().name()));
  }
}

grpc::Status IdentityServiceImpl::ListTeams(grpc::ServerContext*,
                                            const v1::ListTeamsRequest* request,
                                            v1::ListTeamsResponse* response) {
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) {
    return status;
  }
  auto lease = database_.Acquire();
  auto rows = identity::ListTeams(lease.Session(), page.AfterId(), page.FetchLimit());
  response->set_next_page_token(FinishPage(rows, page, [](const auto& row) {
    return PageCursor{"", row.id};
  }));
  for (const auto& row : rows) ToProto(row, response->add_teams());
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::AddTeamMember(grpc::ServerContext* context,
                                                const v1::AddTeamMemberRequest* request,
                                                v1::Team* response) {
  if (request->team_id() <= 0) return Invalid("team_id", "must be a team id");
  if (request->user_id() <= 0) return Invalid("user_id", "must be a user id");
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    const auto before = identity::FindTeam(lease.Session(), request->team_id());
    if (!before) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no team with id {}", request->team_id())};
    }
    if (!identity::FindUser(lease.Session(), request->user_id())) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no user with id {}", request->user_id())};
    }
    identity::AddTeamMember(lease.Session(), request->team_id(), request->user_id());
    const auto after = identity::FindTeam(lease.Session(), request->team_id());
    audit_.Record(
        lease.Session(), CallerOf(*context), AuditAction::kUpdate, "kernel.team", after->id,
        {{"member_user_ids", IdsJson(before->member_user_ids), IdsJson(after->member_user_ids)}});
    ToProto(*after, response);
    event_store::AnnounceCredentialsChanged(lease.Session());
    transaction.commit();
    credentials_changed_();
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error, "the membership");
  }
}

grpc::Status IdentityServiceImpl::RemoveTeamMember(grpc::ServerContext* context,
                                                   const v1::RemoveTeamMemberRequest* request,
                                                   v1::Team* response) {
  if (request->team_id() <= 0) return Invalid("team_id", "must be a team id");
  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  const auto before = identity::FindTeam(lease.Session(), request->team_id());
  if (!before) {
    return {grpc::StatusCode::NOT_FOUND, fmt::format("no team with id {}", request->team_id())};
  }
  identity::RemoveTeamMember(lease.Session(), request->team_id(), request->user_id());
  auto team = identity::FindTeam(lease.Session(), request->team_id());
  audit_.Record(
      lease.Session(), CallerOf(*context), AuditAction::kUpdate, "kernel.team", team->id,
      {{"member_user_ids", IdsJson(before->member_user_ids), IdsJson(team->member_user_ids)}});
  event_store::AnnounceCredentialsChanged(lease.Session());
  transaction.commit();
  credentials_changed_();
  ToProto(*team, response);
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::CreateApiToken(grpc::ServerContext* context,
                                                 const v1::CreateApiTokenRequest* request,
                                                 v1::CreateApiTokenResponse* response) {
  const Caller caller = CallerOf(*context);
  const std::int64_t owner = request->user_id() == 0 ? caller.user_id : request->user_id();
  if (owner != caller.user_id && !caller.IsAdmin()) {
    return {grpc::StatusCode::PERMISSION_DENIED, "only an admin may create tokens for other users"};
  }
  if (owner <= 0) return Invalid("user_id", "is required for calls without a user");
  std::optional<std::int64_t> ttl_seconds;
  if (request->has_ttl()) {
    const auto seconds = request->ttl().seconds();
    if (seconds <= 0) return Invalid("ttl", "must be positive");
    ttl_seconds = seconds;
  }
  const NewTokenSecret secret = GenerateTokenSecret();
  try {
    auto lease = database_.Acquire();
    soci::transaction transaction(lease.Session());
    if (!identity::FindUser(lease.Session(), owner)) {
      return {grpc::StatusCode::NOT_FOUND, fmt::format("no user with id {}", owner)};
    }
    // A token may not outlive the token that made it: otherwise a leaked
    // short-lived token could mint a permanent one.
    if (caller.api_token_id > 0) {
      if (const auto left = identity::TokenSecondsLeft(lease.Session(), caller.api_token_id)) {
        const std::int64_t limit = std::max<std::int64_t>(*left, 1);
        if (!ttl_seconds) {
          ttl_seconds = limit;
        } else if (*ttl_seconds > limit) {
          return Invalid("ttl", fmt::format("may be at most {} s: a token may not outlive the "
                                            "token that creates it",
                                            limit));
        }
      }
    }
    const auto token = identity::InsertToken(lease.Session(), owner, request->display_name(),
                                             secret.hash_hex, secret.prefix, ttl_seconds);
    // The secret is never audited: only who got a token, and its prefix.
    audit_.Record(lease.Session(), caller, AuditAction::kCreate, "kernel.api_token", token.id,
                  {{"user_id", std::nullopt, std::to_string(owner)},
                   FieldChange::Created("display_name", token.display_name),
                   FieldChange::Created("prefix", token.prefix)});
    transaction.commit();
    ToProto(token, response->mutable_api_token());
    response->set_token(secret.secret);
    return grpc::Status::OK;
  } catch (const std::exception& error) {
    return FromDatabaseError(error, "the token");
  }
}

grpc::Status IdentityServiceImpl::RevokeApiToken(grpc::ServerContext* context,
                                                 const v1::RevokeApiTokenRequest* request,
                                                 v1::ApiToken* response) {
  if (request->id() <= 0) return Invalid("id", "must be a token id");
  const Caller caller = CallerOf(*context);
  auto lease = database_.Acquire();
  soci::transaction transaction(lease.Session());
  auto token = identity::FindToken(lease.Session(), request->id());
  // Someone else's token is reported as missing: its existence is not theirs to learn.
  if (!token || (token->user_id != caller.user_id && !caller.IsAdmin())) {
    return {grpc::StatusCode::NOT_FOUND, fmt::format("no token with id {}", request->id())};
  }
  const auto revoked = identity::RevokeToken(lease.Session(), request->id());
  if (!token->revoke_time_us) {
    audit_.Record(lease.Session(), caller, AuditAction::kUpdate, "kernel.api_token", revoked->id,
                  {{"revoked", "false", "true"}});
  }
  ToProto(*revoked, response);
  event_store::AnnounceCredentialsChanged(lease.Session());
  transaction.commit();
  credentials_changed_();
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::ListApiTokens(grpc::ServerContext* context,
                                                const v1::ListApiTokensRequest* request,
                                                v1::ListApiTokensResponse* response) {
  const Caller caller = CallerOf(*context);
  const std::int64_t owner = request->user_id() == 0 ? caller.user_id : request->user_id();
  if (owner <= 0) return Invalid("user_id", "is required for calls without a user");
  if (owner != caller.user_id && !caller.IsAdmin()) {
    return {grpc::StatusCode::PERMISSION_DENIED, "only an admin may list other users' tokens"};
  }
  std::string kind;
  switch (request->kind()) {
    case v1::API_TOKEN_KIND_UNSPECIFIED:
      break;
    case v1::API_TOKEN_KIND_API:
      kind = "api";
      break;
    case v1::API_TOKEN_KIND_WEB_SESSION:
      kind = "web_session";
      break;
    default:
      return Invalid("kind", fmt::format("{} is not an ApiTokenKind", request->kind()));
  }
  Page page;
  if (auto status = ReadPage(*request, page); !status.ok()) return status;
  auto lease = database_.Acquire();
  auto rows = identity::ListTokens(lease.Session(), owner, kind, !request->show_inactive(),
                                   page.AfterId(), page.FetchLimit());
  response->set_next_page_token(FinishPage(rows, page, [](const auto& row) {
    return PageCursor{"", row.id};
  }));
  for (const auto& row : rows) ToProto(row, response->add_api_tokens());
  return grpc::Status::OK;
}

grpc::Status IdentityServiceImpl::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                                         v1::WhoAmIResponse* response) {
  const Caller caller = CallerOf(*context);
  if (caller.IsInternal()) {
    return {grpc::StatusCode::FAILED_PRECONDITION,
            "this call was made by kartond itself, not a user"};
  }
  if (caller.IsNobody()) return {grpc::StatusCode::UNAUTHENTICATED, "the call has no caller"};
  auto lease = database_.Acquire();
  auto user = identity::FindUser(lease.Session(), caller.user_id);
  if (!user) return {grpc::StatusCode::NOT_FOUND, "the caller's user no longer exists"};
  ToProto(*user, response->mutable_user());
  response->set_api_token_id(caller.api_token_id);
  return grpc::Status::OK;
}

bool BootstrapAdmin(Database& database, AuditLog& audit, const std::filesystem::path& token_file) {
  auto lease = database.Acquire();
  soci::session& session = lease.Session();
  soci::transaction transaction(session);
  // Two kartond starting at once on an empty database create one admin.
  session << "SELECT pg_advisory_xact_lock(hashtext('karton.bootstrap_admin'))";
  if (identity::AnyAdminExists(session)) return false;
  identity::NewUser admin{"Administrator", "admin@localhost", {std::string(kRoleAdmin)}, "", ""};
  const auto user = identity::InsertUser(session, admin);
  audit.Record(session, Caller::Internal(), AuditAction::kCreate, "kernel.user", user.id,
               UserChanges(nullptr, user));
  const NewTokenSecret secret = GenerateTokenSecret();
  identity::InsertToken(session, user.id, "created at first start", secret.hash_hex, secret.prefix,
                        std::nullopt);
  // Written before the commit: if the file cannot be written, no admin
  // exists whose token nobody knows. A symbolic link planted in its place is
  // not followed (the token would land wherever it points), and a file left
  // there with wider permissions is narrowed to the owner before the secret
  // goes in.
  const int fd =
      ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    throw std::runtime_error(fmt::format("cannot write the admin token to {}: {}",
                                         token_file.string(), std::strerror(errno)));
  }
  if (::fchmod(fd, 0600) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(fmt::format("cannot make {} private to its owner: {}",
                                         token_file.string(), std::strerror(error)));
  }
  const std::string line = secret.secret + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) throw std::runtime_error(fmt::format("cannot write {}", token_file.string()));
  transaction.commit();
  return true;
}

}  // namespace karton::kernel

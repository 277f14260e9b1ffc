// SQL for users, teams and API tokens (schema/kernel/0002_create_identity.sql).
// Every function runs on the session it is given, inside the caller's
// transaction when there is one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace karton::kernel::identity {

struct UserRow {
  std::int64_t id = 0;
  std::string name;
  std::string email;
  std::vector<std::string> roles;
  bool disabled = false;
  std::vector<std::int64_t> team_ids;
  std::int64_t create_time_us = 0;
  std::int64_t update_time_us = 0;
  std::int64_t version = 0;
};

struct TeamRow {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::int64_t> member_user_ids;
  std::int64_t create_time_us = 0;
};

struct TokenRow {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string display_name;
  std::string prefix;
  std::int64_t create_time_us = 0;
  std::optional<std::int64_t> expire_time_us;
  std::optional<std::int64_t> revoke_time_us;
  std::string kind = "api";  // "api" or "web_session"
  std::string user_agent;
  std::string client_address;
};

// What a token is for, where it came from (schema/kernel/0010).
struct TokenOrigin {
  std::string kind = "api";
  std::string user_agent;
  std::string client_address;
};

struct NewUser {
  std::string name;
  std::string email;
  std::vector<std::string> roles;
  std::string password_hash;  // empty: none
  std::string request_id;     // empty: none
};

// Returns the new user, or the one created earlier with the same request_id.
// Throws soci errors (23505 on a duplicate email).
// `inserted` (optional) tells whether a new row was made.
UserRow InsertUser(soci::session& session, const NewUser& user, bool* inserted = nullptr);
std::optional<UserRow> FindUser(soci::session& session, std::int64_t id);
std::vector<UserRow> ListUsers(soci::session& session, std::int64_t after_id, int limit);
bool AnyAdminExists(soci::session& session);

struct UserChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::vector<std::string>> roles;
  std::optional<bool> disabled;
};
// nullopt when no user has `id` at `expected_version` (the caller tells
// NOT_FOUND from ABORTED with FindUser).
std::optional<UserRow> UpdateUser(soci::session& session, std::int64_t id,
                                  std::int64_t expected_version, const UserChanges& changes);

TeamRow InsertTeam(soci::session& session, const std::string& name, const std::string& request_id,
                   bool* inserted = nullptr);
std::optional<TeamRow> FindTeam(soci::session& session, std::int64_t id);
std::vector<TeamRow> ListTeams(soci::session& session, std::int64_t after_id, int limit);
void AddTeamMember(soci::session& session, std::int64_t team_id, std::int64_t user_id);
void RemoveTeamMember(soci::session& session, std::int64_t team_id, std::int64_t user_id);

TokenRow InsertToken(soci::session& session, std::int64_t user_id, const std::string& display_name,
                     const std::string& hash_hex, const std::string& prefix,
                     std::optional<std::int64_t> ttl_seconds, const TokenOrigin& origin = {});
std::optional<TokenRow> FindToken(soci::session& session, std::int64_t id);
// Whole seconds until token `id` expires (0 or less once it has); nullopt
// for a token without expiry.
std::optional<std::int64_t> TokenSecondsLeft(soci::session& session, std::int64_t id);
// Sets revoke_time once; revoking again keeps the first time.
std::optional<TokenRow> RevokeToken(soci::session& session, std::int64_t id);
// What signing in with an email checks: nullopt when no user has it.
struct SignInCredentials {
  std::int64_t user_id = 0;
  std::string password_hash;  // empty: the user has no password (tokens only)
  bool disabled = false;
};
std::optional<SignInCredentials> FindSignInCredentials(soci::session& session,
                                                       const std::string& email);

// The user's argon2id hash: "" when the user has no password, nullopt when
// there is no such user.
std::optional<std::string> PasswordHashOf(soci::session& session, std::int64_t user_id);
// Sets (or, with "", removes) the hash; bumps the user's version.
void SetPasswordHash(soci::session& session, std::int64_t user_id, const std::string& hash);
// Revokes the user's web sessions other than `keep_token_id`; how many.
long long RevokeWebSessions(soci::session& session, std::int64_t user_id,
                            std::int64_t keep_token_id);

// `user_id`'s tokens with id > `after_id`, by id; `kind` empty: both kinds;
// `only_active`: neither revoked nor expired.
std::vector<TokenRow> ListTokens(soci::session& session, std::int64_t user_id,
                                 const std::string& kind, bool only_active, std::int64_t after_id,
                                 int limit);

}  // namespace karton::kernel::identity

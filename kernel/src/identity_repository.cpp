#include "identity_repository.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/soci.h>

#include <sstream>
#include <stdexcept>

#include "karton/kernel/prepared_query.h"
#include "query_cells.h"

namespace karton::kernel::identity {
namespace {

// Timestamps travel as epoch microseconds: exact, and independent of the
// session time zone.
#define KARTON_US(column) "(extract(epoch from " column ") * 1000000)::bigint"

// Column lists are macros so every statement below is one string literal:
// named, constant SQL with bound values only.
#define KARTON_USER_COLUMNS                                                 \
  "u.id, u.name, u.email, array_to_string(u.roles, ','), u.disabled::int, " \
  "coalesce((SELECT string_agg(m.team_id::text, ',' ORDER BY m.team_id) "   \
  "FROM kernel.team_member m WHERE m.user_id = u.id), ''), " KARTON_US(     \
      "u.create_time") ", " KARTON_US("u.update_time") ", u.version"
#define KARTON_TEAM_COLUMNS                                                             \
  "t.id, t.name, coalesce((SELECT string_agg(m.user_id::text, ',' ORDER BY m.user_id) " \
  "FROM kernel.team_member m WHERE m.team_id = t.id), ''), " KARTON_US("t.create_time")
#define KARTON_TOKEN_COLUMNS                                                               \
  "t.id, t.user_id, t.display_name, t.prefix, " KARTON_US("t.create_time") ", " KARTON_US( \
      "t.expire_time") ", " KARTON_US("t.revoke_time") ", t.kind, t.user_agent, t.client_address"

// Read for every assignee notice and every caller's roles check in a
// module: prepared once per connection (RunPrepared), not planned per call.
const std::string kSelectUser =
    "SELECT " KARTON_USER_COLUMNS " FROM kernel.user_account u WHERE u.id = cast($1 AS bigint)";
constexpr const char* kListUsers = "SELECT " KARTON_USER_COLUMNS
                                   " FROM kernel.user_account u WHERE u.id > :after "
                                   "ORDER BY u.id LIMIT :limit";
constexpr const char* kSelectTeam =
    "SELECT " KARTON_TEAM_COLUMNS " FROM kernel.team t WHERE t.id = :id";
constexpr const char* kListTeams =
    "SELECT " KARTON_TEAM_COLUMNS
    " FROM kernel.team t WHERE t.id > :after ORDER BY t.id LIMIT :limit";
constexpr const char* kSelectToken =
    "SELECT " KARTON_TOKEN_COLUMNS " FROM kernel.api_token t WHERE t.id = :id";
constexpr const char* kListTokens =
    "SELECT " KARTON_TOKEN_COLUMNS
    " FROM kernel.api_token t WHERE t.user_id = :user AND t.id > :after"
    " AND t.kind = coalesce(nullif(:kind, ''), t.kind)"
    " AND (:only_active = 0 OR (t.revoke_time IS NULL"
    " AND (t.expire_time IS NULL OR t.expire_time > now())))"
    " ORDER BY t.id LIMIT :limit";

std::vector<std::string> SplitText(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::vector<std::int64_t> SplitIds(const std::string& text) {
  std::vector<std::int64_t> ids;
  for (const auto& part : SplitText(text)) ids.push_back(std::stoll(part));
  return ids;
}

// PostgreSQL text[] literal from role names (roles are validated against a
// fixed list before they get here, so no quoting is needed beyond this).
std::string RolesArray(const std::vector<std::string>& roles) {
  return fmt::format("{{{}}}", fmt::join(roles, ","));
}

UserRow ReadUser(const soci::row& row) {
  UserRow user;
  user.id = row.get<long long>(0);
  user.name = row.get<std::string>(1);
  user.email = row.get<std::string>(2);
  user.roles = SplitText(row.get<std::string>(3));
  user.disabled = row.get<int>(4) != 0;
  user.team_ids = SplitIds(row.get<std::string>(5));
  user.create_time_us = row.get<long long>(6);
  user.update_time_us = row.get<long long>(7);
  user.version = row.get<long long>(8);
  return user;
}

// The columns of KARTON_USER_COLUMNS, as ReadUser above.
UserRow ReadUser(const QueryRows& rows) {
  UserRow user;
  user.id = IntegerCell(rows, 0, 0);
  user.name = rows.Text(0, 1);
  user.email = rows.Text(0, 2);
  user.roles = SplitText(std::string(rows.Text(0, 3)));
  user.disabled = IntegerCell(rows, 0, 4) != 0;
  user.team_ids = SplitIds(std::string(rows.Text(0, 5)));
  user.create_time_us = IntegerCell(rows, 0, 6);
  user.update_time_us = IntegerCell(rows, 0, 7);
  user.version = IntegerCell(rows, 0, 8);
  return user;
}

TeamRow ReadTeam(const soci::row& row) {
  TeamRow team;
  team.id = row.get<long long>(0);
  team.name = row.get<std::string>(1);
  team.member_user_ids = SplitIds(row.get<std::string>(2));
  team.create_time_us = row.get<long long>(3);
  return team;
}

TokenRow ReadToken(const soci::row& row) {
  TokenRow token;
  token.id = row.get<long long>(0);
  token.user_id = row.get<long long>(1);
  token.display_name = row.get<std::string>(2);
  token.prefix = row.get<std::string>(3);
  token.create_time_us = row.get<long long>(4);
  if (row.get_indicator(5) == soci::i_ok) token.expire_time_us = row.get<long long>(5);
  if (row.get_indicator(6) == soci::i_ok) token.revoke_time_us = row.get<long long>(6);
  token.kind = row.get<std::string>(7);
  token.user_agent = row.get<std::string>(8);
  token.client_address = row.get<std::string>(9);
  return token;
}

template <typename Row, typename Read>
std::optional<Row> SelectOne(soci::session& session, const std::string& sql, long long id,
                             Read read) {
  soci::row row;
  session << sql, soci::use(id), soci::into(row);
  if (!session.got_data()) return std::nullopt;
  return read(row);
}

}  // namespace

UserRow InsertUser(soci::session& session, const NewUser& user, bool* was_inserted) {
  const std::string roles = RolesArray(user.roles);
  soci::indicator password_null = user.password_hash.empty() ? soci::i_null : soci::i_ok;
  soci::indicator request_null = user.request_id.empty() ? soci::i_null : soci::i_ok;
  long long id = 0;
  soci::indicator inserted = soci::i_null;
  session << "INSERT INTO kernel.user_account (name, email, password_hash, roles, request_id) "
             "VALUES (:name, :email, :password, cast(:roles AS text[]), :request_id) "
             "ON CONFLICT (request_id) DO NOTHING RETURNING id",
      soci::use(user.name), soci::use(user.email), soci::use(user.password_hash, password_null),
      soci::use(roles), soci::use(user.request_id, request_null), soci::into(id, inserted);
  const bool made = session.got_data() && inserted == soci::i_ok;
  if (was_inserted != nullptr) *was_inserted = made;
  if (!made) {
    session << "SELECT id FROM kernel.user_account WHERE request_id = :request_id",
        soci::use(user.request_id), soci::into(id);
  }
  return *FindUser(session, id);
}

std::optional<UserRow> FindUser(soci::session& session, std::int64_t id) {
  const std::string id_text = std::to_string(id);
  const QueryRows rows = RunPrepared(session, kSelectUser, {id_text});
  if (rows.Count() == 0) return std::nullopt;
  return ReadUser(rows);
}

std::vector<UserRow> ListUsers(soci::session& session, std::int64_t after_id, int limit) {
  long long after = after_id;
  soci::rowset<soci::row> rows =
      (session.prepare << kListUsers, soci::use(after), soci::use(limit));
  std::vector<UserRow> users;
  for (const auto& row : rows) users.push_back(ReadUser(row));
  return users;
}

bool AnyAdminExists(soci::session& session) {
  int count = 0;
  session << "SELECT count(*) FROM kernel.user_account WHERE 'admin' = ANY(roles)",
      soci::into(count);
  return count > 0;
}

std::optional<UserRow> UpdateUser(soci::session& session, std::int64_t id,
                                  std::int64_t expected_version, const UserChanges& changes) {
  // Unchanged fields are bound as NULL and kept with coalesce, so the
  // statement text never depends on the request.
  const std::string roles = changes.roles ? RolesArray(*changes.roles) : "";
  soci::indicator name_null = changes.name ? soci::i_ok : soci::i_null;
  soci::indicator email_null = changes.email ? soci::i_ok : soci::i_null;
  soci::indicator roles_null = changes.roles ? soci::i_ok : soci::i_null;
  soci::indicator disabled_null = changes.disabled ? soci::i_ok : soci::i_null;
  const std::string name = changes.name.value_or("");
  const std::string email = changes.email.value_or("");
  const int disabled = changes.disabled.value_or(false) ? 1 : 0;
  long long user_id = id, version = expected_version, updated = 0;
  soci::indicator updated_null = soci::i_null;
  session << "UPDATE kernel.user_account SET "
             "name = coalesce(:name, name), email = coalesce(:email, email), "
             "roles = coalesce(cast(:roles AS text[]), roles), "
             "disabled = coalesce(cast(:disabled AS int)::boolean, disabled), "
             "update_time = now(), version = version + 1 "
             "WHERE id = :id AND version = :version RETURNING id",
      soci::use(name, name_null), soci::use(email, email_null), soci::use(roles, roles_null),
      soci::use(disabled, disabled_null), soci::use(user_id), soci::use(version),
      soci::into(updated, updated_null);
  if (!session.got_data() || updated_null != soci::i_ok) return std::nullopt;
  return FindUser(session, id);
}

TeamRow InsertTeam(soci::session& session, const std::string& name, const std::string& request_id,
                   bool* was_inserted) {
  soci::indicator request_null = request_id.empty() ? soci::i_null : soci::i_ok;
  long long id = 0;
  soci::indicator inserted = soci::i_null;
  session << "INSERT INTO kernel.team (name, request_id) VALUES (:name, :request_id) "
             "ON CONFLICT (request_id) DO NOTHING RETURNING id",
      soci::use(name), soci::use(request_id, request_null), soci::into(id, inserted);
  const bool made = session.got_data() && inserted == soci::i_ok;
  if (was_inserted != nullptr) *was_inserted = made;
  if (!made) {
    session << "SELECT id FROM kernel.team WHERE request_id = :request_id", soci::use(request_id),
        soci::into(id);
  }
  return *FindTeam(session, id);
}

std::optional<TeamRow> FindTeam(soci::session& session, std::int64_t id) {
  return SelectOne<TeamRow>(session, kSelectTeam, id, ReadTeam);
}

std::vector<TeamRow> ListTeams(soci::session& session, std::int64_t after_id, int limit) {
  long long after = after_id;
  soci::rowset<soci::row> rows =
      (session.prepare << kListTeams, soci::use(after), soci::use(limit));
  std::vector<TeamRow> teams;
  for (const auto& row : rows) teams.push_back(ReadTeam(row));
  return teams;
}

void AddTeamMember(soci::session& session, std::int64_t team_id, std::int64_t user_id) {
  long long team = team_id, user = user_id;
  session << "INSERT INTO kernel.team_member (team_id, user_id) VALUES (:team, :user) "
             "ON CONFLICT DO NOTHING",
      soci::use(team), soci::use(user);
}

void RemoveTeamMember(soci::session& session, std::int64_t team_id, std::int64_t user_id) {
  long long team = team_id, user = user_id;
  session << "DELETE FROM kernel.team_member WHERE team_id = :team AND user_id = :user",
      soci::use(team), soci::use(user);
}

TokenRow InsertToken(soci::session& session, std::int64_t user_id, const std::string& display_name,
                     const std::string& hash_hex, const std::string& prefix,
                     std::optional<std::int64_t> ttl_seconds, const TokenOrigin& origin) {
  long long user = user_id, ttl = ttl_seconds.value_or(0), id = 0;
  soci::indicator ttl_null = ttl_seconds ? soci::i_ok : soci::i_null;
  session << "INSERT INTO kernel.api_token (user_id, display_name, secret_hash, prefix, "
             "expire_time, kind, user_agent, client_address) VALUES (:user, :name, "
             "decode(:hash, 'hex'), :prefix, now() + make_interval(secs => :ttl), :kind, "
             ":user_agent, :client_address) RETURNING id",
      soci::use(user), soci::use(display_name), soci::use(hash_hex), soci::use(prefix),
      soci::use(ttl, ttl_null), soci::use(origin.kind), soci::use(origin.user_agent),
      soci::use(origin.client_address), soci::into(id);
  return *FindToken(session, id);
}

std::optional<std::int64_t> TokenSecondsLeft(soci::session& session, std::int64_t id) {
  long long token = id, seconds = 0;
  soci::indicator has_expiry = soci::i_null;
  session << "SELECT floor(extract(epoch FROM expire_time - now()))::bigint FROM kernel.api_token "
             "WHERE id = :id",
      soci::use(token), soci::into(seconds, has_expiry);
  if (!session.got_data() || has_expiry != soci::i_ok) return std::nullopt;
  return seconds;
}

std::optional<TokenRow> FindToken(soci::session& session, std::int64_t id) {
  return SelectOne<TokenRow>(session, kSelectToken, id, ReadToken);
}

std::optional<TokenRow> RevokeToken(soci::session& session, std::int64_t id) {
  long long token = id;
  session << "UPDATE kernel.api_token SET revoke_time = coalesce(revoke_time, now()) "
             "WHERE id = :id",
      soci::use(token);
  return FindToken(session, id);
}

std::optional<SignInCredentials> FindSignInCredentials(soci::session& session,
                                                       const std::string& email) {
  SignInCredentials found;
  long long id = 0;
  int disabled = 0;
  soci::indicator hash_indicator = soci::i_null;
  session << "SELECT id, password_hash, disabled::int FROM kernel.user_account "
             "WHERE lower(email) = lower(:email)",
      soci::use(email), soci::into(id), soci::into(found.password_hash, hash_indicator),
      soci::into(disabled);
  if (!session.got_data()) return std::nullopt;
  found.user_id = id;
  if (hash_indicator != soci::i_ok) found.password_hash.clear();
  found.disabled = disabled != 0;
  return found;
}

std::optional<std::string> PasswordHashOf(soci::session& session, std::int64_t user_id) {
  long long id = user_id;
  std::string hash;
  soci::indicator hash_indicator = soci::i_null;
  session << "SELECT password_hash FROM kernel.user_account WHERE id = :id", soci::use(id),
      soci::into(hash, hash_indicator);
  if (!session.got_data()) return std::nullopt;
  return hash_indicator == soci::i_ok ? hash : std::string();
}

void SetPasswordHash(soci::session& session, std::int64_t user_id, const std::string& hash) {
  long long id = user_id;
  session << "UPDATE kernel.user_account SET password_hash = nullif(:hash, ''), "
             "update_time = now(), version = version + 1 WHERE id = :id",
      soci::use(hash), soci::use(id);
}

long long RevokeWebSessions(soci::session& session, std::int64_t user_id,
                            std::int64_t keep_token_id) {
  long long user = user_id, keep = keep_token_id;
  soci::statement statement =
      (session.prepare << "UPDATE kernel.api_token SET revoke_time = now() "
                          "WHERE user_id = :user AND kind = 'web_session' AND id <> :keep "
                          "AND revoke_time IS NULL",
       soci::use(user), soci::use(keep));
  statement.execute(true);
  return statement.get_affected_rows();
}

std::vector<TokenRow> ListTokens(soci::session& session, std::int64_t user_id,
                                 const std::string& kind, bool only_active, std::int64_t after_id,
                                 int limit) {
  long long user = user_id, after = after_id;
  int active = only_active ? 1 : 0;
  soci::rowset<soci::row> rows =
      (session.prepare << kListTokens, soci::use(user, "user"), soci::use(after, "after"),
       soci::use(kind, "kind"), soci::use(active, "only_active"), soci::use(limit, "limit"));
  std::vector<TokenRow> tokens;
  for (const auto& row : rows) tokens.push_back(ReadToken(row));
  return tokens;
}

}  // namespace karton::kernel::identity

#include "access_control.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>
#include <stdexcept>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "karton/kernel/database.h"
#include "remote_modules.h"

namespace karton::kernel {
namespace {

// Connection-level auth-context property the processor sets.
constexpr const char* kNetworkProperty = "karton.network";
// Metadata that carries a forwarded caller on in-process calls only.
constexpr const char* kCallerMetadata = "karton-caller";

constexpr const char* kSelectTokenOwner = R"sql(
SELECT t.id, t.user_id, u.disabled::int,
       (t.revoke_time IS NOT NULL)::int,
       (t.expire_time IS NOT NULL AND t.expire_time <= now())::int,
       coalesce((extract(epoch FROM t.expire_time) * 1000000)::bigint, 0),
       array_to_string(u.roles, ','),
       coalesce((SELECT string_agg(m.team_id::text, ',') FROM kernel.team_member m
                 WHERE m.user_id = u.id), '')
FROM kernel.api_token t JOIN kernel.user_account u ON u.id = t.user_id
WHERE t.secret_hash = decode(:hash, 'hex'))sql";

constexpr const char* kInsertGrant = R"sql(
INSERT INTO kernel.record_grant (resource_type, resource_id, user_id, team_id, granted_by)
VALUES (:type, :id, nullif(:user_id, 0), nullif(:team_id, 0), nullif(:granted_by, 0))
ON CONFLICT DO NOTHING)sql";

constexpr const char* kDeleteDirectGrant = R"sql(
DELETE FROM kernel.record_grant
WHERE resource_type = :type AND resource_id = :id AND via_resource_type IS NULL
  AND (user_id = nullif(:user_id, 0) OR team_id = nullif(:team_id, 0)))sql";

// Derived grants follow the direct ones of the via record: those no longer
// backed (or pointing elsewhere) go, missing ones come.
constexpr const char* kDeleteStaleLinkedGrants = R"sql(
DELETE FROM kernel.record_grant d
WHERE d.via_resource_type = :via_type AND d.via_resource_id = :via_id
  AND (d.resource_type <> :linked_type OR d.resource_id <> :linked_id OR NOT EXISTS (
    SELECT 1 FROM kernel.record_grant g
    WHERE g.resource_type = :via_type2 AND g.resource_id = :via_id2
      AND g.via_resource_type IS NULL
      AND (g.user_id = d.user_id OR g.team_id = d.team_id))))sql";
constexpr const char* kInsertLinkedGrants = R"sql(
INSERT INTO kernel.record_grant
  (resource_type, resource_id, user_id, team_id, granted_by, via_resource_type, via_resource_id)
SELECT cast(:linked_type AS text), cast(:linked_id AS bigint), g.user_id, g.team_id, g.granted_by, g.resource_type, g.resource_id
FROM kernel.record_grant g
WHERE g.resource_type = :via_type AND g.resource_id = :via_id AND g.via_resource_type IS NULL
  AND cast(:linked_id2 AS bigint) <> 0
ON CONFLICT DO NOTHING)sql";

bool IsResourceType(std::string_view resource_type) {
  return !resource_type.empty() &&
         std::all_of(resource_type.begin(), resource_type.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
         });
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::string ToString(grpc::string_ref ref) { return std::string(ref.data(), ref.size()); }

// A positive or zero decimal id, exactly; false for anything else.
bool ParseId(std::string_view text, std::int64_t& id) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  return error == std::errc() && end == text.data() + text.size() && id >= 0;
}

// The karton-caller value of kartond's own calls (CallAsKernel).
constexpr std::string_view kInternalCallerValue = "internal";

// Extracts the token from "Bearer <token>"; empty when malformed.
std::string BearerToken(std::string_view value) {
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return "";
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return "";
  }
  return std::string(value.substr(kScheme.size()));
}

// How long a verified token is believed without asking the database again.
// Changes made through this kartond's IdentityService forget every verified
// caller at once; the lifetime bounds how long a change made elsewhere (another
// kartond on the same database, or SQL by hand) takes to reach this one.
constexpr auto kVerifiedCallerLifetime = std::chrono::seconds(5);
// Token checks retried on another connection after a lost one (the auth
// pool has two).
constexpr int kAuthRetries = 2;

}  // namespace

class TokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenProcessor(AccessControl& access) : access_(access) {}

  // The token lookup queries the database: gRPC then runs us on its own
  // thread pool rather than on a transport thread.
  bool IsBlocking() const override { return true; }

  // Note: `context` belongs to the connection, not the call (properties
  // added here pile up across calls), so the caller is not stored in it;
  // the call's interceptor attaches it as karton-caller metadata instead.
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context,
                       OutputMetadata* /*consumed*/, OutputMetadata* /*response*/) override {
    const auto path_it = metadata.find(":path");
    const std::string path = path_it == metadata.end() ? "" : ToString(path_it->second);
    if (metadata.find(kCallerMetadata) != metadata.end()) {
      return {grpc::StatusCode::UNAUTHENTICATED,
              "the karton-caller metadata is reserved for calls inside kartond"};
    }
    if (path.rfind("/grpc.health.v1.Health/", 0) == 0 || path.rfind("/grpc.reflection.", 0) == 0) {
      return grpc::Status::OK;
    }
    const auto header = metadata.find("authorization");
    if (header == metadata.end()) {
      return {grpc::StatusCode::UNAUTHENTICATED,
              "missing metadata 'authorization: Bearer <token>'"};
    }
    // The one decision about this call: who it acts for and whether that
    // caller may call this method. The interceptor hands exactly this
    // verdict to the handler (HandOffFor); it never decides again.
    if (auto status = access_.AdmitNetworkCall(ToString(header->second), path); !status.ok()) {
      return status;
    }
    // A connection-level marker: this connection comes through the network
    // port (in-process connections never pass here).
    // Calls of one connection are processed concurrently, and the
    // connection's auth context has no lock of its own.
    std::lock_guard lock(marker_mutex_);
    if (context->FindPropertyValues(kNetworkProperty).empty()) {
      context->AddProperty(kNetworkProperty, "1");
    }
    return grpc::Status::OK;
  }

 private:
  AccessControl& access_;
  std::mutex marker_mutex_;
};

std::vector<std::string> StaffRoles() {
  return {std::string(kRoleAdmin), std::string(kRoleSales), std::string(kRoleSalesManager),
          std::string(kRoleAccounting), std::string(kRoleSupport)};
}

bool IsKnownRole(std::string_view role) {
  return role == kRoleAdmin || role == kRoleSales || role == kRoleSalesManager ||
         role == kRoleAccounting || role == kRoleSupport || role == kRoleExternalPartner;
}

Caller Caller::Internal() {
  Caller caller;
  caller.internal = true;
  return caller;
}

bool Caller::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Caller::IsStaff() const {
  if (internal) return true;
  // Someone marked external is restricted whatever else they hold (the
  // kernel refuses to combine the roles; this keeps old rows safe too).
  if (user_id <= 0 || IsExternalPartner()) return false;
  // A verified caller holds only roles this kartond knows, the kernel's and
  // the loaded modules' (AccessControl drops the others); every one of them
  // but external_partner is an employee's.
  return std::any_of(roles.begin(), roles.end(), [](const std::string& role) {
    return !role.empty() && role != kRoleExternalPartner;
  });
}

bool Caller::IsExternalPartner() const {
  return !internal && user_id > 0 && HasRole(kRoleExternalPartner) && !IsAdmin();
}

std::int64_t ActorUserId(const Caller& caller) {
  if (caller.IsInternal()) return 0;
  if (caller.IsNobody()) {
    throw NoCallerError("a change was attempted with no verified caller; nothing was written");
  }
  return caller.user_id;
}

std::string SerializeCaller(const Caller& caller) {
  if (caller.internal) return std::string(kInternalCallerValue);
  return fmt::format("{};{};{};{}", caller.user_id, fmt::join(caller.roles, ","),
                     fmt::join(caller.team_ids, ","), caller.api_token_id);
}

std::optional<Caller> ParseCaller(std::string_view value) {
  if (value == kInternalCallerValue) return Caller::Internal();
  std::vector<std::string> fields;
  for (std::size_t start = 0;;) {
    const auto end = value.find(';', start);
    fields.emplace_back(value.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (fields.size() != 4) return std::nullopt;
  Caller caller;
  if (!ParseId(fields[0], caller.user_id) || caller.user_id <= 0) return std::nullopt;
  caller.roles = Split(fields[1], ',');
  for (const auto& team : Split(fields[2], ',')) {
    if (!ParseId(team, caller.team_ids.emplace_back())) return std::nullopt;
  }
  if (!fields[3].empty() && !ParseId(fields[3], caller.api_token_id)) return std::nullopt;
  return caller;
}

Caller CallerOfMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  // Network calls get karton-caller from the kernel's interceptor, which
  // hands on the verdict the token processor reached for this call (a
  // client-sent one is refused); in-process calls carry the one their module
  // forwarded, or kartond's own. No value, or a malformed one: nobody.
  const auto forwarded = metadata.find(kCallerMetadata);
  if (forwarded == metadata.end()) return Caller{};
  return ParseCaller(ToString(forwarded->second)).value_or(Caller{});
}

Caller CallerOf(const grpc::ServerContextBase& context) {
  return CallerOfMetadata(context.client_metadata());
}

void ForwardCaller(const Caller& caller, grpc::ClientContext& to) {
  to.AddMetadata(kCallerMetadata, SerializeCaller(caller));
}

void ForwardCaller(const grpc::ServerContextBase& from, grpc::ClientContext& to) {
  ForwardCaller(CallerOf(from), to);
}

void CallAsKernel(grpc::ClientContext& to) { ForwardCaller(Caller::Internal(), to); }

bool ShareRecord(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                 ShareWith with, std::int64_t granted_by) {
  if (!IsResourceType(resource_type)) {
    throw std::invalid_argument("resource type must look like module.resource");
  }
  if ((with.user_id == 0) == (with.team_id == 0)) {
    throw std::invalid_argument("share with exactly one of a user and a team");
  }
  const std::string type(resource_type);
  long long id = resource_id, user_id = with.user_id, team_id = with.team_id, by = granted_by;
  soci::statement statement = (session.prepare << kInsertGrant, soci::use(type), soci::use(id),
                               soci::use(user_id), soci::use(team_id), soci::use(by));
  statement.execute(true);
  return statement.get_affected_rows() > 0;
}

bool UnshareRecord(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                   ShareWith with) {
  if (!IsResourceType(resource_type)) {
    throw std::invalid_argument("resource type must look like module.resource");
  }
  if ((with.user_id == 0) == (with.team_id == 0)) {
    throw std::invalid_argument("unshare with exactly one of a user and a team");
  }
  const std::string type(resource_type);
  long long id = resource_id, user_id = with.user_id, team_id = with.team_id;
  soci::statement statement =
      (session.prepare << kDeleteDirectGrant, soci::use(type, "type"), soci::use(id, "id"),
       soci::use(user_id, "user_id"), soci::use(team_id, "team_id"));
  statement.execute(true);
  return statement.get_affected_rows() > 0;
}

void SyncLinkedGrants(soci::session& session, std::string_view via_type, std::int64_t via_id,
                      std::string_view linked_type, std::int64_t linked_id) {
  if (!IsResourceType(via_type) || !IsResourceType(linked_type)) {
    throw std::invalid_argument("resource type must look like module.resource");
  }
  const std::string via(via_type), linked(linked_type);
  long long via_record = via_id, linked_record = linked_id;
  session << kDeleteStaleLinkedGrants, soci::use(via, "via_type"), soci::use(via_record, "via_id"),
      soci::use(linked, "linked_type"), soci::use(linked_record, "linked_id"),
      soci::use(via, "via_type2"), soci::use(via_record, "via_id2");
  session << kInsertLinkedGrants, soci::use(linked, "linked_type"),
      soci::use(linked_record, "linked_id"), soci::use(via, "via_type"),
      soci::use(via_record, "via_id"), soci::use(linked_record, "linked_id2");
}

std::string RandomSecret(std::string_view prefix) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char random_bytes[32];
  randombytes_buf(random_bytes, sizeof random_bytes);
  char encoded[sodium_base64_ENCODED_LEN(sizeof random_bytes,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, random_bytes, sizeof random_bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(prefix) + encoded;
}

NewTokenSecret GenerateTokenSecret() {
  NewTokenSecret token;
  token.secret = RandomSecret("karton_");
  token.hash_hex = TokenHashHex(token.secret);
  token.prefix = token.secret.substr(0, 12);
  return token;
}

std::string TokenHashHex(const std::string& secret) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

void MethodRoleTable::Declare(const std::string& full_name, const MethodRoles& roles,
                              const std::set<std::string>& module_roles) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (service == nullptr) {
    throw std::invalid_argument(fmt::format("no proto service named {} is linked in", full_name));
  }
  std::set<std::string> methods;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string& method = service->method(i)->name();
    methods.insert(method);
    const auto declared = roles.find(method);
    if (declared == roles.end()) {
      throw std::invalid_argument(fmt::format(
          "{}/{} declares no roles: every method must say who may call it", full_name, method));
    }
    for (const auto& role : declared->second) {
      if (role != kAnyRole && !IsKnownRole(role) && module_roles.count(role) == 0) {
        throw std::invalid_argument(
            fmt::format("{}/{} names the unknown role '{}'", full_name, method, role));
      }
    }
    roles_by_path_[fmt::format("/{}/{}", full_name, method)] = declared->second;
  }
  for (const auto& [method, unused] : roles) {
    if (methods.count(method) == 0) {
      throw std::invalid_argument(fmt::format(
          "roles are declared for {}/{}, which the service does not have", full_name, method));
    }
  }
}

std::optional<AccessControl::CachedCaller> AccessControl::RecentlyVerified(
    const std::string& token_hash) {
  std::lock_guard lock(cache_mutex_);
  const auto it = callers_by_token_hash_.find(token_hash);
  if (it == callers_by_token_hash_.end()) return std::nullopt;
  const CachedCaller& cached = it->second;
  const bool fresh =
      std::chrono::steady_clock::now() - cached.verified_at < kVerifiedCallerLifetime;
  const bool unexpired =
      !cached.expire_time || std::chrono::system_clock::now() < *cached.expire_time;
  if (!fresh || !unexpired) {
    callers_by_token_hash_.erase(it);
    return std::nullopt;
  }
  return cached;
}

void AccessControl::ForgetVerifiedCallers() {
  std::lock_guard lock(cache_mutex_);
  ++cache_generation_;
  callers_by_token_hash_.clear();
}

AccessControl::Verdict AccessControl::Verify(const std::string& token_hash) {
  if (auto cached = RecentlyVerified(token_hash)) {
    return {grpc::StatusCode::OK, "", std::move(cached->caller), cached->verified_at};
  }
  std::uint64_t generation_before = 0;
  {
    std::lock_guard lock(cache_mutex_);
    generation_before = cache_generation_;
  }
  long long token_id = 0, user_id = 0, expire_time_us = 0;
  int disabled = 0, revoked = 0, expired = 0;
  std::string roles_text, teams_text;
  soci::indicator found = soci::i_null;
  // The auth pool's connections may sit idle through a database restart:
  // libpq notices a connection the server closed only when it is used, and
  // the pool replaces it on the next lease. So a lost connection is retried
  // on the next one, once per connection of the pool.
  for (int attempt = 0;; ++attempt) {
    bool connection_lost = false;
    try {
      auto lease = database_.Acquire(std::chrono::seconds(10));
      try {
        lease.Session() << kSelectTokenOwner, soci::use(token_hash), soci::into(token_id, found),
            soci::into(user_id), soci::into(disabled), soci::into(revoked), soci::into(expired),
            soci::into(expire_time_us), soci::into(roles_text), soci::into(teams_text);
        break;
      } catch (const std::exception&) {
        PGconn* raw = lease.RawConnection();
        connection_lost = raw == nullptr || PQstatus(raw) != CONNECTION_OK;
        if (!connection_lost || attempt >= kAuthRetries) throw;
      }
    } catch (const std::exception& error) {
      spdlog::error("token check failed: {}", DescribeDatabaseError(error));
      return {grpc::StatusCode::UNAVAILABLE, "cannot check the API token now; try again", {}};
    }
  }
  if (found != soci::i_ok) return {grpc::StatusCode::UNAUTHENTICATED, "unknown API token", {}};
  if (revoked) return {grpc::StatusCode::UNAUTHENTICATED, "the API token was revoked", {}};
  if (expired) return {grpc::StatusCode::UNAUTHENTICATED, "the API token has expired", {}};
  if (disabled) return {grpc::StatusCode::UNAUTHENTICATED, "the user is disabled", {}};
  Verdict verdict{grpc::StatusCode::OK, "", {}, std::chrono::steady_clock::now()};
  verdict.caller.user_id = user_id;
  // Only roles this kartond knows: a role of a module no longer loaded
  // grants nothing (IsStaff counts every role a verified caller has).
  for (auto& role : Split(roles_text, ',')) {
    if (IsKnownRole(role) || module_roles_.count(role) != 0) {
      verdict.caller.roles.push_back(std::move(role));
    }
  }
  for (const auto& team : Split(teams_text, ','))
    verdict.caller.team_ids.push_back(std::stoll(team));
  verdict.caller.api_token_id = token_id;
  CachedCaller cached{verdict.caller, verdict.verified_at, std::nullopt};
  if (expire_time_us != 0) {
    cached.expire_time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::microseconds(expire_time_us)));
  }
  std::lock_guard lock(cache_mutex_);
  // A change that committed while we read would make this answer stale.
  if (cache_generation_ != generation_before) return verdict;
  // Keep the cache small: drop stale entries whenever it grows.
  if (callers_by_token_hash_.size() > 10000) {
    std::erase_if(callers_by_token_hash_, [&](const auto& entry) {
      return cached.verified_at - entry.second.verified_at > kVerifiedCallerLifetime;
    });
  }
  callers_by_token_hash_[token_hash] = std::move(cached);
  return verdict;
}

grpc::Status AccessControl::Authenticate(std::string_view authorization, Caller& caller) {
  const std::string token = BearerToken(authorization);
  if (token.empty()) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "the authorization metadata must be 'Bearer <token>'"};
  }
  Verdict verdict = Verify(TokenHashHex(token));
  if (verdict.code != grpc::StatusCode::OK) return {verdict.code, verdict.message};
  caller = std::move(verdict.caller);
  return grpc::Status::OK;
}

grpc::Status AccessControl::Authorize(const Caller& caller, const std::string& path) const {
  if (caller.IsNobody()) {
    return {grpc::StatusCode::UNAUTHENTICATED, "the call has no verified caller"};
  }
  const auto* allowed = AllowedRoles(path);
  if (allowed == nullptr) {
    // Fail closed: a method nobody declared roles for is callable by no one.
    return {grpc::StatusCode::PERMISSION_DENIED,
            fmt::format("{} declares no roles, so no one may call it", path)};
  }
  if (caller.IsAdmin()) return grpc::Status::OK;
  const bool permitted = std::any_of(
      allowed->begin(), allowed->end(),
      [&](const std::string& role) { return role == kAnyRole || caller.HasRole(role); });
  if (permitted) return grpc::Status::OK;
  return {grpc::StatusCode::PERMISSION_DENIED,
          fmt::format(
              "{} may be called by the roles {}; this user has {}", path, fmt::join(*allowed, ", "),
              caller.roles.empty() ? "none" : fmt::format("{}", fmt::join(caller.roles, ", ")))};
}

grpc::Status AccessControl::VerifyPeer(std::string_view authorization, const std::string& path,
                                       Caller& caller) const {
  if (peer_credentials_ == nullptr) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "this kartond accepts no relayed callers: give it the --cluster-secret-file of the "
            "kartond that relays them"};
  }
  auto verdict = peer_credentials_->Verify(authorization, path, std::chrono::system_clock::now());
  if (!verdict.caller) return {grpc::StatusCode::UNAUTHENTICATED, verdict.refusal};
  caller = std::move(*verdict.caller);
  return grpc::Status::OK;
}

grpc::Status AccessControl::AdmitNetworkCall(std::string_view authorization,
                                             const std::string& path) {
  if (PeerCredentials::IsPeerAuthorization(authorization)) {
    // Another kartond relays a call (remote_modules.h) that it admitted as
    // it admits its own: a network call against the method's roles, an
    // in-process one from a module acting for its caller or for kartond
    // (which no role check applies to in one process either). The caller
    // is the one its signature vouches for, and the call runs as it would
    // in one process. Nothing is cached: checking a signature is cheaper
    // than a look-up.
    Caller caller;
    return VerifyPeer(authorization, path, caller);
  }
  const std::string token = BearerToken(authorization);
  if (token.empty()) {
    return {grpc::StatusCode::UNAUTHENTICATED,
            "the authorization metadata must be 'Bearer <token>'"};
  }
  const std::string token_hash = TokenHashHex(token);
  Verdict verdict = Verify(token_hash);
  if (verdict.code != grpc::StatusCode::OK) return {verdict.code, verdict.message};
  if (auto status = Authorize(verdict.caller, path); !status.ok()) return status;
  if (auto status = RefuseWhileWaiting(verdict.caller); !status.ok()) return status;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(admission_mutex_);
  if (now - admissions_pruned_at_ > std::chrono::seconds(10)) {
    std::erase_if(admissions_by_token_hash_, [&](const auto& entry) {
      return now - entry.second.admitted_at > kAdmissionLifetime;
    });
    admissions_pruned_at_ = now;
  }
  auto [it, inserted] = admissions_by_token_hash_.try_emplace(
      token_hash, Admission{verdict.caller, verdict.verified_at, now});
  if (!inserted) {
    it->second.admitted_at = now;
    if (verdict.verified_at >= it->second.verified_at) {
      it->second.caller = std::move(verdict.caller);
      it->second.verified_at = verdict.verified_at;
    }
  }
  return grpc::Status::OK;
}

AccessControl::HandOff AccessControl::HandOffFor(std::string_view authorization,
                                                 const std::string& path) {
  if (PeerCredentials::IsPeerAuthorization(authorization)) {
    // The relaying kartond charged the call budget when it admitted the
    // call; it is not charged twice.
    Caller caller;
    if (!VerifyPeer(authorization, path, caller).ok()) return {};
    return {SerializeCaller(caller), grpc::Status::OK};
  }
  const std::string token = BearerToken(authorization);
  if (token.empty()) return {};
  const std::string token_hash = TokenHashHex(token);
  std::optional<Caller> caller;
  {
    std::lock_guard lock(admission_mutex_);
    const auto it = admissions_by_token_hash_.find(token_hash);
    if (it == admissions_by_token_hash_.end()) return {};
    caller = it->second.caller;
  }
  // The newest admission of this token is at least as recent as this
  // call's; should its roles no longer allow the method, the call gets
  // nobody rather than a caller the method was not admitted for.
  if (!Authorize(*caller, path).ok()) return {};
  std::chrono::seconds retry_after{0};
  if (auto refused = ChargeCall(*caller, &retry_after); !refused.ok()) {
    {
      std::lock_guard lock(waiting_mutex_);
      waiting_until_by_user_[caller->user_id] = std::chrono::steady_clock::now() + retry_after;
    }
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(retry_after.count());
    google::rpc::Status details;
    details.set_code(static_cast<int>(refused.error_code()));
    details.set_message(refused.error_message());
    details.add_details()->PackFrom(retry);
    return {std::nullopt, grpc::Status(refused.error_code(), refused.error_message(),
                                       details.SerializeAsString())};
  }
  return {SerializeCaller(*caller), grpc::Status::OK};
}

grpc::Status AccessControl::RefuseWhileWaiting(const Caller& caller) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(waiting_mutex_);
  if (waiting_until_by_user_.empty()) return grpc::Status::OK;
  std::erase_if(waiting_until_by_user_, [&](const auto& entry) { return entry.second <= now; });
  const auto it = waiting_until_by_user_.find(caller.user_id);
  if (it == waiting_until_by_user_.end()) return grpc::Status::OK;
  const auto seconds_left = std::chrono::ceil<std::chrono::seconds>(it->second - now);
  return {grpc::StatusCode::RESOURCE_EXHAUSTED,
          fmt::format("this user was told to wait: retry in {} s", seconds_left.count())};
}

const std::vector<std::string>* MethodRoleTable::Allowed(const std::string& path) const {
  const auto it = roles_by_path_.find(path);
  return it == roles_by_path_.end() ? nullptr : &it->second;
}

void AccessControl::SetCallRateLimits(const std::map<std::string, double>& per_minute_by_role) {
  call_limiter_by_role_.clear();
  for (const auto& [role, per_minute] : per_minute_by_role) {
    if (per_minute <= 0) continue;
    call_limiter_by_role_[role] =
        std::make_unique<RateLimiter>(RateLimit{.per_minute = per_minute});
  }
}

grpc::Status AccessControl::ChargeCall(const Caller& caller, std::chrono::seconds* retry_after) {
  if (call_limiter_by_role_.empty() || caller.IsInternal() || caller.user_id <= 0) return {};
  RateLimiter* limiter = nullptr;
  for (const auto& role : caller.roles) {
    const auto it = call_limiter_by_role_.find(role);
    if (it == call_limiter_by_role_.end()) return {};  // a role without a limit
    if (limiter == nullptr || it->second->Limit().per_minute > limiter->Limit().per_minute)
      limiter = it->second.get();
  }
  if (limiter == nullptr) return {};
  const auto verdict = limiter->Take(std::to_string(caller.user_id));
  if (verdict.admitted) return {};
  if (retry_after != nullptr) *retry_after = verdict.retry_after;
  return {grpc::StatusCode::RESOURCE_EXHAUSTED,
          fmt::format("more than {:g} calls a minute from this user; retry in {} s",
                      limiter->Limit().per_minute, verdict.retry_after.count())};
}

std::shared_ptr<grpc::AuthMetadataProcessor> AccessControl::MakeProcessor() {
  return std::make_shared<TokenProcessor>(*this);
}

}  // namespace karton::kernel

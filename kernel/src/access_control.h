// Authentication and role checks for every network gRPC call, in one place.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "karton/kernel/access.h"

namespace grpc {
class AuthMetadataProcessor;
}  // namespace grpc

namespace karton::kernel {

class Database;

// A new API token: the secret (shown once) and what is stored of it.
struct NewTokenSecret {
  std::string secret;    // "karton_" + 43 base64url characters (256 bits)
  std::string hash_hex;  // SHA-256 of the secret, hex
  std::string prefix;    // first 12 characters, for recognising it in lists
};
NewTokenSecret GenerateTokenSecret();
// `prefix` + 43 base64url characters: 256 random bits from libsodium. API
// tokens ("karton_") and webhook signing keys ("whsec_") are made this way.
std::string RandomSecret(std::string_view prefix);
std::string TokenHashHex(const std::string& secret);

// Which roles may call each declared method, by gRPC path. Filled while
// modules register (one thread), read-only once the server runs.
class MethodRoleTable {
 public:
  // Records who may call each method of `full_name`. Throws
  // std::invalid_argument when a method of the service (as its descriptor
  // lists them) has no declaration, a declared method does not exist, a role
  // is unknown, or the service is not linked in.
  void Declare(const std::string& full_name, const MethodRoles& roles);
  // The roles allowed for "/pkg.Service/Method"; nullptr if undeclared.
  const std::vector<std::string>* Allowed(const std::string& path) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> roles_by_path_;
};

class AccessControl {
 public:
  explicit AccessControl(Database& database) : database_(database) {}

  // See MethodRoleTable::Declare.
  void DeclareService(const std::string& full_name, const MethodRoles& roles) {
    method_roles_.Declare(full_name, roles);
  }

  // The processor the gRPC port runs for every incoming call: it checks the
  // bearer token and the caller's roles, and stores the caller in the call's
  // auth context (read back by CallerOf). Health and reflection pass freely.
  std::shared_ptr<grpc::AuthMetadataProcessor> MakeProcessor();

  // The caller behind an `authorization` metadata value the processor has
  // accepted, serialized for the karton-caller metadata of the call (see
  // CallerOf); nullopt if the token is not valid (now). Answered from the
  // verified-caller cache the processor just filled.
  std::optional<std::string> SerializedCallerFor(std::string_view authorization);

  // Drops every remembered verification, so the next call of each token asks
  // the database again. IdentityService calls it after each committed change
  // to tokens, users or teams: revocation, disabling and role changes take
  // effect on the very next call.
  void ForgetVerifiedCallers();

  // The two checks the processor makes, for other front doors (the JSON
  // gateway): the "Bearer <token>" value against the database, then the
  // caller's roles against the method at `path` ("/pkg.Service/Method").
  grpc::Status Authenticate(std::string_view authorization, Caller& caller);
  grpc::Status Authorize(const Caller& caller, const std::string& path) const;

  const std::vector<std::string>* AllowedRoles(const std::string& path) const {
    return method_roles_.Allowed(path);
  }

 private:
  friend class TokenProcessor;
  struct Verdict {
    grpc::StatusCode code;  // OK or UNAUTHENTICATED/UNAVAILABLE
    std::string message;
    Caller caller;
  };
  // Checks a token: from the verified-caller cache when it was verified less
  // than a few seconds ago (see kVerifiedCallerLifetime) and has not expired
  // since, otherwise against the database, remembering a valid answer.
  Verdict Verify(const std::string& token_hash);
  std::optional<Caller> RecentlyVerified(const std::string& token_hash);

  Database& database_;
  MethodRoleTable method_roles_;
  std::mutex cache_mutex_;
  struct CachedCaller {
    Caller caller;
    std::chrono::steady_clock::time_point verified_at;
    std::optional<std::chrono::system_clock::time_point> expire_time;
  };
  std::unordered_map<std::string, CachedCaller> callers_by_token_hash_;
  // Bumped by ForgetVerifiedCallers, so a lookup that raced a change does not
  // put its stale answer back.
  std::uint64_t cache_generation_ = 0;
};

// "user_id;role,role;team,team;token_id": the karton-caller metadata value.
std::string SerializeCaller(const Caller& caller);

// Every role name the kernel knows.
bool IsKnownRole(std::string_view role);

}  // namespace karton::kernel

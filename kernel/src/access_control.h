// Authentication and role checks for every network gRPC call, in one place.
#pragma once

#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "karton/kernel/access.h"
#include "karton/kernel/rate_limit.h"

namespace grpc {
class AuthMetadataProcessor;
}  // namespace grpc

namespace karton::kernel {

class Database;
class PeerCredentials;

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
  // is neither the kernel's nor in `module_roles`, or the service is not
  // linked in.
  void Declare(const std::string& full_name, const MethodRoles& roles,
               const std::set<std::string>& module_roles = {});
  // The roles allowed for "/pkg.Service/Method"; nullptr if undeclared.
  const std::vector<std::string>* Allowed(const std::string& path) const;

 private:
  std::unordered_map<std::string, std::vector<std::string>> roles_by_path_;
};

class AccessControl {
 public:
  explicit AccessControl(Database& database) : database_(database) {}

  // Callers relayed by another kartond (remote_modules.h): with
  // credentials set, an authorization "Karton-Peer ..." they verify is
  // admitted as the caller it states. Without, such calls are refused.
  // Set before the gRPC server starts; `credentials` outlives this.
  void AcceptPeerCallers(const PeerCredentials* credentials) { peer_credentials_ = credentials; }

  // The roles the loaded modules declare (KartonModuleRole), known from
  // then on beside the kernel's: methods may name them, and a verified
  // caller keeps them. Called once, before any service is declared.
  void DeclareModuleRoles(std::set<std::string> roles) { module_roles_ = std::move(roles); }
  const std::set<std::string>& ModuleRoles() const { return module_roles_; }

  // See MethodRoleTable::Declare.
  void DeclareService(const std::string& full_name, const MethodRoles& roles) {
    method_roles_.Declare(full_name, roles, module_roles_);
  }

  // The processor the gRPC port runs for every incoming call: it checks the
  // bearer token and the caller's roles, and stores the caller in the call's
  // auth context (read back by CallerOf). Health and reflection pass freely.
  std::shared_ptr<grpc::AuthMetadataProcessor> MakeProcessor();

  // The token processor's decision for one network call, made exactly once:
  // authenticates `authorization` ("Bearer <token>"), authorizes the caller
  // for `path`, and on success remembers the verdict as the token's latest
  // admission, for the interceptor to hand to the handler.
  grpc::Status AdmitNetworkCall(std::string_view authorization, const std::string& path);

  // What the interceptor hands a network call that AdmitNetworkCall let
  // through: the caller, serialized for the karton-caller metadata (see
  // CallerOf), or a refusal to answer with instead.
  struct HandOff {
    // nullopt: the call runs as nobody.
    std::optional<std::string> caller;
    // Not OK: the answer the call gets, whatever its handler returns (the
    // call budget, with google.rpc.RetryInfo in its details).
    grpc::Status refusal;
  };
  // The hand-off for one admitted network call. It never asks the database:
  // the token may have expired or been revoked since the call was admitted,
  // and that does not undo the admission. No caller when no admission is
  // known for the token, or the admitted roles no longer allow `path`.
  //
  // The call budget is charged here, once per call, because only here can a
  // refusal carry details (the token processor's answer cannot): a refused
  // call runs as nobody and answers RESOURCE_EXHAUSTED with RetryInfo. Its
  // user's further calls within that delay are refused by AdmitNetworkCall
  // at the door, before any handler, with the delay in the message only.
  HandOff HandOffFor(std::string_view authorization, const std::string& path);

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

  // Calls per minute one user may make, by role (--calls-per-minute). A
  // role not listed has no limit, and a user with several roles gets the
  // most generous of them. Each user may spend a minute's worth at once.
  // Set before the servers start.
  void SetCallRateLimits(const std::map<std::string, double>& per_minute_by_role);

  // Spends one call of `caller`'s budget: RESOURCE_EXHAUSTED saying how long
  // to wait when none is left (and `retry_after` set to it). kartond itself
  // and callers without a limited role are not counted. Both front doors
  // charge once per call: HandOffFor for the gRPC port, the JSON gateway
  // before it calls in.
  grpc::Status ChargeCall(const Caller& caller, std::chrono::seconds* retry_after = nullptr);

 private:
  friend class TokenProcessor;
  struct Verdict {
    grpc::StatusCode code;  // OK or UNAUTHENTICATED/UNAVAILABLE
    std::string message;
    Caller caller;
    // When the database confirmed it (a cached answer keeps its time).
    std::chrono::steady_clock::time_point verified_at{};
  };
  // Checks a token: from the verified-caller cache when it was verified less
  // than a few seconds ago (see kVerifiedCallerLifetime) and has not expired
  // since, otherwise against the database, remembering a valid answer.
  Verdict Verify(const std::string& token_hash);

  Database& database_;
  MethodRoleTable method_roles_;
  std::set<std::string> module_roles_;
  std::mutex cache_mutex_;
  struct CachedCaller {
    Caller caller;
    std::chrono::steady_clock::time_point verified_at;
    std::optional<std::chrono::system_clock::time_point> expire_time;
  };
  std::unordered_map<std::string, CachedCaller> callers_by_token_hash_;
  std::optional<CachedCaller> RecentlyVerified(const std::string& token_hash);
  // The latest admitted caller per token hash, kept for kAdmissionLifetime
  // after the token's last admitted call: far longer than any admitted call
  // waits for a handler thread. Not cleared by ForgetVerifiedCallers: a call
  // that was admitted keeps its verdict; only new calls see a revocation.
  // Of two verdicts for one token, the one the database confirmed later wins,
  // so a slow thread cannot bring back roles that were just taken away.
  static constexpr std::chrono::minutes kAdmissionLifetime{5};
  struct Admission {
    Caller caller;
    std::chrono::steady_clock::time_point verified_at;
    std::chrono::steady_clock::time_point admitted_at;
  };
  mutable std::mutex admission_mutex_;
  std::unordered_map<std::string, Admission> admissions_by_token_hash_;
  std::chrono::steady_clock::time_point admissions_pruned_at_{};
  // Bumped by ForgetVerifiedCallers, so a lookup that raced a change does not
  // put its stale answer back.
  std::uint64_t cache_generation_ = 0;
  // One bucket per user, in the limiter of the role that set the user's
  // rate; written only before the servers start.
  std::map<std::string, std::unique_ptr<RateLimiter>> call_limiter_by_role_;
  // Users told to wait (HandOffFor), until when: their calls before then are
  // refused at the door. Entries go when their time has passed.
  std::mutex waiting_mutex_;
  std::unordered_map<std::int64_t, std::chrono::steady_clock::time_point> waiting_until_by_user_;
  grpc::Status RefuseWhileWaiting(const Caller& caller);
  const PeerCredentials* peer_credentials_ = nullptr;
  // The caller a peer authorization states, checked; or why not.
  grpc::Status VerifyPeer(std::string_view authorization, const std::string& path,
                          Caller& caller) const;
};

// The karton-caller metadata value: "user_id;role,role;team,team;token_id"
// for a user, "internal" for kartond itself.
std::string SerializeCaller(const Caller& caller);
// The reverse; nullopt for anything malformed (which CallerOf reads as
// nobody).
std::optional<Caller> ParseCaller(std::string_view value);
// CallerOf for any server context's metadata (the generic services'
// contexts are not grpc::ServerContext).
Caller CallerOfMetadata(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// Every role name the kernel itself knows (modules add their own:
// AccessControl::DeclareModuleRoles).
bool IsKnownRole(std::string_view role);

}  // namespace karton::kernel

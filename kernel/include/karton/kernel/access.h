// Who is calling, and what they may do.
//
// The kernel authenticates every network gRPC call (bearer token) and checks
// the caller's roles against what the module declared for the method, before
// the handler runs: a handler that is reached is allowed. Handlers read the
// caller with CallerOf() for ownership, audit and record-level sharing.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grpc {
class ClientContext;
class ServerContextBase;
}  // namespace grpc

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

// Role names as stored and as written in method declarations.
inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleSales = "sales";
inline constexpr std::string_view kRoleSalesManager = "sales_manager";
inline constexpr std::string_view kRoleAccounting = "accounting";
inline constexpr std::string_view kRoleSupport = "support";
inline constexpr std::string_view kRoleExternalPartner = "external_partner";
// In a method declaration: every authenticated user, external partners too.
inline constexpr std::string_view kAnyRole = "*";

// Which roles may call each method of a service, by method name
// ("CreateNote"). Every method of the service must be listed, or the server
// refuses to start. Admins may call everything.
using MethodRoles = std::map<std::string, std::vector<std::string>>;

// Every role except external_partner: the staff of the company itself.
std::vector<std::string> StaffRoles();

// Who a call acts for. There are exactly three kinds:
// - a user, verified by the kernel from an API token (user_id > 0);
// - kartond itself (Caller::Internal()): jobs, event handlers, start-up and
//   the public pages, where no user is behind the work;
// - nobody: a default-constructed Caller. It has no rights at all: it is
//   neither staff nor an external partner, every scope built from it is
//   empty, and the audit trail and the event bus refuse to record its writes
//   (NoCallerError). A call whose caller could not be established runs as
//   nobody, so a lost verdict can never widen what a call may do.
struct Caller {
  std::int64_t user_id = 0;
  std::vector<std::string> roles;
  std::vector<std::int64_t> team_ids;
  // The API token the call came with (0 for in-process calls).
  std::int64_t api_token_id = 0;
  // Set only by Internal().
  bool internal = false;

  static Caller Internal();

  bool HasRole(std::string_view role) const;
  bool IsAdmin() const { return !internal && user_id > 0 && HasRole(kRoleAdmin); }
  bool IsInternal() const { return internal; }
  // Neither a user nor kartond: no rights.
  bool IsNobody() const { return !internal && user_id <= 0; }
  // kartond itself, or a user with a role other than external_partner (the
  // kernel's or a loaded module's: a verified caller holds no other).
  bool IsStaff() const;
  // External partners see only records shared with them (RecordGrants).
  bool IsExternalPartner() const;
};

// Thrown when work that must name who did it (an audit entry, an event)
// is attempted by nobody. Guarded() answers it with PERMISSION_DENIED.
class NoCallerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user id to record as the author of a change (audit entries, events):
// the user's, or 0 for kartond itself. Throws NoCallerError for nobody.
std::int64_t ActorUserId(const Caller& caller);

// The caller of the current call:
// - a network call: the user the kernel verified for this very call;
// - an in-process call from another module: the user that module forwarded
//   with ForwardCaller(), or kartond when it called with CallAsKernel();
// - anything else (a call that forwarded nothing, a malformed value):
//   nobody, with no rights.
// The same for a synchronous handler's grpc::ServerContext and a callback
// handler's grpc::CallbackServerContext (callback_calls.h).
Caller CallerOf(const grpc::ServerContextBase& context);

// Makes an in-process call to another module act for the same caller.
void ForwardCaller(const grpc::ServerContextBase& from, grpc::ClientContext& to);
void ForwardCaller(const Caller& caller, grpc::ClientContext& to);
// Makes an in-process call act for kartond itself (Caller::Internal()):
// for jobs, event handlers and start-up work with no user behind them.
void CallAsKernel(grpc::ClientContext& to);

// Record-level sharing (collaborative CRM). A module shares a record with an
// external partner user or a team inside its own transaction:
//
//   ShareRecord(session, "notes.note", note_id, {.user_id = partner_user});
//
// and filters what an external partner may see with the SQL function
// kernel.is_shared_with(resource_type, resource_id, user_id), with bound
// parameters:
//
//   WHERE (:external = 0 OR kernel.is_shared_with('notes.note', n.id, :user_id))
//
// A team grant reaches every member of the team.
struct ShareWith {
  std::int64_t user_id = 0;  // exactly one of user_id and team_id
  std::int64_t team_id = 0;
};
// Idempotent: sharing twice keeps one grant; returns whether the grant is
// new (so the caller audits a change, not a repetition). Throws
// std::invalid_argument for a malformed resource type or when neither/both
// targets are given.
bool ShareRecord(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                 ShareWith with, std::int64_t granted_by);

// Revokes the direct share of the record with that user or team; grants
// other records derived from it stay (see SyncLinkedGrants). Returns
// whether there was one.
bool UnshareRecord(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                   ShareWith with);

// Whoever sees record `via_id` of `via_type` through a direct share also
// sees the record it links to, `linked_type` `linked_id`: sharing a deal
// shows its partner's card. Call it in the same transaction after every
// change to the via record's shares or to its link; it makes the derived
// grants match, and a `linked_id` of 0 removes them. Modules filter with
// kernel.is_shared_with (direct or derived) or, where only a direct share
// will do (a partner's whole timeline), kernel.is_shared_directly_with.
void SyncLinkedGrants(soci::session& session, std::string_view via_type, std::int64_t via_id,
                      std::string_view linked_type, std::int64_t linked_id);

}  // namespace karton::kernel

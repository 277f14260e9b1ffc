// Who is calling, and what they may do.
//
// The kernel authenticates every network gRPC call (bearer token) and checks
// the caller's roles against what the module declared for the method, before
// the handler runs: a handler that is reached is allowed. Handlers read the
// caller with CallerOf() for ownership, audit and record-level sharing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace grpc {
class ClientContext;
class ServerContext;
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

struct Caller {
  // 0 for kernel-internal work with no user behind it.
  std::int64_t user_id = 0;
  std::vector<std::string> roles;
  std::vector<std::int64_t> team_ids;
  // The API token the call came with (0 for in-process calls).
  std::int64_t api_token_id = 0;

  bool HasRole(std::string_view role) const;
  bool IsAdmin() const { return HasRole(kRoleAdmin); }
  // External partners see only records shared with them (RecordGrants).
  bool IsExternalPartner() const;
};

// The caller of the current call. For a call from another module over the
// in-process channel, the user that module forwarded with ForwardCaller(),
// or the internal caller (user_id 0) when it forwarded none.
Caller CallerOf(const grpc::ServerContext& context);

// Makes an in-process call to another module act for the same user.
void ForwardCaller(const grpc::ServerContext& from, grpc::ClientContext& to);

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
// Idempotent: sharing twice keeps one grant. Throws std::invalid_argument
// for a malformed resource type or when neither/both targets are given.
void ShareRecord(soci::session& session, std::string_view resource_type, std::int64_t resource_id,
                 ShareWith with, std::int64_t granted_by);

}  // namespace karton::kernel

// Sharing a record with an external partner user or a team, the one way
// every module's Share*/Unshare* methods do it (collaborative CRM and ERP):
// the kernel's record grant (access.h, ShareRecord) and the audit entry
// that says who shared what with whom, in the caller's transaction.
//
//   if (auto status = kernel::ChangeSharing(kernel::Sharing::kShare, audit, session, caller,
//                                           "orders.order", id, request->user_id(),
//                                           request->team_id());
//       !status.ok()) return status;
//
// The caller has found the record in its own scope already.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class AuditLog;
struct Caller;

enum class Sharing { kShare, kUnshare };

// Shares (or takes back the share of) record `id` of `resource_type` with
// exactly one of `user_id` and `team_id`, with an audit entry changing
// "shared_with_user" or "shared_with_team" from 0 to the id (or back).
// Idempotent: sharing twice or taking back nothing records nothing. A bad
// target is INVALID_ARGUMENT naming user_id or team_id, and writes nothing.
grpc::Status ChangeSharing(Sharing sharing, AuditLog& audit, soci::session& session,
                           const Caller& caller, std::string_view resource_type, std::int64_t id,
                           std::int64_t user_id, std::int64_t team_id);

// Which records of a module's own a caller sees: the company's staff and
// kartond itself every one; an external partner only those shared with
// them; nobody nothing. A repository binds it as two parameters of one SQL
// condition (KARTON_VISIBLE_TO), so a record out of sight is simply not
// found.
struct RecordVisibility {
  bool everything = false;
  // Whose shares count when not everything (0: nobody's, so nothing).
  std::int64_t user_id = 0;

  std::string Word() const { return everything ? "all" : "shared"; }
  std::string User() const { return std::to_string(user_id); }

  static RecordVisibility Everything() { return {true, 0}; }
};

RecordVisibility VisibilityOf(const Caller& caller);

}  // namespace karton::kernel

// The condition, for a table aliased `alias` holding records of
// `resource_type`, with RecordVisibility's Word() bound at $1 and User() at
// $2.
#define KARTON_VISIBLE_TO(alias, resource_type)           \
  "($1 = 'all' OR ($1 = 'shared' AND $2::bigint > 0 AND " \
  "kernel.is_shared_with('" resource_type "', " alias ".id, $2::bigint)))"

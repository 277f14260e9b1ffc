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

}  // namespace karton::kernel

// Sharing a record with an external partner user or a team, the one way
// every module's Share*/Unshare* methods do it (collaborative CRM and ERP):
// the kernel's record grant (access.h, ShareRecord), the audit entry that
// says who shared what with whom, and the event "<resource_type>.shared"
// (or ".unshared") with the record, in the caller's transaction.
//
//   kernel::DeclareSharingTopics<v1::Order>(context.Events(), "orders.order");  // Register()
//   ...
//   if (auto status = kernel::ChangeSharing(kernel::Sharing::kShare, audit, events, session,
//                                           caller, "orders.order", *order, order->id(),
//                                           request->user_id(), request->team_id());
//       !status.ok()) return status;
//
// The caller has found the record in its own scope already.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "karton/kernel/events.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::kernel {

class AuditLog;
struct Caller;

enum class Sharing { kShare, kUnshare };

// Shares (or takes back the share of) record `id` of `resource_type` with
// exactly one of `user_id` and `team_id`, with an audit entry changing
// "shared_with_user" or "shared_with_team" from 0 to the id (or back) and
// the event "<resource_type>.shared" or ".unshared" carrying `record`.
// Idempotent: sharing twice or taking back nothing records and publishes
// nothing. A bad target is INVALID_ARGUMENT naming user_id or team_id, and
// writes nothing.
grpc::Status ChangeSharing(Sharing sharing, AuditLog& audit, DomainEvents& events,
                           soci::session& session, const Caller& caller,
                           std::string_view resource_type, const google::protobuf::Message& record,
                           std::int64_t id, std::int64_t user_id, std::int64_t team_id);

// Declares "<resource_type>.shared" and ".unshared" with `Record` payloads;
// call from Register() for every resource ChangeSharing is used on.
template <class Record>
void DeclareSharingTopics(DomainEvents& events, std::string_view resource_type) {
  events.DeclareTopic<Record>(std::string(resource_type) + ".shared");
  events.DeclareTopic<Record>(std::string(resource_type) + ".unshared");
}

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

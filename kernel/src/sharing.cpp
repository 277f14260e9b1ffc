#include "karton/kernel/sharing.h"

#include <soci/soci.h>

#include <exception>

#include "karton/kernel/access.h"
#include "karton/kernel/audit.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"

namespace karton::kernel {

grpc::Status ChangeSharing(Sharing sharing, AuditLog& audit, DomainEvents& events,
                           soci::session& session, const Caller& caller,
                           std::string_view resource_type, const google::protobuf::Message& record,
                           std::int64_t id, std::int64_t user_id, std::int64_t team_id) {
  if ((user_id == 0) == (team_id == 0) || user_id < 0 || team_id < 0) {
    return InvalidField("user_id", "give exactly one of user_id and team_id");
  }
  const ShareWith with{.user_id = user_id, .team_id = team_id};
  const char* field = user_id != 0 ? "shared_with_user" : "shared_with_team";
  const std::int64_t target = user_id != 0 ? user_id : team_id;
  if (sharing == Sharing::kUnshare) {
    if (!UnshareRecord(session, resource_type, id, with)) return grpc::Status::OK;
    audit.Record(session, caller, AuditAction::kUpdate, resource_type, id,
                 {FieldChange::Of(field, target, std::int64_t{0})});
    events.Publish(session, std::string(resource_type) + ".unshared", id, record, caller);
    return grpc::Status::OK;
  }
  try {
    // A target that does not exist fails the grant's foreign key; the
    // savepoint keeps the caller's transaction usable to answer so.
    session << "SAVEPOINT share_record";
    if (!ShareRecord(session, resource_type, id, with, caller.user_id)) {
      return grpc::Status::OK;  // shared already: nothing changed to audit
    }
  } catch (const std::exception& error) {
    if (SqlState(error) != "23503") throw;
    session << "ROLLBACK TO SAVEPOINT share_record";
    return InvalidField(user_id != 0 ? "user_id" : "team_id", "names no user or team");
  }
  audit.Record(session, caller, AuditAction::kUpdate, resource_type, id,
               {FieldChange::Of(field, std::int64_t{0}, target)});
  events.Publish(session, std::string(resource_type) + ".shared", id, record, caller);
  return grpc::Status::OK;
}

RecordVisibility VisibilityOf(const Caller& caller) {
  if (caller.IsInternal() || caller.IsStaff()) return RecordVisibility::Everything();
  if (caller.IsExternalPartner()) return {false, caller.user_id};
  return {false, 0};
}

}  // namespace karton::kernel

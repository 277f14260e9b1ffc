#include "scope.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/soci.h>

#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"

namespace karton::crm {

const char* Scope::Name() const {
  switch (kind) {
    case Kind::kAll:
      return "all";
    case Kind::kOwn:
      return "own";
    case Kind::kShared:
      return "shared";
    case Kind::kNone:
      break;
  }
  return "none";
}

Scope ScopeOf(const kernel::Caller& caller) {
  Scope scope;
  scope.user_id = caller.user_id;
  scope.team_ids = fmt::format("{{{}}}", fmt::join(caller.team_ids, ","));
  if (caller.IsNobody()) return scope;  // kNone
  // An external partner sees what is shared with them, whatever other role
  // an old account still combines with it (the kernel's rule, Caller::IsStaff).
  if (caller.IsInternal() || caller.IsAdmin()) {
    scope.kind = Scope::Kind::kAll;
  } else if (caller.IsExternalPartner()) {
    scope.kind = Scope::Kind::kShared;
  } else if (caller.HasRole(kernel::kRoleSalesManager) || caller.HasRole(kernel::kRoleAccounting) ||
             caller.HasRole(kernel::kRoleSupport)) {
    scope.kind = Scope::Kind::kAll;
  } else if (caller.user_id > 0 && caller.HasRole(kernel::kRoleSales)) {
    scope.kind = Scope::Kind::kOwn;
  }  // else nobody: kNone, which matches no record
  return scope;
}

grpc::Status ShareCrmRecord(kernel::AuditLog& audit, soci::session& session,
                            const kernel::Caller& caller, const char* resource_type,
                            std::int64_t id, std::int64_t user_id, std::int64_t team_id) {
  if ((user_id == 0) == (team_id == 0) || user_id < 0 || team_id < 0) {
    return kernel::InvalidField("user_id", "give exactly one of user_id and team_id");
  }
  try {
    session << "SAVEPOINT share_record";
    if (!kernel::ShareRecord(session, resource_type, id, {.user_id = user_id, .team_id = team_id},
                             caller.user_id)) {
      return grpc::Status::OK;  // shared already: nothing changed to audit
    }
  } catch (const std::exception& error) {
    if (kernel::SqlState(error) != "23503") throw;
    session << "ROLLBACK TO SAVEPOINT share_record";
    return kernel::InvalidField(user_id != 0 ? "user_id" : "team_id", "names no user or team");
  }
  audit.Record(session, caller, kernel::AuditAction::kUpdate, resource_type, id,
               {kernel::FieldChange::Of(user_id != 0 ? "shared_with_user" : "shared_with_team", 0,
                                        user_id != 0 ? user_id : team_id)});
  return grpc::Status::OK;
}

grpc::Status UnshareCrmRecord(kernel::AuditLog& audit, soci::session& session,
                              const kernel::Caller& caller, const char* resource_type,
                              std::int64_t id, std::int64_t user_id, std::int64_t team_id) {
  if ((user_id == 0) == (team_id == 0) || user_id < 0 || team_id < 0) {
    return kernel::InvalidField("user_id", "give exactly one of user_id and team_id");
  }
  if (!kernel::UnshareRecord(session, resource_type, id,
                             {.user_id = user_id, .team_id = team_id})) {
    return grpc::Status::OK;
  }
  audit.Record(session, caller, kernel::AuditAction::kUpdate, resource_type, id,
               {kernel::FieldChange::Of(user_id != 0 ? "shared_with_user" : "shared_with_team",
                                        user_id != 0 ? user_id : team_id, 0)});
  return grpc::Status::OK;
}

void SyncDealPartnerCard(soci::session& session, std::int64_t opportunity_id,
                         std::int64_t partner_id) {
  kernel::SyncLinkedGrants(session, "crm.opportunity", opportunity_id, "partners.partner",
                           partner_id);
}

}  // namespace karton::crm

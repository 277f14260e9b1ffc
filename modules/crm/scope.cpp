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

void SyncDealPartnerCard(soci::session& session, std::int64_t opportunity_id,
                         std::int64_t partner_id) {
  kernel::SyncLinkedGrants(session, "crm.opportunity", opportunity_id, "partners.partner",
                           partner_id);
}

}  // namespace karton::crm

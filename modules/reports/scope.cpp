#include "scope.h"

#include "karton/kernel/typed_rows.h"

namespace karton::reports {

Scope ScopeOf(const kernel::Caller& caller) {
  Scope scope;
  scope.user_id = caller.user_id;
  scope.team_ids = kernel::IntegerArrayLiteral(caller.team_ids);
  if (caller.IsNobody()) return scope;
  if (caller.IsInternal() || caller.IsAdmin()) {
    scope.kind = "all";
  } else if (caller.IsExternalPartner()) {
    return scope;  // none
  } else if (caller.HasRole(kernel::kRoleSalesManager) || caller.HasRole(kernel::kRoleAccounting) ||
             caller.HasRole(kernel::kRoleSupport)) {
    scope.kind = "all";
  } else if (caller.user_id > 0 && caller.HasRole(kernel::kRoleSales)) {
    scope.kind = "own";
  }
  return scope;
}

}  // namespace karton::reports

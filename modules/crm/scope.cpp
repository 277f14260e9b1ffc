#include "scope.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace karton::crm {

const char* Scope::Name() const {
  switch (kind) {
    case Kind::kOwn:
      return "own";
    case Kind::kShared:
      return "shared";
    default:
      return "all";
  }
}

Scope ScopeOf(const kernel::Caller& caller) {
  Scope scope;
  scope.user_id = caller.user_id;
  scope.team_ids = fmt::format("{{{}}}", fmt::join(caller.team_ids, ","));
  if (caller.user_id == 0 || caller.IsAdmin() || caller.HasRole(kernel::kRoleSalesManager) ||
      caller.HasRole(kernel::kRoleAccounting) || caller.HasRole(kernel::kRoleSupport)) {
    scope.kind = Scope::Kind::kAll;
  } else if (caller.IsExternalPartner()) {
    scope.kind = Scope::Kind::kShared;
  } else {
    scope.kind = Scope::Kind::kOwn;
  }
  return scope;
}

}  // namespace karton::crm

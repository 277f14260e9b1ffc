#include "scope.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace karton::helpdesk {

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
  if (caller.IsNobody()) return scope;
  // An external partner sees what is shared with them, whatever else an
  // old account still holds (the kernel's rule, Caller::IsStaff).
  if (caller.IsInternal() || caller.IsAdmin()) {
    scope.kind = Scope::Kind::kAll;
  } else if (caller.IsExternalPartner()) {
    scope.kind = caller.user_id > 0 ? Scope::Kind::kShared : Scope::Kind::kNone;
  } else if (caller.HasRole(kernel::kRoleSupport) || caller.HasRole(kernel::kRoleSalesManager) ||
             caller.HasRole(kernel::kRoleAccounting)) {
    scope.kind = Scope::Kind::kAll;
  } else if (caller.user_id > 0 && caller.HasRole(kernel::kRoleSales)) {
    scope.kind = Scope::Kind::kOwn;
  }
  return scope;
}

}  // namespace karton::helpdesk

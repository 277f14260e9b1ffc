// Who sees which CRM records (docs/crm.md, "Who sees what"):
// - admins, sales managers, accounting and support: every record;
// - sales: the records assigned to them or to one of their teams;
// - external partners: the records shared with them (kernel RecordGrants).
// Repositories turn a Scope into bound parameters of one SQL condition, so
// a record outside the caller's scope is simply not found (NOT_FOUND, not
// PERMISSION_DENIED: its existence is not disclosed either).
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/sharing.h"
#include "karton/kernel/audit.h"

namespace karton::crm {

struct Scope {
  // kNone: nothing at all, for a caller with no rights (nobody, or a user
  // with no role the CRM knows). The default, so a forgotten scope hides.
  enum class Kind { kNone, kAll, kOwn, kShared };
  Kind kind = Kind::kNone;
  std::int64_t user_id = 0;
  // The caller's teams as a PostgreSQL array literal, "{3,7}".
  std::string team_ids = "{}";

  // "none", "all", "own" or "shared": the first parameter of every scoped
  // query ("none" matches no branch of KARTON_CRM_SCOPE).
  const char* Name() const;
  // kartond's own work: jobs, event handlers, and reading back a record the
  // handler has just written or already found in the caller's scope.
  static Scope Everything() {
    Scope scope;
    scope.kind = Kind::kAll;
    return scope;
  }
};

Scope ScopeOf(const kernel::Caller& caller);

// Which of the two a Share*/Unshare* method does (kernel/sharing.h).
using Sharing = kernel::Sharing;

// A deal shared with someone shows them its partner's card: call after every
// change to the deal's shares or partner, in the same transaction.
void SyncDealPartnerCard(soci::session& session, std::int64_t opportunity_id,
                         std::int64_t partner_id);

// The SQL condition for table alias `alias` of resource type `resource`
// ("crm.lead"), with the scope's name, user and teams as parameters $1..$3.
// Records carry assigned/owner user and team columns named by the caller.
#define KARTON_CRM_SCOPE(alias, user_column, resource)                                       \
  "($1 = 'all' OR ($1 = 'own' AND (" alias "." user_column " = cast($2 AS bigint) OR " alias \
  ".team_id = ANY(cast($3 AS bigint[])))) OR ($1 = 'shared' AND "                            \
  "kernel.is_shared_with('" resource "', " alias ".id, cast($2 AS bigint))))"

}  // namespace karton::crm

// Who sees which rows of a report: the CRM's rule (docs/crm.md, "Who sees
// what"), applied to the owner user and team columns of its reporting
// views, so a report covers exactly the records the caller finds in crm
// (and the customer reports, per partner, the same rule applied to the
// partner card's owner: KARTON_REPORTS_PARTNER_SCOPE):
// - admins, sales managers, accounting and support (and kartond itself):
//   every record;
// - sales: the records owned by them or by one of their teams;
// - anyone else (nobody, external partners): none. (Records shared with an
//   external partner are not reported on; they may not call reports.)
#pragma once

#include <cstdint>
#include <string>

#include "karton/kernel/access.h"

namespace karton::reports {

struct Scope {
  // "all", "own" or "none": the first parameter of every report query.
  std::string kind = "none";
  std::int64_t user_id = 0;
  // The caller's teams as a PostgreSQL array literal, "{3,7}".
  std::string team_ids = "{}";
};

Scope ScopeOf(const kernel::Caller& caller);

// The condition for view alias `alias` (with owner_user_id and team_id),
// with the scope's kind, user and teams as parameters $1..$3.
#define KARTON_REPORTS_SCOPE(alias)                                                        \
  "($1 = 'all' OR ($1 = 'own' AND (" alias ".owner_user_id = cast($2 AS bigint) OR " alias \
  ".team_id = ANY(cast($3 AS bigint[])))))"

// The same rule for a customer (a partners_reporting.partner row `alias`):
// sales see the customers whose card names them, or a colleague of one of
// their teams, as its owner (owner_user_id); "all" sees every one.
#define KARTON_REPORTS_PARTNER_SCOPE(alias)                                                      \
  "($1 = 'all' OR ($1 = 'own' AND (" alias ".owner_user_id = cast($2 AS bigint) OR " alias       \
  ".owner_user_id IN (SELECT tm.user_id FROM kernel.team_member tm WHERE tm.team_id = ANY(cast(" \
  "$3 AS bigint[]))))))"

}  // namespace karton::reports

// Who sees which tickets (docs/helpdesk.md, "Who sees what"):
// - admins, support, sales managers and accounting: every ticket, as
//   kartond itself does (jobs, event handlers);
// - sales: the tickets of the partners they own (partners' owner_user_id),
//   those assigned to them or to one of their teams, and those they opened;
// - external partners: the tickets shared with them (kernel record grants);
// - nobody, and a user with none of these roles: nothing.
// A repository binds a Scope as three parameters of one SQL condition
// (KARTON_HELPDESK_SCOPE), so a ticket out of scope is simply not found.
#pragma once

#include <cstdint>
#include <string>

#include "karton/kernel/access.h"

namespace karton::helpdesk {

struct Scope {
  // kNone is the default, so a forgotten scope hides.
  enum class Kind { kNone, kAll, kOwn, kShared };
  Kind kind = Kind::kNone;
  std::int64_t user_id = 0;
  // The caller's teams as a PostgreSQL array literal, "{3,7}".
  std::string team_ids = "{}";

  // "none", "all", "own" or "shared": $1 of every scoped query.
  const char* Name() const;
  std::string User() const { return std::to_string(user_id); }

  static Scope Everything() {
    Scope scope;
    scope.kind = Kind::kAll;
    return scope;
  }
};

Scope ScopeOf(const kernel::Caller& caller);

}  // namespace karton::helpdesk

// The condition for the ticket table aliased `alias`, with the scope's
// Name() at $1, User() at $2 and team_ids at $3. A salesperson's partners
// are read from the partners module's card (its owner), the master data
// helpdesk depends on.
#define KARTON_HELPDESK_SCOPE(alias)                                                          \
  "($1 = 'all' OR ($1 = 'own' AND (" alias ".assignee_user_id = cast($2 AS bigint) OR " alias \
  ".created_by = cast($2 AS bigint) OR " alias                                                \
  ".team_id = ANY(cast($3 AS bigint[])) OR EXISTS (SELECT 1 FROM partners.partner p WHERE "   \
  "p.id = " alias                                                                             \
  ".partner_id AND p.owner_user_id = cast($2 AS bigint)))) OR "                               \
  "($1 = 'shared' AND kernel.is_shared_with('helpdesk.ticket', " alias                        \
  ".id, cast($2 AS bigint))))"

#include "leads/assignment_rule_repository.h"

#include <soci/soci.h>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::assignment_rule_repository {

std::int64_t Insert(soci::session& session, const v1::AssignmentRule& rule, kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO crm.assignment_rule (priority, category, country, postal_code_prefix, "
      "team_id, user_id, create_time) VALUES ($1, $2, $3, $4, nullif(cast($5 AS bigint), 0), "
      "nullif(cast($6 AS bigint), 0), " KARTON_CRM_AT("$7") ") RETURNING id",
      {std::to_string(rule.priority()), rule.category(), rule.country(), rule.postal_code_prefix(),
       std::to_string(rule.team_id()), std::to_string(rule.user_id()),
       std::to_string(kernel::ToEpochMicros(now))});
  return std::stoll(std::string(rows.Text(0, 0)));
}

std::vector<v1::AssignmentRule> List(soci::session& session) {
  // Read for every lead that is routed, so a typed row (no JSON).
  static const kernel::TypedQuery<v1::AssignmentRule> kList(
      "SELECT r.id, r.priority, r.category, r.country, r.postal_code_prefix, r.team_id, "
      "r.user_id, (extract(epoch FROM r.create_time) * 1000000)::bigint AS create_time "
      "FROM crm.assignment_rule r ORDER BY r.priority, r.id");
  return kList.All(session, {});
}

bool Delete(soci::session& session, std::int64_t id) {
  return kernel::RunPrepared(session, "DELETE FROM crm.assignment_rule WHERE id = $1 RETURNING id",
                             {std::to_string(id)})
             .Count() == 1;
}

}  // namespace karton::crm::assignment_rule_repository

#include "leads/assignment_rule_repository.h"

#include <soci/soci.h>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"

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
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT jsonb_build_object('id', r.id::text, 'priority', r.priority, 'category', "
      "r.category, 'country', r.country, 'postalCodePrefix', r.postal_code_prefix, "
      "'teamId', coalesce(r.team_id, 0)::text, 'userId', coalesce(r.user_id, 0)::text, "
      "'createTime', " KARTON_CRM_TIME("r.create_time") ")::text "
      "FROM crm.assignment_rule r ORDER BY r.priority, r.id",
      {});
  std::vector<v1::AssignmentRule> rules;
  for (int row = 0; row < rows.Count(); ++row) {
    kernel::ParseProtoJson(rows.Text(row, 0), rules.emplace_back());
  }
  return rules;
}

bool Delete(soci::session& session, std::int64_t id) {
  return kernel::RunPrepared(session, "DELETE FROM crm.assignment_rule WHERE id = $1 RETURNING id",
                             {std::to_string(id)})
             .Count() == 1;
}

}  // namespace karton::crm::assignment_rule_repository

#include "pipeline/opportunity_repository.h"

#include <soci/soci.h>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::opportunity_repository {
namespace {

using kernel::ToEpochMicros;

// A deal's columns, each named after the field of v1::Opportunity it fills
// (kernel::TypedQuery). Its stage history is a list of child rows, read as
// one array per field of StageChange from the LATERAL subquery `h` of
// KARTON_OPPORTUNITY_FROM.
#define KARTON_OPPORTUNITY_COLUMNS                                                           \
  "o.id, o.name, o.partner_id, o.pipeline_id, o.stage_id, o.status, "                        \
  "nullif(o.expected_revenue_currency, '') AS \"expected_revenue.currency_code\", "          \
  "CASE WHEN o.expected_revenue_currency <> '' THEN o.expected_revenue_minor END "           \
  "AS \"expected_revenue.minor_units\", "                                                    \
  "o.expected_close_date, o.owner_user_id, o.team_id, o.lost_reason, o.lead_id, "            \
  "h.stage_id AS \"stage_history.stage_id\", h.stage_name AS \"stage_history.stage_name\", " \
  "h.change_time AS \"stage_history.change_time\", h.user_id AS \"stage_history.user_id\", " \
  "(extract(epoch FROM o.create_time) * 1000000)::bigint AS create_time, "                   \
  "(extract(epoch FROM o.update_time) * 1000000)::bigint AS update_time, "                   \
  "(extract(epoch FROM o.close_time) * 1000000)::bigint AS close_time, o.version::text AS etag"

// The stage history `h` of the deal `o`, from the changes `changes` (a
// table or a subquery with the columns of crm.opportunity_stage_change).
#define KARTON_OPPORTUNITY_HISTORY_OF(changes)                                         \
  " CROSS JOIN LATERAL (SELECT array_agg(c.stage_id ORDER BY c.id) AS "                \
  "stage_id, array_agg(s.name ORDER BY c.id) AS stage_name, "                          \
  "array_agg((extract(epoch FROM c.change_time) * 1000000)::bigint ORDER BY c.id) AS " \
  "change_time, array_agg(coalesce(c.user_id, 0) ORDER BY c.id) AS user_id "           \
  "FROM " changes " c JOIN crm.stage s ON s.id = c.stage_id WHERE c.opportunity_id = o.id) h"
#define KARTON_OPPORTUNITY_FROM \
  "crm.opportunity o" KARTON_OPPORTUNITY_HISTORY_OF("crm.opportunity_stage_change")

const std::string kFind = "SELECT " KARTON_OPPORTUNITY_COLUMNS " FROM " KARTON_OPPORTUNITY_FROM
                          " WHERE o.id = cast($4 AS bigint) AND " KARTON_CRM_SCOPE(
                              "o", "owner_user_id", "crm.opportunity");

const kernel::TypedQuery<v1::Opportunity> kFindOpportunity(kFind);
const kernel::TypedQuery<v1::Opportunity> kFindOpportunityLocked(kFind + " FOR UPDATE OF o");
const kernel::TypedQuery<v1::Opportunity> kListOpportunities(
    "SELECT " KARTON_OPPORTUNITY_COLUMNS " FROM " KARTON_OPPORTUNITY_FROM " WHERE "
    KARTON_CRM_SCOPE("o", "owner_user_id", "crm.opportunity")
    " AND (cast($4 AS bigint) = 0 OR o.partner_id = cast($4 AS bigint)) "
    "AND (cast($5 AS bigint) = 0 OR o.pipeline_id = cast($5 AS bigint)) "
    "AND (cast($6 AS bigint) = 0 OR o.stage_id = cast($6 AS bigint)) "
    "AND (cast($7 AS bigint) = 0 OR o.owner_user_id = cast($7 AS bigint)) "
    "AND ($8 = '' OR o.status = $8) "
    "AND (cast($9 AS bigint) = 0 OR o.id < cast($9 AS bigint)) ORDER BY o.id DESC LIMIT $10");
const kernel::TypedQuery<v1::Opportunity> kListStaleOpportunities(
    "SELECT " KARTON_OPPORTUNITY_COLUMNS " FROM " KARTON_OPPORTUNITY_FROM " WHERE "
    KARTON_CRM_SCOPE("o", "owner_user_id", "crm.opportunity")
    " AND o.status = 'open' AND NOT EXISTS (SELECT 1 FROM crm.activity a "
    "WHERE a.opportunity_id = o.id AND a.status = 'planned') "
    "AND (cast($4 AS bigint) = 0 OR o.owner_user_id = cast($4 AS bigint)) "
    "AND o.id > cast($5 AS bigint) ORDER BY o.id LIMIT $6");

// An OPEN opportunity with the first entry of its stage history, answered
// as GetOpportunity reads it: the history of a new one is that entry, built
// from the values the statement wrote (the stage change inserted here is
// not visible to the statement's own reads). A repeated request id
// (`ON CONFLICT`) writes no history and answers the earlier row; _inserted
// tells which.
const kernel::TypedQuery<v1::Opportunity> kInsertOpportunity(
    "WITH ins AS (INSERT INTO crm.opportunity (name, partner_id, pipeline_id, stage_id, "
    "expected_revenue_currency, expected_revenue_minor, expected_close_date, owner_user_id, "
    "team_id, lead_id, request_id, create_time, update_time) VALUES ($1, $2, $3, $4, $5, "
    "cast($6 AS bigint), cast(nullif($7, '') AS date), nullif(cast($8 AS bigint), 0), "
    "nullif(cast($9 AS bigint), 0), nullif(cast($10 AS bigint), 0), nullif($11, ''), "
    KARTON_CRM_AT("$12") ", " KARTON_CRM_AT("$12") ") "
    "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id "
    // xmax is 0 for a row this statement inserted, not for one it updated.
    "RETURNING *, (xmax = 0) AS inserted), "
    "history AS (INSERT INTO crm.opportunity_stage_change (opportunity_id, stage_id, "
    "change_time, user_id) SELECT id, stage_id, create_time, nullif(cast($13 AS bigint), 0) "
    "FROM ins WHERE inserted) "
    "SELECT " KARTON_OPPORTUNITY_COLUMNS ", o.inserted AS _inserted FROM ins o "
    "LEFT JOIN LATERAL (SELECT ARRAY[o.stage_id] AS stage_id, ARRAY[s.name] AS stage_name, "
    "ARRAY[(extract(epoch FROM o.create_time) * 1000000)::bigint] AS change_time, "
    "ARRAY[cast($13 AS bigint)] AS user_id FROM crm.stage s WHERE s.id = o.stage_id) h ON true");

// The editable fields written, the deal answered as GetOpportunity reads it
// (its history is not changed here). No row: no deal with that id.
const kernel::TypedQuery<v1::Opportunity> kUpdateOpportunity(
    "WITH upd AS (UPDATE crm.opportunity SET name = $2, expected_revenue_currency = $3, "
    "expected_revenue_minor = cast($4 AS bigint), expected_close_date = "
    "cast(nullif($5, '') AS date), owner_user_id = nullif(cast($6 AS bigint), 0), "
    "team_id = nullif(cast($7 AS bigint), 0), update_time = " KARTON_CRM_AT(
        "$8") ", version = version + 1 WHERE id = cast($1 AS bigint) RETURNING *) "
              "SELECT " KARTON_OPPORTUNITY_COLUMNS
              " FROM upd o" KARTON_OPPORTUNITY_HISTORY_OF("crm.opportunity_stage_change"));

// The stage, status and reason written with the history entry, the deal
// answered with that entry last in its history: the statement's own reads
// do not see the entry its CTE inserts, so the history is read from the
// table and the inserted entry together (the deal's own rows named in the
// subquery, so no plan has to push the filter into the UNION).
const kernel::TypedQuery<v1::Opportunity> kSetStage(
    "WITH upd AS (UPDATE crm.opportunity SET stage_id = cast($2 AS bigint), status = $3, "
    "lost_reason = $4, close_time = CASE WHEN $3 = 'open' THEN NULL ELSE " KARTON_CRM_AT(
        "$5") " END, update_time = " KARTON_CRM_AT("$5") ", version = version + 1 "
                                                          "WHERE id = cast($1 AS bigint) "
                                                          "RETURNING *), "
    "entry AS (INSERT INTO crm.opportunity_stage_change (opportunity_id, stage_id, "
    "change_time, user_id) SELECT id, stage_id, update_time, nullif(cast($6 AS bigint), 0) "
    "FROM upd RETURNING id, opportunity_id, stage_id, change_time, user_id) "
    "SELECT " KARTON_OPPORTUNITY_COLUMNS " FROM upd o" KARTON_OPPORTUNITY_HISTORY_OF(
        "(SELECT id, opportunity_id, stage_id, change_time, user_id "
        "FROM crm.opportunity_stage_change WHERE opportunity_id = cast($1 AS bigint) "
        "UNION ALL SELECT * FROM entry)"));

std::string Text(std::int64_t value) { return std::to_string(value); }

std::string DateText(const v1::Opportunity& opportunity) {
  if (!opportunity.has_expected_close_date()) return "";
  const auto& date = opportunity.expected_close_date();
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return text;
}

}  // namespace

InsertedOpportunity Insert(soci::session& session, const v1::Opportunity& opportunity,
                           const std::string& request_id, std::int64_t actor_user_id,
                           TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session, kInsertOpportunity.Sql(),
      {opportunity.name(), Text(opportunity.partner_id()), Text(opportunity.pipeline_id()),
       Text(opportunity.stage_id()), opportunity.expected_revenue().currency_code(),
       Text(opportunity.expected_revenue().minor_units()), DateText(opportunity),
       Text(opportunity.owner_user_id()), Text(opportunity.team_id()), Text(opportunity.lead_id()),
       request_id, Text(ToEpochMicros(now)), Text(actor_user_id)});
  auto stored = kInsertOpportunity.Messages(rows);
  if (rows.Text(0, rows.Columns() - 1) == "t") return {std::move(stored.at(0)), true};
  // The earlier one's history may have grown since, or been written by an
  // attempt that committed after this statement began: read it whole.
  return {*Find(session, stored.at(0).id(), Scope::Everything(), false), false};
}

std::optional<v1::Opportunity> Find(soci::session& session, std::int64_t id, const Scope& scope,
                                    bool lock) {
  return (lock ? kFindOpportunityLocked : kFindOpportunity)
      .One(session, {scope.Name(), Text(scope.user_id), scope.team_ids, Text(id)});
}

std::optional<v1::Opportunity> Update(soci::session& session, const v1::Opportunity& opportunity,
                                      TimePoint now) {
  return kUpdateOpportunity.One(
      session,
      {Text(opportunity.id()), opportunity.name(), opportunity.expected_revenue().currency_code(),
       Text(opportunity.expected_revenue().minor_units()), DateText(opportunity),
       Text(opportunity.owner_user_id()), Text(opportunity.team_id()), Text(ToEpochMicros(now))});
}

std::optional<v1::Opportunity> SetStage(soci::session& session, std::int64_t id,
                                        std::int64_t stage_id, const std::string& status,
                                        const std::string& lost_reason, std::int64_t actor_user_id,
                                        TimePoint now) {
  return kSetStage.One(session, {Text(id), Text(stage_id), status, lost_reason,
                                 Text(ToEpochMicros(now)), Text(actor_user_id)});
}

std::vector<v1::Opportunity> List(soci::session& session, const Scope& scope,
                                  const ListFilter& filter, std::int64_t before_id, int limit) {
  return kListOpportunities.All(
      session, {scope.Name(), Text(scope.user_id), scope.team_ids, Text(filter.partner_id),
                Text(filter.pipeline_id), Text(filter.stage_id), Text(filter.owner_user_id),
                filter.status, Text(before_id), Text(limit)});
}

std::vector<v1::Opportunity> ListStale(soci::session& session, const Scope& scope,
                                       std::int64_t owner_user_id, std::int64_t after_id,
                                       int limit) {
  return kListStaleOpportunities.All(session, {scope.Name(), Text(scope.user_id), scope.team_ids,
                                               Text(owner_user_id), Text(after_id), Text(limit)});
}

void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id) {
  kernel::RunPrepared(session, "UPDATE crm.opportunity SET partner_id = $2 WHERE partner_id = $1",
                      {Text(merged_id), Text(kept_id)});
  // The cards these deals showed follow them to the kept partner.
  kernel::RunPrepared(session,
                      "UPDATE kernel.record_grant SET resource_id = $2 "
                      "WHERE resource_type = 'partners.partner' AND resource_id = $1 "
                      "AND via_resource_type = 'crm.opportunity'",
                      {Text(merged_id), Text(kept_id)});
}

}  // namespace karton::crm::opportunity_repository

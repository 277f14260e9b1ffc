#include "pipeline/pipeline_repository.h"

#include <soci/soci.h>

#include <set>

#include "crm_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/typed_rows.h"

namespace karton::crm::pipeline_repository {
namespace {

// A pipeline's columns (kernel::TypedQuery); its stages, in order, come as
// one array per field of Stage from the LATERAL subquery `st`.
#define KARTON_PIPELINE_SELECT                                                                  \
  "SELECT p.id, p.name, st.id AS \"stages.id\", st.name AS \"stages.name\", "                   \
  "st.probability AS \"stages.probability\", st.won AS \"stages.won\", "                        \
  "st.lost AS \"stages.lost\", "                                                                \
  "(extract(epoch FROM p.create_time) * 1000000)::bigint AS create_time, "                      \
  "(extract(epoch FROM p.update_time) * 1000000)::bigint AS update_time, "                      \
  "p.version::text AS etag, p.require_next_step "                                               \
  "FROM crm.pipeline p CROSS JOIN LATERAL (SELECT array_agg(s.id ORDER BY s.position) AS id, "  \
  "array_agg(s.name ORDER BY s.position) AS name, "                                             \
  "array_agg(s.probability ORDER BY s.position) AS probability, "                               \
  "array_agg(s.won ORDER BY s.position) AS won, array_agg(s.lost ORDER BY s.position) AS lost " \
  "FROM crm.stage s WHERE s.pipeline_id = p.id AND NOT s.removed) st "

const kernel::TypedQuery<v1::Pipeline> kFindPipeline(KARTON_PIPELINE_SELECT "WHERE p.id = $1");
const kernel::TypedQuery<v1::Pipeline> kFindPipelineLocked(KARTON_PIPELINE_SELECT
                                                           "WHERE p.id = $1 FOR UPDATE OF p");
const kernel::TypedQuery<v1::Pipeline> kListPipelines(KARTON_PIPELINE_SELECT "ORDER BY p.id");

std::string Text(std::int64_t value) { return std::to_string(value); }

void InsertStage(soci::session& session, std::int64_t pipeline_id, int position,
                 const v1::Stage& stage) {
  kernel::RunPrepared(session,
                      "INSERT INTO crm.stage (pipeline_id, position, name, probability, won, lost) "
                      "VALUES ($1, $2, $3, $4, cast($5 AS boolean), cast($6 AS boolean))",
                      {Text(pipeline_id), Text(position), stage.name(), Text(stage.probability()),
                       stage.won() ? "true" : "false", stage.lost() ? "true" : "false"});
}

}  // namespace

std::int64_t Insert(soci::session& session, const v1::Pipeline& pipeline,
                    const std::string& request_id, kernel::TimePoint now) {
  const auto rows = kernel::RunPrepared(
      session,
      "INSERT INTO crm.pipeline (name, request_id, create_time, update_time, require_next_step) "
      "VALUES ($1, nullif($2, ''), " KARTON_CRM_AT("$3") ", " KARTON_CRM_AT("$3") ", "
      "cast($4 AS boolean)) "
      "ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id "
      "RETURNING id, (xmax = 0)",
      {pipeline.name(), request_id, Text(kernel::ToEpochMicros(now)),
       pipeline.require_next_step() ? "true" : "false"});
  const std::int64_t id = std::stoll(std::string(rows.Text(0, 0)));
  if (rows.Text(0, 1) == "t") {
    for (int i = 0; i < pipeline.stages_size(); ++i)
      InsertStage(session, id, i, pipeline.stages(i));
  }
  return id;
}

std::optional<v1::Pipeline> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindPipelineLocked : kFindPipeline).One(session, {Text(id)});
}

std::vector<v1::Pipeline> List(soci::session& session) { return kListPipelines.All(session, {}); }

void Replace(soci::session& session, const v1::Pipeline& pipeline, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE crm.pipeline SET name = $2, update_time = " KARTON_CRM_AT(
                          "$3") ", version = version + 1, "
                                "require_next_step = cast($4 AS boolean) WHERE id = $1",
                      {Text(pipeline.id()), pipeline.name(), Text(kernel::ToEpochMicros(now)),
                       pipeline.require_next_step() ? "true" : "false"});
  std::set<std::int64_t> kept;
  for (const auto& stage : pipeline.stages()) {
    if (stage.id() != 0) kept.insert(stage.id());
  }
  // Positions move out of the way first; every kept stage gets its new one.
  kernel::RunPrepared(session,
                      "UPDATE crm.stage SET position = position + 100000, removed = true "
                      "WHERE pipeline_id = $1",
                      {Text(pipeline.id())});
  for (int i = 0; i < pipeline.stages_size(); ++i) {
    const auto& stage = pipeline.stages(i);
    if (stage.id() == 0) {
      InsertStage(session, pipeline.id(), i, stage);
      continue;
    }
    kernel::RunPrepared(
        session,
        "UPDATE crm.stage SET position = $3, name = $4, probability = $5, "
        "won = cast($6 AS boolean), lost = cast($7 AS boolean), removed = false "
        "WHERE id = $1 AND pipeline_id = $2",
        {Text(stage.id()), Text(pipeline.id()), Text(i), stage.name(), Text(stage.probability()),
         stage.won() ? "true" : "false", stage.lost() ? "true" : "false"});
  }
}

int OpenOpportunitiesIn(soci::session& session, std::int64_t stage_id) {
  return std::stoi(std::string(
      kernel::RunPrepared(session,
                          "SELECT count(*) FROM crm.opportunity WHERE stage_id = $1 AND "
                          "status = 'open'",
                          {Text(stage_id)})
          .Text(0, 0)));
}

}  // namespace karton::crm::pipeline_repository

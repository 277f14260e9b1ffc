#include "reports/helpdesk_report_service.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <string>
#include <vector>

#include "karton/kernel/database.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/prepared_query.h"

namespace karton::helpdesk {
namespace {

// One row per group: the dimension ('total', 'type', 'source', 'agent',
// 'team'), the group's id and name, and its statistics. Merged tickets are
// left out. Percentiles are continuous (percentile_cont), in seconds.
constexpr char kReport[] = R"SQL(
WITH base AS (
  SELECT coalesce(t.type_id, 0) AS type_id, t.source,
         coalesce(t.assignee_user_id, 0) AS agent_id, coalesce(t.team_id, 0) AS team_id,
         extract(epoch FROM t.first_response_time - t.create_time) AS first_response,
         CASE WHEN t.state IN ('resolved', 'closed') THEN
           extract(epoch FROM coalesce(t.resolve_time, t.close_time) - t.create_time) END
           AS resolution,
         t.state IN ('resolved', 'closed') AS done,
         t.sla_policy_id IS NOT NULL AS has_sla,
         (t.first_response_breached OR t.resolve_breached) AS breached,
         t.reopen_count > 0 AS reopened
  FROM helpdesk.ticket t
  WHERE t.merged_into_id IS NULL
    AND ($1::date IS NULL OR t.create_time >= ($1::date)::timestamp AT TIME ZONE 'UTC')
    AND ($2::date IS NULL OR t.create_time < ($2::date + 1)::timestamp AT TIME ZONE 'UTC')
    AND ($3::bigint = 0 OR t.team_id = $3::bigint)
    AND ($4::bigint = 0 OR t.assignee_user_id = $4::bigint)
), grouped AS (
  SELECT CASE WHEN GROUPING(type_id) = 0 THEN 'type' WHEN GROUPING(source) = 0 THEN 'source'
              WHEN GROUPING(agent_id) = 0 THEN 'agent' WHEN GROUPING(team_id) = 0 THEN 'team'
              ELSE 'total' END AS dimension,
         CASE WHEN GROUPING(type_id) = 0 THEN type_id WHEN GROUPING(agent_id) = 0 THEN agent_id
              WHEN GROUPING(team_id) = 0 THEN team_id ELSE 0 END AS id,
         CASE WHEN GROUPING(source) = 0 THEN source END AS source,
         count(*) AS tickets,
         count(*) FILTER (WHERE done) AS resolved,
         count(first_response) AS responded,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response) AS first_median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response) AS first_p90,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution) AS resolution_median,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution) AS resolution_p90,
         count(*) FILTER (WHERE has_sla AND (done OR breached)) AS sla_tickets,
         count(*) FILTER (WHERE has_sla AND done AND NOT breached) AS sla_met,
         count(*) FILTER (WHERE reopened) AS reopened
  FROM base
  GROUP BY GROUPING SETS ((), (type_id), (source), (agent_id), (team_id))
)
SELECT g.dimension, g.id,
       CASE WHEN g.dimension = 'source' THEN g.source
            WHEN g.id = 0 AND g.dimension <> 'total' THEN '(none)'
            WHEN g.dimension = 'type' THEN coalesce(y.name, '')
            WHEN g.dimension = 'agent' THEN coalesce(u.name, '')
            WHEN g.dimension = 'team' THEN coalesce(m.name, '') ELSE '' END AS name,
       g.tickets, g.resolved, g.responded,
       round(g.first_median::numeric), round(g.first_p90::numeric),
       round(g.resolution_median::numeric), round(g.resolution_p90::numeric),
       g.sla_tickets, g.sla_met, g.reopened
FROM grouped g
LEFT JOIN helpdesk.ticket_type y ON g.dimension = 'type' AND y.id = g.id
LEFT JOIN kernel.user_account u ON g.dimension = 'agent' AND u.id = g.id
LEFT JOIN kernel.team m ON g.dimension = 'team' AND m.id = g.id
ORDER BY g.dimension, g.tickets DESC, 3, g.id
)SQL";

std::int64_t Number(const kernel::QueryRows& rows, int row, int column) {
  return rows.IsNull(row, column) ? 0 : std::stoll(std::string(rows.Text(row, column)));
}

void SetSeconds(const kernel::QueryRows& rows, int row, int column,
                google::protobuf::Duration* duration) {
  *duration = google::protobuf::util::TimeUtil::SecondsToDuration(Number(rows, row, column));
}

// `part` of `whole` in basis points, rounded half up; 0 when whole is 0.
std::int32_t BasisPoints(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return 0;
  return static_cast<std::int32_t>((part * 10000 * 2 + whole) / (whole * 2));
}

}  // namespace

v1::RunHelpdeskReportResponse ReadHelpdeskReport(soci::session& session,
                                                 const v1::RunHelpdeskReportRequest& request) {
  const std::string from = kernel::DateText(request.from_date());
  const std::string to = kernel::DateText(request.to_date());
  const auto rows = kernel::RunPrepared(
      session, kReport,
      {from.empty() ? kernel::QueryParam() : kernel::QueryParam(from),
       to.empty() ? kernel::QueryParam() : kernel::QueryParam(to),
       std::to_string(request.team_id()), std::to_string(request.assignee_user_id())});
  v1::RunHelpdeskReportResponse response;
  for (int row = 0; row < rows.Count(); ++row) {
    const std::string dimension(rows.Text(row, 0));
    v1::HelpdeskStatistics* statistics = nullptr;
    if (dimension == "total") {
      statistics = response.mutable_total();
    } else {
      v1::HelpdeskReportGroup* group = dimension == "type"     ? response.add_by_type()
                                       : dimension == "source" ? response.add_by_source()
                                       : dimension == "agent"  ? response.add_by_agent()
                                                               : response.add_by_team();
      group->set_id(Number(rows, row, 1));
      group->set_name(std::string(rows.Text(row, 2)));
      statistics = group->mutable_statistics();
    }
    statistics->set_tickets(Number(rows, row, 3));
    statistics->set_resolved_tickets(Number(rows, row, 4));
    statistics->set_responded_tickets(Number(rows, row, 5));
    if (!rows.IsNull(row, 6)) SetSeconds(rows, row, 6, statistics->mutable_first_response_median());
    if (!rows.IsNull(row, 7)) SetSeconds(rows, row, 7, statistics->mutable_first_response_p90());
    if (!rows.IsNull(row, 8)) SetSeconds(rows, row, 8, statistics->mutable_resolution_median());
    if (!rows.IsNull(row, 9)) SetSeconds(rows, row, 9, statistics->mutable_resolution_p90());
    statistics->set_sla_tickets(Number(rows, row, 10));
    statistics->set_sla_met_tickets(Number(rows, row, 11));
    statistics->set_sla_compliance_bp(
        BasisPoints(statistics->sla_met_tickets(), statistics->sla_tickets()));
    statistics->set_reopened_tickets(Number(rows, row, 12));
    statistics->set_reopen_rate_bp(
        BasisPoints(statistics->reopened_tickets(), statistics->tickets()));
  }
  // No ticket: the total is there, all zero.
  response.mutable_total();
  return response;
}

kernel::MethodRoles HelpdeskReportServiceImpl::Roles() {
  return {{"RunHelpdeskReport",
           {std::string(kernel::kRoleSupport), std::string(kernel::kRoleSalesManager)}}};
}

grpc::Status HelpdeskReportServiceImpl::RunHelpdeskReport(
    grpc::ServerContext* /*context*/, const v1::RunHelpdeskReportRequest* request,
    v1::RunHelpdeskReportResponse* response) {
  std::vector<kernel::FieldViolation> violations;
  const auto date = [&](const common::v1::Date& value, const char* field) {
    const bool unset = value.year() == 0 && value.month() == 0 && value.day() == 0;
    if (!unset && !kernel::IsValidDate(value)) violations.push_back({field, "is not a date"});
    return !unset && kernel::IsValidDate(value);
  };
  const bool has_from = date(request->from_date(), "from_date");
  const bool has_to = date(request->to_date(), "to_date");
  if (has_from && has_to &&
      kernel::DateText(request->to_date()) < kernel::DateText(request->from_date())) {
    violations.push_back({"to_date", "is before from_date"});
  }
  if (request->team_id() < 0) violations.push_back({"team_id", "must be a team id"});
  if (request->assignee_user_id() < 0) {
    violations.push_back({"assignee_user_id", "must be a user id"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return kernel::Guarded(parts_.log, "RunHelpdeskReport", [&]() -> grpc::Status {
    auto lease = parts_.database.Acquire();
    *response = ReadHelpdeskReport(lease.Session(), *request);
    return grpc::Status::OK;
  });
}

}  // namespace karton::helpdesk

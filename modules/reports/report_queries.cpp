#include "report_queries.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <vector>

#include "karton/common/v1/date.pb.h"
#include "karton/kernel/dates.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/prepared_query.h"

namespace karton::reports {
namespace {

// Parameters of every report: $1..$3 the scope, $4 and $5 the dates (NULL
// when not given), $6 the owner, $7 the team (0: any). The activities
// report adds $8, now in microseconds since 1970.
#define KARTON_REPORTS_FILTERS(alias)      \
  KARTON_REPORTS_SCOPE(alias)              \
  " AND (cast($6 AS bigint) = 0 OR " alias \
  ".owner_user_id = cast($6 AS bigint)) "  \
  "AND (cast($7 AS bigint) = 0 OR " alias ".team_id = cast($7 AS bigint))"

// A date column within the dates, both inclusive.
#define KARTON_REPORTS_DATE_WITHIN(column) \
  "(cast($4 AS date) IS NULL OR " column   \
  " >= cast($4 AS date)) AND "             \
  "(cast($5 AS date) IS NULL OR " column " <= cast($5 AS date))"

// A timestamptz column within the dates' days (UTC), both inclusive.
#define KARTON_REPORTS_TIME_WITHIN(column)               \
  "(cast($4 AS date) IS NULL OR " column                 \
  " >= cast($4 AS date)::timestamp AT TIME ZONE 'UTC') " \
  "AND (cast($5 AS date) IS NULL OR " column             \
  " < (cast($5 AS date) + 1)::timestamp AT TIME ZONE 'UTC')"

// The owner's name as people read it.
#define KARTON_REPORTS_OWNER_NAME "coalesce(u.name, '(nobody)')"

// Weighted by the stage's probability, rounded once, half away from zero.
#define KARTON_REPORTS_WEIGHTED \
  "cast(round(sum(o.expected_revenue_minor * o.stage_probability) / 100.0) AS bigint)"

struct ColumnDef {
  const char* key;
  const char* title;
  v1::ColumnType type;
};

struct ReportDef {
  v1::Report report;
  const char* slug;
  const char* title;
  std::vector<ColumnDef> columns;  // the SQL's columns, in order
  std::string sql;
  bool needs_now = false;
};

constexpr auto kText = v1::COLUMN_TYPE_TEXT;
constexpr auto kInteger = v1::COLUMN_TYPE_INTEGER;
constexpr auto kMoney = v1::COLUMN_TYPE_MONEY;
constexpr auto kPercent = v1::COLUMN_TYPE_PERCENT;

const std::vector<ReportDef>& Reports() {
  static const std::vector<ReportDef> reports = {
      {v1::REPORT_PIPELINE_BY_STAGE,
       "pipeline-by-stage",
       "Pipeline by stage",
       {{"pipeline", "Pipeline", kText},
        {"stage", "Stage", kText},
        {"probability", "Probability", kPercent},
        {"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"currency", "Currency", kText},
        {"deals", "Deals", kInteger},
        {"total", "Expected revenue", kMoney},
        {"weighted", "Weighted", kMoney}},
       "SELECT o.pipeline_name, o.stage_name, o.stage_probability * 100, "
       "coalesce(o.owner_user_id, 0), " KARTON_REPORTS_OWNER_NAME
       ", o.expected_revenue_currency, count(*), "
       "sum(o.expected_revenue_minor), " KARTON_REPORTS_WEIGHTED
       " FROM crm_reporting.opportunity o "
       "LEFT JOIN kernel.user_account u ON u.id = o.owner_user_id "
       "WHERE o.status = 'open' AND " KARTON_REPORTS_FILTERS(
           "o") " AND " KARTON_REPORTS_DATE_WITHIN("o.expected_close_date") " GROUP BY "
                                                                            "o.pipeline_id, "
                                                                            "o.pipeline_name, "
                                                                            "o.stage_id, "
                                                                            "o.stage_position, "
                                                                            "o.stage_name, "
                                                                            "o.stage_probability, "
                                                                            "o.owner_user_id, "
                                                                            "u.name, "
                                                                            "o.expected_revenue_"
                                                                            "currency "
                                                                            "ORDER BY "
                                                                            "o.pipeline_name, "
                                                                            "o.pipeline_id, "
                                                                            "o.stage_position, "
                                                                            "o.stage_id, 5, 4, 6"},
      {v1::REPORT_FORECAST_BY_MONTH,
       "forecast-by-month",
       "Weighted forecast by month",
       {{"month", "Month", kText},
        {"currency", "Currency", kText},
        {"deals", "Deals", kInteger},
        {"total", "Expected revenue", kMoney},
        {"weighted", "Weighted", kMoney}},
       "SELECT to_char(o.expected_close_date, 'YYYY-MM'), o.expected_revenue_currency, "
       "count(*), sum(o.expected_revenue_minor), " KARTON_REPORTS_WEIGHTED
       " FROM crm_reporting.opportunity o "
       "WHERE o.status = 'open' AND o.expected_close_date IS NOT NULL AND " KARTON_REPORTS_FILTERS(
           "o") " AND " KARTON_REPORTS_DATE_WITHIN("o.expected_close_date") " GROUP BY 1, 2 ORDER "
                                                                            "BY 1, 2"},
      {v1::REPORT_WIN_RATE_BY_OWNER,
       "win-rate-by-owner",
       "Win rate and sales cycle by owner",
       {{"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"won", "Won", kInteger},
        {"lost", "Lost", kInteger},
        {"win_rate", "Win rate", kPercent},
        {"average_cycle_days", "Average days to win", kInteger}},
       // The cycle: whole days from create to close of the won deals,
       // averaged and rounded half away from zero.
       "SELECT coalesce(o.owner_user_id, 0), " KARTON_REPORTS_OWNER_NAME
       ", count(*) FILTER (WHERE o.status = 'won'), count(*) FILTER (WHERE o.status = 'lost'), "
       "cast(round(10000.0 * count(*) FILTER (WHERE o.status = 'won') / count(*)) AS bigint), "
       "cast(round(avg(cast(extract(epoch FROM o.close_time - o.create_time) AS numeric) / 86400) "
       "FILTER (WHERE o.status = 'won')) AS bigint) "
       "FROM crm_reporting.opportunity o "
       "LEFT JOIN kernel.user_account u ON u.id = o.owner_user_id "
       "WHERE o.status IN ('won', 'lost') AND o.close_time IS NOT NULL AND " KARTON_REPORTS_FILTERS(
           "o") " AND " KARTON_REPORTS_TIME_WITHIN("o.close_time") " GROUP BY o.owner_user_id, "
                                                                   "u.name ORDER BY 2, 1"},
      {v1::REPORT_ACTIVITIES_BY_OWNER,
       "activities-by-owner",
       "Activities by colleague",
       {{"owner_user_id", "Colleague id", kInteger},
        {"owner", "Colleague", kText},
        {"done", "Done", kInteger},
        {"open", "Open", kInteger},
        {"overdue", "Overdue", kInteger}},
       "SELECT coalesce(a.owner_user_id, 0), " KARTON_REPORTS_OWNER_NAME
       ", count(*) FILTER (WHERE a.state = 'done'), count(*) FILTER (WHERE a.state = 'planned'), "
       "count(*) FILTER (WHERE a.state = 'planned' AND a.due_time < "
       "to_timestamp(cast($8 AS bigint) / 1e6)) "
       "FROM crm_reporting.activity a "
       "LEFT JOIN kernel.user_account u ON u.id = a.owner_user_id "
       "WHERE a.state <> 'canceled' AND " KARTON_REPORTS_FILTERS(
           "a") " AND " KARTON_REPORTS_TIME_WITHIN("a.due_time") " GROUP BY a.owner_user_id, "
                                                                 "u.name ORDER BY 2, 1",
       true},
  };
  return reports;
}

const ReportDef* Find(v1::Report report) {
  for (const auto& def : Reports()) {
    if (def.report == report) return &def;
  }
  return nullptr;
}

std::int64_t Number(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

grpc::Status CheckQuery(const ReportQuery& query, const std::string& prefix) {
  std::vector<kernel::FieldViolation> violations;
  if (query.report == v1::REPORT_UNSPECIFIED) {
    violations.push_back({prefix + "report", "is required"});
  } else if (Find(query.report) == nullptr) {
    violations.push_back({prefix + "report", "is not a report this server has"});
  }
  const auto date = [&](const common::v1::Date& value, const char* field) {
    const bool unset = value.year() == 0 && value.month() == 0 && value.day() == 0;
    if (!unset && !kernel::IsValidDate(value)) {
      violations.push_back({prefix + field, "is not a date"});
      return false;
    }
    return !unset;
  };
  const bool has_from = date(query.from_date, "from_date");
  const bool has_to = date(query.to_date, "to_date");
  if (has_from && has_to && kernel::DateText(query.to_date) < kernel::DateText(query.from_date)) {
    violations.push_back({prefix + "to_date", "is before from_date"});
  }
  if (query.owner_user_id < 0)
    violations.push_back({prefix + "owner_user_id", "must be a user id"});
  if (query.team_id < 0) violations.push_back({prefix + "team_id", "must be a team id"});
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  return grpc::Status::OK;
}

std::string ReportSlug(v1::Report report) {
  const ReportDef* def = Find(report);
  return def == nullptr ? "report" : def->slug;
}

v1::RunReportResponse RunReport(soci::session& session, const ReportQuery& query,
                                const Scope& scope, kernel::TimePoint now) {
  const ReportDef& def = *Find(query.report);
  const std::string user = std::to_string(scope.user_id);
  const std::string from = kernel::DateText(query.from_date);
  const std::string to = kernel::DateText(query.to_date);
  const std::string owner = std::to_string(query.owner_user_id);
  const std::string team = std::to_string(query.team_id);
  const std::string now_micros = std::to_string(kernel::ToEpochMicros(now));
  std::vector<kernel::QueryParam> params = {
      scope.kind,
      user,
      scope.team_ids,
      from.empty() ? kernel::QueryParam() : kernel::QueryParam(from),
      to.empty() ? kernel::QueryParam() : kernel::QueryParam(to),
      owner,
      team};
  if (def.needs_now) params.emplace_back(now_micros);
  const kernel::QueryRows rows = kernel::RunPrepared(session, def.sql, params);

  v1::RunReportResponse response;
  response.set_title(def.title);
  int currency_column = -1;
  for (std::size_t i = 0; i < def.columns.size(); ++i) {
    auto* column = response.add_columns();
    column->set_key(def.columns[i].key);
    column->set_title(def.columns[i].title);
    column->set_type(def.columns[i].type);
    if (std::string_view(def.columns[i].key) == "currency") currency_column = static_cast<int>(i);
  }
  for (int r = 0; r < rows.Count(); ++r) {
    auto* row = response.add_rows();
    for (std::size_t i = 0; i < def.columns.size(); ++i) {
      auto* cell = row->add_cells();
      const int c = static_cast<int>(i);
      if (rows.IsNull(r, c)) continue;
      const std::string_view text = rows.Text(r, c);
      switch (def.columns[i].type) {
        case v1::COLUMN_TYPE_TEXT:
          cell->set_text(std::string(text));
          break;
        case v1::COLUMN_TYPE_INTEGER:
          cell->set_integer(Number(text));
          break;
        case v1::COLUMN_TYPE_PERCENT:
          cell->set_percent_basis_points(Number(text));
          break;
        case v1::COLUMN_TYPE_MONEY:
          cell->mutable_money()->set_minor_units(Number(text));
          if (currency_column >= 0) {
            cell->mutable_money()->set_currency_code(std::string(rows.Text(r, currency_column)));
          }
          break;
        default:
          break;
      }
    }
  }
  return response;
}

}  // namespace karton::reports

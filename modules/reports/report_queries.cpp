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
// when not given), $6 the owner, $7 the team (0: any). The reports that
// need them (ReportDef::extra) add $8, the time zone (reports.time_zone),
// and $9, now in microseconds since 1970.
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

// The zone whose calendar days the dates are (and "today", and a
// timestamp's day): reports.time_zone, Europe/Budapest unless set, as
// orders and invoicing keep theirs.
#define KARTON_REPORTS_ZONE "cast($8 AS text)"

// A timestamptz column within the dates' days (in the zone), both inclusive:
// from the start of the first day to the end of the last, daylight saving
// included (PostgreSQL's zone rules).
#define KARTON_REPORTS_TIME_WITHIN(column)                            \
  "(cast($4 AS date) IS NULL OR " column                              \
  " >= cast($4 AS date)::timestamp AT TIME ZONE " KARTON_REPORTS_ZONE \
  ") "                                                                \
  "AND (cast($5 AS date) IS NULL OR " column                          \
  " < (cast($5 AS date) + 1)::timestamp AT TIME ZONE " KARTON_REPORTS_ZONE ")"

// Today in the zone, from $9 (now in microseconds since 1970, the kernel
// clock's).
#define KARTON_REPORTS_TODAY \
  "(to_timestamp(cast($9 AS bigint) / 1e6) AT TIME ZONE " KARTON_REPORTS_ZONE ")::date"

// The day the customer reports measure recency to: the last day of the
// dates, or today when that is later or not given.
#define KARTON_REPORTS_REFERENCE_DAY \
  "least(coalesce(cast($5 AS date), " KARTON_REPORTS_TODAY "), " KARTON_REPORTS_TODAY ")"

// A customer (partners_reporting.partner `alias`) the caller sees, of the
// owner $6 (0: any) and of an owner in the team $7 (0: any).
#define KARTON_REPORTS_PARTNER_FILTERS(alias)                                           \
  KARTON_REPORTS_PARTNER_SCOPE(alias)                                                   \
  " AND (cast($6 AS bigint) = 0 OR " alias                                              \
  ".owner_user_id = cast($6 AS bigint)) "                                               \
  "AND (cast($7 AS bigint) = 0 OR " alias                                               \
  ".owner_user_id IN (SELECT tm.user_id FROM kernel.team_member tm WHERE tm.team_id = " \
  "cast($7 AS bigint)))"

// The purchases within the dates, as a CTE "purchase": orders confirmed
// and not cancelled (confirmed, shipped, delivered, completed), each under
// the partner that survived its merges, on its confirmation's day.
#define KARTON_REPORTS_PURCHASES                                                                   \
  "purchase AS (SELECT * FROM (SELECT cp.surviving_partner_id AS partner_id, "                     \
  "o.currency_code, o.net_minor, o.gross_minor, (o.confirm_time AT TIME ZONE " KARTON_REPORTS_ZONE \
  ")::date AS day FROM orders_reporting.sales_order o "                                            \
  "JOIN partners_reporting.partner cp ON cp.id = o.partner_id WHERE o.state IN "                   \
  "('confirmed', 'shipped', 'delivered', 'completed') AND o.confirm_time IS NOT NULL) d "          \
  "WHERE " KARTON_REPORTS_DATE_WITHIN("d.day") ")"

// A customer's columns: its id, name, owner id and owner's name (p: the
// partner, u: the owner's user account).
#define KARTON_REPORTS_CUSTOMER \
  "p.id, p.display_name, coalesce(p.owner_user_id, 0), " KARTON_REPORTS_OWNER_NAME

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

// What a report's SQL takes beyond $1..$7.
enum class Extra {
  kNone,
  kZone,        // $8
  kZoneAndNow,  // $8, $9
};

struct ReportDef {
  v1::Report report;
  const char* slug;
  const char* title;
  std::vector<ColumnDef> columns;  // the SQL's columns, in order
  std::string sql;
  Extra extra = Extra::kNone;
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
                                                                   "u.name ORDER BY 2, 1",
       Extra::kZone},
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
       "to_timestamp(cast($9 AS bigint) / 1e6)) "
       "FROM crm_reporting.activity a "
       "LEFT JOIN kernel.user_account u ON u.id = a.owner_user_id "
       "WHERE a.state <> 'canceled' AND " KARTON_REPORTS_FILTERS(
           "a") " AND " KARTON_REPORTS_TIME_WITHIN("a.due_time") " GROUP BY a.owner_user_id, "
                                                                 "u.name ORDER BY 2, 1",
       Extra::kZoneAndNow},
      {v1::REPORT_LEAD_CONVERSION_BY_SOURCE,
       "lead-conversion-by-source",
       "Lead conversion by source",
       {{"source", "Source", kText},
        {"leads", "Leads", kInteger},
        {"open", "Open", kInteger},
        {"qualified", "Qualified", kInteger},
        {"disqualified", "Disqualified", kInteger},
        {"conversion_rate", "Conversion rate", kPercent},
        {"deals_open", "Deals open", kInteger},
        {"open_by_stage", "Open deals by stage", kText},
        {"deals_won", "Deals won", kInteger},
        {"deals_lost", "Deals lost", kInteger},
        {"average_days_to_qualify", "Average days to qualify", kInteger}},
       // The leads the caller sees, with the deal qualification opened (if
       // any) as it stands now; the open deals counted per pipeline and
       // stage, in the pipeline's order.
       "WITH scoped AS (SELECT l.source, l.state, l.create_time, l.qualify_time, o.id AS deal_id, "
       "o.status AS deal_status, o.pipeline_id, o.pipeline_name, o.stage_id, o.stage_name, "
       "o.stage_position FROM crm_reporting.lead l "
       "LEFT JOIN crm_reporting.opportunity o ON o.id = l.opportunity_id "
       "WHERE " KARTON_REPORTS_FILTERS("l") " AND " KARTON_REPORTS_TIME_WITHIN(
           "l.create_time") "), "
                            "stages AS (SELECT source, string_agg(pipeline_name || ' / ' || "
                            "stage_name || ': ' || deals, "
                            "', ' ORDER BY pipeline_name, pipeline_id, stage_position, stage_id) "
                            "AS open_by_stage "
                            "FROM (SELECT source, pipeline_id, pipeline_name, stage_id, "
                            "stage_name, stage_position, "
                            "count(*) AS deals FROM scoped WHERE deal_status = 'open' GROUP BY "
                            "source, pipeline_id, "
                            "pipeline_name, stage_id, stage_name, stage_position) g GROUP BY "
                            "source) "
                            "SELECT s.source, count(*), count(*) FILTER (WHERE s.state = 'new'), "
                            "count(*) FILTER (WHERE s.state = 'qualified'), "
                            "count(*) FILTER (WHERE s.state = 'disqualified'), "
                            "cast(round(10000.0 * count(*) FILTER (WHERE s.state = 'qualified') / "
                            "count(*)) AS bigint), "
                            "count(*) FILTER (WHERE s.deal_status = 'open'), "
                            "coalesce(st.open_by_stage, ''), "
                            "count(*) FILTER (WHERE s.deal_status = 'won'), "
                            "count(*) FILTER (WHERE s.deal_status = 'lost'), "
                            "cast(round(avg(cast(extract(epoch FROM s.qualify_time - "
                            "s.create_time) AS numeric) / "
                            "86400) FILTER (WHERE s.state = 'qualified' AND s.qualify_time IS NOT "
                            "NULL)) AS bigint) "
                            "FROM scoped s LEFT JOIN stages st ON st.source = s.source "
                            "GROUP BY s.source, st.open_by_stage ORDER BY s.source",
       Extra::kZone},
      {v1::REPORT_CUSTOMER_PURCHASES,
       "customer-purchases",
       "Customer purchases",
       {{"partner_id", "Customer id", kInteger},
        {"partner", "Customer", kText},
        {"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"currency", "Currency", kText},
        {"orders", "Orders", kInteger},
        {"revenue", "Revenue (net)", kMoney},
        {"gross", "Gross", kMoney},
        {"average_order", "Average order (net)", kMoney},
        {"first_purchase", "First purchase", kText},
        {"last_purchase", "Last purchase", kText},
        {"days_since_last", "Days since last", kInteger}},
       "WITH " KARTON_REPORTS_PURCHASES " SELECT " KARTON_REPORTS_CUSTOMER
       ", pu.currency_code, count(*), sum(pu.net_minor), sum(pu.gross_minor), "
       "cast(round(avg(pu.net_minor)) AS bigint), to_char(min(pu.day), 'YYYY-MM-DD'), "
       "to_char(max(pu.day), 'YYYY-MM-DD'), " KARTON_REPORTS_TODAY " - max(pu.day) "
       "FROM purchase pu JOIN partners_reporting.partner p ON p.id = pu.partner_id "
       "LEFT JOIN kernel.user_account u ON u.id = p.owner_user_id "
       "WHERE " KARTON_REPORTS_PARTNER_FILTERS(
           "p") " GROUP BY p.id, p.display_name, "
                "p.owner_user_id, u.name, pu.currency_code ORDER BY pu.currency_code, 7 DESC, 2, 1",
       Extra::kZoneAndNow},
      {v1::REPORT_PAYMENT_BEHAVIOUR,
       "payment-behaviour",
       "Payment behaviour",
       {{"partner_id", "Customer id", kInteger},
        {"partner", "Customer", kText},
        {"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"currency", "Currency", kText},
        {"invoices", "Invoices", kInteger},
        {"invoiced", "Invoiced (gross)", kMoney},
        {"paid", "Paid", kMoney},
        {"outstanding", "Outstanding", kMoney},
        {"overdue", "Overdue", kMoney},
        {"overdue_invoices", "Overdue invoices", kInteger},
        {"average_days_late", "Average days late", kInteger},
        {"most_days_overdue", "Most days overdue", kInteger}},
       // Issued invoices and credit notes, as invoicing's balance counts
       // them (docs/invoicing.md, "Balances"): open is what is left while
       // the invoice is not settled, overdue the open invoices due before
       // today, lateness the days after the due date of those paid in full
       // with the buyer's money (never negative).
       "SELECT " KARTON_REPORTS_CUSTOMER
       ", i.currency_code, count(*) FILTER (WHERE i.kind = 'invoice'), sum(i.gross_minor), "
       "sum(i.paid_minor), coalesce(sum(i.open_minor) FILTER (WHERE i.paid_date IS NULL), 0), "
       "coalesce(sum(i.open_minor) FILTER (WHERE i.paid_date IS NULL AND i.gross_minor > 0 AND "
       "i.due_date < " KARTON_REPORTS_TODAY "), 0), count(*) FILTER (WHERE i.paid_date IS NULL "
       "AND i.gross_minor > 0 AND i.due_date < " KARTON_REPORTS_TODAY "), "
       "cast(round(avg(greatest(i.paid_date - i.due_date, 0)) FILTER (WHERE i.paid_date IS NOT "
       "NULL AND i.paid_minor > 0)) AS bigint), coalesce(max(" KARTON_REPORTS_TODAY
       " - i.due_date) FILTER (WHERE i.paid_date IS NULL AND i.gross_minor > 0 AND i.due_date "
       "< " KARTON_REPORTS_TODAY "), 0) "
       "FROM invoicing_reporting.invoice i "
       "JOIN partners_reporting.partner ip ON ip.id = i.partner_id "
       "JOIN partners_reporting.partner p ON p.id = ip.surviving_partner_id "
       "LEFT JOIN kernel.user_account u ON u.id = p.owner_user_id "
       "WHERE i.state = 'issued' AND " KARTON_REPORTS_PARTNER_FILTERS(
           "p") " AND " KARTON_REPORTS_DATE_WITHIN("i.issue_date") " GROUP BY p.id, "
                                                                   "p.display_name, "
                                                                   "p.owner_user_id, u.name, "
                                                                   "i.currency_code ORDER BY "
                                                                   "i.currency_code, 9 DESC, "
                                                                   "2, 1",
       Extra::kZoneAndNow},
      {v1::REPORT_CUSTOMER_RFM,
       "customer-rfm",
       "Customer RFM segments",
       {{"partner_id", "Customer id", kInteger},
        {"partner", "Customer", kText},
        {"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"currency", "Currency", kText},
        {"orders", "Orders", kInteger},
        {"revenue", "Revenue (net)", kMoney},
        {"last_purchase", "Last purchase", kText},
        {"days_since_last", "Days since last", kInteger},
        {"recency_score", "R", kInteger},
        {"frequency_score", "F", kInteger},
        {"monetary_score", "M", kInteger},
        {"rfm", "RFM", kText},
        {"segment", "Segment", kText}},
       // Scores among every customer who bought in the currency (whoever
       // asks: a salesperson's champion is the company's), then narrowed to
       // those the caller sees. A score is the customer's quintile: 5 x the
       // share of customers at or below it, rounded up, so ties score alike
       // (recency: fewer days is better). The segment rules: docs/reports.md.
       "WITH " KARTON_REPORTS_PURCHASES ", "
       "per AS (SELECT partner_id, currency_code, count(*) AS orders, sum(net_minor) AS revenue, "
       "max(day) AS last_day, " KARTON_REPORTS_REFERENCE_DAY " - max(day) AS recency "
       "FROM purchase GROUP BY partner_id, currency_code), "
       "ranked AS (SELECT per.*, count(*) OVER (PARTITION BY currency_code) AS n, "
       "count(*) OVER (PARTITION BY currency_code ORDER BY recency DESC) AS r_at, "
       "count(*) OVER (PARTITION BY currency_code ORDER BY orders) AS f_at, "
       "count(*) OVER (PARTITION BY currency_code ORDER BY revenue) AS m_at FROM per), "
       "scored AS (SELECT ranked.*, (5 * r_at + n - 1) / n AS r, (5 * f_at + n - 1) / n AS f, "
       "(5 * m_at + n - 1) / n AS m FROM ranked) "
       "SELECT " KARTON_REPORTS_CUSTOMER
       ", q.currency_code, q.orders, q.revenue, to_char(q.last_day, 'YYYY-MM-DD'), q.recency, "
       "q.r, q.f, q.m, concat(q.r, q.f, q.m), CASE WHEN q.orders = 1 AND q.r >= 4 THEN 'new' "
       "WHEN q.r >= 4 AND q.f >= 4 THEN 'champions' WHEN q.r >= 3 AND q.f >= 3 THEN 'loyal' "
       "WHEN q.r >= 3 THEN 'promising' WHEN q.f >= 3 THEN 'at risk' ELSE 'hibernating' END "
       "FROM scored q JOIN partners_reporting.partner p ON p.id = q.partner_id "
       "LEFT JOIN kernel.user_account u ON u.id = p.owner_user_id "
       "WHERE " KARTON_REPORTS_PARTNER_FILTERS("p") " ORDER BY q.currency_code, "
                                                    "q.r + q.f + q.m DESC, q.revenue DESC, 2, 1",
       Extra::kZoneAndNow},
      {v1::REPORT_CUSTOMER_CHURN_RISK,
       "customer-churn-risk",
       "Customers at risk of churning",
       {{"partner_id", "Customer id", kInteger},
        {"partner", "Customer", kText},
        {"owner_user_id", "Owner id", kInteger},
        {"owner", "Owner", kText},
        {"purchase_days", "Days with purchases", kInteger},
        {"first_purchase", "First purchase", kText},
        {"last_purchase", "Last purchase", kText},
        {"usual_interval_days", "Usual interval (days)", kInteger},
        {"days_since_last", "Days since last", kInteger},
        {"gap_ratio", "Gap / usual interval", kPercent}},
       // The usual interval: the average gap between the days a customer
       // bought on, (last - first) / (days - 1), so it needs two days with
       // purchases. At risk: days since the last > 2 x that, compared
       // exactly (no rounding) in whole days.
       "WITH " KARTON_REPORTS_PURCHASES ", "
       "per AS (SELECT partner_id, count(DISTINCT day) AS days, min(day) AS first_day, "
       "max(day) AS last_day, " KARTON_REPORTS_REFERENCE_DAY " - max(day) AS since "
       "FROM purchase GROUP BY partner_id) "
       "SELECT " KARTON_REPORTS_CUSTOMER
       ", j.days, to_char(j.first_day, 'YYYY-MM-DD'), to_char(j.last_day, 'YYYY-MM-DD'), "
       "cast(round(cast(j.last_day - j.first_day AS numeric) / (j.days - 1)) AS bigint), j.since, "
       "cast(round(10000.0 * j.since * (j.days - 1) / (j.last_day - j.first_day)) AS bigint) "
       "FROM per j JOIN partners_reporting.partner p ON p.id = j.partner_id "
       "LEFT JOIN kernel.user_account u ON u.id = p.owner_user_id "
       "WHERE j.days >= 2 AND j.since * (j.days - 1) > 2 * (j.last_day - j.first_day) "
       "AND " KARTON_REPORTS_PARTNER_FILTERS("p") " ORDER BY 10 DESC, 2, 1",
       Extra::kZoneAndNow},
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

std::string DayText(soci::session& session, kernel::TimePoint now, const std::string& time_zone) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT to_char((to_timestamp(cast($1 AS bigint) / 1e6) AT TIME ZONE cast($2 AS text))"
      "::date, 'YYYY-MM-DD')",
      {std::to_string(kernel::ToEpochMicros(now)), time_zone});
  return std::string(rows.Text(0, 0));
}

std::string ReportSlug(v1::Report report) {
  const ReportDef* def = Find(report);
  return def == nullptr ? "report" : def->slug;
}

v1::RunReportResponse RunReport(soci::session& session, const ReportQuery& query,
                                const Scope& scope, kernel::TimePoint now,
                                const std::string& time_zone) {
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
  if (def.extra != Extra::kNone) params.emplace_back(time_zone);
  if (def.extra == Extra::kZoneAndNow) params.emplace_back(now_micros);
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

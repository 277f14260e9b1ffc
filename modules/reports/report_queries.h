// The reports themselves: each one's SQL over the published reporting
// views (crm_reporting, partners_reporting, orders_reporting,
// invoicing_reporting) and its columns. Everything is computed in SQL with
// bound parameters: visibility (scope.h), filters, sums and rounding.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "karton/kernel/clock.h"
#include "karton/reports/v1/report_service.pb.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::reports {

// The filters of a report, as RunReportRequest, ExportReportRequest and
// SavedReport carry them.
struct ReportQuery {
  v1::Report report = v1::REPORT_UNSPECIFIED;
  common::v1::Date from_date;
  common::v1::Date to_date;
  std::int64_t owner_user_id = 0;
  std::int64_t team_id = 0;
};

// INVALID_ARGUMENT naming the field (`prefix` before the field names, as
// "saved_report."), or OK.
grpc::Status CheckQuery(const ReportQuery& query, const std::string& prefix = "");

// "2026-12-05": the day of `now` in `time_zone`, the reports' calendar
// (file names).
std::string DayText(soci::session& session, kernel::TimePoint now, const std::string& time_zone);

// "pipeline-by-stage": for file names.
std::string ReportSlug(v1::Report report);

// Runs the report as `scope` sees it, at `now` (overdue is "due before
// now", "today" its day), its dates and days those of `time_zone` (an IANA
// name PostgreSQL knows). The query must have passed CheckQuery.
v1::RunReportResponse RunReport(soci::session& session, const ReportQuery& query,
                                const Scope& scope, kernel::TimePoint now,
                                const std::string& time_zone);

}  // namespace karton::reports

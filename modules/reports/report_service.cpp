#include "report_service.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/events.h"
#include "karton/kernel/guarded.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/updates.h"
#include "report_files.h"
#include "report_queries.h"
#include "saved_report_repository.h"
#include "scope.h"

namespace karton::reports {
namespace {

constexpr char kSavedReport[] = "reports.saved_report";
// Pieces of an export: under gRPC's default 4 MiB message limit.
constexpr std::size_t kChunkBytes = 256 * 1024;

template <class Request>
ReportQuery QueryOf(const Request& request) {
  ReportQuery query;
  query.report = request.report();
  query.from_date = request.from_date();
  query.to_date = request.to_date();
  query.owner_user_id = request.owner_user_id();
  query.team_id = request.team_id();
  return query;
}

grpc::Status NotFound(std::int64_t id) {
  return {grpc::StatusCode::NOT_FOUND, fmt::format("no saved report with id {}", id)};
}

}  // namespace

void ReportServiceImpl::DeclareTopics(kernel::DomainEvents& events) {
  events.DeclareTopic<v1::SavedReport>("reports.saved_report.created");
  events.DeclareTopic<v1::SavedReport>("reports.saved_report.deleted");
}

kernel::MethodRoles ReportServiceImpl::Roles() {
  // Every staff member: what a report shows is scoped like the CRM.
  const auto staff = kernel::StaffRoles();
  return {{"RunReport", staff},
          {"ExportReport", staff},
          {"CreateSavedReport", staff},
          {"ListSavedReports", staff},
          {"DeleteSavedReport", staff}};
}

grpc::Status ReportServiceImpl::RunReport(grpc::ServerContext* context,
                                          const v1::RunReportRequest* request,
                                          v1::RunReportResponse* response) {
  const ReportQuery query = QueryOf(*request);
  if (auto status = CheckQuery(query); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "RunReport", [&]() -> grpc::Status {
    const Scope scope = ScopeOf(kernel::CallerOf(*context));
    auto lease = parts_.database.Acquire();
    *response = reports::RunReport(lease.Session(), query, scope, parts_.clock.Now(), time_zone_);
    return grpc::Status::OK;
  });
}

grpc::Status ReportServiceImpl::ExportReport(grpc::ServerContext* context,
                                             const v1::ExportReportRequest* request,
                                             grpc::ServerWriter<v1::ExportReportResponse>* writer) {
  const bool csv = request->format() == v1::EXPORT_FORMAT_CSV;
  if (!csv && request->format() != v1::EXPORT_FORMAT_XLSX) {
    return kernel::InvalidField("format", "must be EXPORT_FORMAT_CSV or EXPORT_FORMAT_XLSX");
  }
  ReportQuery query = QueryOf(*request);
  if (request->saved_report_id() < 0) {
    return kernel::InvalidField("saved_report_id", "must be a saved report's id");
  }
  if (request->saved_report_id() > 0 &&
      (query.report != v1::REPORT_UNSPECIFIED || request->has_from_date() ||
       request->has_to_date() || query.owner_user_id != 0 || query.team_id != 0)) {
    return kernel::InvalidField("saved_report_id",
                                "exports a saved report: leave report and its filters empty");
  }
  if (request->saved_report_id() == 0) {
    if (auto status = CheckQuery(query); !status.ok()) return status;
  }
  v1::RunReportResponse table;
  std::string stamp;
  auto status = kernel::Guarded(parts_.log, "ExportReport", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    if (request->saved_report_id() > 0) {
      const auto saved = saved_report_repository::Find(lease.Session(), caller.user_id,
                                                       request->saved_report_id());
      if (!saved || caller.user_id <= 0) return NotFound(request->saved_report_id());
      query = QueryOf(*saved);
    }
    const kernel::TimePoint now = parts_.clock.Now();
    table = reports::RunReport(lease.Session(), query, ScopeOf(caller), now, time_zone_);
    stamp = DayText(lease.Session(), now, time_zone_);
    return grpc::Status::OK;
  });
  if (!status.ok()) return status;
  // The file is made and sent with no connection held.
  return kernel::Guarded(parts_.log, "ExportReport", [&]() -> grpc::Status {
    const std::string bytes = csv ? ReportCsv(table) : ReportXlsx(table);
    v1::ExportReportResponse first;
    first.mutable_file_info()->set_name(
        fmt::format("{}-{}.{}", ReportSlug(query.report), stamp, csv ? "csv" : "xlsx"));
    first.mutable_file_info()->set_content_type(
        csv ? "text/csv; charset=utf-8"
            : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    if (!writer->Write(first)) return grpc::Status::OK;
    for (std::size_t at = 0; at < bytes.size() && !context->IsCancelled(); at += kChunkBytes) {
      v1::ExportReportResponse piece;
      piece.set_chunk(bytes.substr(at, kChunkBytes));
      if (!writer->Write(piece)) break;
    }
    return grpc::Status::OK;
  });
}

grpc::Status ReportServiceImpl::CreateSavedReport(grpc::ServerContext* context,
                                                  const v1::CreateSavedReportRequest* request,
                                                  v1::SavedReport* response) {
  const v1::SavedReport& saved = request->saved_report();
  std::vector<kernel::FieldViolation> violations;
  if (saved.name().empty()) violations.push_back({"saved_report.name", "is required"});
  if (saved.name().size() > 200) {
    violations.push_back({"saved_report.name", "is longer than 200 characters"});
  }
  if (!violations.empty()) return kernel::InvalidFields(std::move(violations));
  if (auto status = CheckQuery(QueryOf(saved), "saved_report."); !status.ok()) return status;
  return kernel::Guarded(parts_.log, "CreateSavedReport", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    if (caller.user_id <= 0) {
      return {grpc::StatusCode::PERMISSION_DENIED, "saved reports belong to a user"};
    }
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (saved_report_repository::NameTaken(lease.Session(), caller.user_id, saved.name())) {
      return kernel::InvalidField("saved_report.name",
                                  fmt::format("you have a saved report named '{}'", saved.name()));
    }
    auto created =
        saved_report_repository::Insert(lease.Session(), saved, caller.user_id, parts_.clock.Now());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kCreate, kSavedReport,
                        created.id(), kernel::DiffFields(nullptr, created));
    parts_.events.Publish(lease.Session(), "reports.saved_report.created", created.id(), created,
                          caller);
    transaction.Commit();
    *response = std::move(created);
    return grpc::Status::OK;
  });
}

grpc::Status ReportServiceImpl::ListSavedReports(grpc::ServerContext* context,
                                                 const v1::ListSavedReportsRequest*,
                                                 v1::ListSavedReportsResponse* response) {
  return kernel::Guarded(parts_.log, "ListSavedReports", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    if (caller.user_id <= 0) return grpc::Status::OK;  // kartond and nobody own none
    auto lease = parts_.database.Acquire();
    for (auto& saved : saved_report_repository::List(lease.Session(), caller.user_id)) {
      *response->add_saved_reports() = std::move(saved);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ReportServiceImpl::DeleteSavedReport(grpc::ServerContext* context,
                                                  const v1::DeleteSavedReportRequest* request,
                                                  v1::DeleteSavedReportResponse*) {
  if (request->id() <= 0) return kernel::InvalidField("id", "must be a saved report's id");
  return kernel::Guarded(parts_.log, "DeleteSavedReport", [&]() -> grpc::Status {
    const kernel::Caller caller = kernel::CallerOf(*context);
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    // Another user's saved report is not found: its existence is not told.
    const auto stored =
        saved_report_repository::Find(lease.Session(), caller.user_id, request->id(), true);
    if (!stored || caller.user_id <= 0) return NotFound(request->id());
    saved_report_repository::Delete(lease.Session(), caller.user_id, request->id());
    parts_.audit.Record(lease.Session(), caller, kernel::AuditAction::kDelete, kSavedReport,
                        request->id(), kernel::DiffFields(&*stored, v1::SavedReport()));
    parts_.events.Publish(lease.Session(), "reports.saved_report.deleted", request->id(), *stored,
                          caller);
    transaction.Commit();
    return grpc::Status::OK;
  });
}

}  // namespace karton::reports

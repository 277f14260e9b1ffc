// ReportService (report_service.proto): reports as tables, their export as
// CSV or XLSX, and each user's saved report definitions.
#pragma once

#include <string>

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/reports/v1/report_service.grpc.pb.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::reports {

class ReportServiceImpl final : public v1::ReportService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  // `time_zone`: whose calendar days the reports count in
  // (reports.time_zone).
  ReportServiceImpl(kernel::ServiceParts parts, std::string time_zone)
      : parts_(std::move(parts)), time_zone_(std::move(time_zone)) {}

  grpc::Status RunReport(grpc::ServerContext* context, const v1::RunReportRequest* request,
                         v1::RunReportResponse* response) override;
  grpc::Status ExportReport(grpc::ServerContext* context, const v1::ExportReportRequest* request,
                            grpc::ServerWriter<v1::ExportReportResponse>* writer) override;
  grpc::Status CreateSavedReport(grpc::ServerContext* context,
                                 const v1::CreateSavedReportRequest* request,
                                 v1::SavedReport* response) override;
  grpc::Status ListSavedReports(grpc::ServerContext* context,
                                const v1::ListSavedReportsRequest* request,
                                v1::ListSavedReportsResponse* response) override;
  grpc::Status DeleteSavedReport(grpc::ServerContext* context,
                                 const v1::DeleteSavedReportRequest* request,
                                 v1::DeleteSavedReportResponse* response) override;

 private:
  kernel::ServiceParts parts_;
  std::string time_zone_;
};

}  // namespace karton::reports

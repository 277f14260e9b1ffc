// HelpdeskReportService (helpdesk_report_service.proto; docs/helpdesk.md,
// "Reports"): the helpdesk's statistics over the tickets created in a date
// range, in one statement (GROUPING SETS over type, source, colleague and
// team) on the helpdesk's own tables.
#pragma once

#include "karton/helpdesk/v1/helpdesk_report_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk {

// The report of `request` (checked), read in `session`.
v1::RunHelpdeskReportResponse ReadHelpdeskReport(soci::session& session,
                                                 const v1::RunHelpdeskReportRequest& request);

class HelpdeskReportServiceImpl final : public v1::HelpdeskReportService::Service {
 public:
  static kernel::MethodRoles Roles();

  explicit HelpdeskReportServiceImpl(kernel::ServiceParts parts) : parts_(parts) {}

  grpc::Status RunHelpdeskReport(grpc::ServerContext* context,
                                 const v1::RunHelpdeskReportRequest* request,
                                 v1::RunHelpdeskReportResponse* response) override;

 private:
  kernel::ServiceParts parts_;
};

}  // namespace karton::helpdesk

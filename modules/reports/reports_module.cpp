#include "reports_module.h"

#include "report_service.h"

namespace karton::reports {

ReportsModule::ReportsModule() = default;
ReportsModule::~ReportsModule() = default;

void ReportsModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  ReportServiceImpl::DeclareTopics(context.Events());
  reports_ = std::make_unique<ReportServiceImpl>(kernel::PartsOf(context));
  registrar.AddGrpcService(*reports_, v1::ReportService::service_full_name(),
                           ReportServiceImpl::Roles());
}

}  // namespace karton::reports

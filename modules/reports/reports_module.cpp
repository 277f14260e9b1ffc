#include "reports_module.h"

#include <stdexcept>

#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "report_service.h"
#include "saved_report_repository.h"

namespace karton::reports {

ReportsModule::ReportsModule() = default;
ReportsModule::~ReportsModule() = default;

void ReportsModule::Register(kernel::ModuleContext& context, kernel::Registrar& registrar) {
  ReportServiceImpl::DeclareTopics(context.Events());
  time_zone_ = context.Option("time_zone").value_or(time_zone_);
  reports_ = std::make_unique<ReportServiceImpl>(kernel::PartsOf(context), time_zone_);
  registrar.AddGrpcService(*reports_, v1::ReportService::service_full_name(),
                           ReportServiceImpl::Roles());
}

void ReportsModule::Start(kernel::ModuleContext& context) {
  // A time zone PostgreSQL does not know stops kartond here, by name,
  // rather than failing every report later.
  auto lease = context.Db().Acquire();
  const auto rows = kernel::RunPrepared(
      lease.Session(), "SELECT count(*) FROM pg_timezone_names WHERE name = $1", {time_zone_});
  if (rows.Text(0, 0) == "0") {
    throw std::invalid_argument(
        "--module-option reports.time_zone: PostgreSQL knows no time zone '" + time_zone_ + "'");
  }
}

void ReportsModule::LoadDemoData(kernel::ModuleContext& context, soci::session& session) {
  // crm's demo colleagues (crm loads its demo data first: reports depends
  // on it); one missing (another installation's data) is passed over.
  struct DemoSaved {
    const char* email;
    const char* name;
    v1::Report report;
  };
  const DemoSaved saved_reports[] = {
      {"anna.kovacs@karton.example", "Leadjeim forrásonként", v1::REPORT_LEAD_CONVERSION_BY_SOURCE},
      {"peter.nagy@karton.example", "Nyitott üzleteim szakaszonként", v1::REPORT_PIPELINE_BY_STAGE},
      {"gabor.toth@karton.example", "Ügyfelek RFM-szegmensei", v1::REPORT_CUSTOMER_RFM},
      {"gabor.toth@karton.example", "Fizetési szokások", v1::REPORT_PAYMENT_BEHAVIOUR},
  };
  const auto now = context.Time().Now();
  for (const auto& demo : saved_reports) {
    const auto rows = kernel::RunPrepared(
        session, "SELECT id FROM kernel.user_account WHERE lower(email) = lower($1)",
        {std::string(demo.email)});
    if (rows.Count() == 0) continue;
    v1::SavedReport saved;
    saved.set_name(demo.name);
    saved.set_report(demo.report);
    saved_report_repository::Insert(session, saved, std::stoll(std::string(rows.Text(0, 0))), now);
  }
}

}  // namespace karton::reports

// The reports module's walk (business_walk.h): saving and deleting a saved
// report each publish their event and audit the record.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "business_walk.h"
#include "karton/reports/v1/report_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace rv1 = reports::v1;

using ReportsWalkTest = BusinessWalkTest;

TEST_F(ReportsWalkTest, EveryReportsWritePublishesItsEventAndAuditsItsRecord) {
  modules_ = "crm,reports";
  Start();
  auto reports = rv1::ReportService::NewStub(channel_);
  const auto seller = NewColleague("riport@karton.example", kv1::ROLE_SALES);
  rv1::SavedReport saved;
  const std::vector<Step> steps = {
      {"karton.reports.v1.ReportService/CreateSavedReport",
       "reports.saved_report.created",
       "reports.saved_report",
       {},
       [&] {
         rv1::CreateSavedReportRequest request;
         request.mutable_saved_report()->set_name("Saját pipeline");
         request.mutable_saved_report()->set_report(rv1::REPORT_PIPELINE_BY_STAGE);
         return reports->CreateSavedReport(As(seller.token).get(), request, &saved);
       }},
      {"karton.reports.v1.ReportService/DeleteSavedReport",
       "reports.saved_report.deleted",
       "reports.saved_report",
       {},
       [&] {
         rv1::DeleteSavedReportRequest request;
         request.set_id(saved.id());
         rv1::DeleteSavedReportResponse response;
         return reports->DeleteSavedReport(As(seller.token).get(), request, &response);
       }},
  };
  Walk("reports", steps);
}

}  // namespace
}  // namespace karton::testing

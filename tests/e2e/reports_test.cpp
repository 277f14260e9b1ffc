// The reports module end to end (docs/reports.md): deals and activities
// made through crm's gRPC services, each report's numbers, who sees what,
// the CSV and XLSX exports (over gRPC and as /files downloads) and the
// isolation of saved reports, against a real kartond with crm and reports.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <iterator>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/reports/v1/report_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace rv1 = reports::v1;
using google::protobuf::util::TimeUtil;

class ReportsTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    modules_ = "crm,reports";
    Start({"--test-clock"});
    reports_ = rv1::ReportService::NewStub(channel_);
    activities_ = cv1::ActivityService::NewStub(channel_);
  }

  void Advance(std::chrono::hours by) {
    kv1::AdvanceClockRequest request;
    *request.mutable_duration() =
        TimeUtil::SecondsToDuration(std::chrono::duration_cast<std::chrono::seconds>(by).count());
    kv1::AdvanceClockResponse response;
    const auto status =
        kv1::KernelService::NewStub(channel_)->AdvanceClock(As().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Pipeline "Sales": Qualify 20%, Proposal 60%, Won, Lost.
  cv1::Pipeline NewPipeline() {
    cv1::CreatePipelineRequest create;
    create.mutable_pipeline()->set_name("Sales");
    const auto stage = [&](const char* name, int probability, bool won, bool lost) {
      auto* added = create.mutable_pipeline()->add_stages();
      added->set_name(name);
      added->set_probability(probability);
      added->set_won(won);
      added->set_lost(lost);
    };
    stage("Qualify", 20, false, false);
    stage("Proposal", 60, false, false);
    stage("Won", 100, true, false);
    stage("Lost", 0, false, true);
    cv1::Pipeline created;
    const auto status = pipelines_->CreatePipeline(As().get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // A deal owned by `owner` (in `team`, 0: none), worth `minor` fillér.
  cv1::Opportunity Deal(const std::string& name, std::int64_t owner, std::int64_t team,
                        std::int64_t minor, int year = 0, int month = 0, int day = 0) {
    partners::v1::CreatePartnerRequest customer;
    customer.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    customer.mutable_partner()->set_display_name(name + " Kft.");
    partners::v1::Partner partner;
    EXPECT_TRUE(partners_->CreatePartner(As().get(), customer, &partner).ok());
    cv1::CreateOpportunityRequest create;
    auto* deal = create.mutable_opportunity();
    deal->set_name(name);
    deal->set_partner_id(partner.id());
    deal->set_pipeline_id(pipeline_.id());
    deal->set_owner_user_id(owner);
    deal->set_team_id(team);
    deal->mutable_expected_revenue()->set_currency_code("HUF");
    deal->mutable_expected_revenue()->set_minor_units(minor);
    if (year != 0) {
      deal->mutable_expected_close_date()->set_year(year);
      deal->mutable_expected_close_date()->set_month(month);
      deal->mutable_expected_close_date()->set_day(day);
    }
    cv1::Opportunity created;
    const auto status = opportunities_->CreateOpportunity(As().get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  cv1::Activity Activity(const std::string& subject, std::int64_t owner,
                         const google::protobuf::Timestamp& due) {
    cv1::CreateActivityRequest create;
    create.mutable_activity()->set_type(cv1::ACTIVITY_TYPE_CALL);
    create.mutable_activity()->set_subject(subject);
    create.mutable_activity()->set_assigned_user_id(owner);
    *create.mutable_activity()->mutable_due_time() = due;
    cv1::Activity created;
    const auto status = activities_->CreateActivity(As().get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // The world of the tests below, on a clock moved 10 days on:
  // - Anna (sales, team "Budapest" with Béla): open deals Qualify 1000 Ft
  //   (2027-01-15) and Proposal 2000 Ft (2027-02-10), one won and one lost
  //   after 10 days; calls: one overdue, one open, one done.
  // - Csaba (sales, no team): an open Qualify deal of 500 Ft (2027-01-20),
  //   one won after 10 days; one open call due in 30 days.
  void SeedWorld() {
    anna_ = NewColleague("anna@karton.example", kv1::ROLE_SALES);
    bela_ = NewColleague("bela@karton.example", kv1::ROLE_SALES);
    csaba_ = NewColleague("csaba@karton.example", kv1::ROLE_SALES);
    team_ = NewTeam("Budapest", {anna_.id, bela_.id});
    pipeline_ = NewPipeline();
    ASSERT_EQ(pipeline_.stages_size(), 4);

    Deal("Kazán", anna_.id, team_, 100000, 2027, 1, 15);
    const auto proposal = Deal("Napelem", anna_.id, team_, 200000, 2027, 2, 10);
    cv1::MoveStageRequest move;
    move.set_id(proposal.id());
    move.set_etag(proposal.etag());
    move.set_stage_id(pipeline_.stages(1).id());
    cv1::Opportunity moved;
    auto status = opportunities_->MoveStage(As().get(), move, &moved);
    ASSERT_TRUE(status.ok()) << status.error_message();
    Deal("Radiátor", csaba_.id, 0, 50000, 2027, 1, 20);
    const auto won = Deal("Hőszivattyú", anna_.id, team_, 300000);
    const auto lost = Deal("Klíma", anna_.id, team_, 400000);
    const auto csaba_won = Deal("Kémény", csaba_.id, 0, 70000);

    const auto now = won.create_time();
    const auto in = [&](std::chrono::hours hours) {
      return now + TimeUtil::SecondsToDuration(
                       std::chrono::duration_cast<std::chrono::seconds>(hours).count());
    };
    Activity("overdue", anna_.id, in(std::chrono::hours(24)));
    Activity("open", anna_.id, in(std::chrono::hours(20 * 24)));
    const auto done = Activity("done", anna_.id, in(std::chrono::hours(48)));
    Activity("later", csaba_.id, in(std::chrono::hours(30 * 24)));
    cv1::CompleteActivityRequest complete;
    complete.set_id(done.id());
    complete.set_etag(done.etag());
    complete.set_outcome("megrendelte");
    cv1::Activity completed;
    status = activities_->CompleteActivity(As().get(), complete, &completed);
    ASSERT_TRUE(status.ok()) << status.error_message();

    Advance(std::chrono::hours(10 * 24));
    for (const auto& deal : {won, csaba_won}) {
      cv1::MarkWonRequest mark;
      mark.set_id(deal.id());
      mark.set_etag(deal.etag());
      cv1::Opportunity marked;
      status = opportunities_->MarkWon(As().get(), mark, &marked);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    cv1::MarkLostRequest mark_lost;
    mark_lost.set_id(lost.id());
    mark_lost.set_etag(lost.etag());
    mark_lost.set_reason("price");
    cv1::Opportunity marked;
    status = opportunities_->MarkLost(As().get(), mark_lost, &marked);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  rv1::RunReportResponse Run(rv1::Report report, const std::string& token = "",
                             std::int64_t owner = 0) {
    rv1::RunReportRequest request;
    request.set_report(report);
    request.set_owner_user_id(owner);
    rv1::RunReportResponse response;
    const auto status = reports_->RunReport(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The table as text, one line per row, cells by "|": money as
  // "<minor> <currency>", percent as basis points, no value as "-".
  static std::vector<std::string> Lines(const rv1::RunReportResponse& table) {
    std::vector<std::string> lines;
    for (const auto& row : table.rows()) {
      std::string line;
      for (const auto& cell : row.cells()) {
        if (!line.empty()) line += "|";
        switch (cell.value_case()) {
          case rv1::Cell::kText:
            line += cell.text();
            break;
          case rv1::Cell::kInteger:
            line += std::to_string(cell.integer());
            break;
          case rv1::Cell::kMoney:
            line += std::to_string(cell.money().minor_units()) + " " + cell.money().currency_code();
            break;
          case rv1::Cell::kPercentBasisPoints:
            line += std::to_string(cell.percent_basis_points()) + "bp";
            break;
          case rv1::Cell::VALUE_NOT_SET:
            line += "-";
            break;
        }
      }
      lines.push_back(line);
    }
    return lines;
  }

  std::string Export(rv1::ExportReportRequest request, const std::string& token,
                     rv1::ExportFileInfo& info, grpc::Status& status) {
    auto context = As(token);
    auto reader = reports_->ExportReport(context.get(), request);
    std::string bytes;
    rv1::ExportReportResponse piece;
    bool first = true;
    while (reader->Read(&piece)) {
      if (first) {
        EXPECT_TRUE(piece.has_file_info());
        info = piece.file_info();
        first = false;
      } else {
        EXPECT_EQ(piece.part_case(), rv1::ExportReportResponse::kChunk);
        bytes += piece.chunk();
      }
    }
    status = reader->Finish();
    return bytes;
  }

  std::string Id(const Colleague& colleague) { return std::to_string(colleague.id); }

  std::unique_ptr<rv1::ReportService::Stub> reports_;
  std::unique_ptr<cv1::ActivityService::Stub> activities_;
  Colleague anna_, bela_, csaba_;
  std::int64_t team_ = 0;
  cv1::Pipeline pipeline_;
};

TEST_F(ReportsTest, ReportsCountWhatCrmHolds) {
  SeedWorld();
  const std::string anna = Id(anna_);
  const std::string csaba = Id(csaba_);

  const auto pipeline = Run(rv1::REPORT_PIPELINE_BY_STAGE);
  ASSERT_EQ(pipeline.columns_size(), 9);
  EXPECT_EQ(pipeline.columns(7).type(), rv1::COLUMN_TYPE_MONEY);
  EXPECT_EQ(
      Lines(pipeline),
      (std::vector<std::string>{
          "Sales|Qualify|2000bp|" + anna + "|anna@karton.example|HUF|1|100000 HUF|20000 HUF",
          "Sales|Qualify|2000bp|" + csaba + "|csaba@karton.example|HUF|1|50000 HUF|10000 HUF",
          "Sales|Proposal|6000bp|" + anna + "|anna@karton.example|HUF|1|200000 HUF|120000 HUF"}));

  EXPECT_EQ(Lines(Run(rv1::REPORT_FORECAST_BY_MONTH)),
            (std::vector<std::string>{"2027-01|HUF|2|150000 HUF|30000 HUF",
                                      "2027-02|HUF|1|200000 HUF|120000 HUF"}));
  // The dates bound the expected close date.
  rv1::RunReportRequest february;
  february.set_report(rv1::REPORT_FORECAST_BY_MONTH);
  february.mutable_from_date()->set_year(2027);
  february.mutable_from_date()->set_month(2);
  february.mutable_from_date()->set_day(1);
  rv1::RunReportResponse response;
  ASSERT_TRUE(reports_->RunReport(As().get(), february, &response).ok());
  EXPECT_EQ(Lines(response), (std::vector<std::string>{"2027-02|HUF|1|200000 HUF|120000 HUF"}));

  EXPECT_EQ(Lines(Run(rv1::REPORT_WIN_RATE_BY_OWNER)),
            (std::vector<std::string>{anna + "|anna@karton.example|1|1|5000bp|10",
                                      csaba + "|csaba@karton.example|1|0|10000bp|10"}));

  EXPECT_EQ(Lines(Run(rv1::REPORT_ACTIVITIES_BY_OWNER)),
            (std::vector<std::string>{anna + "|anna@karton.example|1|2|1",
                                      csaba + "|csaba@karton.example|0|1|0"}));
}

TEST_F(ReportsTest, SalespeopleSeeWhatTheySeeInCrm) {
  SeedWorld();
  const std::string anna = Id(anna_);
  const std::string csaba = Id(csaba_);
  // Csaba: his own deals only.
  EXPECT_EQ(Lines(Run(rv1::REPORT_PIPELINE_BY_STAGE, csaba_.token)),
            (std::vector<std::string>{"Sales|Qualify|2000bp|" + csaba +
                                      "|csaba@karton.example|HUF|1|50000 HUF|10000 HUF"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_WIN_RATE_BY_OWNER, csaba_.token)),
            (std::vector<std::string>{csaba + "|csaba@karton.example|1|0|10000bp|10"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_ACTIVITIES_BY_OWNER, csaba_.token)),
            (std::vector<std::string>{csaba + "|csaba@karton.example|0|1|0"}));
  // Asking for Anna's does not widen what he sees.
  EXPECT_TRUE(Lines(Run(rv1::REPORT_PIPELINE_BY_STAGE, csaba_.token, anna_.id)).empty());
  // Béla owns nothing but shares Anna's team: her team's deals.
  EXPECT_EQ(Lines(Run(rv1::REPORT_FORECAST_BY_MONTH, bela_.token)),
            (std::vector<std::string>{"2027-01|HUF|1|100000 HUF|20000 HUF",
                                      "2027-02|HUF|1|200000 HUF|120000 HUF"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_WIN_RATE_BY_OWNER, bela_.token)),
            (std::vector<std::string>{anna + "|anna@karton.example|1|1|5000bp|10"}));
  // A sales manager sees everyone; the owner filter narrows it.
  const auto manager = NewColleague("manager@karton.example", kv1::ROLE_SALES_MANAGER);
  EXPECT_EQ(Lines(Run(rv1::REPORT_WIN_RATE_BY_OWNER, manager.token)).size(), 2U);
  EXPECT_EQ(Lines(Run(rv1::REPORT_WIN_RATE_BY_OWNER, manager.token, csaba_.id)),
            (std::vector<std::string>{csaba + "|csaba@karton.example|1|0|10000bp|10"}));
}

TEST_F(ReportsTest, BadRequestsNameTheField) {
  rv1::RunReportRequest request;
  rv1::RunReportResponse response;
  auto status = reports_->RunReport(As().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("report", 0), 0U) << status.error_message();

  request.set_report(rv1::REPORT_FORECAST_BY_MONTH);
  request.mutable_from_date()->set_year(2027);
  request.mutable_from_date()->set_month(2);
  request.mutable_from_date()->set_day(1);
  request.mutable_to_date()->set_year(2027);
  request.mutable_to_date()->set_month(1);
  request.mutable_to_date()->set_day(1);
  status = reports_->RunReport(As().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("to_date"), std::string::npos) << status.error_message();
  request.mutable_to_date()->set_day(32);
  status = reports_->RunReport(As().get(), request, &response);
  EXPECT_NE(status.error_message().find("to_date"), std::string::npos) << status.error_message();

  rv1::ExportReportRequest export_request;
  export_request.set_report(rv1::REPORT_FORECAST_BY_MONTH);
  rv1::ExportFileInfo info;
  Export(export_request, "", info, status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("format", 0), 0U) << status.error_message();
}

TEST_F(ReportsTest, ExportsCsvAndXlsx) {
  SeedWorld();
  rv1::ExportReportRequest request;
  request.set_report(rv1::REPORT_FORECAST_BY_MONTH);
  request.set_format(rv1::EXPORT_FORMAT_CSV);
  rv1::ExportFileInfo info;
  grpc::Status status;
  const std::string csv = Export(request, "", info, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.name().rfind("forecast-by-month-", 0), 0U) << info.name();
  EXPECT_EQ(info.name().substr(info.name().size() - 4), ".csv");
  EXPECT_EQ(info.content_type(), "text/csv; charset=utf-8");
  EXPECT_EQ(csv,
            "\xEF\xBB\xBFMonth,Currency,Deals,Expected revenue,Weighted\r\n"
            "2027-01,HUF,2,1500.00,300.00\r\n"
            "2027-02,HUF,1,2000.00,1200.00\r\n");

  request.set_format(rv1::EXPORT_FORMAT_XLSX);
  const std::string xlsx = Export(request, "", info, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.name().substr(info.name().size() - 5), ".xlsx");
  EXPECT_EQ(info.content_type(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  ASSERT_GT(xlsx.size(), 4U);
  EXPECT_EQ(xlsx.substr(0, 2), "PK");

  // The same as a download through kartond's /files bridge, as Csaba sees it.
  const auto answer =
      HttpExchange(kartond_->HttpAddress(), "GET",
                   "/files/karton.reports.v1.ReportService/"
                   "ExportReport?report=REPORT_FORECAST_BY_MONTH&format=EXPORT_FORMAT_CSV",
                   {{"Authorization", "Bearer " + csaba_.token}}, "");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body,
            "\xEF\xBB\xBFMonth,Currency,Deals,Expected revenue,Weighted\r\n"
            "2027-01,HUF,1,500.00,100.00\r\n");
  EXPECT_NE(answer.headers.at("content-disposition").find("forecast-by-month-"), std::string::npos);
}

TEST_F(ReportsTest, SavedReportsAreTheirOwners) {
  SeedWorld();
  rv1::CreateSavedReportRequest create;
  create.mutable_saved_report()->set_name("Januári előrejelzés");
  create.mutable_saved_report()->set_report(rv1::REPORT_FORECAST_BY_MONTH);
  create.mutable_saved_report()->mutable_to_date()->set_year(2027);
  create.mutable_saved_report()->mutable_to_date()->set_month(1);
  create.mutable_saved_report()->mutable_to_date()->set_day(31);
  rv1::SavedReport saved;
  auto status = reports_->CreateSavedReport(As(anna_.token).get(), create, &saved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(saved.id(), 0);
  EXPECT_EQ(saved.user_id(), anna_.id);
  EXPECT_EQ(saved.to_date().day(), 31);

  // The same name again, and bad filters, are refused naming the field.
  rv1::SavedReport again;
  status = reports_->CreateSavedReport(As(anna_.token).get(), create, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("saved_report.name", 0), 0U) << status.error_message();
  rv1::CreateSavedReportRequest bad = create;
  bad.mutable_saved_report()->set_name("other");
  bad.mutable_saved_report()->clear_report();
  status = reports_->CreateSavedReport(As(anna_.token).get(), bad, &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("saved_report.report", 0), 0U) << status.error_message();

  // Csaba's list is empty, and Anna's report is not found for him.
  rv1::ListSavedReportsResponse list;
  ASSERT_TRUE(reports_->ListSavedReports(As(csaba_.token).get(), {}, &list).ok());
  EXPECT_EQ(list.saved_reports_size(), 0);
  rv1::ExportReportRequest by_id;
  by_id.set_saved_report_id(saved.id());
  by_id.set_format(rv1::EXPORT_FORMAT_CSV);
  rv1::ExportFileInfo info;
  Export(by_id, csaba_.token, info, status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  rv1::DeleteSavedReportRequest remove;
  remove.set_id(saved.id());
  rv1::DeleteSavedReportResponse removed;
  status = reports_->DeleteSavedReport(As(csaba_.token).get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  // Anna lists and exports hers: January only, her team's deals.
  ASSERT_TRUE(reports_->ListSavedReports(As(anna_.token).get(), {}, &list).ok());
  ASSERT_EQ(list.saved_reports_size(), 1);
  EXPECT_EQ(list.saved_reports(0).name(), "Januári előrejelzés");
  const std::string csv = Export(by_id, anna_.token, info, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(csv,
            "\xEF\xBB\xBFMonth,Currency,Deals,Expected revenue,Weighted\r\n"
            "2027-01,HUF,1,1000.00,200.00\r\n");

  // Deleting it: an audit entry, and it is gone.
  ASSERT_TRUE(reports_->DeleteSavedReport(As(anna_.token).get(), remove, &removed).ok());
  ASSERT_TRUE(reports_->ListSavedReports(As(anna_.token).get(), {}, &list).ok());
  EXPECT_EQ(list.saved_reports_size(), 0);
  kv1::ListAuditEntriesRequest audit;
  audit.set_resource_type("reports.saved_report");
  audit.set_resource_id(saved.id());
  kv1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(
      kv1::AuditService::NewStub(channel_)->ListAuditEntries(As().get(), audit, &entries).ok());
  EXPECT_EQ(entries.audit_entries_size(), 2);
}

// The CRM's reporting views are a contract (docs/crm.md, "Reporting
// views"): the columns the reports do not read yet, read as an
// installation's own SQL would.
TEST_F(ReportsTest, CrmReportingViewsShowLeadsAsCrmHasThem) {
  SeedWorld();
  cv1::CreateLeadRequest create;
  create.mutable_lead()->set_contact_name("Olcsó Hitel");
  create.mutable_lead()->set_email("hitel@spam.example");
  create.mutable_lead()->set_assigned_user_id(csaba_.id);
  cv1::Lead lead;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &lead).ok());
  const auto row = [&] {
    return QueryScalar(conninfo_, fmt::format("SELECT concat_ws('|', source, state, owner_user_id, "
                                              "qualify_time IS NULL, disqualify_time IS NULL, "
                                              "disqualify_time >= create_time) "
                                              "FROM crm_reporting.lead WHERE id = {}",
                                              lead.id()));
  };
  EXPECT_EQ(row(), fmt::format("manual|new|{}|t|t", csaba_.id));
  cv1::DisqualifyLeadRequest disqualify;
  disqualify.set_id(lead.id());
  disqualify.set_etag(lead.etag());
  disqualify.set_reason("spam");
  cv1::Lead disqualified;
  const auto status = leads_->DisqualifyLead(As().get(), disqualify, &disqualified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(row(), fmt::format("manual|disqualified|{}|t|f|t", csaba_.id));
  // Activities: a done one has its done time; kinds and states are crm's words.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(concat_ws('|', kind, state, done_time IS NOT NULL), "
                        "',' ORDER BY id) FROM crm_reporting.activity"),
            "call|planned|f,call|planned|f,call|done|t,call|planned|f");
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT string_agg(concat_ws('|', status, stage_name, close_time IS NOT "
                        "NULL), ',' ORDER BY id) FROM crm_reporting.opportunity"),
            "open|Qualify|f,open|Proposal|f,open|Qualify|f,won|Won|t,lost|Lost|t,won|Won|t");
}

TEST_F(ReportsTest, CommandLineClientRunsExportsAndSavesReports) {
  SeedWorld();
  const std::string karton =
      "KARTON_CHECK_RPC_DECLARATIONS=1 " + KartonCommand(*kartond_, data_dir_.Path()) + " ";
  const auto [run_exit, table] = RunCommand(karton + "reports run forecast_by_month");
  ASSERT_EQ(run_exit, 0) << table;
  EXPECT_NE(table.find("Weighted forecast by month"), std::string::npos) << table;
  EXPECT_NE(table.find("2027-01  HUF"), std::string::npos) << table;
  EXPECT_NE(table.find("1 500,00 HUF"), std::string::npos) << table;
  EXPECT_NE(table.find("1 200,00 HUF"), std::string::npos) << table;
  const auto [bad_exit, bad] =
      RunCommand(karton + "reports run forecast_by_month --from 2027-13-01");
  EXPECT_EQ(bad_exit, 2) << bad;

  const std::string path = (data_dir_.Path() / "forecast.csv").string();
  const auto [export_exit, exported] = RunCommand(
      fmt::format("{} reports export forecast_by_month --format csv --out {}", karton, path));
  ASSERT_EQ(export_exit, 0) << exported;
  std::ifstream file(path, std::ios::binary);
  const std::string csv{std::istreambuf_iterator<char>(file), {}};
  EXPECT_EQ(csv,
            "\xEF\xBB\xBFMonth,Currency,Deals,Expected revenue,Weighted\r\n"
            "2027-01,HUF,2,1500.00,300.00\r\n"
            "2027-02,HUF,1,2000.00,1200.00\r\n");

  const auto [create_exit, created] = RunCommand(
      karton + "reports saved create win_rate_by_owner --name 'Nyerési arány' --from 2020-01-01");
  ASSERT_EQ(create_exit, 0) << created;
  EXPECT_NE(created.find("Nyerési arány (win_rate_by_owner)"), std::string::npos) << created;
  const auto [list_exit, listed] = RunCommand(karton + "reports saved list");
  ASSERT_EQ(list_exit, 0) << listed;
  EXPECT_NE(listed.find("2020-01-01"), std::string::npos) << listed;
  rv1::ListSavedReportsResponse mine;
  ASSERT_TRUE(reports_->ListSavedReports(As().get(), {}, &mine).ok());
  ASSERT_EQ(mine.saved_reports_size(), 1);
  const std::string xlsx = (data_dir_.Path() / "win.xlsx").string();
  const auto [saved_exit, saved_out] =
      RunCommand(fmt::format("{} reports export --saved {} --format xlsx --out {}", karton,
                             mine.saved_reports(0).id(), xlsx));
  ASSERT_EQ(saved_exit, 0) << saved_out;
  std::ifstream workbook(xlsx, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(workbook), {}};
  EXPECT_EQ(bytes.substr(0, 2), "PK");
  const auto [delete_exit, deleted] =
      RunCommand(fmt::format("{} reports saved delete {}", karton, mine.saved_reports(0).id()));
  ASSERT_EQ(delete_exit, 0) << deleted;
  ASSERT_TRUE(reports_->ListSavedReports(As().get(), {}, &mine).ok());
  EXPECT_EQ(mine.saved_reports_size(), 0);
}

}  // namespace
}  // namespace karton::testing

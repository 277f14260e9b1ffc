// The reports module end to end (docs/reports.md): deals, activities and
// leads made through crm's gRPC services, orders, invoices and payments
// through orders' and invoicing's, each report's numbers, who sees what,
// the CSV and XLSX exports (over gRPC and as /files downloads) and the
// isolation of saved reports, against a real kartond with crm, orders,
// invoicing and reports.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <iterator>
#include <map>

#include "crm_fixture.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/invoicing/v1/payment_service.grpc.pb.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/reports/v1/report_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace rv1 = reports::v1;
namespace ov1 = orders::v1;
namespace iv1 = invoicing::v1;
using google::protobuf::util::TimeUtil;

class ReportsTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    // reports brings orders and invoicing (their views); the seller lets
    // invoices be issued.
    modules_ = "crm,reports";
    std::vector<std::string> options = {"--test-clock"};
    for (const char* option :
         {"invoicing.seller_name=Őrség Hőtechnika Kft.",
          "invoicing.seller_tax_number=12345676-2-41", "invoicing.seller_postal_code=9941",
          "invoicing.seller_city=Őriszentpéter", "invoicing.seller_street=Kovácsszer 2."}) {
      options.insert(options.end(), {"--module-option", option});
    }
    options.insert(options.end(), extra_options_.begin(), extra_options_.end());
    Start(options);
    reports_ = rv1::ReportService::NewStub(channel_);
    activities_ = cv1::ActivityService::NewStub(channel_);
    orders_ = ov1::OrderService::NewStub(channel_);
    invoices_ = iv1::InvoiceService::NewStub(channel_);
    payments_ = iv1::PaymentService::NewStub(channel_);
  }

  // The server's time after the move.
  google::protobuf::Timestamp Advance(std::chrono::seconds by) {
    kv1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::SecondsToDuration(by.count());
    kv1::AdvanceClockResponse response;
    const auto status =
        kv1::KernelService::NewStub(channel_)->AdvanceClock(As().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.now();
  }
  void AdvanceDays(int days) { Advance(std::chrono::hours(24 * days)); }

  // Moves the test clock (which starts at the real time) to `instant`, give
  // or take the seconds the test has run: the customer reports count days
  // in Budapest, so the world below lives on days of its own.
  void MoveClockTo(const std::string& instant) {
    google::protobuf::Timestamp target;
    ASSERT_TRUE(TimeUtil::FromString(instant, &target));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto moved = Advance(std::chrono::seconds(target.seconds() - now));
    ASSERT_LT(std::abs(moved.seconds() - target.seconds()), 600) << TimeUtil::ToString(moved);
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

    AdvanceDays(10);
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

  // An organisation looked after by `owner` (0: nobody).
  partners::v1::Partner Customer(const std::string& name, std::int64_t owner) {
    partners::v1::CreatePartnerRequest create;
    create.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
    create.mutable_partner()->set_display_name(name);
    create.mutable_partner()->set_owner_user_id(owner);
    auto* address = create.mutable_partner()->add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country("HU");
    address->set_postal_code("2040");
    address->set_city("Budaörs");
    address->set_street("Szabadság út 7.");
    partners::v1::Partner partner;
    const auto status = partners_->CreatePartner(As().get(), create, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return partner;
  }

  // An order of one line worth `net_minor` (27% VAT), confirmed now.
  ov1::Order Purchase(std::int64_t partner, std::int64_t net_minor,
                      const std::string& currency = "HUF", bool confirm = true) {
    ov1::CreateOrderRequest create;
    create.mutable_order()->set_partner_id(partner);
    create.mutable_order()->set_currency_code(currency);
    auto* line = create.mutable_order()->add_lines();
    line->set_description("Kazán karbantartás");
    line->set_quantity("1");
    line->set_unit("db");
    line->mutable_unit_price()->set_currency_code(currency);
    line->mutable_unit_price()->set_minor_units(net_minor);
    line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    ov1::Order order;
    auto status = orders_->CreateOrder(As().get(), create, &order);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!confirm) return order;
    ov1::ConfirmOrderRequest request;
    request.set_id(order.id());
    ov1::Order confirmed;
    status = orders_->ConfirmOrder(As().get(), request, &confirmed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return confirmed;
  }

  // The order billed and issued today (due in the default 8 days).
  iv1::Invoice Bill(const ov1::Order& order) {
    iv1::CreateInvoiceFromOrderRequest create;
    create.set_order_id(order.id());
    iv1::Invoice draft;
    auto status = invoices_->CreateInvoiceFromOrder(As().get(), create, &draft);
    EXPECT_TRUE(status.ok()) << status.error_message();
    iv1::IssueInvoiceRequest issue;
    issue.set_id(draft.id());
    iv1::Invoice issued;
    status = invoices_->IssueInvoice(As().get(), issue, &issued);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return issued;
  }

  // Paid today.
  void Pay(const iv1::Invoice& invoice, std::int64_t minor) {
    iv1::RecordPaymentRequest record;
    record.mutable_payment()->set_invoice_id(invoice.id());
    record.mutable_payment()->mutable_amount()->set_currency_code("HUF");
    record.mutable_payment()->mutable_amount()->set_minor_units(minor);
    record.mutable_payment()->set_method(iv1::PAYMENT_METHOD_TRANSFER);
    iv1::Payment payment;
    const auto status = payments_->RecordPayment(As().get(), record, &payment);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  // The customers of the tests below, on days of their own (D0 is
  // 2030-01-10, 10:00 UTC; every step a whole number of days on, and the
  // reports read on D30, 2030-02-09). Net amounts, 27% VAT on each:
  // - Alfa (Anna's): orders of 100,000 Ft (D0), 200,000 Ft (D10) and
  //   300,000 Ft (D20), each invoiced that day and due 8 days later; the
  //   first paid on D12 (4 days late), the second on D18 (on time), the
  //   third unpaid (2 days overdue). A draft and a cancelled order, which
  //   are no purchases.
  // - Béta (Béla's, in Anna's team): 50,000 Ft on D0, invoiced, 30,000 Ft
  //   of its 63,500 Ft paid on D3 (22 days overdue); 50,000 Ft on D5.
  // - Gamma (Csaba's): 80,000 Ft on D25; Zéta (nobody's), with 30,000 Ft on
  //   D5 invoiced and paid on D20 (7 days late), is merged into Gamma on
  //   D30, so its history counts there.
  // - Delta (nobody's): 1,000 EUR on D15. Éta (nobody's): 5,000 Ft on D28.
  void SeedCustomers() {
    anna_ = NewColleague("anna@karton.example", kv1::ROLE_SALES);
    bela_ = NewColleague("bela@karton.example", kv1::ROLE_SALES);
    csaba_ = NewColleague("csaba@karton.example", kv1::ROLE_SALES);
    team_ = NewTeam("Budapest", {anna_.id, bela_.id});
    MoveClockTo("2030-01-10T10:00:00Z");
    if (HasFatalFailure()) return;
    alfa_ = Customer("Alfa Kft.", anna_.id);
    beta_ = Customer("Béta Kft.", bela_.id);
    gamma_ = Customer("Gamma Kft.", csaba_.id);
    delta_ = Customer("Delta Kft.", 0);
    const auto zeta = Customer("Zéta Kft.", 0);
    const auto eta = Customer("Éta Bt.", 0);

    const auto alfa_first = Bill(Purchase(alfa_.id(), 100'000'00));  // D0
    const auto beta_first = Bill(Purchase(beta_.id(), 50'000'00));
    Purchase(alfa_.id(), 999'00, "HUF", false);  // a draft
    const auto cancelled = Purchase(alfa_.id(), 777'00);
    ov1::CancelOrderRequest cancel;
    cancel.set_id(cancelled.id());
    cancel.set_reason("mégsem kell");
    ov1::Order cancelled_order;
    auto status = orders_->CancelOrder(As().get(), cancel, &cancelled_order);
    ASSERT_TRUE(status.ok()) << status.error_message();
    AdvanceDays(3);  // D3
    Pay(beta_first, 30'000'00);
    AdvanceDays(2);  // D5
    Purchase(beta_.id(), 50'000'00);
    const auto zeta_first = Bill(Purchase(zeta.id(), 30'000'00));
    AdvanceDays(5);  // D10
    const auto alfa_second = Bill(Purchase(alfa_.id(), 200'000'00));
    AdvanceDays(2);  // D12
    Pay(alfa_first, 127'000'00);
    AdvanceDays(3);  // D15
    Purchase(delta_.id(), 1'000'00, "EUR");
    AdvanceDays(3);  // D18
    Pay(alfa_second, 254'000'00);
    AdvanceDays(2);  // D20
    Bill(Purchase(alfa_.id(), 300'000'00));
    Pay(zeta_first, 38'100'00);
    AdvanceDays(5);  // D25
    Purchase(gamma_.id(), 80'000'00);
    AdvanceDays(3);  // D28
    Purchase(eta.id(), 5'000'00);
    AdvanceDays(2);  // D30
    partners::v1::MergePartnersRequest merge;
    merge.set_keep_partner_id(gamma_.id());
    merge.set_merge_partner_id(zeta.id());
    partners::v1::Partner kept;
    status = partners_->MergePartners(As().get(), merge, &kept);
    ASSERT_TRUE(status.ok()) << status.error_message();
    eta_ = eta;
  }

  rv1::RunReportResponse RunFiltered(rv1::Report report, const std::string& token,
                                     std::int64_t owner, std::int64_t team) {
    rv1::RunReportRequest request;
    request.set_report(report);
    request.set_owner_user_id(owner);
    request.set_team_id(team);
    rv1::RunReportResponse response;
    const auto status = reports_->RunReport(As(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::string Of(const partners::v1::Partner& partner) { return std::to_string(partner.id()); }

  partners::v1::Partner alfa_, beta_, gamma_, delta_, eta_;

  // More of kartond's options, set by a subclass's constructor.
  std::vector<std::string> extra_options_;
  std::unique_ptr<rv1::ReportService::Stub> reports_;
  std::unique_ptr<cv1::ActivityService::Stub> activities_;
  std::unique_ptr<ov1::OrderService::Stub> orders_;
  std::unique_ptr<iv1::InvoiceService::Stub> invoices_;
  std::unique_ptr<iv1::PaymentService::Stub> payments_;
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

// R1: leads per source, what became of them, and of the deals of the
// qualified ones.
TEST_F(ReportsTest, LeadConversionBySourceFollowsLeadsIntoDeals) {
  anna_ = NewColleague("anna@karton.example", kv1::ROLE_SALES);
  bela_ = NewColleague("bela@karton.example", kv1::ROLE_SALES);
  csaba_ = NewColleague("csaba@karton.example", kv1::ROLE_SALES);
  team_ = NewTeam("Budapest", {anna_.id, bela_.id});
  pipeline_ = NewPipeline();
  ASSERT_EQ(pipeline_.stages_size(), 4);
  const auto lead = [&](const std::string& name, cv1::LeadSource source, std::int64_t owner,
                        std::int64_t team) {
    cv1::CreateLeadRequest create;
    create.mutable_lead()->set_contact_name(name);
    create.mutable_lead()->set_company_name(name + " Kft.");
    create.mutable_lead()->set_email(name + "@lead.example");
    create.mutable_lead()->set_source(source);
    create.mutable_lead()->set_assigned_user_id(owner);
    create.mutable_lead()->set_team_id(team);
    cv1::Lead created;
    const auto status = leads_->CreateLead(As().get(), create, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  };
  const auto qualify = [&](const cv1::Lead& which) {
    cv1::QualifyLeadRequest request;
    request.set_id(which.id());
    request.set_etag(which.etag());
    request.set_pipeline_id(pipeline_.id());
    cv1::QualifyLeadResponse response;
    const auto status = leads_->QualifyLead(As().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.opportunity();
  };
  // manual (Anna's, her team's): one left new, two qualified after 2 days
  // (one deal open in Qualify, one won), one disqualified.
  lead("uj", cv1::LEAD_SOURCE_MANUAL, anna_.id, team_);
  const auto open_deal_lead = lead("nyitott", cv1::LEAD_SOURCE_MANUAL, anna_.id, team_);
  const auto won_lead = lead("nyert", cv1::LEAD_SOURCE_MANUAL, anna_.id, team_);
  const auto spam = lead("spam", cv1::LEAD_SOURCE_MANUAL, anna_.id, team_);
  // api (Csaba's): one qualified after 4 days, its deal lost; one new.
  const auto lost_lead = lead("vesztett", cv1::LEAD_SOURCE_API, csaba_.id, 0);
  lead("api-uj", cv1::LEAD_SOURCE_API, csaba_.id, 0);
  // email (Béla's, the team's): qualified after 4 days, its deal in Proposal.
  const auto proposal_lead = lead("ajanlat", cv1::LEAD_SOURCE_EMAIL, bela_.id, team_);

  cv1::DisqualifyLeadRequest disqualify;
  disqualify.set_id(spam.id());
  disqualify.set_etag(spam.etag());
  disqualify.set_reason("spam");
  cv1::Lead disqualified;
  ASSERT_TRUE(leads_->DisqualifyLead(As().get(), disqualify, &disqualified).ok());
  AdvanceDays(2);
  qualify(open_deal_lead);
  const auto won = qualify(won_lead);
  AdvanceDays(2);
  const auto lost = qualify(lost_lead);
  const auto proposal = qualify(proposal_lead);
  cv1::MarkWonRequest mark_won;
  mark_won.set_id(won.id());
  mark_won.set_etag(won.etag());
  cv1::Opportunity changed;
  ASSERT_TRUE(opportunities_->MarkWon(As().get(), mark_won, &changed).ok());
  cv1::MarkLostRequest mark_lost;
  mark_lost.set_id(lost.id());
  mark_lost.set_etag(lost.etag());
  mark_lost.set_reason("price");
  ASSERT_TRUE(opportunities_->MarkLost(As().get(), mark_lost, &changed).ok());
  cv1::MoveStageRequest move;
  move.set_id(proposal.id());
  move.set_etag(proposal.etag());
  move.set_stage_id(pipeline_.stages(1).id());
  ASSERT_TRUE(opportunities_->MoveStage(As().get(), move, &changed).ok());

  // source | leads | open | qualified | disqualified | conversion | deals
  // open | by stage | won | lost | average days to qualify
  const auto table = Run(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE);
  ASSERT_EQ(table.columns_size(), 11);
  EXPECT_EQ(table.columns(5).type(), rv1::COLUMN_TYPE_PERCENT);
  EXPECT_EQ(Lines(table),
            (std::vector<std::string>{"api|2|1|1|0|5000bp|0||0|1|4",
                                      "email|1|0|1|0|10000bp|1|Sales / Proposal: 1|0|0|4",
                                      "manual|4|1|2|1|5000bp|1|Sales / Qualify: 1|1|0|2"}));
  // Csaba sees his leads; Anna hers and her team's; the owner filter narrows.
  EXPECT_EQ(Lines(Run(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE, csaba_.token)),
            (std::vector<std::string>{"api|2|1|1|0|5000bp|0||0|1|4"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE, anna_.token)),
            (std::vector<std::string>{"email|1|0|1|0|10000bp|1|Sales / Proposal: 1|0|0|4",
                                      "manual|4|1|2|1|5000bp|1|Sales / Qualify: 1|1|0|2"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE, "", bela_.id)),
            (std::vector<std::string>{"email|1|0|1|0|10000bp|1|Sales / Proposal: 1|0|0|4"}));

  // As CSV: the stages' text as it is, the rate as a percentage.
  rv1::ExportReportRequest request;
  request.set_report(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE);
  request.set_format(rv1::EXPORT_FORMAT_CSV);
  rv1::ExportFileInfo info;
  grpc::Status status;
  const std::string csv = Export(request, csaba_.token, info, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.name().rfind("lead-conversion-by-source-", 0), 0U) << info.name();
  EXPECT_EQ(csv,
            "\xEF\xBB\xBFSource,Leads,Open,Qualified,Disqualified,Conversion rate,Deals open,Open "
            "deals by stage,Deals won,Deals lost,Average days to qualify\r\n"
            "api,2,1,1,0,50.00,0,,0,1,4\r\n");
}

// R3: purchases, payment behaviour, RFM segments and churn risk per
// customer, from orders' and invoicing's reporting views.
TEST_F(ReportsTest, CustomerReportsCountOrdersInvoicesAndPayments) {
  SeedCustomers();
  ASSERT_FALSE(HasFatalFailure());
  const std::string anna = Id(anna_), bela = Id(bela_), csaba = Id(csaba_);
  const std::string alfa = Of(alfa_) + "|Alfa Kft.|" + anna + "|anna@karton.example|";
  const std::string beta = Of(beta_) + "|Béta Kft.|" + bela + "|bela@karton.example|";
  const std::string gamma = Of(gamma_) + "|Gamma Kft.|" + csaba + "|csaba@karton.example|";
  const std::string delta = Of(delta_) + "|Delta Kft.|0|(nobody)|";
  const std::string eta = Of(eta_) + "|Éta Bt.|0|(nobody)|";

  // Orders, revenue (net), gross, average order, first and last purchase,
  // days since: per currency, the largest revenue first. Zéta's order
  // counts under Gamma; drafts and cancelled orders do not count.
  const std::vector<std::string> purchases = {
      delta + "EUR|1|100000 EUR|127000 EUR|100000 EUR|2030-01-25|2030-01-25|15",
      alfa + "HUF|3|60000000 HUF|76200000 HUF|20000000 HUF|2030-01-10|2030-01-30|10",
      gamma + "HUF|2|11000000 HUF|13970000 HUF|5500000 HUF|2030-01-15|2030-02-04|5",
      beta + "HUF|2|10000000 HUF|12700000 HUF|5000000 HUF|2030-01-10|2030-01-15|25",
      eta + "HUF|1|500000 HUF|635000 HUF|500000 HUF|2030-02-07|2030-02-07|2"};
  const auto table = Run(rv1::REPORT_CUSTOMER_PURCHASES);
  ASSERT_EQ(table.columns_size(), 12);
  EXPECT_EQ(table.columns(6).type(), rv1::COLUMN_TYPE_MONEY);
  EXPECT_EQ(Lines(table), purchases);

  // Invoices, invoiced, paid, outstanding, overdue, overdue invoices,
  // average days late, most days overdue; Zéta's invoice under Gamma.
  const std::vector<std::string> payments = {
      alfa + "HUF|3|76200000 HUF|38100000 HUF|38100000 HUF|38100000 HUF|1|2|2",
      beta + "HUF|1|6350000 HUF|3000000 HUF|3350000 HUF|3350000 HUF|1|-|22",
      gamma + "HUF|1|3810000 HUF|3810000 HUF|0 HUF|0 HUF|0|7|0"};
  EXPECT_EQ(Lines(Run(rv1::REPORT_PAYMENT_BEHAVIOUR)), payments);

  // Orders, revenue, last purchase, days since, R, F, M, RFM, segment.
  const std::vector<std::string> rfm = {
      delta + "EUR|1|100000 EUR|2030-01-25|15|5|5|5|555|new",
      alfa + "HUF|3|60000000 HUF|2030-01-30|10|3|5|5|355|loyal",
      gamma + "HUF|2|11000000 HUF|2030-02-04|5|4|4|4|444|champions",
      beta + "HUF|2|10000000 HUF|2030-01-15|25|2|4|3|243|at risk",
      eta + "HUF|1|500000 HUF|2030-02-07|2|5|2|2|522|new"};
  EXPECT_EQ(Lines(Run(rv1::REPORT_CUSTOMER_RFM)), rfm);

  // Béta bought every 5 days and has not for 25: 500% of its interval.
  // Alfa (10 of 10) and Gamma (5 of 20) are fine; one purchase tells none.
  EXPECT_EQ(Lines(Run(rv1::REPORT_CUSTOMER_CHURN_RISK)),
            (std::vector<std::string>{beta + "2|2030-01-10|2030-01-15|5|25|50000bp"}));

  // The dates bound the purchases: January only; recency to January 31.
  rv1::RunReportRequest january;
  january.set_report(rv1::REPORT_CUSTOMER_PURCHASES);
  january.mutable_from_date()->set_year(2030);
  january.mutable_from_date()->set_month(1);
  january.mutable_from_date()->set_day(11);
  january.mutable_to_date()->set_year(2030);
  january.mutable_to_date()->set_month(1);
  january.mutable_to_date()->set_day(31);
  rv1::RunReportResponse response;
  ASSERT_TRUE(reports_->RunReport(As().get(), january, &response).ok());
  EXPECT_EQ(Lines(response),
            (std::vector<std::string>{
                delta + "EUR|1|100000 EUR|127000 EUR|100000 EUR|2030-01-25|2030-01-25|15",
                alfa + "HUF|2|50000000 HUF|63500000 HUF|25000000 HUF|2030-01-20|2030-01-30|10",
                beta + "HUF|1|5000000 HUF|6350000 HUF|5000000 HUF|2030-01-15|2030-01-15|25",
                gamma + "HUF|1|3000000 HUF|3810000 HUF|3000000 HUF|2030-01-15|2030-01-15|25"}));

  // Days are Budapest's: at 23:30 UTC on February 9 it is already the 10th
  // there, so an order confirmed then is bought on the 10th, and today is
  // the 10th.
  Advance(std::chrono::minutes(13 * 60 + 30));
  Purchase(delta_.id(), 1'00, "EUR");
  rv1::RunReportRequest tenth;
  tenth.set_report(rv1::REPORT_CUSTOMER_PURCHASES);
  tenth.mutable_from_date()->set_year(2030);
  tenth.mutable_from_date()->set_month(2);
  tenth.mutable_from_date()->set_day(10);
  ASSERT_TRUE(reports_->RunReport(As().get(), tenth, &response).ok());
  EXPECT_EQ(
      Lines(response),
      (std::vector<std::string>{delta + "EUR|1|100 EUR|127 EUR|100 EUR|2030-02-10|2030-02-10|0"}));
}

TEST_F(ReportsTest, CustomerReportsShowSalespeopleTheirCustomers) {
  SeedCustomers();
  ASSERT_FALSE(HasFatalFailure());
  const std::string anna = Id(anna_), bela = Id(bela_), csaba = Id(csaba_);
  const std::string alfa = Of(alfa_) + "|Alfa Kft.|" + anna + "|anna@karton.example|";
  const std::string beta = Of(beta_) + "|Béta Kft.|" + bela + "|bela@karton.example|";
  const std::string gamma = Of(gamma_) + "|Gamma Kft.|" + csaba + "|csaba@karton.example|";
  const std::string alfa_purchases =
      alfa + "HUF|3|60000000 HUF|76200000 HUF|20000000 HUF|2030-01-10|2030-01-30|10";
  const std::string beta_purchases =
      beta + "HUF|2|10000000 HUF|12700000 HUF|5000000 HUF|2030-01-10|2030-01-15|25";

  // Csaba: Gamma, the customer whose card names him (with Zéta's history).
  EXPECT_EQ(Lines(Run(rv1::REPORT_CUSTOMER_PURCHASES, csaba_.token)),
            (std::vector<std::string>{
                gamma + "HUF|2|11000000 HUF|13970000 HUF|5500000 HUF|2030-01-15|2030-02-04|5"}));
  EXPECT_EQ(Lines(Run(rv1::REPORT_PAYMENT_BEHAVIOUR, csaba_.token)),
            (std::vector<std::string>{gamma + "HUF|1|3810000 HUF|3810000 HUF|0 HUF|0 HUF|0|7|0"}));
  EXPECT_TRUE(Lines(Run(rv1::REPORT_CUSTOMER_CHURN_RISK, csaba_.token)).empty());
  // Asking for Anna's does not widen what he sees.
  EXPECT_TRUE(Lines(Run(rv1::REPORT_CUSTOMER_PURCHASES, csaba_.token, anna_.id)).empty());
  // Anna: hers and those of her team's colleague Béla; the scores stay the
  // company's.
  EXPECT_EQ(Lines(Run(rv1::REPORT_CUSTOMER_PURCHASES, anna_.token)),
            (std::vector<std::string>{alfa_purchases, beta_purchases}));
  EXPECT_EQ(
      Lines(Run(rv1::REPORT_CUSTOMER_RFM, bela_.token)),
      (std::vector<std::string>{alfa + "HUF|3|60000000 HUF|2030-01-30|10|3|5|5|355|loyal",
                                beta + "HUF|2|10000000 HUF|2030-01-15|25|2|4|3|243|at risk"}));
  // A sales manager sees everyone; the owner and team filters narrow it.
  const auto manager = NewColleague("manager@karton.example", kv1::ROLE_SALES_MANAGER);
  EXPECT_EQ(Lines(RunFiltered(rv1::REPORT_CUSTOMER_PURCHASES, manager.token, bela_.id, 0)),
            (std::vector<std::string>{beta_purchases}));
  EXPECT_EQ(Lines(RunFiltered(rv1::REPORT_CUSTOMER_PURCHASES, manager.token, 0, team_)),
            (std::vector<std::string>{alfa_purchases, beta_purchases}));
  // Accounting sees every customer's payments.
  const auto accountant = NewColleague("konyveles@karton.example", kv1::ROLE_ACCOUNTING);
  EXPECT_EQ(Lines(Run(rv1::REPORT_PAYMENT_BEHAVIOUR, accountant.token)).size(), 3U);

  // As CSV (the amounts exact, no value empty), and through /files as
  // Csaba sees it.
  rv1::ExportReportRequest request;
  request.set_report(rv1::REPORT_PAYMENT_BEHAVIOUR);
  request.set_format(rv1::EXPORT_FORMAT_CSV);
  rv1::ExportFileInfo info;
  grpc::Status status;
  const std::string csv = Export(request, accountant.token, info, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.name().rfind("payment-behaviour-2030-02-09", 0), 0U) << info.name();
  const std::string header =
      "\xEF\xBB\xBF"
      "Customer id,Customer,Owner id,Owner,Currency,Invoices,Invoiced (gross),Paid,"
      "Outstanding,Overdue,Overdue invoices,Average days late,Most days overdue\r\n";
  const std::string gamma_csv = Of(gamma_) + ",Gamma Kft.," + csaba +
                                ",csaba@karton.example,HUF,1,38100.00,38100.00,"
                                "0.00,0.00,0,7,0\r\n";
  EXPECT_EQ(csv, header + Of(alfa_) + ",Alfa Kft.," + anna +
                     ",anna@karton.example,HUF,3,762000.00,381000.00,381000.00,381000.00,1,2,"
                     "2\r\n" +
                     Of(beta_) + ",Béta Kft.," + bela +
                     ",bela@karton.example,HUF,1,63500.00,30000.00,33500.00,33500.00,1,,22\r\n" +
                     gamma_csv);
  const auto answer =
      HttpExchange(kartond_->HttpAddress(), "GET",
                   "/files/karton.reports.v1.ReportService/"
                   "ExportReport?report=REPORT_PAYMENT_BEHAVIOUR&format=EXPORT_FORMAT_CSV",
                   {{"Authorization", "Bearer " + csaba_.token}}, "");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, header + gamma_csv);

  // The command line takes the new names.
  const std::string karton =
      "KARTON_CHECK_RPC_DECLARATIONS=1 " + KartonCommand(*kartond_, data_dir_.Path()) + " ";
  const auto [run_exit, printed] = RunCommand(karton + "reports run customer_rfm");
  ASSERT_EQ(run_exit, 0) << printed;
  EXPECT_NE(printed.find("Customer RFM segments"), std::string::npos) << printed;
  EXPECT_NE(printed.find("champions"), std::string::npos) << printed;
  EXPECT_NE(printed.find("600 000,00 HUF"), std::string::npos) << printed;
  for (const char* name : {"lead_conversion_by_source", "customer_purchases", "payment_behaviour",
                           "customer_churn_risk"}) {
    const auto [exit_code, out] = RunCommand(karton + "reports run " + name);
    EXPECT_EQ(exit_code, 0) << name << ": " << out;
  }
}

// The demo data: a saved report for each demo colleague, each with
// something in it.
class ReportsDemoTest : public CrmTest {
 protected:
  void SetUp() override {
    CrmTest::SetUp();
    modules_ = "crm,reports";
    Start({"--demo"});
    reports_ = rv1::ReportService::NewStub(channel_);
  }

  std::string TokenOf(const std::string& email) {
    kv1::CreateApiTokenRequest request;
    request.set_user_id(std::stoll(QueryScalar(
        conninfo_, "SELECT id FROM kernel.user_account WHERE email = '" + email + "'")));
    request.set_display_name("test");
    kv1::CreateApiTokenResponse token;
    EXPECT_TRUE(identity_->CreateApiToken(As().get(), request, &token).ok());
    return token.token();
  }

  std::unique_ptr<rv1::ReportService::Stub> reports_;
};

TEST_F(ReportsDemoTest, DemoColleaguesHaveSavedReports) {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"anna.kovacs@karton.example", {"Leadjeim forrásonként"}},
      {"peter.nagy@karton.example", {"Nyitott üzleteim szakaszonként"}},
      {"gabor.toth@karton.example", {"Fizetési szokások", "Ügyfelek RFM-szegmensei"}}};
  for (const auto& [email, names] : expected) {
    const std::string token = TokenOf(email);
    rv1::ListSavedReportsResponse list;
    ASSERT_TRUE(reports_->ListSavedReports(As(token).get(), {}, &list).ok());
    std::vector<std::string> listed;
    for (const auto& saved : list.saved_reports()) {
      listed.push_back(saved.name());
      // Each one exported as its owner sees it has rows: the demo's leads,
      // deals, orders and invoices reach the reports through the views.
      rv1::ExportReportRequest request;
      request.set_saved_report_id(saved.id());
      request.set_format(rv1::EXPORT_FORMAT_CSV);
      auto context = As(token);
      auto reader = reports_->ExportReport(context.get(), request);
      rv1::ExportReportResponse piece;
      std::string csv;
      while (reader->Read(&piece)) csv += piece.chunk();
      const auto status = reader->Finish();
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_GE(std::count(csv.begin(), csv.end(), '\n'), 2) << saved.name() << ":\n" << csv;
    }
    EXPECT_EQ(listed, names) << email;
  }
}

// reports.time_zone: the days are another zone's when set.
class ReportsZoneTest : public ReportsTest {
 protected:
  ReportsZoneTest() { extra_options_ = {"--module-option", "reports.time_zone=America/New_York"}; }
};

TEST_F(ReportsZoneTest, DaysAreThoseOfTheConfiguredZone) {
  MoveClockTo("2030-01-10T03:00:00Z");  // 22:00 on January 9 in New York
  ASSERT_FALSE(HasFatalFailure());
  cv1::CreateLeadRequest create;
  create.mutable_lead()->set_contact_name("Késő Este");
  create.mutable_lead()->set_email("keso@lead.example");
  cv1::Lead lead;
  ASSERT_TRUE(leads_->CreateLead(As().get(), create, &lead).ok());
  const auto on = [&](int day) {
    rv1::ExportReportRequest request;
    request.set_report(rv1::REPORT_LEAD_CONVERSION_BY_SOURCE);
    request.set_format(rv1::EXPORT_FORMAT_CSV);
    for (auto* date : {request.mutable_from_date(), request.mutable_to_date()}) {
      date->set_year(2030);
      date->set_month(1);
      date->set_day(day);
    }
    rv1::ExportFileInfo info;
    grpc::Status status;
    const std::string csv = Export(request, "", info, status);
    EXPECT_TRUE(status.ok()) << status.error_message();
    // The file is named after today there, too.
    EXPECT_EQ(info.name(), "lead-conversion-by-source-2030-01-09.csv");
    return csv.substr(csv.find("\r\n") + 2);
  };
  EXPECT_EQ(on(9), "manual,1,1,0,0,0.00,0,,0,0,\r\n");
  EXPECT_EQ(on(10), "");
}

TEST(ReportsOptionsTest, AZonePostgresqlDoesNotKnowStopsTheStart) {
  TemporaryDirectory data_dir;
  KartondProcess kartond(
      {"--database-url", SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest()),
       "--data-dir", data_dir.Path().string(), "--modules-dir", ProductModulesDirectory().string(),
       "--modules", "reports", "--module-option", "reports.time_zone=Mars/Olympus_Mons"});
  EXPECT_NE(kartond.WaitForExit(), 0);
  EXPECT_NE(kartond.Stderr().find("reports.time_zone: PostgreSQL knows no time zone "
                                  "'Mars/Olympus_Mons'"),
            std::string::npos)
      << kartond.Stderr();
}

}  // namespace
}  // namespace karton::testing

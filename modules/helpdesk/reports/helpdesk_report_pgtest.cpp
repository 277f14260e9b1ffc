// HelpdeskReportService on a throwaway database (helpdesk_test_fixture.h):
// a known set of tickets made through TicketService on the test clock
// (answered, resolved, closed, reopened, merged, one outside the range),
// their SLA outcomes written in place, and the report's numbers checked:
// volume by type and source, first-response and resolution medians and
// 90th percentiles, SLA compliance, reopen rate, per colleague and team,
// and the filters.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "helpdesk_test_fixture.h"
#include "reports/helpdesk_report_service.h"

namespace karton::helpdesk {
namespace {

using karton::testing::QueryScalar;
using std::chrono::hours;

class HelpdeskReportTest : public testing::HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    reports_service_ = std::make_unique<HelpdeskReportServiceImpl>(*parts_);
    grpc::ServerBuilder builder;
    builder.RegisterService(reports_service_.get());
    reports_server_ = builder.BuildAndStart();
    reports_ = v1::HelpdeskReportService::NewStub(
        reports_server_->InProcessChannel(grpc::ChannelArguments()));
    start_ = context_.Clock().Now();  // 2026-06-10 10:00 UTC
  }

  void TearDown() override {
    if (reports_server_) reports_server_->Shutdown();
    HelpdeskServicesTest::TearDown();
  }

  std::int64_t NewType(const std::string& name) {
    return InsertReturningId(
        "INSERT INTO helpdesk.ticket_type (name, create_time, update_time) VALUES ('" + name +
        "', now(), now()) RETURNING id");
  }

  v1::Ticket Open(std::int64_t type, v1::TicketSource source) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject("Hibás számla");
    request.mutable_ticket()->set_type_id(type);
    request.mutable_ticket()->set_source(source);
    v1::Ticket created;
    const auto status = stub_->CreateTicket(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  void Assign(std::int64_t id, std::int64_t user, std::int64_t team) {
    v1::AssignTicketRequest request;
    request.set_id(id);
    request.set_assignee_user_id(user);
    request.set_team_id(team);
    v1::Ticket assigned;
    const auto status = stub_->AssignTicket(As(support_).get(), request, &assigned);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  void At(hours after) { context_.Clock().Set(start_ + after); }

  void Answer(std::int64_t id) {
    v1::AddCommentRequest request;
    request.set_ticket_id(id);
    request.mutable_comment()->set_visibility(v1::COMMENT_VISIBILITY_PUBLIC);
    request.mutable_comment()->set_body("Megnézzük, és jelentkezünk.");
    v1::TicketComment comment;
    const auto status = stub_->AddComment(As(support_).get(), request, &comment);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  void To(std::int64_t id, v1::TicketState state) {
    v1::Ticket moved;
    const auto status = Move(id, state, moved);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  v1::RunHelpdeskReportResponse Run(std::int64_t team = 0, std::int64_t agent = 0) {
    v1::RunHelpdeskReportRequest request;
    request.mutable_from_date()->set_year(2026);
    request.mutable_from_date()->set_month(6);
    request.mutable_from_date()->set_day(10);
    *request.mutable_to_date() = request.from_date();
    request.set_team_id(team);
    request.set_assignee_user_id(agent);
    v1::RunHelpdeskReportResponse response;
    const auto status = reports_->RunHelpdeskReport(As(support_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static std::map<std::string, v1::HelpdeskStatistics> ByName(
      const google::protobuf::RepeatedPtrField<v1::HelpdeskReportGroup>& groups) {
    std::map<std::string, v1::HelpdeskStatistics> named;
    for (const auto& group : groups) named[group.name()] = group.statistics();
    return named;
  }

  kernel::TimePoint start_;
  std::unique_ptr<HelpdeskReportServiceImpl> reports_service_;
  std::unique_ptr<grpc::Server> reports_server_;
  std::unique_ptr<v1::HelpdeskReportService::Stub> reports_;
};

TEST_F(HelpdeskReportTest, CountsTimesSlaAndReopensOfAKnownSetOfTickets) {
  const auto complaint = NewType("Panasz");
  const auto question = NewType("Kérdés");
  const auto team = NewTeam("Első vonal");
  // Three days before the range: not counted.
  context_.Clock().Set(start_ - hours(72));
  Open(complaint, v1::TICKET_SOURCE_PHONE);
  At(hours(0));
  const auto t1 = Open(complaint, v1::TICKET_SOURCE_PHONE);
  const auto t2 = Open(complaint, v1::TICKET_SOURCE_EMAIL);
  const auto t3 = Open(question, v1::TICKET_SOURCE_API);
  const auto t4 = Open(complaint, v1::TICKET_SOURCE_PHONE);
  const auto t5 = Open(question, v1::TICKET_SOURCE_WEB_FORM);  // merged into t1: not counted
  Assign(t1.id(), support_.user_id, team);
  Assign(t2.id(), support_.user_id, team);
  Assign(t3.id(), 0, team);
  Assign(t4.id(), support_.user_id, 0);
  v1::MergeTicketsRequest merge;
  merge.set_target_id(t1.id());
  merge.add_source_ids(t5.id());
  v1::Ticket merged;
  ASSERT_TRUE(stub_->MergeTickets(As(support_).get(), merge, &merged).ok());

  At(hours(1));
  Answer(t1.id());  // first response 1 h
  At(hours(2));
  To(t4.id(), v1::TICKET_STATE_CLOSED);  // closed unresolved, unanswered: 2 h
  At(hours(3));
  Answer(t2.id());  // first response 3 h
  At(hours(4));
  To(t1.id(), v1::TICKET_STATE_RESOLVED);  // 4 h
  At(hours(10));
  To(t2.id(), v1::TICKET_STATE_RESOLVED);
  At(hours(15));
  To(t2.id(), v1::TICKET_STATE_OPEN);  // a reopen
  At(hours(20));
  To(t2.id(), v1::TICKET_STATE_RESOLVED);  // its last resolution: 20 h
  // SLA outcomes: t1 met, t2's resolution breached, t3 (open) its first
  // response breached already; t4 without a policy.
  const std::string policy = std::to_string(InsertReturningId(
      "INSERT INTO helpdesk.sla_policy (name, calendar_id, first_response_minutes, "
      "resolution_minutes, active, create_time, update_time) SELECT 'Általános', id, 60, 600, "
      "false, now(), now() FROM helpdesk.business_calendar ORDER BY id LIMIT 1 RETURNING id"));
  QueryScalar(conninfo_, "UPDATE helpdesk.ticket SET sla_policy_id = " + policy +
                             ", resolve_breached = (id = " + std::to_string(t2.id()) +
                             "), first_response_breached = (id = " + std::to_string(t3.id()) +
                             ") WHERE id IN (" + std::to_string(t1.id()) + ", " +
                             std::to_string(t2.id()) + ", " + std::to_string(t3.id()) +
                             ") RETURNING 1");

  const auto report = Run();
  const auto& total = report.total();
  EXPECT_EQ(total.tickets(), 4);
  EXPECT_EQ(total.resolved_tickets(), 3);
  EXPECT_EQ(total.responded_tickets(), 2);
  EXPECT_EQ(total.first_response_median().seconds(), 2 * 3600);  // of 1 h and 3 h
  EXPECT_EQ(total.first_response_p90().seconds(), 10080);        // 1 h + 0.9 * 2 h
  EXPECT_EQ(total.resolution_median().seconds(), 4 * 3600);      // of 2 h, 4 h, 20 h
  EXPECT_EQ(total.resolution_p90().seconds(), 60480);            // 4 h + 0.8 * 16 h
  EXPECT_EQ(total.sla_tickets(), 3);
  EXPECT_EQ(total.sla_met_tickets(), 1);
  EXPECT_EQ(total.sla_compliance_bp(), 3333);
  EXPECT_EQ(total.reopened_tickets(), 1);
  EXPECT_EQ(total.reopen_rate_bp(), 2500);

  // The top problem types, most tickets first.
  ASSERT_EQ(report.by_type_size(), 2);
  EXPECT_EQ(report.by_type(0).id(), complaint);
  EXPECT_EQ(report.by_type(0).name(), "Panasz");
  EXPECT_EQ(report.by_type(0).statistics().tickets(), 3);
  EXPECT_EQ(report.by_type(0).statistics().resolution_median().seconds(), 4 * 3600);
  EXPECT_EQ(report.by_type(1).name(), "Kérdés");
  EXPECT_EQ(report.by_type(1).statistics().tickets(), 1);
  EXPECT_EQ(report.by_type(1).statistics().resolved_tickets(), 0);
  EXPECT_FALSE(report.by_type(1).statistics().has_resolution_median());

  const auto sources = ByName(report.by_source());
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(report.by_source(0).name(), "phone");
  EXPECT_EQ(sources.at("phone").tickets(), 2);
  EXPECT_EQ(sources.at("email").tickets(), 1);
  EXPECT_EQ(sources.at("api").tickets(), 1);
  EXPECT_EQ(sources.count("web_form"), 0u);  // the merged ticket's

  ASSERT_EQ(report.by_agent_size(), 2);
  EXPECT_EQ(report.by_agent(0).id(), support_.user_id);
  EXPECT_EQ(report.by_agent(0).name(), "edit");
  const auto& agent = report.by_agent(0).statistics();
  EXPECT_EQ(agent.tickets(), 3);
  EXPECT_EQ(agent.resolved_tickets(), 3);
  EXPECT_EQ(agent.first_response_median().seconds(), 2 * 3600);
  EXPECT_EQ(agent.sla_compliance_bp(), 5000);  // t1 met, t2 breached
  EXPECT_EQ(agent.reopen_rate_bp(), 3333);
  EXPECT_EQ(report.by_agent(1).id(), 0);
  EXPECT_EQ(report.by_agent(1).name(), "(none)");
  EXPECT_EQ(report.by_agent(1).statistics().tickets(), 1);

  ASSERT_EQ(report.by_team_size(), 2);
  EXPECT_EQ(report.by_team(0).name(), "Első vonal");
  EXPECT_EQ(report.by_team(0).statistics().tickets(), 3);
  EXPECT_EQ(report.by_team(0).statistics().sla_tickets(), 3);
  EXPECT_EQ(report.by_team(1).name(), "(none)");
  EXPECT_EQ(report.by_team(1).statistics().resolution_median().seconds(), 2 * 3600);

  // The filters narrow the tickets.
  EXPECT_EQ(Run(team).total().tickets(), 3);
  EXPECT_EQ(Run(0, support_.user_id).total().tickets(), 3);
  EXPECT_EQ(Run(team, support_.user_id).total().tickets(), 2);
  const auto nobody = Run(0, 999999);
  EXPECT_EQ(nobody.total().tickets(), 0);
  EXPECT_EQ(nobody.by_type_size(), 0);
}

TEST_F(HelpdeskReportTest, BadDatesAndIdsNameTheirField) {
  v1::RunHelpdeskReportRequest request;
  request.mutable_from_date()->set_year(2026);
  request.mutable_from_date()->set_month(6);
  request.mutable_from_date()->set_day(10);
  request.mutable_to_date()->set_year(2026);
  request.mutable_to_date()->set_month(6);
  request.mutable_to_date()->set_day(9);
  v1::RunHelpdeskReportResponse response;
  auto status = reports_->RunHelpdeskReport(As(support_).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "to_date");
  request.mutable_to_date()->set_day(31);
  status = reports_->RunHelpdeskReport(As(support_).get(), request, &response);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "to_date");
  request.clear_to_date();
  request.set_team_id(-1);
  status = reports_->RunHelpdeskReport(As(support_).get(), request, &response);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "team_id");
}

}  // namespace
}  // namespace karton::helpdesk

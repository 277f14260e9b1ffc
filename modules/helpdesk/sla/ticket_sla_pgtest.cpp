// SLA policies, calendars and each ticket's clock on a throwaway database
// (helpdesk_test_fixture.h), on a test clock moved by hand: targets due
// across a holiday, a weekend and the end of summer time, the warning and
// the breach jobs (escalation: priority up, the team lead emailed once),
// the pause while waiting on the customer, met targets, reopens, and bad
// input naming its field.
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "helpdesk_test_fixture.h"
#include "sla/sla_service.h"
#include "sla/ticket_sla.h"

namespace karton::helpdesk {
namespace {

using google::protobuf::util::TimeUtil;
using karton::testing::QueryScalar;

// A Budapest wall-clock time.
kernel::TimePoint Local(int year, int month, int day, int hour, int minute) {
  absl::TimeZone budapest;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Budapest", &budapest));
  const auto at = absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), budapest);
  return kernel::TimePoint(std::chrono::microseconds(absl::ToUnixMicros(at)));
}

std::int64_t Seconds(kernel::TimePoint at) { return kernel::ToEpochMicros(at) / 1'000'000; }

class TicketSlaTest : public testing::HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    SlaServiceImpl::DeclareTopics(context_.Events());
    sla_service_ = std::make_unique<SlaServiceImpl>(*parts_);
    grpc::ServerBuilder builder;
    builder.RegisterService(sla_service_.get());
    sla_server_ = builder.BuildAndStart();
    sla_ = v1::SlaService::NewStub(sla_server_->InProcessChannel(grpc::ChannelArguments()));
    checks_ = std::make_unique<SlaChecks>(*parts_, outreach_);
    context_.JobQueue().Handle(kSlaCheckJob,
                               [this](const kernel::JobRun& run) { checks_->Run(run); });
    lead_ = NewUser("vezeto", "support");
    // The default calendar: Monday to Friday 8:00 to 16:30, Hungarian holidays.
    calendar_ =
        std::stoll(QueryScalar(conninfo_, "SELECT min(id) FROM helpdesk.business_calendar"));
  }

  void TearDown() override {
    if (sla_server_) sla_server_->Shutdown();
    HelpdeskServicesTest::TearDown();
  }

  v1::SlaPolicy NewPolicy(const std::string& name, v1::TicketPriority priority, int first,
                          int resolution, std::int64_t type_id = 0) {
    v1::CreateSlaPolicyRequest request;
    auto& policy = *request.mutable_policy();
    policy.set_name(name);
    policy.set_priority(priority);
    policy.set_type_id(type_id);
    policy.set_calendar_id(calendar_);
    policy.set_first_response_minutes(first);
    policy.set_resolution_minutes(resolution);
    policy.set_escalate_to_user_id(lead_);
    v1::SlaPolicy created;
    const auto status = sla_->CreateSlaPolicy(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Ticket Read(std::int64_t id) {
    v1::Ticket ticket;
    EXPECT_TRUE(Get(id, support_, ticket).ok());
    return ticket;
  }

  // Runs every scheduled sla_check job of the ticket whose payload ends
  // with `suffix` ("resolve/breach"), as the queue would at its time.
  int RunChecks(std::int64_t ticket_id, const std::string& suffix) {
    int ran = 0;
    for (const auto& job : context_.RecordedJobs().Scheduled()) {
      if (job.kind != kSlaCheckJob || job.payload.rfind(std::to_string(ticket_id) + "/", 0) != 0 ||
          job.payload.size() < suffix.size() ||
          job.payload.compare(job.payload.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      context_.RecordedJobs().Run(kSlaCheckJob, job.payload);
      ++ran;
    }
    return ran;
  }

  // When the queue would run the ticket's latest job ending with `suffix`.
  kernel::TimePoint DueOf(std::int64_t ticket_id, const std::string& suffix) {
    kernel::TimePoint at{};
    for (const auto& job : context_.RecordedJobs().Scheduled()) {
      if (job.kind == kSlaCheckJob && job.payload.rfind(std::to_string(ticket_id) + "/", 0) == 0 &&
          job.payload.size() >= suffix.size() &&
          job.payload.compare(job.payload.size() - suffix.size(), suffix.size(), suffix) == 0) {
        at = job.run_at;
      }
    }
    return at;
  }

  int Published(const std::string& topic) {
    int count = 0;
    for (const auto& event : context_.RecordedEvents().Published()) count += event.topic == topic;
    return count;
  }

  std::unique_ptr<SlaServiceImpl> sla_service_;
  std::unique_ptr<grpc::Server> sla_server_;
  std::unique_ptr<v1::SlaService::Stub> sla_;
  std::unique_ptr<SlaChecks> checks_;
  std::int64_t lead_ = 0;
  std::int64_t calendar_ = 0;
};

TEST_F(TicketSlaTest, TargetsRunAcrossAHolidayAWeekendAndTheEndOfSummerTime) {
  NewPolicy("Magas", v1::TICKET_PRIORITY_HIGH, 60, 240);
  // Thursday 22 October 2026, 15:00; Friday is a national holiday, summer
  // time ends on Sunday.
  context_.Clock().Set(Local(2026, 10, 22, 15, 0));
  const auto ticket = Create("Nem fűt a kazán", support_, partner_, v1::TICKET_PRIORITY_HIGH);
  EXPECT_EQ(ticket.sla_state(), v1::SLA_STATE_ON_TRACK);
  EXPECT_EQ(ticket.first_response_due_time().seconds(), Seconds(Local(2026, 10, 22, 16, 0)));
  EXPECT_EQ(ticket.resolve_due_time().seconds(), Seconds(Local(2026, 10, 26, 10, 30)));
  // The warnings at 80%: 15:48 on Thursday, and 09:42 on Monday.
  EXPECT_EQ(DueOf(ticket.id(), "first/warn"), Local(2026, 10, 22, 15, 48));
  EXPECT_EQ(DueOf(ticket.id(), "resolve/warn"), Local(2026, 10, 26, 9, 42));
  EXPECT_EQ(DueOf(ticket.id(), "resolve/breach"), Local(2026, 10, 26, 10, 30));

  // Answered at 15:30: the first-response jobs find nothing to do.
  context_.Clock().Set(Local(2026, 10, 22, 15, 30));
  v1::AddCommentRequest answer;
  answer.set_ticket_id(ticket.id());
  answer.mutable_comment()->set_visibility(v1::COMMENT_VISIBILITY_PUBLIC);
  answer.mutable_comment()->set_body("Hétfőn reggel visszahívjuk.");
  v1::TicketComment comment;
  ASSERT_TRUE(stub_->AddComment(As(support_).get(), answer, &comment).ok());
  context_.Clock().Set(Local(2026, 10, 22, 16, 0));
  EXPECT_EQ(RunChecks(ticket.id(), "first/warn") + RunChecks(ticket.id(), "first/breach"), 2);
  EXPECT_EQ(Published("helpdesk.ticket.sla_warning"), 0);
  EXPECT_FALSE(Read(ticket.id()).has_first_response_due_time());

  // Monday 09:42: the resolution warning.
  context_.Clock().Set(Local(2026, 10, 26, 9, 42));
  RunChecks(ticket.id(), "resolve/warn");
  EXPECT_EQ(Read(ticket.id()).sla_state(), v1::SLA_STATE_WARNING);
  EXPECT_EQ(Published("helpdesk.ticket.sla_warning"), 1);
  const auto alert = context_.RecordedEvents().Published().back().Payload<v1::SlaAlert>();
  EXPECT_EQ(alert.target(), v1::SLA_TARGET_RESOLUTION);
  EXPECT_EQ(alert.due_time().seconds(), Seconds(Local(2026, 10, 26, 10, 30)));

  // 10:00: waiting on the customer; the clock stops with 30 minutes left
  // and the old breach job finds nothing to do.
  context_.Clock().Set(Local(2026, 10, 26, 10, 0));
  v1::Ticket moved;
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_WAITING_ON_CUSTOMER, moved).ok());
  EXPECT_EQ(moved.sla_state(), v1::SLA_STATE_PAUSED);
  EXPECT_FALSE(moved.has_resolve_due_time());
  context_.Clock().Set(Local(2026, 10, 26, 10, 30));
  RunChecks(ticket.id(), "resolve/breach");
  EXPECT_EQ(Published("helpdesk.ticket.sla_breached"), 0);

  // The customer answers on Tuesday at 9:00: due at 9:30.
  context_.Clock().Set(Local(2026, 10, 27, 9, 0));
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_OPEN, moved).ok());
  EXPECT_EQ(moved.sla_state(), v1::SLA_STATE_WARNING);  // warned before the pause
  EXPECT_EQ(moved.resolve_due_time().seconds(), Seconds(Local(2026, 10, 27, 9, 30)));

  // 9:30: breached. Priority up, the team lead emailed, once.
  context_.Clock().Set(Local(2026, 10, 27, 9, 30));
  RunChecks(ticket.id(), "resolve/breach");
  RunChecks(ticket.id(), "resolve/breach");
  const auto breached = Read(ticket.id());
  EXPECT_EQ(breached.sla_state(), v1::SLA_STATE_BREACHED);
  EXPECT_EQ(breached.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(Published("helpdesk.ticket.sla_breached"), 1);
  ASSERT_GE(outreach_.emails.size(), 1u);
  EXPECT_EQ(outreach_.emails[0].recipient().address(), "vezeto@ceg.example");
  EXPECT_NE(outreach_.emails[0].subject().find(ticket.number()), std::string::npos);
  for (const auto& email : outreach_.emails) {
    EXPECT_EQ(email.idempotency_key(), outreach_.emails[0].idempotency_key());
  }
  int breach_notes = 0;
  for (const auto& note : breached.comments())
    breach_notes += note.body().rfind("SLA breached", 0) == 0;
  EXPECT_EQ(breach_notes, 1);

  // Resolved late: it stays breached.
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  EXPECT_EQ(moved.sla_state(), v1::SLA_STATE_BREACHED);
}

TEST_F(TicketSlaTest, ResolvedInTimeIsMetAndAReopenStartsTheResolutionAgain) {
  NewPolicy("Általános", v1::TICKET_PRIORITY_UNSPECIFIED, 120, 480);
  context_.Clock().Set(Local(2026, 10, 5, 9, 0));  // a Monday
  const auto ticket = Create("Kérdés a számláról", support_);
  // Eight business hours from Monday 9:00: Tuesday 8:30.
  EXPECT_EQ(ticket.resolve_due_time().seconds(), Seconds(Local(2026, 10, 6, 8, 30)));
  v1::Ticket moved;
  context_.Clock().Set(Local(2026, 10, 5, 11, 0));
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  EXPECT_EQ(moved.sla_state(), v1::SLA_STATE_MET);
  RunChecks(ticket.id(), "breach");
  EXPECT_EQ(Published("helpdesk.ticket.sla_breached"), 0);

  context_.Clock().Set(Local(2026, 10, 6, 14, 0));
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_OPEN, moved).ok());
  EXPECT_EQ(moved.sla_state(), v1::SLA_STATE_ON_TRACK);
  // Eight business hours from Tuesday 14:00: Wednesday 13:30.
  EXPECT_EQ(moved.resolve_due_time().seconds(), Seconds(Local(2026, 10, 7, 13, 30)));
}

TEST_F(TicketSlaTest, TheMostSpecificPolicyAppliesAndAChangeOfPriorityPlansAgain) {
  v1::CreateTicketTypeRequest type_request;
  type_request.mutable_ticket_type()->set_name("Panasz");
  v1::TicketType complaint;
  ASSERT_TRUE(types_->CreateTicketType(As(support_).get(), type_request, &complaint).ok());
  const auto any = NewPolicy("Alap", v1::TICKET_PRIORITY_UNSPECIFIED, 480, 2400);
  const auto urgent = NewPolicy("Sürgős", v1::TICKET_PRIORITY_URGENT, 30, 240);
  const auto complaints =
      NewPolicy("Panaszok", v1::TICKET_PRIORITY_UNSPECIFIED, 240, 1200, complaint.id());
  const auto urgent_complaints =
      NewPolicy("Sürgős panaszok", v1::TICKET_PRIORITY_URGENT, 15, 120, complaint.id());
  context_.Clock().Set(Local(2026, 10, 5, 9, 0));
  EXPECT_EQ(Create("Kérdés", support_).sla_policy_id(), any.id());
  EXPECT_EQ(Create("Leállt", support_, 0, v1::TICKET_PRIORITY_URGENT).sla_policy_id(), urgent.id());
  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Rossz termosztát");
  request.mutable_ticket()->set_type_id(complaint.id());
  v1::Ticket ticket;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &ticket).ok());
  EXPECT_EQ(ticket.sla_policy_id(), complaints.id());

  v1::UpdateTicketRequest change;
  change.mutable_ticket()->set_id(ticket.id());
  change.mutable_ticket()->set_priority(v1::TICKET_PRIORITY_URGENT);
  change.mutable_update_mask()->add_paths("priority");
  ASSERT_TRUE(stub_->UpdateTicket(As(support_).get(), change, &ticket).ok());
  EXPECT_EQ(ticket.sla_policy_id(), urgent_complaints.id());
  EXPECT_EQ(ticket.resolve_due_time().seconds(), Seconds(Local(2026, 10, 5, 11, 0)));
  // The jobs of the first plan find nothing to do.
  context_.Clock().Set(Local(2026, 10, 20, 9, 0));
  RunChecks(ticket.id(), "/breach");
  EXPECT_EQ(Published("helpdesk.ticket.sla_breached"), 2);  // the urgent plan's two targets
}

TEST_F(TicketSlaTest, BadCalendarsAndPoliciesNameTheirFieldsAndWriteNothing) {
  v1::CreateBusinessCalendarRequest calendar;
  calendar.mutable_calendar()->set_name("Hétvégi ügyelet");
  calendar.mutable_calendar()->set_time_zone("Europe/Nowhere");
  auto* saturday = calendar.mutable_calendar()->add_hours();
  saturday->set_weekday(6);
  saturday->set_open("14:00");
  saturday->set_close("10:00");
  calendar.mutable_calendar()->add_closed_dates()->set_year(2026);
  v1::BusinessCalendar created;
  auto status = sla_->CreateBusinessCalendar(As(support_).get(), calendar, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& violation : kernel::FieldViolationsOf(status)) fields.push_back(violation.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"calendar.time_zone", "calendar.hours[0].close",
                                              "calendar.closed_dates[0]"}));
  v1::CreateSlaPolicyRequest policy;
  policy.mutable_policy()->set_name("Rossz");
  policy.mutable_policy()->set_calendar_id(987654);
  policy.mutable_policy()->set_first_response_minutes(60);
  policy.mutable_policy()->set_resolution_minutes(0);
  v1::SlaPolicy made;
  status = sla_->CreateSlaPolicy(As(support_).get(), policy, &made);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "policy.resolution_minutes");
  policy.mutable_policy()->set_resolution_minutes(60);
  status = sla_->CreateSlaPolicy(As(support_).get(), policy, &made);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "policy.calendar_id");
  EXPECT_EQ(Count("business_calendar"), "1");
  EXPECT_EQ(Count("sla_policy"), "0");
  EXPECT_TRUE(context_.RecordedEvents().Published().empty());

  // A good one, with Saturday mornings and a company holiday.
  calendar.mutable_calendar()->set_time_zone("Europe/Budapest");
  saturday->set_open("08:00");
  saturday->set_close("12:00");
  calendar.mutable_calendar()->mutable_closed_dates(0)->set_month(12);
  calendar.mutable_calendar()->mutable_closed_dates(0)->set_day(31);
  ASSERT_TRUE(sla_->CreateBusinessCalendar(As(support_).get(), calendar, &created).ok());
  EXPECT_EQ(created.closed_dates(0).day(), 31);
  EXPECT_EQ(created.hours(0).open(), "08:00");
  v1::ListBusinessCalendarsResponse listed;
  ASSERT_TRUE(sla_->ListBusinessCalendars(As(salesperson_).get(),
                                          v1::ListBusinessCalendarsRequest(), &listed)
                  .ok());
  EXPECT_EQ(listed.calendars_size(), 2);
}

}  // namespace
}  // namespace karton::helpdesk

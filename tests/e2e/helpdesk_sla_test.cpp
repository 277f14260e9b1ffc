// The SLA clock in a real kartond on a test clock (docs/helpdesk.md,
// "SLA"): a ticket opened the afternoon before a holiday and a weekend is
// due on the next working day, warned and breached there by the durable
// jobs, paused while it waits on the customer; the breach raises its
// priority and emails the team lead through messaging. The days are found
// from the Hungarian calendar, so the test holds whatever day it runs.
#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crm_fixture.h"
#include "karton/helpdesk/v1/sla_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/hungarian_calendar/hungarian_calendar.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;
namespace hc = karton::hungarian_calendar;
using google::protobuf::util::TimeUtil;

absl::TimeZone Budapest() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Budapest", &zone));
  return zone;
}

std::chrono::year_month_day Day(absl::CivilDay day) {
  return std::chrono::year(static_cast<int>(day.year())) /
         std::chrono::month(static_cast<unsigned>(day.month())) /
         std::chrono::day(static_cast<unsigned>(day.day()));
}

// Seconds since 1970 of a Budapest wall-clock time on `day`.
std::int64_t At(absl::CivilDay day, int hour, int minute) {
  return absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute), Budapest()));
}

class HelpdeskSlaTest : public CrmTest {
 protected:
  HelpdeskSlaTest() { modules_ = "crm,helpdesk"; }

  // Moves the server's clock to `seconds` (since 1970), give or take the
  // second the call takes; the jobs due by then run before it answers.
  void MoveTo(std::int64_t seconds) {
    now_ = Now();
    auto kernel = kernel::v1::KernelService::NewStub(channel_);
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::SecondsToDuration(seconds - now_);
    kernel::v1::AdvanceClockResponse response;
    const auto status = kernel->AdvanceClock(As().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    now_ = response.now().seconds();
  }

  std::int64_t Now() {
    auto kernel = kernel::v1::KernelService::NewStub(channel_);
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() = TimeUtil::SecondsToDuration(1);
    kernel::v1::AdvanceClockResponse response;
    EXPECT_TRUE(kernel->AdvanceClock(As().get(), request, &response).ok());
    return response.now().seconds();
  }

  long long Events(const std::string& topic) {
    return std::stoll(
        QueryScalar(conninfo_,
                    "SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT topic "
                    "FROM kernel.event_outbox) e WHERE topic = '" +
                        topic + "'"));
  }

  hv1::Ticket Read(std::int64_t id) {
    hv1::GetTicketRequest request;
    request.set_id(id);
    hv1::Ticket ticket;
    EXPECT_TRUE(
        hv1::TicketService::NewStub(channel_)->GetTicket(As().get(), request, &ticket).ok());
    return ticket;
  }

  void Move(std::int64_t id, hv1::TicketState state) {
    hv1::ChangeStateRequest request;
    request.set_id(id);
    request.set_state(state);
    hv1::Ticket moved;
    const auto status =
        hv1::TicketService::NewStub(channel_)->ChangeState(As().get(), request, &moved);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::int64_t now_ = 0;
};

TEST_F(HelpdeskSlaTest, ATicketIsWarnedPausedAndBreachedInBusinessHoursAcrossAHolidayAndAWeekend) {
  Start({"--test-clock"});
  now_ = Now();
  // The next working day D whose next working day W is four or more days
  // later: a weekend and a holiday (or a decree's rest day) lie between.
  auto day = absl::ToCivilDay(absl::FromUnixSeconds(now_), Budapest()) + 1;
  absl::CivilDay next;
  for (int i = 0; i < 800; ++i, ++day) {
    if (!hc::IsWorkingDay(Day(day))) continue;
    next = day + 1;
    while (!hc::IsWorkingDay(Day(next))) ++next;
    if (next - day >= 4) break;
  }
  ASSERT_GE(next - day, 4) << "no working day before a holiday and a weekend found";
  bool holiday_between = false;
  for (auto between = day + 1; between < next; ++between) {
    holiday_between |= hc::KindOf(Day(between)) == hc::DayKind::kPublicHoliday ||
                       hc::KindOf(Day(between)) == hc::DayKind::kSwappedRestDay;
  }
  EXPECT_TRUE(holiday_between);

  const auto lead = NewColleague("csoportvezeto@karton.example", kv1::ROLE_SUPPORT);
  auto sla = hv1::SlaService::NewStub(channel_);
  hv1::ListBusinessCalendarsResponse calendars;
  ASSERT_TRUE(
      sla->ListBusinessCalendars(As().get(), hv1::ListBusinessCalendarsRequest(), &calendars).ok());
  ASSERT_EQ(calendars.calendars_size(), 1);  // Monday to Friday, 8:00 to 16:30
  hv1::CreateSlaPolicyRequest policy;
  policy.mutable_policy()->set_name("Magas prioritás");
  policy.mutable_policy()->set_priority(hv1::TICKET_PRIORITY_HIGH);
  policy.mutable_policy()->set_calendar_id(calendars.calendars(0).id());
  policy.mutable_policy()->set_first_response_minutes(60);
  policy.mutable_policy()->set_resolution_minutes(240);
  policy.mutable_policy()->set_escalate_to_user_id(lead.id);
  hv1::SlaPolicy created_policy;
  ASSERT_TRUE(sla->CreateSlaPolicy(As().get(), policy, &created_policy).ok());

  // D, 15:00: the ticket. Four business hours: 1.5 on D, 2.5 on W.
  MoveTo(At(day, 15, 0));
  hv1::CreateTicketRequest create;
  create.mutable_ticket()->set_subject("Leállt a hűtőkamra");
  create.mutable_ticket()->set_priority(hv1::TICKET_PRIORITY_HIGH);
  hv1::Ticket ticket;
  auto tickets = hv1::TicketService::NewStub(channel_);
  ASSERT_TRUE(tickets->CreateTicket(As().get(), create, &ticket).ok());
  EXPECT_EQ(ticket.sla_policy_id(), created_policy.id());
  // (The server's clock runs on while the test talks to it: a few seconds.)
  EXPECT_NEAR(ticket.resolve_due_time().seconds(), At(next, 10, 30), 60);
  hv1::AddCommentRequest answer;
  answer.set_ticket_id(ticket.id());
  answer.mutable_comment()->set_visibility(hv1::COMMENT_VISIBILITY_PUBLIC);
  answer.mutable_comment()->set_body("Kollégánk a következő munkanapon jelentkezik.");
  hv1::TicketComment comment;
  ASSERT_TRUE(tickets->AddComment(As().get(), answer, &comment).ok());

  // Through the holiday and the weekend to W, 9:00: nothing yet.
  MoveTo(At(next, 9, 0));
  ASSERT_TRUE(WaitUntilNothingIsDue(
      conninfo_, std::chrono::system_clock::time_point(std::chrono::seconds(now_))));
  EXPECT_EQ(Read(ticket.id()).sla_state(), hv1::SLA_STATE_ON_TRACK);
  EXPECT_EQ(Events("helpdesk.ticket.sla_warning"), 0);

  // 9:43: past 80% (9:42): the warning.
  MoveTo(At(next, 9, 43));
  EXPECT_EQ(Read(ticket.id()).sla_state(), hv1::SLA_STATE_WARNING);
  EXPECT_EQ(Events("helpdesk.ticket.sla_warning"), 1);

  // Waiting on the customer from 9:43 to 12:00: the clock stops with 47
  // minutes left, and 10:30 passes without a breach.
  Move(ticket.id(), hv1::TICKET_STATE_WAITING_ON_CUSTOMER);
  MoveTo(At(next, 12, 0));
  ASSERT_TRUE(WaitUntilNothingIsDue(
      conninfo_, std::chrono::system_clock::time_point(std::chrono::seconds(now_))));
  EXPECT_EQ(Read(ticket.id()).sla_state(), hv1::SLA_STATE_PAUSED);
  EXPECT_EQ(Events("helpdesk.ticket.sla_breached"), 0);
  Move(ticket.id(), hv1::TICKET_STATE_OPEN);
  EXPECT_NEAR(Read(ticket.id()).resolve_due_time().seconds(), At(next, 12, 47), 60);

  // 12:48: breached. The priority goes up and the team lead hears of it.
  MoveTo(At(next, 12, 48));
  const auto breached = Read(ticket.id());
  EXPECT_EQ(breached.sla_state(), hv1::SLA_STATE_BREACHED);
  EXPECT_EQ(breached.priority(), hv1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(Events("helpdesk.ticket.sla_breached"), 1);
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(30)));
  const auto mail = sink_->Messages().at(0);
  EXPECT_EQ(mail.recipients.at(0), "csoportvezeto@karton.example");
  ASSERT_TRUE(WaitUntilNothingIsDue(
      conninfo_, std::chrono::system_clock::time_point(std::chrono::seconds(now_))));
  EXPECT_EQ(sink_->Messages().size(), 1u);  // once
}

}  // namespace
}  // namespace karton::testing

// Ticket types and their standard processes on a throwaway database
// (helpdesk_test_fixture.h): a type's checks, a ticket taking its type's
// process, steps completed and skipped (with their reason audited), who may
// finish a step, waiting for the customer, a team step taking the ticket,
// and the job that runs a step's email and activity actions once.
#include <gtest/gtest.h>

#include "helpdesk_test_fixture.h"
#include "process/ticket_process.h"

namespace karton::helpdesk {
namespace {

using karton::testing::QueryScalar;

class TicketProcessTest : public testing::HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    manager_.user_id = NewUser("gabor", "sales_manager");
    manager_.roles = {"sales_manager"};
    field_team_ = NewTeam("Kiszállók");
    context_.JobQueue().Handle(kStepActionsJob,
                               [this](const kernel::JobRun& run) { step_actions_->Run(run); });
  }

  // The four-step complaint process of the demo data, the third step
  // done by a team.
  v1::TicketType NewComplaintType() {
    v1::CreateTicketTypeRequest request;
    auto& type = *request.mutable_ticket_type();
    type.set_name("Panasz");
    auto* record = type.add_steps();
    record->set_name("Rögzítés és visszaigazolás");
    record->set_responsible_role("support");
    record->mutable_due_offset()->set_seconds(4 * 3600);
    auto* email = record->add_actions()->mutable_email_customer();
    email->set_template_name("helpdesk_complaint_received");
    auto* investigate = type.add_steps();
    investigate->set_name("Kivizsgálás");
    investigate->set_responsible_team_id(field_team_);
    auto* decide = type.add_steps();
    decide->set_name("Döntés a panaszról");
    decide->set_responsible_role("sales_manager");
    decide->add_actions()->mutable_create_activity()->set_subject("Döntés a panaszról");
    auto* answer = type.add_steps();
    answer->set_name("Válasz az ügyfélnek");
    answer->add_actions()->mutable_wait_for_customer();
    v1::TicketType created;
    const auto status = types_->CreateTicketType(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Ticket NewComplaint(std::int64_t type_id) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject("Rosszul mér a termosztát");
    request.mutable_ticket()->set_type_id(type_id);
    request.mutable_ticket()->set_partner_id(partner_);
    request.mutable_ticket()->set_contact_id(contact_);
    v1::Ticket created;
    const auto status = stub_->CreateTicket(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Complete(std::int64_t id, const kernel::Caller& caller, v1::Ticket& moved,
                        const std::string& note = "") {
    v1::CompleteStepRequest request;
    request.set_id(id);
    request.set_note(note);
    return stub_->CompleteStep(As(caller).get(), request, &moved);
  }

  grpc::Status Skip(std::int64_t id, const kernel::Caller& caller, const std::string& reason,
                    v1::Ticket& moved) {
    v1::SkipStepRequest request;
    request.set_id(id);
    request.set_reason(reason);
    return stub_->SkipStep(As(caller).get(), request, &moved);
  }

  kernel::Caller manager_;
  std::int64_t field_team_ = 0;
};

TEST_F(TicketProcessTest, ABadTypeNamesItsFieldsAndWritesNothing) {
  v1::CreateTicketTypeRequest request;
  request.mutable_ticket_type()->set_name("Javítás");
  request.mutable_ticket_type()->add_steps()->set_name("Hibafelvétel");
  request.mutable_ticket_type()->add_steps()->set_responsible_role("főnök");
  v1::TicketType created;
  auto status = types_->CreateTicketType(As(support_).get(), request, &created);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 2u);
  EXPECT_EQ(violations[0].field, "ticket_type.steps[1].name");
  EXPECT_EQ(violations[1].field, "ticket_type.steps[1].responsible_role");

  request.mutable_ticket_type()->mutable_steps(1)->set_name("Kiszállás");
  request.mutable_ticket_type()->mutable_steps(1)->set_responsible_role("external_partner");
  request.mutable_ticket_type()->mutable_steps(1)->set_responsible_team_id(987654);
  status = types_->CreateTicketType(As(support_).get(), request, &created);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field,
            "ticket_type.steps[1].responsible_team_id");
  EXPECT_EQ(Count("ticket_type"), "0");
  EXPECT_TRUE(context_.RecordedEvents().Published().empty());

  request.mutable_ticket_type()->mutable_steps(1)->set_responsible_team_id(field_team_);
  ASSERT_TRUE(types_->CreateTicketType(As(support_).get(), request, &created).ok());
  request.mutable_ticket_type()->set_name("JAVÍTÁS");
  EXPECT_EQ(types_->CreateTicketType(As(support_).get(), request, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Count("ticket_type"), "1");
}

TEST_F(TicketProcessTest, ARetiredTypeStaysOnItsTicketsButNewTicketsCannotTakeIt) {
  const auto type = NewComplaintType();
  const auto ticket = NewComplaint(type.id());
  v1::UpdateTicketTypeRequest retire;
  retire.mutable_ticket_type()->set_id(type.id());
  retire.mutable_ticket_type()->set_etag(type.etag());
  retire.mutable_ticket_type()->set_active(false);
  retire.mutable_update_mask()->add_paths("active");
  v1::TicketType retired;
  ASSERT_TRUE(types_->UpdateTicketType(As(support_).get(), retire, &retired).ok());
  EXPECT_FALSE(retired.active());
  EXPECT_EQ(retired.steps_size(), 4);
  EXPECT_EQ(types_->UpdateTicketType(As(support_).get(), retire, &retired).error_code(),
            grpc::StatusCode::ABORTED);  // the etag moved on

  v1::ListTicketTypesRequest list;
  v1::ListTicketTypesResponse listed;
  ASSERT_TRUE(types_->ListTicketTypes(As(support_).get(), list, &listed).ok());
  EXPECT_EQ(listed.ticket_types_size(), 0);
  list.set_include_inactive(true);
  ASSERT_TRUE(types_->ListTicketTypes(As(support_).get(), list, &listed).ok());
  EXPECT_EQ(listed.ticket_types_size(), 1);

  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Újabb panasz");
  request.mutable_ticket()->set_type_id(type.id());
  v1::Ticket created;
  const auto status = stub_->CreateTicket(As(support_).get(), request, &created);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "ticket.type_id");
  v1::Ticket kept;
  ASSERT_TRUE(Get(ticket.id(), support_, kept).ok());
  EXPECT_EQ(kept.type_id(), type.id());
  EXPECT_EQ(kept.steps_size(), 4);
}

TEST_F(TicketProcessTest, ATicketWalksItsTypesProcessStepByStep) {
  const auto type = NewComplaintType();
  const auto ticket = NewComplaint(type.id());
  EXPECT_EQ(ticket.current_step(), 1);
  v1::Ticket whole;
  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  ASSERT_EQ(whole.steps_size(), 4);
  EXPECT_EQ(whole.steps(0).state(), v1::STEP_STATE_CURRENT);
  EXPECT_EQ(whole.steps(0).due_time().seconds(), whole.steps(0).start_time().seconds() + 4 * 3600);
  EXPECT_EQ(whole.steps(1).state(), v1::STEP_STATE_PENDING);
  EXPECT_EQ(whole.steps(1).step().name(), "Kivizsgálás");
  // Step 1's email goes out by a job, after the change committed.
  auto jobs = context_.RecordedJobs().Scheduled();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, kStepActionsJob);
  EXPECT_EQ(jobs[0].payload, std::to_string(ticket.id()) + "/1");

  // Step 2 is the field team's: the ticket goes to it.
  v1::Ticket moved;
  ASSERT_TRUE(Complete(ticket.id(), support_, moved, "Visszaigazolva telefonon.").ok());
  EXPECT_EQ(moved.current_step(), 2);
  EXPECT_EQ(moved.team_id(), field_team_);
  EXPECT_EQ(moved.assignee_user_id(), 0);

  // Step 3 is a sales manager's: support may not finish it, nor skip it.
  ASSERT_TRUE(Complete(ticket.id(), support_, moved).ok());
  EXPECT_EQ(moved.current_step(), 3);
  EXPECT_EQ(Complete(ticket.id(), support_, moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Skip(ticket.id(), support_, "Nem kell döntés", moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Skipping needs a reason, which is audited.
  const auto no_reason = Skip(ticket.id(), manager_, "", moved);
  EXPECT_EQ(kernel::FieldViolationsOf(no_reason).at(0).field, "reason");
  ASSERT_TRUE(Skip(ticket.id(), manager_, "Garanciális, nincs mit eldönteni", moved).ok());
  const auto audit = context_.RecordedAudit().Recorded();
  bool reason_audited = false;
  for (const auto& change : audit.back().changes) {
    reason_audited |= change.field == "skip_reason" &&
                      change.new_json == kernel::JsonString("Garanciális, nincs mit eldönteni");
  }
  EXPECT_TRUE(reason_audited);

  // Step 4 waits for the customer: the ticket says so.
  EXPECT_EQ(moved.current_step(), 4);
  EXPECT_EQ(moved.state(), v1::TICKET_STATE_WAITING_ON_CUSTOMER);
  ASSERT_TRUE(Complete(ticket.id(), support_, moved).ok());
  EXPECT_EQ(moved.current_step(), 0);
  EXPECT_EQ(Complete(ticket.id(), support_, moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  EXPECT_EQ(whole.steps(0).state(), v1::STEP_STATE_DONE);
  EXPECT_EQ(whole.steps(0).note(), "Visszaigazolva telefonon.");
  EXPECT_EQ(whole.steps(0).finished_by_user_id(), support_.user_id);
  EXPECT_EQ(whole.steps(2).state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(whole.steps(2).note(), "Garanciális, nincs mit eldönteni");
  EXPECT_EQ(whole.steps(3).state(), v1::STEP_STATE_DONE);
  EXPECT_EQ(whole.hand_overs(0).note(), "Step 2: Kivizsgálás");
  int completed = 0, skipped = 0;
  for (const auto& topic : context_.RecordedEvents().PublishedTopics()) {
    completed += topic == "helpdesk.ticket.step_completed";
    skipped += topic == "helpdesk.ticket.step_skipped";
  }
  EXPECT_EQ(completed, 3);
  EXPECT_EQ(skipped, 1);
  // Steps 1 and 3 had actions for other modules: one job each.
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), 2u);
}

TEST_F(TicketProcessTest, AStepsActionsRunOnceAndTheirOutcomeIsOnTheTicket) {
  const auto type = NewComplaintType();
  const auto ticket = NewComplaint(type.id());
  context_.RecordedJobs().Run(kStepActionsJob, std::to_string(ticket.id()) + "/1");
  ASSERT_EQ(outreach_.emails.size(), 1u);
  const auto email = outreach_.emails[0];
  EXPECT_EQ(email.template_name(), "helpdesk_complaint_received");
  EXPECT_EQ(email.category(), messaging::v1::CATEGORY_TRANSACTIONAL);
  EXPECT_EQ(email.recipient().partner_id(), partner_);
  EXPECT_EQ(email.recipient().contact_id(), contact_);
  EXPECT_EQ(email.idempotency_key(), "helpdesk.step/" + std::to_string(ticket.id()) + "/1/0");
  EXPECT_EQ(
      email.variables().fields().at("ticket").struct_value().fields().at("number").string_value(),
      ticket.number());

  // Run again (a retry after a crash): the same key, one comment.
  context_.RecordedJobs().Run(kStepActionsJob, std::to_string(ticket.id()) + "/1");
  EXPECT_EQ(outreach_.emails[1].idempotency_key(), email.idempotency_key());
  v1::Ticket whole;
  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  ASSERT_EQ(whole.comments_size(), 1);
  EXPECT_EQ(whole.comments(0).author_user_id(), 0);
  EXPECT_NE(whole.comments(0).body().find("sent to the customer (message 9001)"), std::string::npos)
      << whole.comments(0).body();

  // The CRM not running is recorded, not retried; messaging unavailable is retried.
  v1::Ticket moved;
  ASSERT_TRUE(Complete(ticket.id(), support_, moved).ok());
  ASSERT_TRUE(Complete(ticket.id(), support_, moved).ok());
  outreach_.activity_answer = {grpc::StatusCode::UNIMPLEMENTED, "no crm"};
  context_.RecordedJobs().Run(kStepActionsJob, std::to_string(ticket.id()) + "/3");
  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  ASSERT_EQ(whole.comments_size(), 2);
  EXPECT_NE(whole.comments(1).body().find("the CRM is not running"), std::string::npos)
      << whole.comments(1).body();
  outreach_.email_answer = {grpc::StatusCode::UNAVAILABLE, "messaging is restarting"};
  EXPECT_THROW(context_.RecordedJobs().Run(kStepActionsJob, std::to_string(ticket.id()) + "/1"),
               std::runtime_error);
}

TEST_F(TicketProcessTest, ANewTypeReplacesTheProcessUntilAStepIsFinished) {
  const auto complaint = NewComplaintType();
  v1::CreateTicketTypeRequest question_request;
  question_request.mutable_ticket_type()->set_name("Kérdés");
  question_request.mutable_ticket_type()->add_steps()->set_name("Megválaszolás");
  v1::TicketType question;
  ASSERT_TRUE(types_->CreateTicketType(As(support_).get(), question_request, &question).ok());
  const auto ticket = NewComplaint(complaint.id());
  v1::UpdateTicketRequest change;
  change.mutable_ticket()->set_id(ticket.id());
  change.mutable_ticket()->set_type_id(question.id());
  change.mutable_update_mask()->add_paths("type_id");
  v1::Ticket updated;
  ASSERT_TRUE(stub_->UpdateTicket(As(support_).get(), change, &updated).ok());
  EXPECT_EQ(updated.current_step(), 1);
  v1::Ticket whole;
  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  ASSERT_EQ(whole.steps_size(), 1);
  EXPECT_EQ(whole.steps(0).step().name(), "Megválaszolás");

  ASSERT_TRUE(Complete(ticket.id(), support_, updated).ok());
  change.mutable_ticket()->set_type_id(complaint.id());
  const auto refused = stub_->UpdateTicket(As(support_).get(), change, &updated);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(kernel::FieldViolationsOf(refused).at(0).field, "ticket.type_id");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT type_id FROM helpdesk.ticket"),
            std::to_string(question.id()));
}

}  // namespace
}  // namespace karton::helpdesk

// TicketService against its real SQL on a throwaway database
// (helpdesk_test_fixture.h): who sees which tickets, the hand-over history,
// states, comments, merges, and bad input that names its field and writes
// nothing.
#include <gtest/gtest.h>

#include "helpdesk_test_fixture.h"
#include "karton/partners/v1/partner.pb.h"
#include "partner_events.h"
#include "round_trips.h"

namespace karton::helpdesk {
namespace {

using karton::testing::QueryScalar;
using TicketServiceTest = testing::HelpdeskServicesTest;

TEST_F(TicketServiceTest, ANewTicketFindsItsPartnerAndContactByTheRequestersAddress) {
  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Nem indul a kazán");
  request.mutable_ticket()->set_requester_name("Kiss János");
  request.mutable_ticket()->set_requester_email(" Kiss.Janos@Futes.Example ");
  request.mutable_ticket()->set_source(v1::TICKET_SOURCE_PHONE);
  v1::Ticket created;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &created).ok());
  EXPECT_EQ(created.number(), "HD-2026-" +
                                  std::string(6 - std::to_string(created.id()).size(), '0') +
                                  std::to_string(created.id()));
  EXPECT_EQ(created.state(), v1::TICKET_STATE_NEW);
  EXPECT_EQ(created.priority(), v1::TICKET_PRIORITY_NORMAL);
  EXPECT_EQ(created.source(), v1::TICKET_SOURCE_PHONE);
  EXPECT_EQ(created.sla_state(), v1::SLA_STATE_NONE);
  EXPECT_EQ(created.requester_email(), "kiss.janos@futes.example");
  EXPECT_EQ(created.partner_id(), partner_);
  EXPECT_EQ(created.contact_id(), contact_);
  EXPECT_EQ(created.created_by_user_id(), support_.user_id);

  // By phone, in the way people write it, a partner's own number.
  request.mutable_ticket()->clear_requester_email();
  request.mutable_ticket()->set_requester_phone("06-30/123-4567");
  v1::Ticket by_phone;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &by_phone).ok());
  EXPECT_EQ(by_phone.requester_phone(), "+36301234567");
  EXPECT_EQ(by_phone.partner_id(), other_partner_);
  EXPECT_EQ(by_phone.contact_id(), 0);

  v1::Ticket found;
  ASSERT_TRUE(Get(created.id(), support_, found).ok());
  EXPECT_EQ(found.subject(), "Nem indul a kazán");
  EXPECT_EQ(found.etag(), created.etag());
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"helpdesk.ticket.created", "helpdesk.ticket.created"}));
  ASSERT_EQ(context_.RecordedAudit().Recorded().size(), 2u);
  EXPECT_EQ(context_.RecordedAudit().Recorded()[0].resource_type, "helpdesk.ticket");
  EXPECT_EQ(context_.RecordedAudit().Recorded()[0].action, kernel::AuditAction::kCreate);
}

// A ticket logged by hand, with no type and no SLA policy for it: BEGIN with
// the INSERT (which also claims the request id), the look for a policy,
// then the COMMIT. A repeat of the request answers with the first ticket.
TEST_F(TicketServiceTest, APlainCreateMakesThreeRoundTripsAndARepeatAnswersTheFirstTicket) {
  const auto request_for = [](const std::string& request_id) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject("Nem indul a kazán");
    request.mutable_ticket()->set_requester_name("Bench Ügyfél");
    request.mutable_ticket()->set_requester_email("ugyfel@example.com");
    request.mutable_ticket()->set_source(v1::TICKET_SOURCE_PHONE);
    request.set_request_id(request_id);
    return request;
  };
  v1::Ticket first;  // prepares the statements on the connection
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request_for("phone-1"), &first).ok());
  v1::Ticket created;
  {
    karton::testing::PoolRoundTrips trips(*database_);
    const auto status = stub_->CreateTicket(As(support_).get(), request_for("phone-2"), &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const std::string ends = trips.Stop();
    EXPECT_EQ(karton::testing::CountRoundTrips(ends), 3) << ends;
  }
  // The answer is the stored ticket, though nothing read it back.
  v1::Ticket found;
  ASSERT_TRUE(Get(created.id(), support_, found).ok());
  EXPECT_EQ(found.SerializeAsString(), created.SerializeAsString());

  v1::Ticket again;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request_for("phone-2"), &again).ok());
  EXPECT_EQ(again.SerializeAsString(), created.SerializeAsString());
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM helpdesk.ticket"), "2");
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"helpdesk.ticket.created", "helpdesk.ticket.created"}));
}

TEST_F(TicketServiceTest, BadInputNamesItsFieldAndWritesNothing) {
  const auto refused = [&](const std::function<void(v1::Ticket&)>& spoil) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject("Szivárog a radiátor");
    spoil(*request.mutable_ticket());
    v1::Ticket created;
    const auto status = stub_->CreateTicket(As(support_).get(), request, &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const auto violations = kernel::FieldViolationsOf(status);
    return violations.empty() ? std::string("(none)") : violations[0].field;
  };
  EXPECT_EQ(refused([](v1::Ticket& t) { t.clear_subject(); }), "ticket.subject");
  EXPECT_EQ(refused([](v1::Ticket& t) { t.set_subject(std::string(501, 'x')); }), "ticket.subject");
  EXPECT_EQ(refused([](v1::Ticket& t) { t.set_requester_email("kiss at futes"); }),
            "ticket.requester_email");
  EXPECT_EQ(refused([](v1::Ticket& t) { t.set_requester_phone("hívjon vissza"); }),
            "ticket.requester_phone");
  EXPECT_EQ(refused([&](v1::Ticket& t) { t.set_contact_id(contact_); }), "ticket.contact_id");
  EXPECT_EQ(refused([&](v1::Ticket& t) { t.set_partner_id(partner_ + 1000); }),
            "ticket.partner_id");
  EXPECT_EQ(refused([&](v1::Ticket& t) {
              t.set_partner_id(other_partner_);
              t.set_contact_id(contact_);
            }),
            "ticket.contact_id");
  EXPECT_EQ(refused([](v1::Ticket& t) { t.set_type_id(999); }), "ticket.type_id");
  EXPECT_EQ(refused([](v1::Ticket& t) { t.set_priority(static_cast<v1::TicketPriority>(42)); }),
            "ticket.priority");
  EXPECT_EQ(Count("ticket"), "0");
  EXPECT_TRUE(context_.RecordedEvents().Published().empty());
  EXPECT_TRUE(context_.RecordedAudit().Recorded().empty());

  // A ticket's change refused names its field too, and changes nothing.
  const auto ticket = Create("Zajos a szivattyú", support_);
  v1::AddCommentRequest empty_comment;
  empty_comment.set_ticket_id(ticket.id());
  v1::TicketComment comment;
  auto status = stub_->AddComment(As(support_).get(), empty_comment, &comment);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "comment.body");
  v1::HandOverRequest no_note;
  no_note.set_id(ticket.id());
  no_note.set_to_user_id(salesperson_.user_id);
  v1::Ticket moved;
  status = stub_->HandOver(As(support_).get(), no_note, &moved);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "note");
  v1::AssignTicketRequest nobody_user;
  nobody_user.set_id(ticket.id());
  nobody_user.set_assignee_user_id(987654);
  status = stub_->AssignTicket(As(support_).get(), nobody_user, &moved);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "assignee_user_id");
  v1::ChangeStateRequest no_state;
  no_state.set_id(ticket.id());
  status = stub_->ChangeState(As(support_).get(), no_state, &moved);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "state");
  v1::UpdateTicketRequest bad_mask;
  bad_mask.mutable_ticket()->set_id(ticket.id());
  bad_mask.mutable_update_mask()->add_paths("state");
  status = stub_->UpdateTicket(As(support_).get(), bad_mask, &moved);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "update_mask");
  EXPECT_EQ(Count("ticket_comment"), "0");
  EXPECT_EQ(Count("ticket_hand_over"), "0");
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT version FROM helpdesk.ticket"), "1");
  EXPECT_EQ(context_.RecordedEvents().Published().size(), 1u);
}

// Past the six digits the number is padded to, it grows a digit instead of
// losing one (lpad cuts a longer text).
TEST_F(TicketServiceTest, NumbersPastSixDigitsKeepEveryDigit) {
  QueryScalar(conninfo_, "SELECT setval('helpdesk.ticket_id_seq', 999999)");
  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Hibakód E03");
  v1::Ticket created;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &created).ok());
  EXPECT_EQ(created.id(), 1000000);
  EXPECT_TRUE(created.number().ends_with("-1000000")) << created.number();
}

TEST_F(TicketServiceTest, TheSameRequestIdTwiceMakesOneTicket) {
  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Hibakód E03");
  request.set_request_id("telefon-2026-06-10-1");
  v1::Ticket first, second;
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &first).ok());
  ASSERT_TRUE(stub_->CreateTicket(As(support_).get(), request, &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(Count("ticket"), "1");
  EXPECT_EQ(context_.RecordedEvents().Published().size(), 1u);
}

TEST_F(TicketServiceTest, HandOversKeepTheWholeHistoryAndASubcontractorGetsToSeeTheTicket) {
  const auto team = NewTeam("Kiszállók");
  const auto ticket = Create("Beázik a kazán", support_, partner_);
  v1::Ticket held;
  v1::AssignTicketRequest assign;
  assign.set_id(ticket.id());
  assign.set_etag(ticket.etag());
  assign.set_assignee_user_id(support_.user_id);
  ASSERT_TRUE(stub_->AssignTicket(As(support_).get(), assign, &held).ok());
  EXPECT_EQ(held.assignee_user_id(), support_.user_id);

  // The subcontractor cannot see it before it is handed to them.
  v1::Ticket seen;
  EXPECT_EQ(Get(ticket.id(), subcontractor_, seen).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::HandOverRequest hand_over;
  hand_over.set_id(ticket.id());
  hand_over.set_etag(held.etag());
  hand_over.set_to_user_id(subcontractor_.user_id);
  hand_over.set_note("A kazán a pincében van, kulcs a szomszédnál.");
  ASSERT_TRUE(stub_->HandOver(As(support_).get(), hand_over, &held).ok());
  ASSERT_TRUE(Get(ticket.id(), subcontractor_, seen).ok());

  // The subcontractor hands it back to the team with what they found.
  hand_over.set_etag(seen.etag());
  hand_over.set_to_user_id(0);
  hand_over.set_to_team_id(team);
  hand_over.set_note("Alkatrész kell, rendelés után visszajövünk.");
  ASSERT_TRUE(stub_->HandOver(As(subcontractor_).get(), hand_over, &held).ok());
  EXPECT_EQ(held.assignee_user_id(), 0);
  EXPECT_EQ(held.team_id(), team);

  v1::Ticket whole;
  ASSERT_TRUE(Get(ticket.id(), support_, whole).ok());
  ASSERT_EQ(whole.hand_overs_size(), 3);
  EXPECT_EQ(whole.hand_overs(0).kind(), v1::HAND_OVER_KIND_ASSIGNED);
  EXPECT_EQ(whole.hand_overs(0).to_user_id(), support_.user_id);
  EXPECT_EQ(whole.hand_overs(1).kind(), v1::HAND_OVER_KIND_HANDED_OVER);
  EXPECT_EQ(whole.hand_overs(1).from_user_id(), support_.user_id);
  EXPECT_EQ(whole.hand_overs(1).to_user_id(), subcontractor_.user_id);
  EXPECT_EQ(whole.hand_overs(1).note(), "A kazán a pincében van, kulcs a szomszédnál.");
  EXPECT_EQ(whole.hand_overs(1).by_user_id(), support_.user_id);
  EXPECT_EQ(whole.hand_overs(2).from_user_id(), subcontractor_.user_id);
  EXPECT_EQ(whole.hand_overs(2).to_team_id(), team);
  EXPECT_EQ(whole.hand_overs(2).by_user_id(), subcontractor_.user_id);
  EXPECT_EQ(context_.RecordedEvents().PublishedTopics(),
            (std::vector<std::string>{"helpdesk.ticket.created", "helpdesk.ticket.assigned",
                                      "helpdesk.ticket.shared", "helpdesk.ticket.handed_over",
                                      "helpdesk.ticket.handed_over"}));

  // A stale etag is refused and changes nothing.
  hand_over.set_etag(ticket.etag());
  hand_over.set_to_team_id(0);
  hand_over.set_to_user_id(support_.user_id);
  EXPECT_EQ(stub_->HandOver(As(support_).get(), hand_over, &held).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(Count("ticket_hand_over"), "3");
}

TEST_F(TicketServiceTest, StatesMoveAsTheRulesSayAndAReopenIsCounted) {
  const auto ticket = Create("Nincs melegvíz", support_);
  v1::Ticket moved;
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_OPEN, moved, ticket.etag()).ok());
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_WAITING_ON_CUSTOMER, moved).ok());
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  EXPECT_TRUE(moved.has_resolve_time());
  const auto refused = Move(ticket.id(), v1::TICKET_STATE_WAITING_ON_CUSTOMER, moved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("resolved"), std::string::npos);
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_OPEN, moved).ok());
  EXPECT_EQ(moved.reopen_count(), 1);
  EXPECT_FALSE(moved.has_resolve_time());
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_CLOSED, moved).ok());
  EXPECT_TRUE(moved.has_close_time());
  EXPECT_EQ(Move(ticket.id(), v1::TICKET_STATE_NEW, moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(
      context_.RecordedEvents().PublishedTopics(),
      (std::vector<std::string>{"helpdesk.ticket.created", "helpdesk.ticket.state_changed",
                                "helpdesk.ticket.state_changed", "helpdesk.ticket.state_changed",
                                "helpdesk.ticket.reopened", "helpdesk.ticket.state_changed"}));
  const auto audit = context_.RecordedAudit().Recorded();
  const auto& reopen = audit.at(4);
  EXPECT_EQ(reopen.changes.at(0).field, "state");
  EXPECT_EQ(reopen.changes.at(1).field, "reopen_count");
}

TEST_F(TicketServiceTest, TheFirstPublicCommentOfAColleagueIsTheFirstResponse) {
  const auto ticket = Create("Hibakód E03", support_);
  v1::AddCommentRequest request;
  request.set_ticket_id(ticket.id());
  request.mutable_comment()->set_body("Megnéztem a naplót: nyomásesés.");
  v1::TicketComment comment;
  ASSERT_TRUE(stub_->AddComment(As(support_).get(), request, &comment).ok());
  EXPECT_EQ(comment.visibility(), v1::COMMENT_VISIBILITY_INTERNAL);
  v1::Ticket found;
  ASSERT_TRUE(Get(ticket.id(), support_, found).ok());
  EXPECT_FALSE(found.has_first_response_time());
  EXPECT_NE(found.etag(), ticket.etag());

  context_.Clock().Advance(std::chrono::minutes(42));
  request.mutable_comment()->set_visibility(v1::COMMENT_VISIBILITY_PUBLIC);
  request.mutable_comment()->set_body("Kedves Ügyfelünk, holnap délelőtt kimegyünk.");
  ASSERT_TRUE(stub_->AddComment(As(support_).get(), request, &comment).ok());
  ASSERT_TRUE(Get(ticket.id(), support_, found).ok());
  EXPECT_EQ(found.first_response_time().seconds(), 1'781'085'600 + 42 * 60);
  ASSERT_EQ(found.comments_size(), 2);
  EXPECT_EQ(found.comments(1).author_user_id(), support_.user_id);
  EXPECT_EQ(found.comments(1).visibility(), v1::COMMENT_VISIBILITY_PUBLIC);
  EXPECT_EQ(context_.RecordedEvents().Published().back().topic, "helpdesk.ticket.commented");
}

TEST_F(TicketServiceTest, MergedTicketsAreClosedIntoTheTargetAndKeepTheirOwnHistory) {
  const auto target = Create("Nem fűt a kazán", support_, partner_);
  const auto first = Create("Hideg a lakás", support_, partner_);
  const auto second = Create("Kazán hiba (ismét)", support_, partner_);
  v1::AddCommentRequest note;
  note.set_ticket_id(first.id());
  note.mutable_comment()->set_body("Ugyanaz a kazán.");
  v1::TicketComment comment;
  ASSERT_TRUE(stub_->AddComment(As(support_).get(), note, &comment).ok());

  v1::MergeTicketsRequest merge;
  merge.set_target_id(target.id());
  merge.add_source_ids(second.id());
  merge.add_source_ids(first.id());
  v1::Ticket merged;
  ASSERT_TRUE(stub_->MergeTickets(As(support_).get(), merge, &merged).ok());
  EXPECT_EQ(merged.merged_ticket_ids_size(), 2);
  ASSERT_EQ(merged.comments_size(), 1);
  EXPECT_EQ(merged.comments(0).body(),
            "Merged into this ticket: " + first.number() + ", " + second.number());
  v1::Ticket source;
  ASSERT_TRUE(Get(first.id(), support_, source).ok());
  EXPECT_EQ(source.state(), v1::TICKET_STATE_CLOSED);
  EXPECT_EQ(source.merged_into_id(), target.id());
  EXPECT_EQ(source.comments_size(), 1);

  // A merged ticket is worked on no more: no comment, no reopen, no second merge.
  EXPECT_EQ(stub_->AddComment(As(support_).get(), note, &comment).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::Ticket moved;
  EXPECT_EQ(Move(first.id(), v1::TICKET_STATE_OPEN, moved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stub_->MergeTickets(As(support_).get(), merge, &merged).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  merge.clear_source_ids();
  merge.add_source_ids(target.id());
  EXPECT_EQ(kernel::FieldViolationsOf(stub_->MergeTickets(As(support_).get(), merge, &merged))
                .at(0)
                .field,
            "source_ids");
  int merged_events = 0;
  for (const auto& event : context_.RecordedEvents().Published()) {
    merged_events += event.topic == "helpdesk.ticket.merged";
  }
  EXPECT_EQ(merged_events, 1);
}

TEST_F(TicketServiceTest, AnUpdateChangesTheMaskedFieldsAndRefusesAStaleEtag) {
  const auto ticket = Create("Zörög a kazán", support_);
  v1::UpdateTicketRequest request;
  request.mutable_ticket()->set_id(ticket.id());
  request.mutable_ticket()->set_etag(ticket.etag());
  request.mutable_ticket()->set_priority(v1::TICKET_PRIORITY_URGENT);
  request.mutable_ticket()->set_partner_id(partner_);
  request.mutable_ticket()->set_subject("ignored: not in the mask");
  request.mutable_update_mask()->add_paths("priority");
  request.mutable_update_mask()->add_paths("partner_id");
  v1::Ticket updated;
  ASSERT_TRUE(stub_->UpdateTicket(As(support_).get(), request, &updated).ok());
  EXPECT_EQ(updated.priority(), v1::TICKET_PRIORITY_URGENT);
  EXPECT_EQ(updated.partner_id(), partner_);
  EXPECT_EQ(updated.subject(), "Zörög a kazán");
  const auto audit = context_.RecordedAudit().Recorded();
  const auto& audited = audit.back();
  EXPECT_EQ(audited.changes.size(), 2u);
  EXPECT_EQ(stub_->UpdateTicket(As(support_).get(), request, &updated).error_code(),
            grpc::StatusCode::ABORTED);
}

TEST_F(TicketServiceTest, EachRoleSeesItsTicketsFilteredAndPaged) {
  const auto team = NewTeam("Értékesítés");
  auto team_member = salesperson_;
  const auto own_partner = Create("A saját ügyfele", support_, partner_);
  const auto foreign = Create("Más ügyfele", support_, other_partner_, v1::TICKET_PRIORITY_HIGH);
  const auto teams = Create("A csapatáé", support_, other_partner_, v1::TICKET_PRIORITY_HIGH);
  v1::AssignTicketRequest assign;
  assign.set_id(teams.id());
  assign.set_team_id(team);
  v1::Ticket held;
  ASSERT_TRUE(stub_->AssignTicket(As(support_).get(), assign, &held).ok());
  team_member.team_ids = {team};
  const auto shared = Create("Megosztott", support_, other_partner_);
  v1::ShareTicketRequest share;
  share.set_id(shared.id());
  share.set_user_id(subcontractor_.user_id);
  ASSERT_TRUE(stub_->ShareTicket(As(support_).get(), share, &held).ok());

  v1::ListTicketsRequest all;
  EXPECT_EQ(Ids(all, support_),
            (std::vector<std::int64_t>{shared.id(), teams.id(), foreign.id(), own_partner.id()}));
  EXPECT_EQ(Ids(all, salesperson_), (std::vector<std::int64_t>{own_partner.id()}));
  EXPECT_EQ(Ids(all, team_member), (std::vector<std::int64_t>{teams.id(), own_partner.id()}));
  EXPECT_EQ(Ids(all, subcontractor_), (std::vector<std::int64_t>{shared.id()}));
  EXPECT_TRUE(Ids(all, kernel::Caller{}).empty());
  v1::Ticket seen;
  EXPECT_EQ(Get(foreign.id(), salesperson_, seen).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(foreign.id(), subcontractor_, seen).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListTicketsRequest high;
  high.set_priority(v1::TICKET_PRIORITY_HIGH);
  EXPECT_EQ(Ids(high, support_), (std::vector<std::int64_t>{teams.id(), foreign.id()}));
  v1::ListTicketsRequest of_team;
  of_team.set_team_id(team);
  EXPECT_EQ(Ids(of_team, support_), (std::vector<std::int64_t>{teams.id()}));
  v1::ListTicketsRequest of_partner;
  of_partner.set_partner_id(partner_);
  EXPECT_EQ(Ids(of_partner, support_), (std::vector<std::int64_t>{own_partner.id()}));
  v1::Ticket moved;
  ASSERT_TRUE(Move(foreign.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  v1::ListTicketsRequest resolved;
  resolved.set_state(v1::TICKET_STATE_RESOLVED);
  EXPECT_EQ(Ids(resolved, support_), (std::vector<std::int64_t>{foreign.id()}));
  v1::ListTicketsRequest open;
  open.set_open_only(true);
  EXPECT_EQ(Ids(open, support_),
            (std::vector<std::int64_t>{shared.id(), teams.id(), own_partner.id()}));
  v1::ListTicketsRequest none_sla;
  none_sla.set_sla_state(v1::SLA_STATE_BREACHED);
  EXPECT_TRUE(Ids(none_sla, support_).empty());

  // Two pages of two, then a token used with another filter is refused.
  v1::ListTicketsRequest paged;
  paged.set_page_size(2);
  v1::ListTicketsResponse page;
  ASSERT_TRUE(stub_->ListTickets(As(support_).get(), paged, &page).ok());
  ASSERT_EQ(page.tickets_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  paged.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListTickets(As(support_).get(), paged, &page).ok());
  ASSERT_EQ(page.tickets_size(), 2);
  EXPECT_EQ(page.tickets(1).id(), own_partner.id());
  EXPECT_TRUE(page.next_page_token().empty());
  paged.set_priority(v1::TICKET_PRIORITY_HIGH);
  EXPECT_EQ(stub_->ListTickets(As(support_).get(), paged, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Unshared, the subcontractor sees nothing again.
  v1::UnshareTicketRequest unshare;
  unshare.set_id(shared.id());
  unshare.set_user_id(subcontractor_.user_id);
  ASSERT_TRUE(stub_->UnshareTicket(As(support_).get(), unshare, &held).ok());
  EXPECT_TRUE(Ids(all, subcontractor_).empty());
}

TEST_F(TicketServiceTest, NobodyIsRefusedAndWritesNothing) {
  v1::CreateTicketRequest request;
  request.mutable_ticket()->set_subject("Névtelen");
  v1::Ticket created;
  EXPECT_EQ(stub_->CreateTicket(As(kernel::Caller{}).get(), request, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("ticket"), "0");
}

TEST_F(TicketServiceTest, AMergedPartnersTicketsFollowTheKeptOne) {
  const auto ticket = Create("Számlázási kérdés", support_, other_partner_);
  partners::v1::PartnersMerged merged;
  merged.set_merged_partner_id(other_partner_);
  merged.set_kept_partner_id(partner_);
  kernel::Event event;
  event.topic = "partners.partner.merged";
  event.payload_type = partners::v1::PartnersMerged::descriptor()->full_name();
  event.payload = merged.SerializeAsString();
  auto lease = database_->Acquire();
  FollowPartnerMerge(event, lease.Session());
  v1::Ticket found;
  ASSERT_TRUE(Get(ticket.id(), support_, found).ok());
  EXPECT_EQ(found.partner_id(), partner_);
}

}  // namespace
}  // namespace karton::helpdesk

// The intake's subscriptions on a throwaway database (intake/ticket_intake.h):
// the events delivered as the kernel would, the ticket service beside them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "helpdesk_test_fixture.h"
#include "intake/ticket_intake.h"
#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/transaction.h"
#include "karton/messaging/v1/message.pb.h"

namespace karton::helpdesk::testing {
namespace {

namespace mv1 = messaging::v1;
namespace cv1 = crm::v1;

class TicketIntakeTest : public HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    intake_ = std::make_unique<TicketIntake>(*parts_, partners_);
    intake_->Subscribe(context_.Events());
  }

  template <class Message>
  kernel::Event EventOf(const std::string& topic, const Message& payload) {
    kernel::Event event;
    event.id = ++last_event_id_;
    event.topic = topic;
    event.payload_type = Message::descriptor()->full_name();
    payload.SerializeToString(&event.payload);
    return event;
  }

  // Delivers the email's event, as the kernel does, in a transaction.
  void Deliver(const kernel::Event& event) {
    auto lease = database_->Acquire();
    kernel::Transaction transaction(lease.Session());
    context_.RecordedEvents().Deliver("email_intake", event, &lease.Session());
    transaction.Commit();
  }

  mv1::InboundEmail Email(std::int64_t id, const std::string& subject, const std::string& text) {
    mv1::InboundEmail email;
    email.set_id(id);
    email.set_kind(mv1::INBOUND_KIND_KNOWN_SENDER);
    email.set_from_address("kiss.janos@futes.example");
    email.set_from_name("Kiss János");
    email.set_partner_id(partner_);
    email.set_contact_id(contact_);
    email.set_subject(subject);
    email.set_text(text);
    email.set_route("helpdesk");
    return email;
  }

  v1::Ticket Whole(std::int64_t id) {
    v1::Ticket ticket;
    EXPECT_TRUE(Get(id, support_, ticket).ok());
    return ticket;
  }

  std::int64_t Published(const std::string& topic) {
    const auto topics = context_.RecordedEvents().PublishedTopics();
    return std::count(topics.begin(), topics.end(), topic);
  }

  std::unique_ptr<TicketIntake> intake_;
  std::int64_t last_event_id_ = 0;
};

TEST_F(TicketIntakeTest, AnEmailOpensOneTicketForItsSenderHoweverOftenItComes) {
  const auto event = EventOf("messaging.email.received",
                             Email(41, "Nem indul a kazán", "Reggel óta.\nE03 a kijelzőn."));
  Deliver(event);
  Deliver(event);
  ASSERT_EQ(Count("ticket"), "1");
  const auto id = std::stoll(QueryScalar(conninfo_, "SELECT id FROM helpdesk.ticket"));
  const v1::Ticket ticket = Whole(id);
  EXPECT_EQ(ticket.subject(), "Nem indul a kazán");
  EXPECT_EQ(ticket.description(), "Reggel óta.\nE03 a kijelzőn.");
  EXPECT_EQ(ticket.source(), v1::TICKET_SOURCE_EMAIL);
  EXPECT_EQ(ticket.partner_id(), partner_);
  EXPECT_EQ(ticket.contact_id(), contact_);
  EXPECT_EQ(ticket.requester_email(), "kiss.janos@futes.example");
  EXPECT_EQ(ticket.created_by_user_id(), 0);
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT request_id FROM helpdesk.ticket"),
            "messaging.inbound/41");
  EXPECT_EQ(Published("helpdesk.ticket.created"), 1);

  // Not the helpdesk's: another route, none, a bounce.
  auto other = Email(42, "Ajánlat", "x");
  other.set_route("sales");
  Deliver(EventOf("messaging.email.received", other));
  other.clear_route();
  Deliver(EventOf("messaging.email.received", other));
  other.set_route("helpdesk");
  other.set_kind(mv1::INBOUND_KIND_BOUNCE);
  Deliver(EventOf("messaging.email.received", other));
  EXPECT_EQ(Count("ticket"), "1");
}

TEST_F(TicketIntakeTest, RepliesCommentAndReopenAndAClosedTicketGetsAFollowUp) {
  Deliver(EventOf("messaging.email.received", Email(1, "Csöpög", "A csap csöpög.")));
  const auto id = std::stoll(QueryScalar(conninfo_, "SELECT id FROM helpdesk.ticket"));
  const std::string number = Whole(id).number();
  v1::Ticket moved;
  ASSERT_TRUE(Move(id, v1::TICKET_STATE_WAITING_ON_CUSTOMER, moved).ok());

  // By the number in the subject, from someone else at the customer.
  auto reply = Email(2, "Re: " + number + " Csöpög", "Még mindig csöpög.");
  reply.set_from_address("iroda@futes.example");
  reply.clear_from_name();
  const auto reply_event = EventOf("messaging.email.received", reply);
  Deliver(reply_event);
  Deliver(reply_event);
  v1::Ticket ticket = Whole(id);
  EXPECT_EQ(ticket.state(), v1::TICKET_STATE_OPEN);
  ASSERT_EQ(ticket.comments_size(), 1);
  EXPECT_EQ(ticket.comments(0).body(), "From: iroda@futes.example\n\nMég mindig csöpög.");
  EXPECT_EQ(ticket.comments(0).visibility(), v1::COMMENT_VISIBILITY_PUBLIC);
  EXPECT_TRUE(ticket.comments(0).from_customer());
  EXPECT_EQ(Published("helpdesk.ticket.state_changed"), 2);  // ChangeState, then the reply

  // By the key of an email the helpdesk sent about it: a resolved ticket
  // is reopened; an escalation's key names no ticket.
  ASSERT_TRUE(Move(id, v1::TICKET_STATE_RESOLVED, moved).ok());
  auto answer = Email(3, "Re: Megoldottuk", "Köszönöm, de nem jó.");
  answer.set_related_message_key(fmt::format("helpdesk.step/{}/2/0", id));
  Deliver(EventOf("messaging.email.received", answer));
  ticket = Whole(id);
  EXPECT_EQ(ticket.state(), v1::TICKET_STATE_OPEN);
  EXPECT_EQ(ticket.reopen_count(), 1);
  EXPECT_EQ(ticket.comments(ticket.comments_size() - 1).body(), "Köszönöm, de nem jó.");
  EXPECT_EQ(Published("helpdesk.ticket.reopened"), 1);
  auto escalation = Email(4, "Re: SLA", "?");
  escalation.set_related_message_key(fmt::format("helpdesk.sla/{}/1/first", id));
  Deliver(EventOf("messaging.email.received", escalation));
  EXPECT_EQ(Count("ticket"), "2");

  // Closed: a new ticket naming the old one, which says where it went.
  ASSERT_TRUE(Move(id, v1::TICKET_STATE_CLOSED, moved).ok());
  Deliver(EventOf("messaging.email.received", Email(5, "Re: [" + number + "]", "Megint csöpög.")));
  EXPECT_EQ(Count("ticket"), "3");
  const auto follow_up = std::stoll(QueryScalar(
      conninfo_, "SELECT id FROM helpdesk.ticket WHERE request_id = 'messaging.inbound/5'"));
  const v1::Ticket next = Whole(follow_up);
  ASSERT_EQ(next.comments_size(), 1);
  EXPECT_NE(next.comments(0).body().find(number), std::string::npos);
  const v1::Ticket closed = Whole(id);
  EXPECT_EQ(closed.state(), v1::TICKET_STATE_CLOSED);
  EXPECT_NE(closed.comments(closed.comments_size() - 1).body().find(next.number()),
            std::string::npos);

  // A reply to a ticket merged into another goes to that one.
  v1::MergeTicketsRequest merge;
  merge.set_target_id(follow_up);
  const auto escalation_ticket = std::stoll(QueryScalar(
      conninfo_, "SELECT id FROM helpdesk.ticket WHERE request_id = 'messaging.inbound/4'"));
  merge.add_source_ids(escalation_ticket);
  v1::Ticket merged;
  ASSERT_TRUE(stub_->MergeTickets(As(support_).get(), merge, &merged).ok());
  const std::string merged_number = Whole(escalation_ticket).number();
  Deliver(EventOf("messaging.email.received", Email(6, "Re: " + merged_number, "Ez ugyanaz.")));
  const v1::Ticket target = Whole(follow_up);
  EXPECT_EQ(target.comments(target.comments_size() - 1).body(), "Ez ugyanaz.");
  EXPECT_EQ(Count("ticket"), "3");
}

TEST_F(TicketIntakeTest, AWebFormPostBecomesATicketOfItsTypeForItsTeam) {
  v1::CreateTicketTypeRequest create_type;
  create_type.mutable_ticket_type()->set_name("Javítás");
  create_type.mutable_ticket_type()->add_steps()->set_name("Felvétel");
  v1::TicketType type;
  ASSERT_TRUE(types_->CreateTicketType(As(support_).get(), create_type, &type).ok());
  const auto team = NewTeam("Szerviz");

  cv1::WebFormSubmission submission;
  submission.set_web_form_id(3);
  submission.set_web_form_slug("hiba");
  submission.set_web_form_title("Hibabejelentés");
  submission.set_ticket_type_id(type.id());
  submission.set_team_id(team);
  auto& post = *submission.mutable_submitted();
  post.set_contact_name("Kiss János");
  post.set_email("Kiss.Janos@Futes.Example");
  post.set_message("Nem fűt.");
  post.set_category("repair");
  const auto event = EventOf("crm.web_form.submitted", submission);
  context_.RecordedEvents().Deliver("web_form_intake", event);
  context_.RecordedEvents().Deliver("web_form_intake", event);
  ASSERT_EQ(Count("ticket"), "1");
  const auto id = std::stoll(QueryScalar(conninfo_, "SELECT id FROM helpdesk.ticket"));
  v1::Ticket ticket = Whole(id);
  EXPECT_EQ(ticket.source(), v1::TICKET_SOURCE_WEB_FORM);
  EXPECT_EQ(ticket.subject(), "Hibabejelentés: Kiss János");
  EXPECT_EQ(ticket.description(), "Nem fűt.\n\ncategory: repair");
  EXPECT_EQ(ticket.type_id(), type.id());
  EXPECT_EQ(ticket.current_step(), 1);
  EXPECT_EQ(ticket.team_id(), team);
  EXPECT_EQ(ticket.partner_id(), partner_);
  EXPECT_EQ(ticket.contact_id(), contact_);
  EXPECT_EQ(ticket.requester_email(), "kiss.janos@futes.example");
  ASSERT_EQ(ticket.hand_overs_size(), 1);
  EXPECT_EQ(ticket.hand_overs(0).to_team_id(), team);

  // A type retired since the form was saved: the ticket still comes,
  // without it, and says so.
  v1::UpdateTicketTypeRequest retire;
  retire.mutable_ticket_type()->set_id(type.id());
  retire.mutable_ticket_type()->set_active(false);
  retire.mutable_update_mask()->add_paths("active");
  v1::TicketType retired;
  ASSERT_TRUE(types_->UpdateTicketType(As(support_).get(), retire, &retired).ok());
  context_.RecordedEvents().Deliver("web_form_intake",
                                    EventOf("crm.web_form.submitted", submission));
  ASSERT_EQ(Count("ticket"), "2");
  const auto second = std::stoll(QueryScalar(conninfo_, "SELECT max(id) FROM helpdesk.ticket"));
  ticket = Whole(second);
  EXPECT_EQ(ticket.type_id(), 0);
  ASSERT_EQ(ticket.comments_size(), 1);
  EXPECT_NE(ticket.comments(0).body().find("retired"), std::string::npos)
      << ticket.comments(0).body();
}

}  // namespace
}  // namespace karton::helpdesk::testing

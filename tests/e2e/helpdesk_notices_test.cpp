// Customer notices in a real kartond (docs/helpdesk.md, "Customer
// notices"): with the demo's templates, a ticket's requester gets an email
// through messaging when the ticket is received, waits on them and is
// resolved, each once, each recorded on the ticket; an address on the
// suppression list gets nothing and the ticket says the notice was skipped;
// a ticket that opted out is not noticed at all.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "crm_fixture.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;
namespace mv1 = messaging::v1;

class HelpdeskNoticesTest : public CrmTest {
 protected:
  HelpdeskNoticesTest() { modules_ = "crm,helpdesk"; }

  hv1::Ticket Open(const std::string& email, const std::string& name, bool off = false) {
    hv1::CreateTicketRequest create;
    create.mutable_ticket()->set_subject("Nem melegszik a radiátor");
    create.mutable_ticket()->set_requester_email(email);
    create.mutable_ticket()->set_requester_name(name);
    create.mutable_ticket()->set_customer_notices_off(off);
    hv1::Ticket ticket;
    const auto status =
        hv1::TicketService::NewStub(channel_)->CreateTicket(As().get(), create, &ticket);
    EXPECT_TRUE(status.ok()) << status.error_message();
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

  hv1::Ticket Read(std::int64_t id) {
    hv1::GetTicketRequest request;
    request.set_id(id);
    hv1::Ticket ticket;
    EXPECT_TRUE(
        hv1::TicketService::NewStub(channel_)->GetTicket(As().get(), request, &ticket).ok());
    return ticket;
  }

  // Waits until the notices' subscription has handled every ticket event
  // written so far (its cursor past the last of them; none in the outbox).
  bool WaitUntilNoticed() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto behind =
          QueryScalar(conninfo_,
                      "SELECT (SELECT count(*) FROM kernel.event_outbox) + (SELECT count(*) FROM "
                      "kernel.event e WHERE e.topic IN ('helpdesk.ticket.created', "
                      "'helpdesk.ticket.state_changed') AND e.id > coalesce((SELECT cursor FROM "
                      "kernel.event_subscription WHERE name = 'helpdesk.customer_notices'), 0))");
      if (behind == "0") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // The message a notice comment names ("... (message 812)").
  mv1::Message MessageOf(const std::string& comment) {
    const auto at = comment.rfind("(message ");
    EXPECT_NE(at, std::string::npos) << comment;
    mv1::GetMessageRequest request;
    request.set_id(std::stoll(comment.substr(at + 9)));
    mv1::Message message;
    EXPECT_TRUE(messaging_->GetMessage(As().get(), request, &message).ok());
    return message;
  }
};

TEST_F(HelpdeskNoticesTest, TheCustomerIsToldOfReceivedWaitingAndResolvedAndASuppressedOneIsNot) {
  Start({"--demo"});
  const auto ticket = Open("Uj.Ugyfel@Example.hu", "Új Ügyfél");
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(60)));
  Move(ticket.id(), hv1::TICKET_STATE_WAITING_ON_CUSTOMER);
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(60)));
  Move(ticket.id(), hv1::TICKET_STATE_OPEN);  // not a notice
  Move(ticket.id(), hv1::TICKET_STATE_RESOLVED);
  ASSERT_TRUE(sink_->WaitForMessages(3, std::chrono::seconds(60)));
  ASSERT_TRUE(WaitUntilNoticed());
  for (const auto& mail : sink_->Messages()) {
    ASSERT_EQ(mail.recipients.size(), 1u);
    EXPECT_EQ(mail.recipients[0], "uj.ugyfel@example.hu");
  }

  // Each notice on the ticket, with the message it became.
  const auto whole = Read(ticket.id());
  ASSERT_EQ(whole.comments_size(), 3);
  const char* subjects[] = {
      "Megkaptuk bejelentését: ", "Válaszára várunk: ", "Megoldottuk bejelentését: "};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(whole.comments(i).visibility(), hv1::COMMENT_VISIBILITY_INTERNAL);
    EXPECT_EQ(whole.comments(i).author_user_id(), 0);
    const auto message = MessageOf(whole.comments(i).body());
    EXPECT_EQ(message.subject(), subjects[i] + ticket.number());
    EXPECT_EQ(message.category(), mv1::CATEGORY_TRANSACTIONAL);
    EXPECT_EQ(message.address(), "uj.ugyfel@example.hu");
  }
  EXPECT_NE(MessageOf(whole.comments(0).body()).text_body().find("Kedves Új Ügyfél!"),
            std::string::npos);

  // An address that opted out (or hard-bounced): nothing, and the ticket
  // says why. A ticket that opted out: nothing at all.
  mv1::CreateSuppressionRequest suppress;
  suppress.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
  suppress.mutable_suppression()->set_address("letiltott@example.hu");
  suppress.mutable_suppression()->set_reason("Telefonon kérte");
  mv1::Suppression suppression;
  ASSERT_TRUE(messaging_->CreateSuppression(As().get(), suppress, &suppression).ok());
  const auto suppressed = Open("letiltott@example.hu", "");
  const auto quiet = Open("csendes@example.hu", "Csendes Ügyfél", true);
  Move(quiet.id(), hv1::TICKET_STATE_RESOLVED);
  ASSERT_TRUE(WaitUntilNoticed());
  const auto skipped = Read(suppressed.id());
  ASSERT_EQ(skipped.comments_size(), 1);
  EXPECT_EQ(skipped.comments(0).body(),
            "Customer notice 'received': skipped, letiltott@example.hu is on the suppression "
            "list (an opt-out recorded by hand)");
  EXPECT_EQ(Read(quiet.id()).comments_size(), 0);
  // Messaging was asked for nothing more: three messages in all.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM messaging.message WHERE "
                        "idempotency_key LIKE 'helpdesk.notice/%'"),
            "3");
  EXPECT_EQ(sink_->Messages().size(), 3u);
}

}  // namespace
}  // namespace karton::testing

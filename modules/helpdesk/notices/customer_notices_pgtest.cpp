// Customer notices on a throwaway database (helpdesk_test_fixture.h): the
// events of a ticket's life delivered to the subscriber as the kernel
// would (twice, as after a crash), the emails asked of messaging (in
// memory), each notice's outcome on the ticket once; a suppressed address
// skipped and recorded; a ticket that opted out, and one without an
// address, told nothing; messaging unavailable retried.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "helpdesk_test_fixture.h"
#include "notices/customer_notices.h"

namespace karton::helpdesk {
namespace {

using karton::testing::QueryScalar;

class CustomerNoticesTest : public testing::HelpdeskServicesTest {
 protected:
  void SetUp() override {
    HelpdeskServicesTest::SetUp();
    notices_ = std::make_unique<CustomerNotices>(*parts_, outreach_);
  }

  // Every event published so far, delivered in order (ids 1, 2, ...).
  void DeliverAll() {
    const auto published = context_.RecordedEvents().Published();
    for (std::size_t i = 0; i < published.size(); ++i) {
      kernel::Event event;
      event.id = static_cast<std::int64_t>(i + 1);
      event.topic = published[i].topic;
      event.aggregate_id = published[i].aggregate_id;
      event.module = "helpdesk";
      event.payload_type = published[i].payload_type;
      event.payload = published[i].payload;
      notices_->Handle(event);
    }
  }

  v1::Ticket CreateFrom(const std::string& email, const std::string& name, bool off = false,
                        std::int64_t partner = 0, std::int64_t contact = 0) {
    v1::CreateTicketRequest request;
    request.mutable_ticket()->set_subject("Nem indul a kazán");
    request.mutable_ticket()->set_requester_email(email);
    request.mutable_ticket()->set_requester_name(name);
    request.mutable_ticket()->set_customer_notices_off(off);
    request.mutable_ticket()->set_partner_id(partner);
    request.mutable_ticket()->set_contact_id(contact);
    v1::Ticket created;
    const auto status = stub_->CreateTicket(As(support_).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::vector<std::string> Comments(std::int64_t id) {
    v1::Ticket whole;
    EXPECT_TRUE(Get(id, support_, whole).ok());
    std::vector<std::string> bodies;
    for (const auto& comment : whole.comments()) {
      EXPECT_EQ(comment.visibility(), v1::COMMENT_VISIBILITY_INTERNAL);
      bodies.push_back(comment.body());
    }
    return bodies;
  }

  std::unique_ptr<CustomerNotices> notices_;
};

TEST_F(CustomerNoticesTest, TheCustomerHearsOfReceivedWaitingAndResolvedOnceEach) {
  const auto ticket = CreateFrom("Kiss.Janos@Futes.example", "Kiss János");
  ASSERT_EQ(ticket.partner_id(), partner_);  // matched by the address
  v1::Ticket moved;
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_WAITING_ON_CUSTOMER, moved).ok());
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_OPEN, moved).ok());  // no notice
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  DeliverAll();
  DeliverAll();  // a repeated delivery sends nothing again

  ASSERT_EQ(outreach_.emails.size(), 3u);
  const std::vector<std::string> templates = {"helpdesk_ticket_received",
                                              "helpdesk_ticket_waiting_on_customer",
                                              "helpdesk_ticket_resolved"};
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& email = outreach_.emails[i];
    EXPECT_EQ(email.template_name(), templates[i]);
    EXPECT_EQ(email.category(), messaging::v1::CATEGORY_TRANSACTIONAL);
    EXPECT_EQ(email.channel(), messaging::v1::CHANNEL_EMAIL);
    EXPECT_EQ(email.recipient().address(), "kiss.janos@futes.example");
    EXPECT_EQ(email.recipient().partner_id(), partner_);
    EXPECT_EQ(email.recipient().contact_id(), contact_);
    EXPECT_EQ(email.language(), "hu");
    EXPECT_EQ(
        email.variables().fields().at("ticket").struct_value().fields().at("number").string_value(),
        ticket.number());
    EXPECT_EQ(email.variables()
                  .fields()
                  .at("requester")
                  .struct_value()
                  .fields()
                  .at("name")
                  .string_value(),
              "Kiss János");
    keys.push_back(email.idempotency_key());
  }
  EXPECT_NE(keys[0], keys[1]);
  EXPECT_NE(keys[1], keys[2]);
  EXPECT_EQ(keys[0].rfind("helpdesk.notice/" + std::to_string(ticket.id()) + "/", 0), 0u);

  const auto comments = Comments(ticket.id());
  ASSERT_EQ(comments.size(), 3u);
  EXPECT_EQ(comments[0],
            "Customer notice 'received': email 'helpdesk_ticket_received' sent to "
            "kiss.janos@futes.example (message 9001)");
  EXPECT_NE(comments[1].find("'waiting_on_customer'"), std::string::npos);
  EXPECT_NE(comments[2].find("'helpdesk_ticket_resolved' sent"), std::string::npos);
  // The notices are not changes of the ticket: its etag stays.
  v1::Ticket now;
  ASSERT_TRUE(Get(ticket.id(), support_, now).ok());
  EXPECT_EQ(now.etag(), moved.etag());
}

TEST_F(CustomerNoticesTest, ASuppressedAddressGetsNothingAndTheTicketSaysSkipped) {
  outreach_.suppressed.insert("visszapattan@example.hu");
  const auto ticket = CreateFrom("visszapattan@example.hu", "");
  DeliverAll();
  DeliverAll();
  EXPECT_TRUE(outreach_.emails.empty());
  const auto comments = Comments(ticket.id());
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0],
            "Customer notice 'received': skipped, visszapattan@example.hu is on the "
            "suppression list (a hard bounce)");
}

TEST_F(CustomerNoticesTest, ATicketThatOptedOutAndOneWithoutAnAddressAreNotNoticed) {
  const auto quiet = CreateFrom("kiss.janos@futes.example", "Kiss János", true);
  EXPECT_TRUE(quiet.customer_notices_off());
  const auto nobody = Create("Belső: nyomtató csere", support_);
  v1::Ticket moved;
  ASSERT_TRUE(Move(quiet.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  ASSERT_TRUE(Move(nobody.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  DeliverAll();
  EXPECT_TRUE(outreach_.emails.empty());
  EXPECT_TRUE(Comments(quiet.id()).empty());
  EXPECT_TRUE(Comments(nobody.id()).empty());

  // Turned back on (with a mask: false is the default), the next notice goes.
  v1::UpdateTicketRequest update;
  update.mutable_ticket()->set_id(quiet.id());
  update.mutable_ticket()->set_customer_notices_off(false);
  update.mutable_update_mask()->add_paths("customer_notices_off");
  v1::Ticket updated;
  ASSERT_TRUE(stub_->UpdateTicket(As(support_).get(), update, &updated).ok());
  EXPECT_FALSE(updated.customer_notices_off());
  ASSERT_TRUE(Move(quiet.id(), v1::TICKET_STATE_OPEN, moved).ok());
  ASSERT_TRUE(Move(quiet.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  DeliverAll();
  ASSERT_EQ(outreach_.emails.size(), 1u);
  EXPECT_EQ(outreach_.emails[0].template_name(), "helpdesk_ticket_resolved");
}

TEST_F(CustomerNoticesTest, TheContactsAddressAndThePartnersLanguageWithoutARequesterAddress) {
  QueryScalar(conninfo_,
              "UPDATE partners.contact SET emails = ARRAY['Janos@Futes.example'] "
              "WHERE id = " +
                  std::to_string(contact_) + " RETURNING id");
  QueryScalar(conninfo_, "UPDATE partners.partner SET preferred_language = 'en' WHERE id = " +
                             std::to_string(partner_) + " RETURNING id");
  CreateFrom("", "", false, partner_, contact_);
  DeliverAll();
  ASSERT_EQ(outreach_.emails.size(), 1u);
  EXPECT_EQ(outreach_.emails[0].recipient().address(), "janos@futes.example");
  EXPECT_EQ(outreach_.emails[0].language(), "en");
  EXPECT_EQ(outreach_.emails[0].variables().fields().count("requester"), 0u);
}

TEST_F(CustomerNoticesTest, MessagingUnavailableIsRetriedAndNotRecorded) {
  const auto ticket = CreateFrom("kiss.janos@futes.example", "Kiss János");
  outreach_.email_answer = {grpc::StatusCode::UNAVAILABLE, "messaging is restarting"};
  EXPECT_THROW(DeliverAll(), std::runtime_error);
  EXPECT_TRUE(Comments(ticket.id()).empty());
  outreach_.suppression_answer = {grpc::StatusCode::UNAVAILABLE, "messaging is restarting"};
  EXPECT_THROW(DeliverAll(), std::runtime_error);
  outreach_.email_answer = grpc::Status::OK;
  outreach_.suppression_answer = grpc::Status::OK;
  DeliverAll();
  EXPECT_EQ(outreach_.emails.size(), 1u);
  EXPECT_EQ(Comments(ticket.id()).size(), 1u);
  // A refusal (a template that does not exist) is recorded, not retried.
  outreach_.email_answer = {grpc::StatusCode::INVALID_ARGUMENT,
                            "template_name: no email template 'helpdesk_ticket_resolved'"};
  v1::Ticket moved;
  ASSERT_TRUE(Move(ticket.id(), v1::TICKET_STATE_RESOLVED, moved).ok());
  DeliverAll();
  const auto comments = Comments(ticket.id());
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_NE(comments[1].find("not sent, messaging refused: template_name"), std::string::npos);
}

}  // namespace
}  // namespace karton::helpdesk

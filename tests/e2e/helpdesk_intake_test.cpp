// Tickets that open by themselves (docs/helpdesk.md, "Where tickets come
// from"), in a real kartond with crm and the helpdesk: email to the routed
// support address, polled from a real Dovecot (tests/e2e/imap_server.h),
// and posts of a web form whose target is TICKET. Each makes one ticket,
// however often its event is delivered, and no crm lead; the customer's
// replies comment and reopen.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <tuple>

#include "crm_fixture.h"
#include "imap_server.h"
#include "karton/helpdesk/v1/ticket_service.grpc.pb.h"
#include "karton/helpdesk/v1/ticket_type_service.grpc.pb.h"

namespace karton::testing {
namespace {

namespace hv1 = helpdesk::v1;
namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;

// The field an INVALID_ARGUMENT or FAILED_PRECONDITION names first.
std::string FirstField(const grpc::Status& status) {
  const auto violations = kernel::FieldViolationsOf(status);
  return violations.empty() ? "" : violations.front().field;
}

class HelpdeskIntakeTest : public CrmTest {
 protected:
  HelpdeskIntakeTest() { modules_ = "crm,helpdesk"; }

  void StartWithMailbox() {
    Start({"--module-option", "messaging.imap_url=" + imap_.Url(), "--module-option",
           "messaging.inbound_poll_seconds=1", "--module-option",
           "messaging.inbound_unknown_sender=lead", "--module-option",
           "messaging.inbound_routes=Support@Karton.Example=helpdesk"});
  }

  std::string Sql(const std::string& sql) const { return QueryScalar(conninfo_, sql); }

  // Waits (bounded) until `count` inbound emails are processed, then until
  // their events have been followed.
  void WaitProcessed(int count) {
    bool processed = false;
    for (int i = 0; i < 600 && !processed; ++i) {
      processed = std::stoi(Sql("SELECT count(*) FROM messaging.inbound_email WHERE status = "
                                "'processed'")) >= count;
      if (!processed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(processed) << kartond_->Stderr() << imap_.Log();
    ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));
  }

  // Delivers every event after `event_id` to the helpdesk's subscription
  // `name` again, as after a crash between a handler and its cursor.
  void Redeliver(const std::string& name, const std::string& event_id) {
    ASSERT_FALSE(event_id.empty());
    ASSERT_EQ(Sql(fmt::format("UPDATE kernel.event_subscription SET cursor = {} - 1 WHERE name = "
                              "'helpdesk.{}' RETURNING cursor + 1",
                              event_id, name)),
              event_id);
    ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));
    // Delivered again, and handled: past the last event, nothing parked.
    EXPECT_EQ(Sql(fmt::format("SELECT cursor >= {} AND parked_count = 0 AND "
                              "consecutive_failures = 0 FROM kernel.event_subscription WHERE "
                              "name = 'helpdesk.{}'",
                              event_id, name)),
              "t");
  }

  // The customer's comments on a ticket, oldest first (kartond also notes
  // its notices and steps on it).
  static std::vector<hv1::TicketComment> FromCustomer(const hv1::Ticket& ticket) {
    std::vector<hv1::TicketComment> comments;
    for (const auto& comment : ticket.comments()) {
      if (comment.from_customer()) comments.push_back(comment);
    }
    return comments;
  }

  // Whether an internal comment on the ticket mentions `text`.
  static bool Notes(const hv1::Ticket& ticket, const std::string& text) {
    for (const auto& comment : ticket.comments()) {
      if (comment.visibility() == hv1::COMMENT_VISIBILITY_INTERNAL &&
          comment.body().find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::vector<hv1::Ticket> Tickets() {
    hv1::ListTicketsRequest request;
    request.set_page_size(1000);
    hv1::ListTicketsResponse response;
    const auto status =
        hv1::TicketService::NewStub(channel_)->ListTickets(As().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.tickets().rbegin(), response.tickets().rend()};  // oldest first
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

  std::int64_t NewTicketType(const std::string& name, const std::string& template_name = "") {
    hv1::CreateTicketTypeRequest request;
    auto* type = request.mutable_ticket_type();
    type->set_name(name);
    auto* step = type->add_steps();
    step->set_name("Rögzítés");
    if (!template_name.empty()) {
      step->add_actions()->mutable_email_customer()->set_template_name(template_name);
    }
    type->add_steps()->set_name("Javítás");
    hv1::TicketType created;
    const auto status =
        hv1::TicketTypeService::NewStub(channel_)->CreateTicketType(As().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.id();
  }

  struct Customer {
    std::int64_t partner = 0;
    std::int64_t contact = 0;
  };
  Customer NewCustomer() {
    pv1::CreatePartnerRequest partner_request;
    partner_request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
    partner_request.mutable_partner()->set_display_name("Kovács Kft.");
    pv1::Partner partner;
    EXPECT_TRUE(partners_->CreatePartner(As().get(), partner_request, &partner).ok());
    pv1::CreateContactRequest contact_request;
    contact_request.set_partner_id(partner.id());
    contact_request.mutable_contact()->set_name("Kovács Béla");
    contact_request.mutable_contact()->add_emails("bela@kovacs.example");
    contact_request.mutable_contact()->add_phones("+36301234567");
    pv1::Contact contact;
    EXPECT_TRUE(partners_->CreateContact(As().get(), contact_request, &contact).ok());
    return {partner.id(), contact.id()};
  }

  static std::string Mail(const std::string& from, const std::string& to,
                          const std::string& subject, const std::string& message_id,
                          const std::string& text, const std::string& in_reply_to = "") {
    std::string headers = fmt::format("From: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\n",
                                      from, to, subject, message_id);
    if (!in_reply_to.empty()) {
      headers += fmt::format("In-Reply-To: <{0}>\r\nReferences: <{0}>\r\n", in_reply_to);
    }
    return headers + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
           "Content-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n";
  }

  ImapServer imap_;
};

TEST_F(HelpdeskIntakeTest, EmailToSupportOpensOneTicketAndTheRepliesCommentAndReopen) {
  StartWithMailbox();
  const Customer customer = NewCustomer();
  imap_.Append(Mail("=?UTF-8?Q?Kov=C3=A1cs_B=C3=A9la?= <Bela@Kovacs.example>",
                    "=?UTF-8?B?w5xneWbDqWxzem9sZ8OhbGF0?= <support@karton.example>",
                    "=?UTF-8?Q?Nem_indul_a_kaz=C3=A1n?=", "first@kovacs.example",
                    "Reggel óta nem indul a kazán.\r\nE03 hibakódot mutat."));
  // An unknown sender writing to support (among others) gets a ticket, not
  // a lead.
  imap_.Append(Mail("Idegen Ede <stranger@elsewhere.example>",
                    "info@karton.example, Support <SUPPORT@karton.example>", "Csöpög a csap",
                    "stranger-1@elsewhere.example", "A fürdőszobában."));
  // Email to another address stays as it was: an unknown sender's lead.
  imap_.Append(Mail("Vevő Vera <vera@elsewhere.example>", "ajanlat@karton.example", "Ajánlatkérés",
                    "vera-1@elsewhere.example", "Kérnék egy ajánlatot."));
  WaitProcessed(3);

  auto tickets = Tickets();
  ASSERT_EQ(tickets.size(), 2U);
  // The two emails may be processed in either order.
  if (tickets[0].requester_email() != "bela@kovacs.example") std::swap(tickets[0], tickets[1]);
  const hv1::Ticket ticket = Read(tickets[0].id());
  EXPECT_EQ(ticket.source(), hv1::TICKET_SOURCE_EMAIL);
  EXPECT_EQ(ticket.subject(), "Nem indul a kazán");
  EXPECT_EQ(ticket.description(), "Reggel óta nem indul a kazán.\nE03 hibakódot mutat.");
  EXPECT_EQ(ticket.requester_name(), "Kovács Béla");
  EXPECT_EQ(ticket.requester_email(), "bela@kovacs.example");
  EXPECT_EQ(ticket.partner_id(), customer.partner);
  EXPECT_EQ(ticket.contact_id(), customer.contact);
  EXPECT_EQ(ticket.state(), hv1::TICKET_STATE_NEW);
  EXPECT_EQ(ticket.created_by_user_id(), 0);
  const hv1::Ticket stranger = Read(tickets[1].id());
  EXPECT_EQ(stranger.requester_email(), "stranger@elsewhere.example");
  EXPECT_EQ(stranger.partner_id(), 0);
  EXPECT_EQ(Sql("SELECT kind || ' ' || route FROM messaging.inbound_email WHERE message_key = "
                "'stranger-1@elsewhere.example'"),
            "unknown_sender_routed helpdesk");
  // No lead for the helpdesk's email; Vera's lead as before.
  const auto leads = AllLeads();
  ASSERT_EQ(leads.size(), 1U);
  EXPECT_EQ(leads[0].email(), "vera@elsewhere.example");

  // Delivered to the helpdesk again (a crash before its cursor moved):
  // the request ids keep it at one ticket each.
  Redeliver("email_intake",
            Sql("SELECT min(id) FROM kernel.event WHERE topic = 'messaging.email.received'"));
  EXPECT_EQ(Tickets().size(), 2U);

  // A reply quoting the ticket's number, while it waits on the customer: a
  // public comment from the customer, and open again.
  Move(ticket.id(), hv1::TICKET_STATE_WAITING_ON_CUSTOMER);
  imap_.Append(Mail("bela@kovacs.example", "support@karton.example",
                    fmt::format("Re: [{}] Nem indul a kazán", ticket.number()),
                    "reply-1@kovacs.example", "A szerelő ma délután ráér?"));
  WaitProcessed(4);
  auto replied = Read(ticket.id());
  EXPECT_EQ(replied.state(), hv1::TICKET_STATE_OPEN);
  EXPECT_EQ(replied.reopen_count(), 0);
  auto said = FromCustomer(replied);
  ASSERT_EQ(said.size(), 1U);
  EXPECT_EQ(said[0].body(), "A szerelő ma délután ráér?");
  EXPECT_EQ(said[0].visibility(), hv1::COMMENT_VISIBILITY_PUBLIC);
  EXPECT_EQ(said[0].author_user_id(), 0);

  // The helpdesk emails the customer (a step of the ticket's type); an
  // answer to that email, its subject without the number, reopens the
  // resolved ticket.
  mv1::CreateTemplateRequest template_request;
  auto* tmpl = template_request.mutable_template_();
  tmpl->set_name("helpdesk_received");
  tmpl->set_language("hu");
  tmpl->set_channel(mv1::CHANNEL_EMAIL);
  tmpl->set_subject("Megkaptuk");
  tmpl->set_text_body("Bejelentését rögzítettük: {{ticket.number}}");
  mv1::Template created_template;
  ASSERT_TRUE(messaging_->CreateTemplate(As().get(), template_request, &created_template).ok());
  hv1::UpdateTicketRequest update;
  update.mutable_ticket()->set_id(ticket.id());
  update.mutable_ticket()->set_type_id(NewTicketType("Javítás", "helpdesk_received"));
  update.mutable_update_mask()->add_paths("type_id");
  hv1::Ticket typed;
  const auto updated =
      hv1::TicketService::NewStub(channel_)->UpdateTicket(As().get(), update, &typed);
  ASSERT_TRUE(updated.ok()) << updated.error_message();
  std::string sent_id;
  for (int i = 0; i < 300 && sent_id.empty(); ++i) {
    sent_id =
        Sql(fmt::format("SELECT provider_message_id FROM messaging.message WHERE "
                        "idempotency_key LIKE 'helpdesk.step/{}/%' AND status = 'sent'",
                        ticket.id()));
    if (sent_id.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(sent_id.empty()) << kartond_->Stderr();
  Move(ticket.id(), hv1::TICKET_STATE_RESOLVED);
  imap_.Append(Mail("Kovács Béla <bela@kovacs.example>", "support@karton.example", "Re: Megkaptuk",
                    "reply-2@kovacs.example", "Megint nem indul.", sent_id));
  WaitProcessed(5);
  replied = Read(ticket.id());
  EXPECT_EQ(replied.state(), hv1::TICKET_STATE_OPEN);
  EXPECT_EQ(replied.reopen_count(), 1);
  said = FromCustomer(replied);
  ASSERT_EQ(said.size(), 2U);
  EXPECT_EQ(said[1].body(), "Megint nem indul.");
  EXPECT_EQ(Tickets().size(), 2U);

  // A reply to a closed ticket opens a new one that names it.
  Move(ticket.id(), hv1::TICKET_STATE_CLOSED);
  imap_.Append(Mail("bela@kovacs.example", "support@karton.example",
                    fmt::format("Re: {} Nem indul a kazán", ticket.number()),
                    "reply-3@kovacs.example", "Újra ugyanaz a hiba."));
  WaitProcessed(6);
  tickets = Tickets();
  ASSERT_EQ(tickets.size(), 3U);
  const hv1::Ticket follow_up = Read(tickets[2].id());
  EXPECT_EQ(follow_up.source(), hv1::TICKET_SOURCE_EMAIL);
  EXPECT_EQ(follow_up.description(), "Újra ugyanaz a hiba.");
  EXPECT_EQ(follow_up.contact_id(), customer.contact);
  EXPECT_TRUE(Notes(follow_up, ticket.number()));
  EXPECT_TRUE(FromCustomer(follow_up).empty());
  const hv1::Ticket closed = Read(ticket.id());
  EXPECT_EQ(closed.state(), hv1::TICKET_STATE_CLOSED);
  EXPECT_TRUE(Notes(closed, follow_up.number()));
  EXPECT_EQ(FromCustomer(closed).size(), 2U);
  EXPECT_EQ(AllLeads().size(), 1U);
}

TEST_F(HelpdeskIntakeTest, AWebFormRoutedToTheHelpdeskMakesATicketAndNoLead) {
  Start();
  const Customer customer = NewCustomer();
  const auto support = NewColleague("eva@karton.example", kv1::ROLE_SUPPORT);
  const std::int64_t team = NewTeam("Ügyfélszolgálat", {support.id});
  const std::int64_t type = NewTicketType("Javítás");

  cv1::CreateWebFormRequest create;
  auto* form = create.mutable_web_form();
  form->set_slug("hiba");
  form->set_title("Hibabejelentés");
  form->set_target(cv1::WEB_FORM_TARGET_TICKET);
  form->set_ticket_type_id(type + 1000);
  for (const auto& [name, field_type, required] :
       {std::tuple{"name", cv1::WEB_FORM_FIELD_TYPE_TEXT, true},
        std::tuple{"email", cv1::WEB_FORM_FIELD_TYPE_EMAIL, false},
        std::tuple{"phone", cv1::WEB_FORM_FIELD_TYPE_PHONE, false},
        std::tuple{"message", cv1::WEB_FORM_FIELD_TYPE_TEXTAREA, true},
        std::tuple{"serial", cv1::WEB_FORM_FIELD_TYPE_TEXT, false}}) {
    auto* field = form->add_fields();
    field->set_name(name);
    field->set_label(name);
    field->set_type(field_type);
    field->set_required(required);
  }
  auto* category = form->add_categories();
  category->set_key("repair");
  category->set_label("Javítás");
  category->set_team_id(team);
  cv1::WebForm created;
  // Bad input names its field and makes no form: a ticket type that does
  // not exist, a ticket type on a lead form.
  auto status = forms_->CreateWebForm(As().get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FirstField(status), "web_form.ticket_type_id") << status.error_message();
  form->set_target(cv1::WEB_FORM_TARGET_LEAD);
  form->set_ticket_type_id(type);
  status = forms_->CreateWebForm(As().get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FirstField(status), "web_form.ticket_type_id") << status.error_message();
  EXPECT_EQ(Sql("SELECT count(*) FROM crm.web_form"), "0");
  form->set_target(cv1::WEB_FORM_TARGET_TICKET);
  status = forms_->CreateWebForm(As().get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.target(), cv1::WEB_FORM_TARGET_TICKET);
  EXPECT_EQ(created.ticket_type_id(), type);

  std::string answer;
  // A post the form refuses makes nothing.
  EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/forms/hiba",
                     {{"Content-Type", "application/json"}},
                     R"({"name": "Kovács Béla", "category": "repair"})", answer),
            400);
  EXPECT_NE(answer.find("\"field\":\"message\""), std::string::npos) << answer;
  EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/forms/hiba",
                     {{"Content-Type", "application/json"}},
                     R"({"name": "Kovács Béla", "phone": "06 30 123 4567", "message": "Csöpög a )"
                     R"(csap.", "serial": "SN-77", "category": "repair"})",
                     answer),
            201)
      << answer;
  EXPECT_EQ(answer, "{\"status\":\"received\"}\n");
  ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));

  auto tickets = Tickets();
  ASSERT_EQ(tickets.size(), 1U);
  const hv1::Ticket ticket = Read(tickets[0].id());
  EXPECT_EQ(ticket.source(), hv1::TICKET_SOURCE_WEB_FORM);
  EXPECT_EQ(ticket.subject(), "Hibabejelentés: Kovács Béla");
  EXPECT_EQ(ticket.description(), "Csöpög a csap.\n\ncategory: repair\nserial: SN-77");
  EXPECT_EQ(ticket.type_id(), type);
  EXPECT_EQ(ticket.current_step(), 1);
  EXPECT_EQ(ticket.requester_phone(), "+36301234567");
  // Found by the phone number: the contact and its partner.
  EXPECT_EQ(ticket.partner_id(), customer.partner);
  EXPECT_EQ(ticket.contact_id(), customer.contact);
  EXPECT_EQ(ticket.team_id(), team);
  EXPECT_TRUE(AllLeads().empty());

  Redeliver("web_form_intake",
            Sql("SELECT min(id) FROM kernel.event WHERE topic = 'crm.web_form.submitted'"));
  EXPECT_EQ(Tickets().size(), 1U);
  EXPECT_TRUE(AllLeads().empty());
}

TEST_F(HelpdeskIntakeTest, ATicketFormNeedsTheHelpdesk) {
  modules_ = "crm";
  Start();
  cv1::CreateWebFormRequest create;
  auto* form = create.mutable_web_form();
  form->set_slug("hiba");
  form->set_title("Hibabejelentés");
  form->set_target(cv1::WEB_FORM_TARGET_TICKET);
  auto* field = form->add_fields();
  field->set_name("email");
  field->set_label("E-mail");
  field->set_type(cv1::WEB_FORM_FIELD_TYPE_EMAIL);
  cv1::WebForm created;
  const auto status = forms_->CreateWebForm(As().get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(FirstField(status), "web_form.target") << status.error_message();
}

}  // namespace
}  // namespace karton::testing

// Messaging's story, end to end against a real kartond and SMTP server: the
// office writes a seasonal offer once as a template, sends it to a customer,
// and the mail arrives once, however often the button is pressed, and stays
// on the customer's card. The detailed rules have tests of their own
// (messaging_test, messaging_channels_test, messaging_consent_test).
#include <chrono>
#include <thread>

#include "messaging_fixture.h"

namespace karton::testing {
namespace {

TEST_F(MessagingTest, ScenarioAnOfferFromATemplateReachesTheCustomerOnceAndStaysOnTheCard) {
  Start();

  // The office writes the autumn offer once, for every customer.
  mv1::CreateTemplateRequest create_template;
  auto* offer = create_template.mutable_template_();
  offer->set_name("oszi_ajanlat");
  offer->set_language("hu");
  offer->set_channel(mv1::CHANNEL_EMAIL);
  offer->set_subject("Őszi ajánlat: {{partner.displayName}}");
  offer->set_text_body("Kedves {{partner.displayName}}!\nKazánellenőrzés 20% kedvezménnyel.\n");
  mv1::Template stored;
  ASSERT_TRUE(messaging_->CreateTemplate(Call().get(), create_template, &stored).ok());

  // A customer the partners module knows, with an email address.
  const pv1::Partner customer = CreatePartner("Kovács és Társa Kft.", "iroda@kovacs.example");

  // Sending it to the customer renders it for them; pressing the button
  // twice (one idempotency key) sends one mail.
  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_partner_id(customer.id());
  send.set_template_name("oszi_ajanlat");
  send.set_language("hu");
  send.set_idempotency_key("oszi-ajanlat-" + std::to_string(customer.id()));
  mv1::Message queued, again;
  auto status = messaging_->SendMessage(Call().get(), send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(messaging_->SendMessage(Call().get(), send, &again).ok());
  EXPECT_EQ(again.id(), queued.id());
  EXPECT_EQ(queued.address(), "iroda@kovacs.example");
  EXPECT_EQ(queued.subject(), "Őszi ajánlat: Kovács és Társa Kft.");

  // It leaves by SMTP, once.
  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(10)));
  EXPECT_EQ(sink_->Messages().size(), 1u);
  EXPECT_EQ(sink_->Messages().at(0).recipients, std::vector<std::string>{"iroda@kovacs.example"});

  // The customer's card shows it: whoever opens the partner later sees that
  // the offer went out, and when.
  pv1::ListTimelineRequest timeline;
  timeline.set_partner_id(customer.id());
  pv1::ListTimelineResponse entries;
  for (int i = 0; i < 100 && entries.interactions_size() == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    entries.Clear();
    ASSERT_TRUE(partners_->ListTimeline(Call().get(), timeline, &entries).ok());
  }
  ASSERT_EQ(entries.interactions_size(), 1);
  EXPECT_EQ(entries.interactions(0).subject(), "Őszi ajánlat: Kovács és Társa Kft.");
  EXPECT_EQ(entries.interactions(0).direction(), pv1::INTERACTION_DIRECTION_OUTBOUND);
  EXPECT_EQ(entries.interactions(0).source_reference(), std::to_string(sent.id()));

  // And the customer's messages list it as sent.
  mv1::ListMessagesRequest list;
  list.set_partner_id(customer.id());
  mv1::ListMessagesResponse messages;
  ASSERT_TRUE(messaging_->ListMessages(Call().get(), list, &messages).ok());
  ASSERT_EQ(messages.messages_size(), 1);
  EXPECT_EQ(messages.messages(0).status(), mv1::MESSAGE_STATUS_SENT);
}

}  // namespace
}  // namespace karton::testing

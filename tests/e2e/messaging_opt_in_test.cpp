// Marketing needs an opt-in per channel (issue 16): the consent the
// partners module keeps decides whether a marketing message goes out, when
// it is queued and again just before delivery; the option
// messaging.marketing_requires_opt_in turns the rule off.
#include "messaging_fixture.h"

namespace karton::testing {
namespace {

class MessagingOptInTest : public MessagingTest {
 protected:
  mv1::Message SendMarketing(std::int64_t partner_id, std::int64_t contact_id = 0,
                             const std::string& address = "") {
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(mv1::CATEGORY_MARKETING);
    request.mutable_recipient()->set_partner_id(partner_id);
    request.mutable_recipient()->set_contact_id(contact_id);
    request.mutable_recipient()->set_address(address);
    request.set_language("hu");
    request.set_subject("Téli akció");
    request.set_text_body("Minden kazáncserére 10% kedvezmény.");
    mv1::Message message;
    const auto status = messaging_->SendMessage(Call().get(), request, &message);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return message;
  }
};

TEST_F(MessagingOptInTest, MarketingGoesOnlyToPeopleWhoOptedInOnItsChannel) {
  Start();
  const pv1::Partner partner = CreatePartner("Kovács és Társa Kft.", "iroda@kovacs.example");

  // Nobody asked: suppressed at once, naming the missing consent.
  const mv1::Message unasked = SendMarketing(partner.id());
  EXPECT_EQ(unasked.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(unasked.last_error(), "no marketing consent for email");
  // Transactional mail needs none.
  const mv1::Message invoice = SendInline("iroda@kovacs.example");
  EXPECT_EQ(WaitForStatus(invoice.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT);

  // Opted in: it goes, and the partner card says so.
  const pv1::MarketingConsent granted = RecordConsent(partner.id(), true);
  EXPECT_EQ(granted.partner_id(), partner.id());
  EXPECT_EQ(granted.source(), pv1::CONSENT_SOURCE_PHONE);
  EXPECT_GT(granted.recorded_by_user_id(), 0);
  EXPECT_TRUE(granted.has_record_time());
  pv1::GetPartnerRequest get;
  get.set_id(partner.id());
  pv1::Partner card;
  ASSERT_TRUE(partners_->GetPartner(Call().get(), get, &card).ok());
  ASSERT_EQ(card.marketing_consents_size(), 1);
  EXPECT_EQ(card.marketing_consents(0).channel(), pv1::MARKETING_CHANNEL_EMAIL);
  EXPECT_TRUE(card.marketing_consents(0).granted());
  const mv1::Message welcome = SendMarketing(partner.id());
  EXPECT_EQ(WaitForStatus(welcome.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT)
      << welcome.last_error();

  // An opt-in for email is none for SMS or letters.
  RecordConsent(partner.id(), true, pv1::MARKETING_CHANNEL_SMS);
  ASSERT_TRUE(partners_->GetPartner(Call().get(), get, &card).ok());
  EXPECT_EQ(card.marketing_consents_size(), 2);

  // Withdrawn: suppressed again, and the history keeps both, newest first.
  RecordConsent(partner.id(), false);
  const mv1::Message after = SendMarketing(partner.id());
  EXPECT_EQ(after.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(after.last_error(), "no marketing consent for email: withdrawn");
  pv1::ListMarketingConsentsRequest list;
  list.set_partner_id(partner.id());
  pv1::ListMarketingConsentsResponse history;
  ASSERT_TRUE(partners_->ListMarketingConsents(Call().get(), list, &history).ok());
  ASSERT_EQ(history.consents_size(), 3);
  EXPECT_FALSE(history.consents(0).granted());
  EXPECT_EQ(history.consents(0).channel(), pv1::MARKETING_CHANNEL_EMAIL);
  EXPECT_EQ(history.consents(2).id(), granted.id());

  // A contact's consent is the contact's own: the partner's is not theirs.
  RecordConsent(partner.id(), true);
  pv1::CreateContactRequest create_contact;
  create_contact.set_partner_id(partner.id());
  create_contact.mutable_contact()->set_name("Kovács Béla");
  create_contact.mutable_contact()->add_emails("bela@kovacs.example");
  pv1::Contact contact;
  ASSERT_TRUE(partners_->CreateContact(Call().get(), create_contact, &contact).ok());
  const mv1::Message to_bela = SendMarketing(0, contact.id());
  EXPECT_EQ(to_bela.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(to_bela.last_error(), "no marketing consent for email");
  RecordConsent(partner.id(), true, pv1::MARKETING_CHANNEL_EMAIL, contact.id());
  const mv1::Message to_bela_again = SendMarketing(0, contact.id());
  EXPECT_EQ(WaitForStatus(to_bela_again.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT)
      << to_bela_again.last_error();

  // A bare address has nobody to hold a consent.
  mv1::SendMessageRequest bare;
  bare.set_channel(mv1::CHANNEL_EMAIL);
  bare.set_category(mv1::CATEGORY_MARKETING);
  bare.mutable_recipient()->set_address("valaki@example.com");
  bare.set_subject("Téli akció");
  bare.set_text_body("Minden kazáncserére 10% kedvezmény.");
  mv1::Message unknown;
  ASSERT_TRUE(messaging_->SendMessage(Call().get(), bare, &unknown).ok());
  EXPECT_EQ(unknown.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(unknown.last_error().rfind("no marketing consent for email", 0), 0u)
      << unknown.last_error();
}

TEST_F(MessagingOptInTest, AConsentWithdrawnWhileTheMessageWaitsStopsItBeforeDelivery) {
  // The SMTP server refuses the first three attempts (retried after 1, 2
  // and 4 seconds): the withdrawal lands while the message waits.
  Start(/*temporary_failures=*/3);
  const pv1::Partner partner = CreatePartner("Nagy Péter", "peter@nagy.example");
  RecordConsent(partner.id(), true);
  const mv1::Message queued = SendMarketing(partner.id());
  ASSERT_EQ(queued.status(), mv1::MESSAGE_STATUS_QUEUED);
  mv1::GetMessageRequest get;
  get.set_id(queued.id());
  mv1::Message waiting;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(messaging_->GetMessage(Call().get(), get, &waiting).ok());
    if (waiting.attempts() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(waiting.attempts(), 1);
  RecordConsent(partner.id(), false);
  const mv1::Message stopped = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(stopped.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(stopped.last_error(), "no marketing consent for email: withdrawn");
  EXPECT_TRUE(sink_->Messages().empty());
}

TEST_F(MessagingOptInTest, AnInstallationThatCollectedConsentElsewhereTurnsTheRuleOff) {
  Start(0, {"--module-option", "messaging.marketing_requires_opt_in=false"});
  const pv1::Partner partner = CreatePartner("Tóth Anna", "anna@toth.example");
  const mv1::Message message = SendMarketing(partner.id());
  EXPECT_EQ(WaitForStatus(message.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT)
      << message.last_error();
  // The opt-out list still holds.
  mv1::CreateSuppressionRequest opt_out;
  opt_out.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
  opt_out.mutable_suppression()->set_address("anna@toth.example");
  mv1::Suppression suppression;
  ASSERT_TRUE(messaging_->CreateSuppression(Call().get(), opt_out, &suppression).ok());
  EXPECT_EQ(SendMarketing(partner.id()).status(), mv1::MESSAGE_STATUS_SUPPRESSED);
}

TEST_F(MessagingOptInTest, RecordMarketingConsentNamesWhatIsWrong) {
  Start();
  const pv1::Partner partner = CreatePartner("Szabó Kft.", "info@szabo.example");
  const auto field_of = [&](const pv1::RecordMarketingConsentRequest& request) {
    pv1::MarketingConsent consent;
    const auto status = partners_->RecordMarketingConsent(Call().get(), request, &consent);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    const auto violations = kernel::FieldViolationsOf(status);
    return violations.empty() ? std::string() : violations.front().field;
  };
  pv1::RecordMarketingConsentRequest good;
  good.set_partner_id(partner.id());
  good.set_channel(pv1::MARKETING_CHANNEL_EMAIL);
  good.set_granted(true);
  good.set_source(pv1::CONSENT_SOURCE_LETTER);
  good.set_evidence("levél, 2026-11-30");

  auto request = good;
  request.set_contact_id(1);
  EXPECT_EQ(field_of(request), "partner_id");
  request = good;
  request.clear_channel();
  EXPECT_EQ(field_of(request), "channel");
  request = good;
  request.set_source(pv1::CONSENT_SOURCE_UNSUBSCRIBE);
  EXPECT_EQ(field_of(request), "source");
  request = good;
  request.set_evidence("  ");
  EXPECT_EQ(field_of(request), "evidence");

  request = good;
  request.set_partner_id(partner.id() + 1000);
  pv1::MarketingConsent consent;
  EXPECT_EQ(partners_->RecordMarketingConsent(Call().get(), request, &consent).error_code(),
            grpc::StatusCode::NOT_FOUND);
  pv1::ListMarketingConsentsRequest list;
  list.set_partner_id(partner.id());
  pv1::ListMarketingConsentsResponse history;
  ASSERT_TRUE(partners_->ListMarketingConsents(Call().get(), list, &history).ok());
  EXPECT_EQ(history.consents_size(), 0);
}

}  // namespace
}  // namespace karton::testing

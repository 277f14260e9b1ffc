// Consent end to end: the unsubscribe link a marketing email carries, the
// pages behind it, the suppression list it fills, and what that does to
// the next marketing and transactional messages. Also personal data
// erasure reaching the messages.
#include <google/protobuf/util/time_util.h>

#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "messaging_fixture.h"

namespace karton::testing {
namespace {

// The decoded text/plain part of a received message.
std::string TextPart(const ReceivedMail& mail) {
  const auto part = mail.data.find("Content-Type: text/plain");
  const auto start = mail.data.find("\r\n\r\n", part) + 4;
  auto end = mail.data.find("\r\n--", start);
  if (end == std::string::npos) end = mail.data.size();
  std::string base64;
  for (std::size_t i = start; i < end; ++i) {
    if (mail.data[i] != '\r' && mail.data[i] != '\n') base64 += mail.data[i];
  }
  std::string bytes(base64.size(), '\0');
  std::size_t length = 0;
  sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), base64.data(),
                    base64.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL);
  bytes.resize(length);
  return bytes;
}

class MessagingConsentTest : public MessagingTest {
 protected:
  // To the partner of `address` (one per address, created with an opt-in
  // for marketing email on first use), at `address` as given.
  mv1::Message SendEmail(const std::string& address, mv1::Category category) {
    std::string key = address;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& partner_id = people_[key];
    if (partner_id == 0) {
      partner_id = CreatePartner("Címzett " + key, key).id();
      RecordConsent(partner_id, true);
    }
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(category);
    request.mutable_recipient()->set_partner_id(partner_id);
    request.mutable_recipient()->set_address(address);
    request.set_language("hu");
    request.set_subject("Őszi akció");
    request.set_text_body("Minden ablakcserére 10% kedvezmény.");
    request.set_html_body("<html><body><p>Minden ablakcserére 10% kedvezmény.</p></body></html>");
    mv1::Message message;
    const auto status = messaging_->SendMessage(Call().get(), request, &message);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return message;
  }

  // Every event of `topics` so far (the stream is read until it goes quiet).
  std::vector<kernel::v1::Event> EventsOf(const std::string& topic) {
    kernel::v1::SubscribeRequest request;
    request.add_topics(topic);
    auto context = Call();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    auto stream = kernel::v1::EventService::NewStub(channel_)->Subscribe(context.get(), request);
    std::vector<kernel::v1::Event> events;
    kernel::v1::Event event;
    while (stream->Read(&event)) events.push_back(event);
    stream->Finish();
    return events;
  }

  std::map<std::string, std::int64_t> people_;
};

TEST_F(MessagingConsentTest, TheUnsubscribeLinkStopsMarketingButNotTransactionalMail) {
  Start();
  const mv1::Message first = SendEmail("Anna.Kovacs@Example.com", mv1::CATEGORY_MARKETING);
  ASSERT_EQ(WaitForStatus(first.id(), mv1::MESSAGE_STATUS_SENT).status(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  const ReceivedMail mail = sink_->Messages().at(0);

  // The link is in the header (RFC 2369/8058) and in both bodies.
  const std::string header = mail.Header("List-Unsubscribe");
  const std::string prefix = "<http://" + kartond_->HttpAddress() + "/u/";
  ASSERT_EQ(header.rfind(prefix, 0), 0u) << header;
  const std::string url = header.substr(1, header.size() - 2);
  EXPECT_EQ(mail.Header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
  EXPECT_NE(TextPart(mail).find("Leiratkozás: " + url), std::string::npos) << TextPart(mail);
  EXPECT_NE(first.html_body().find("<a href=\"" + url + "\">Leiratkozás</a></p></body>"),
            std::string::npos)
      << first.html_body();
  const std::string target = url.substr(("http://" + kartond_->HttpAddress()).size());

  // GET asks (and changes nothing); POST records the opt-out.
  std::string page;
  ASSERT_EQ(HttpGet(kartond_->HttpAddress(), target, page), 200) << page;
  EXPECT_NE(page.find("<form method=\"post\">"), std::string::npos) << page;
  EXPECT_NE(page.find("A•••@Example.com"), std::string::npos) << page;
  mv1::ListSuppressionsResponse listed;
  ASSERT_TRUE(messaging_->ListSuppressions(Call().get(), {}, &listed).ok());
  EXPECT_EQ(listed.suppressions_size(), 0);
  ASSERT_EQ(HttpCall(kartond_->HttpAddress(), "POST", target,
                     {{"Content-Type", "application/x-www-form-urlencoded"}},
                     "List-Unsubscribe=One-Click", page),
            200)
      << page;
  EXPECT_NE(page.find("Kész"), std::string::npos) << page;
  ASSERT_TRUE(messaging_->ListSuppressions(Call().get(), {}, &listed).ok());
  ASSERT_EQ(listed.suppressions_size(), 1);
  EXPECT_EQ(listed.suppressions(0).address(), "anna.kovacs@example.com");
  EXPECT_EQ(listed.suppressions(0).source(), mv1::SUPPRESSION_SOURCE_UNSUBSCRIBE_LINK);
  EXPECT_EQ(listed.suppressions(0).message_id(), first.id());
  // The partner's consent is withdrawn where it is kept, too.
  pv1::GetPartnerRequest get_partner;
  get_partner.set_id(people_.at("anna.kovacs@example.com"));
  pv1::Partner anna;
  ASSERT_TRUE(partners_->GetPartner(Call().get(), get_partner, &anna).ok());
  ASSERT_EQ(anna.marketing_consents_size(), 1);
  EXPECT_FALSE(anna.marketing_consents(0).granted());
  EXPECT_EQ(anna.marketing_consents(0).source(), pv1::CONSENT_SOURCE_UNSUBSCRIBE);
  EXPECT_EQ(anna.marketing_consents(0).evidence(),
            "unsubscribe link of message " + std::to_string(first.id()));
  // A second POST (a mail client retrying) keeps one entry.
  ASSERT_EQ(HttpCall(kartond_->HttpAddress(), "POST", target, {}, "", page), 200);
  EXPECT_NE(page.find("már korábban leiratkozott"), std::string::npos) << page;

  // The next marketing mail is suppressed at once, whatever the case of the
  // address; transactional mail still goes.
  const mv1::Message blocked = SendEmail("anna.kovacs@example.COM", mv1::CATEGORY_MARKETING);
  EXPECT_EQ(blocked.status(), mv1::MESSAGE_STATUS_SUPPRESSED);
  const mv1::Message invoice = SendEmail("anna.kovacs@example.com", mv1::CATEGORY_TRANSACTIONAL);
  EXPECT_EQ(WaitForStatus(invoice.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT);
  ASSERT_TRUE(sink_->WaitForMessages(2, std::chrono::seconds(5)));
  EXPECT_EQ(sink_->Messages().size(), 2u);
  EXPECT_TRUE(sink_->Messages().at(1).Header("List-Unsubscribe").empty());

  const auto withdrawn = EventsOf("messaging.consent.withdrawn");
  ASSERT_EQ(withdrawn.size(), 1u);
  const auto suppressed = EventsOf("messaging.message.suppressed");
  ASSERT_EQ(suppressed.size(), 1u);
  EXPECT_EQ(suppressed[0].aggregate_id(), blocked.id());
  EXPECT_EQ(EventsOf("messaging.message.sent").size(), 2u);

  // A forged or mangled token is a 404 page, and changes nothing.
  EXPECT_EQ(HttpGet(kartond_->HttpAddress(), "/u/" + std::to_string(first.id()) + "-AAAA", page),
            404);
  EXPECT_EQ(HttpCall(kartond_->HttpAddress(), "POST", "/u/12345-forged", {}, "", page), 404);
}

TEST_F(MessagingConsentTest, OptOutsRecordedByHandSuppressAndCanBeLifted) {
  Start();
  mv1::CreateSuppressionRequest create;
  create.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
  create.mutable_suppression()->set_address("Peter@Nagy.example");
  create.mutable_suppression()->set_reason("asked on the phone, 2026-12-01");
  mv1::Suppression stored;
  ASSERT_TRUE(messaging_->CreateSuppression(Call().get(), create, &stored).ok());
  EXPECT_EQ(stored.address(), "peter@nagy.example");
  EXPECT_EQ(stored.source(), mv1::SUPPRESSION_SOURCE_MANUAL);
  EXPECT_EQ(messaging_->CreateSuppression(Call().get(), create, &stored).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  create.mutable_suppression()->set_address("not-an-address");
  auto status = messaging_->CreateSuppression(Call().get(), create, &stored);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "suppression.address");
  create.mutable_suppression()->set_channel(mv1::CHANNEL_SMS);
  create.mutable_suppression()->set_address("+36 30 999 8888");
  ASSERT_TRUE(messaging_->CreateSuppression(Call().get(), create, &stored).ok());
  EXPECT_EQ(stored.address(), "+36309998888");

  EXPECT_EQ(SendEmail("peter@nagy.example", mv1::CATEGORY_MARKETING).status(),
            mv1::MESSAGE_STATUS_SUPPRESSED);
  mv1::ListSuppressionsRequest list;
  list.set_channel(mv1::CHANNEL_SMS);
  list.set_address("+36 30 999 8888");
  mv1::ListSuppressionsResponse listed;
  ASSERT_TRUE(messaging_->ListSuppressions(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.suppressions_size(), 1);

  mv1::DeleteSuppressionRequest lift;
  lift.set_channel(mv1::CHANNEL_EMAIL);
  lift.set_address("PETER@nagy.example");
  mv1::DeleteSuppressionResponse lifted;
  ASSERT_TRUE(messaging_->DeleteSuppression(Call().get(), lift, &lifted).ok());
  EXPECT_EQ(messaging_->DeleteSuppression(Call().get(), lift, &lifted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const mv1::Message again = SendEmail("peter@nagy.example", mv1::CATEGORY_MARKETING);
  EXPECT_EQ(WaitForStatus(again.id(), mv1::MESSAGE_STATUS_SENT).status(), mv1::MESSAGE_STATUS_SENT);
}

// Delivery reads the suppression list again just before it sends, for its
// whole batch in one query: an opt-out that lands while a message waits
// stops marketing to that address and nothing else; a hard bounce stops
// any mail to it.
TEST_F(MessagingConsentTest, SuppressionsThatLandWhileMessagesWaitStopThemBeforeDelivery) {
  // The SMTP server refuses the first eight attempts: each of the four
  // messages fails twice (retried after 1 and 2 seconds), and the list
  // changes after every one has failed once.
  Start(/*temporary_failures=*/8);
  const mv1::Message opted_out = SendEmail("opt@nagy.example", mv1::CATEGORY_MARKETING);
  const mv1::Message kept = SendEmail("keep@nagy.example", mv1::CATEGORY_TRANSACTIONAL);
  const mv1::Message bounced = SendEmail("bounce@nagy.example", mv1::CATEGORY_TRANSACTIONAL);
  const mv1::Message fine = SendEmail("fine@nagy.example", mv1::CATEGORY_MARKETING);
  for (const auto* message : {&opted_out, &kept, &bounced, &fine}) {
    ASSERT_EQ(message->status(), mv1::MESSAGE_STATUS_QUEUED);
    mv1::GetMessageRequest get;
    get.set_id(message->id());
    mv1::Message waiting;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(messaging_->GetMessage(Call().get(), get, &waiting).ok());
      if (waiting.attempts() >= 1 && waiting.status() == mv1::MESSAGE_STATUS_QUEUED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GE(waiting.attempts(), 1);
    ASSERT_EQ(waiting.status(), mv1::MESSAGE_STATUS_QUEUED) << "sent before the list changed";
  }
  for (const char* address : {"opt@nagy.example", "keep@nagy.example"}) {
    mv1::CreateSuppressionRequest create;
    create.mutable_suppression()->set_channel(mv1::CHANNEL_EMAIL);
    create.mutable_suppression()->set_address(address);
    mv1::Suppression stored;
    ASSERT_TRUE(messaging_->CreateSuppression(Call().get(), create, &stored).ok());
  }
  // As the inbound mailbox records a hard bounce.
  QueryScalar(conninfo_,
              "INSERT INTO messaging.suppression (channel, address, source, create_time) "
              "VALUES ('email', 'bounce@nagy.example', 'bounce', now()) RETURNING source");

  const mv1::Message stopped = WaitForStatus(opted_out.id(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(stopped.last_error(), "the recipient opted out");
  const mv1::Message not_sent = WaitForStatus(bounced.id(), mv1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(not_sent.last_error(), "mail to this address bounced hard");
  // An opt-out is about marketing: the transactional message goes.
  EXPECT_EQ(WaitForStatus(kept.id(), mv1::MESSAGE_STATUS_SENT).status(), mv1::MESSAGE_STATUS_SENT);
  EXPECT_EQ(WaitForStatus(fine.id(), mv1::MESSAGE_STATUS_SENT).status(), mv1::MESSAGE_STATUS_SENT);
  std::set<std::string> delivered;
  for (const auto& mail : sink_->Messages()) delivered.insert(mail.recipients.at(0));
  EXPECT_EQ(delivered, (std::set<std::string>{"keep@nagy.example", "fine@nagy.example"}));
}

TEST_F(MessagingConsentTest, ErasingAPartnerBlanksItsMessages) {
  Start();
  const pv1::Partner partner = CreatePartner("Tóth Anna", "anna@toth.example");
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_partner_id(partner.id());
  request.set_subject("Személyes ajánlat Tóth Annának");
  request.set_text_body("Kedves Anna!");
  mv1::Message message;
  ASSERT_TRUE(messaging_->SendMessage(Call().get(), request, &message).ok());
  ASSERT_EQ(WaitForStatus(message.id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT);

  pv1::ErasePersonalDataRequest erase;
  erase.set_partner_id(partner.id());
  erase.set_reason("GDPR request 2026/41");
  pv1::ErasePersonalDataResponse erased;
  const auto status = partners_->ErasePersonalData(Call().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();

  mv1::GetMessageRequest get;
  get.set_id(message.id());
  mv1::Message after;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(messaging_->GetMessage(Call().get(), get, &after).ok());
    if (after.address() == "[erased]") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(after.address(), "[erased]");
  EXPECT_EQ(after.subject(), "");
  EXPECT_EQ(after.text_body(), "");
  EXPECT_EQ(after.recipient_name(), "");
  EXPECT_EQ(after.status(), mv1::MESSAGE_STATUS_SENT);  // what happened stays
  EXPECT_EQ(after.recipient().partner_id(), partner.id());
}

}  // namespace
}  // namespace karton::testing

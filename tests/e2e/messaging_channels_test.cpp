// Messaging end to end on the channels beyond email: SMS through a fake
// provider on loopback (tests/harness/http_recorder.h), letters rendered to
// PDF and stored on the partner, and the print batch export.

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>

#include "messaging_fixture.h"
#include "timeline_entries.h"

namespace karton::testing {
namespace {

// The text pdftotext reads out of `pdf`.
std::string PdfText(const std::string& pdf, const TemporaryDirectory& directory,
                    const std::string& tool = "pdftotext -layout", const std::string& out = "-") {
  const auto path = directory.Path() / "letter.pdf";
  std::ofstream(path, std::ios::binary) << pdf;
  const auto [code, output] = RunCommand(tool + " '" + path.string() + "' " + out);
  EXPECT_EQ(code, 0) << output;
  return output;
}

class MessagingChannelsTest : public MessagingTest {
 protected:
  void StartWithSms() {
    provider_.SetResponseBody([](const RecordedRequest&, std::size_t n) {
      return "{\"id\":\"sms-" + std::to_string(n) + "\",\"status\":\"accepted\"}";
    });
    Start(0, {"--module-option", "messaging.sms_url=" + provider_.Url("/v1/sms"), "--module-option",
              "messaging.sms_api_key=test-key", "--module-option", "messaging.sms_sender=Karton",
              "--module-option", "messaging.sms_per_second=0", "--module-option",
              "messaging.letter_sender=Karton Kft.|1111 Budapest|Fő utca 1.", "--module-option",
              "messaging.letter_place=Budapest"});
  }

  mv1::Message Send(mv1::SendMessageRequest request) {
    mv1::Message message;
    const auto status = messaging_->SendMessage(Call().get(), request, &message);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return message;
  }

  std::vector<pv1::Partner> SomePartners(const std::string& name, int count) {
    std::vector<pv1::Partner> partners;
    for (int i = 0; i < count; ++i) {
      partners.push_back(CreatePartner(fmt::format("{} {} Kft.", name, i),
                                       fmt::format("iroda{}@{}.example", i, i)));
    }
    return partners;
  }

  // Sends "<subject> <i>" to partners[i], each, while messaging's timeline
  // subscription waits (its row locked from another connection, so no
  // delivery can claim it), and waits until all are SENT; `meanwhile` runs
  // before the lock goes. Answers the messages' ids.
  std::vector<std::int64_t> SendWhileTheTimelineWaits(const std::vector<pv1::Partner>& partners,
                                                      const std::string& subject,
                                                      const std::function<void()>& meanwhile = {}) {
    SubscriptionHold hold(conninfo_, "messaging.timeline");
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < partners.size(); ++i) {
      mv1::SendMessageRequest request;
      request.set_channel(mv1::CHANNEL_EMAIL);
      request.set_category(mv1::CATEGORY_TRANSACTIONAL);
      request.mutable_recipient()->set_partner_id(partners[i].id());
      request.set_subject(fmt::format("{} {}", subject, i));
      request.set_text_body("Mellékelten küldjük.");
      ids.push_back(Send(request).id());
    }
    for (const auto id : ids) {
      const mv1::Message sent = WaitForStatus(id, mv1::MESSAGE_STATUS_SENT);
      EXPECT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
    }
    if (meanwhile) meanwhile();
    return ids;
  }

  std::string EntrySubject(std::int64_t partner_id, std::int64_t message_id) {
    return QueryScalar(conninfo_, fmt::format("SELECT subject FROM partners.interaction WHERE "
                                              "partner_id = {} AND source_reference = '{}'",
                                              partner_id, message_id));
  }

  std::string Download(std::int64_t document_id) {
    pv1::DownloadDocumentRequest request;
    request.set_id(document_id);
    auto context = Call();
    auto reader = partners_->DownloadDocument(context.get(), request);
    pv1::DownloadDocumentResponse part;
    std::string content;
    while (reader->Read(&part)) content += part.chunk();
    const auto status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return content;
  }

  std::string Export(mv1::LetterExportFormat format, bool duplex, int* count = nullptr) {
    mv1::ExportLettersRequest request;
    request.set_format(format);
    request.set_duplex(duplex);
    auto context = Call();
    auto reader = messaging_->ExportLetters(context.get(), request);
    mv1::ExportLettersResponse part;
    std::string file;
    bool first = true;
    while (reader->Read(&part)) {
      if (first && count != nullptr) *count = part.letter_count();
      first = false;
      file += part.data();
    }
    const auto status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return file;
  }

  HttpRecorder provider_;
  TemporaryDirectory scratch_;
};

TEST_F(MessagingChannelsTest, AnSmsGoesToTheProviderWithKeySenderAndIdempotencyKey) {
  StartWithSms();
  const pv1::Partner partner = CreatePartner("Nagy Péter", "", "+36 30 123 4567");
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_SMS);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_partner_id(partner.id());
  request.set_text_body("Emlékeztető: holnap 10 órakor várjuk. Karton");
  const mv1::Message queued = Send(request);
  EXPECT_EQ(queued.address(), "+36301234567");
  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  EXPECT_EQ(sent.provider_message_id(), "sms-1");

  ASSERT_TRUE(provider_.WaitForRequests(1, std::chrono::seconds(5)));
  const RecordedRequest call = provider_.Requests().at(0);
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.target, "/v1/sms");
  EXPECT_EQ(call.headers.at("authorization"), "Bearer test-key");
  EXPECT_EQ(call.headers.at("idempotency-key"), "karton-message-" + std::to_string(queued.id()));
  const auto body = boost::json::parse(call.body);
  EXPECT_EQ(body.at("to").as_string(), "+36301234567");
  EXPECT_EQ(body.at("from").as_string(), "Karton");
  EXPECT_EQ(body.at("text").as_string(), "Emlékeztető: holnap 10 órakor várjuk. Karton");
}

TEST_F(MessagingChannelsTest, SmsRetriesOnProviderTroubleAndStopsOnARefusal) {
  StartWithSms();
  provider_.AnswerNext({503, 429});
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_SMS);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address("+36 20 555 0101");
  request.set_text_body("Kód: 1234");
  const mv1::Message retried = WaitForStatus(Send(request).id(), mv1::MESSAGE_STATUS_SENT);
  EXPECT_EQ(retried.status(), mv1::MESSAGE_STATUS_SENT) << retried.last_error();
  EXPECT_EQ(retried.attempts(), 3);

  provider_.AnswerNext({400});
  request.mutable_recipient()->set_address("+36 20 555 0102");
  const mv1::Message refused = WaitForStatus(Send(request).id(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_EQ(refused.status(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_EQ(refused.attempts(), 1);
  EXPECT_NE(refused.last_error().find("HTTP 400"), std::string::npos) << refused.last_error();

  // Bad input names the field and queues nothing.
  request.mutable_recipient()->set_address("06 20 555 0103");
  mv1::Message message;
  auto status = messaging_->SendMessage(Call().get(), request, &message);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "recipient.address");
  request.mutable_recipient()->set_address("+36205550103");
  request.set_text_body(std::string(1600, 'x'));
  status = messaging_->SendMessage(Call().get(), request, &message);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "text_body");
  request.set_text_body("ok");
  request.set_subject("SMS has none");
  status = messaging_->SendMessage(Call().get(), request, &message);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "subject");
  mv1::ListMessagesRequest list;
  list.set_channel(mv1::CHANNEL_SMS);
  mv1::ListMessagesResponse listed;
  ASSERT_TRUE(messaging_->ListMessages(Call().get(), list, &listed).ok());
  EXPECT_EQ(listed.messages_size(), 2);
}

TEST_F(MessagingChannelsTest, ALetterBecomesAPdfOnThePartnerAndJoinsThePrintBatch) {
  StartWithSms();
  const pv1::Partner partner = CreatePartner("Kovács és Társa Kft.", "iroda@kovacs.example");
  mv1::CreateTemplateRequest create;
  auto* tmpl = create.mutable_template_();
  tmpl->set_name("payment_reminder");
  tmpl->set_language("hu");
  tmpl->set_channel(mv1::CHANNEL_LETTER);
  tmpl->set_subject("Fizetési emlékeztető – {{invoice}}");
  tmpl->set_text_body(
      "Tisztelt {{partner.displayName}}!\n\nKérjük, rendezze a(z) {{invoice}} "
      "számú számlát. Árvíztűrő tükörfúrógép.\n");
  mv1::Template stored;
  ASSERT_TRUE(messaging_->CreateTemplate(Call().get(), create, &stored).ok());

  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_LETTER);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_partner_id(partner.id());
  request.set_template_name("payment_reminder");
  (*request.mutable_variables()->mutable_fields())["invoice"].set_string_value("KA-2026/117");
  const mv1::Message queued = Send(request);
  EXPECT_EQ(queued.address(), "Kovács és Társa Kft.\nSzeged\nKárász utca 5.\n6720");
  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  ASSERT_NE(sent.document_id(), 0);

  // The PDF is a document of the partner (A4), and reads right.
  pv1::ListDocumentsRequest documents;
  documents.set_resource_type("partners.partner");
  documents.set_resource_id(partner.id());
  pv1::ListDocumentsResponse listed;
  ASSERT_TRUE(partners_->ListDocuments(Call().get(), documents, &listed).ok());
  ASSERT_EQ(listed.documents_size(), 1);
  EXPECT_EQ(listed.documents(0).id(), sent.document_id());
  EXPECT_EQ(listed.documents(0).content_type(), "application/pdf");
  const std::string text = PdfText(Download(sent.document_id()), scratch_);
  for (const char* expected : {"Fizetési emlékeztető – KA-2026/117", "Árvíztűrő tükörfúrógép",
                               "Tisztelt Kovács és Társa Kft.!", "Kárász utca 5.", "6720",
                               "Karton Kft.", "Budapest, 20"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << " not in:\n" << text;
  }

  // A second letter, to a raw address: refused (letters need a partner).
  request.mutable_recipient()->set_address("Szeged");
  mv1::Message refused;
  const auto status = messaging_->SendMessage(Call().get(), request, &refused);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "recipient.address");

  // The print batch: one PDF with the letter, and the CSV address list.
  request.mutable_recipient()->clear_address();
  (*request.mutable_variables()->mutable_fields())["invoice"].set_string_value("KA-2026/118");
  ASSERT_EQ(WaitForStatus(Send(request).id(), mv1::MESSAGE_STATUS_SENT).status(),
            mv1::MESSAGE_STATUS_SENT);
  int count = 0;
  const std::string batch = Export(mv1::LETTER_EXPORT_FORMAT_PDF, /*duplex=*/true, &count);
  EXPECT_EQ(count, 2);
  const std::string info = PdfText(batch, scratch_, "pdfinfo", "");
  const auto pages = info.find("Pages:");
  ASSERT_NE(pages, std::string::npos) << info;
  EXPECT_EQ(std::stoi(info.substr(pages + 6)), 4) << info;  // duplex: two sheets
  const std::string batch_text = PdfText(batch, scratch_);
  EXPECT_NE(batch_text.find("KA-2026/117"), std::string::npos);
  EXPECT_NE(batch_text.find("KA-2026/118"), std::string::npos);
  const std::string csv = Export(mv1::LETTER_EXPORT_FORMAT_CSV, false, &count);
  EXPECT_EQ(count, 2);
  EXPECT_EQ(csv.rfind("\"message_id\",\"partner_id\"", 0), 0u) << csv;
  EXPECT_NE(
      csv.find("\"" + std::to_string(queued.id()) + "\",\"" + std::to_string(partner.id()) +
               "\",\"0\",\"Kovács és Társa Kft.\",\"\",\"Kárász utca 5.\",\"6720\",\"Szeged\""),
      std::string::npos)
      << csv;
}

TEST_F(MessagingChannelsTest, ASentMessageAppearsOnThePartnersTimelineOnce) {
  StartWithSms();
  const pv1::Partner partner = CreatePartner("Szabó Bt.", "info@szabo.example");
  mv1::SendMessageRequest request;
  request.set_channel(mv1::CHANNEL_EMAIL);
  request.set_category(mv1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_partner_id(partner.id());
  request.set_subject("Árajánlat");
  request.set_text_body("Mellékelten küldjük árajánlatunkat.");
  const mv1::Message sent = WaitForStatus(Send(request).id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();

  pv1::ListTimelineRequest timeline;
  timeline.set_partner_id(partner.id());
  pv1::ListTimelineResponse entries;
  for (int i = 0; i < 100; ++i) {
    entries.Clear();
    ASSERT_TRUE(partners_->ListTimeline(Call().get(), timeline, &entries).ok());
    if (entries.interactions_size() > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(entries.interactions_size(), 1);
  const pv1::Interaction& entry = entries.interactions(0);
  EXPECT_EQ(entry.channel(), pv1::INTERACTION_CHANNEL_EMAIL);
  EXPECT_EQ(entry.direction(), pv1::INTERACTION_DIRECTION_OUTBOUND);
  EXPECT_EQ(entry.subject(), "Árajánlat");
  EXPECT_EQ(entry.source_module(), "messaging");
  EXPECT_EQ(entry.source_reference(), std::to_string(sent.id()));
  EXPECT_NE(entry.user_id(), 0);  // the admin who sent it
}

// The timeline subscription takes each delivery batch's sent messages as a
// run and logs them with one BatchLogInteractions. Held back (its row
// locked) while six messages are sent, it then gets all six at once.
TEST_F(MessagingChannelsTest, ARunOfSentMessagesIsLoggedInOneTransaction) {
  StartWithSms();
  const auto partners = SomePartners("Egyben", 6);
  const auto sent_ids = SendWhileTheTimelineWaits(partners, "Egyben");
  ASSERT_EQ(WaitForTimelineEntries(conninfo_, "messaging", 6), "6");
  EXPECT_EQ(TimelineEntryTransactions(conninfo_, "messaging"), "1");
  for (std::size_t i = 0; i < partners.size(); ++i) {
    EXPECT_EQ(EntrySubject(partners[i].id(), sent_ids[i]), fmt::format("Egyben {}", i));
  }
}

// The same with the sixth partner deleted before the run arrives: the batch
// is refused, so the run is logged one message at a time (five
// transactions) and the gone partner's message is skipped.
TEST_F(MessagingChannelsTest, ARunWithAGonePartnerIsLoggedOneAtATimeWithoutIt) {
  StartWithSms();
  const auto partners = SomePartners("Futó", 6);
  const auto sent_ids = SendWhileTheTimelineWaits(partners, "Ajánlat", [&] {
    pv1::DeletePartnerRequest remove;
    remove.set_id(partners[5].id());
    remove.set_etag(partners[5].etag());
    pv1::DeletePartnerResponse removed;
    const auto deleted = partners_->DeletePartner(Call().get(), remove, &removed);
    ASSERT_TRUE(deleted.ok()) << deleted.error_message();
  });
  ASSERT_EQ(WaitForTimelineEntries(conninfo_, "messaging", 5), "5");
  EXPECT_EQ(TimelineEntryTransactions(conninfo_, "messaging"), "5");
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(EntrySubject(partners[i].id(), sent_ids[i]), fmt::format("Ajánlat {}", i));
  }
}

}  // namespace
}  // namespace karton::testing

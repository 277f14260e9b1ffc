// Email with Cc, Reply-To and attachments end to end: kartond with messaging
// and partners, a real SMTP server on loopback (aiosmtpd), and Python's own
// MIME parser reading what arrived (tests/harness/mime_attachments.py).
#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>

#include "json_fields.h"
#include "messaging_fixture.h"

namespace karton::testing {
namespace {

std::string Sha256Hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// Bytes that look like a PDF and are binary throughout.
std::string PdfLike(std::size_t size, unsigned seed) {
  std::string bytes = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  while (bytes.size() < size) {
    seed = seed * 1103515245 + 12345;
    bytes += static_cast<char>(seed >> 16);
  }
  return bytes;
}

class MessagingAttachmentsTest : public MessagingTest {
 protected:
  pv1::Document Upload(const std::string& resource_type, std::int64_t id, const std::string& name,
                       const std::string& content) {
    pv1::Document uploaded;
    auto context = Call();
    auto writer = partners_->UploadDocument(context.get(), &uploaded);
    pv1::UploadDocumentRequest message;
    message.mutable_document()->set_resource_type(resource_type);
    message.mutable_document()->set_resource_id(id);
    message.mutable_document()->set_name(name);
    message.mutable_document()->set_content_type("application/pdf");
    EXPECT_TRUE(writer->Write(message));
    message.Clear();
    message.set_chunk(content);
    EXPECT_TRUE(writer->Write(message));
    writer->WritesDone();
    const auto status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return uploaded;
  }

  std::string Download(std::int64_t id) {
    pv1::DownloadDocumentRequest request;
    request.set_id(id);
    auto context = Call();
    auto reader = partners_->DownloadDocument(context.get(), request);
    pv1::DownloadDocumentResponse message;
    std::string content;
    while (reader->Read(&message)) content += message.chunk();
    const auto status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return content;
  }

  std::vector<pv1::Document> Documents(const std::string& resource_type, std::int64_t id) {
    pv1::ListDocumentsRequest request;
    request.set_resource_type(resource_type);
    request.set_resource_id(id);
    pv1::ListDocumentsResponse response;
    const auto status = partners_->ListDocuments(Call().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.documents().begin(), response.documents().end()};
  }

  // What Python's email package reads in a received message.
  boost::json::object Parsed(const ReceivedMail& mail) {
    const auto path = data_dir_.Path() / "received.eml";
    std::ofstream(path, std::ios::binary) << mail.data;
    const auto [exit_code, output] = RunCommand(fmt::format(
        "python3 '{}/harness/mime_attachments.py' '{}'", KARTON_TEST_SOURCE_DIR, path.string()));
    EXPECT_EQ(exit_code, 0) << output;
    return ParseObject(output);
  }
};

TEST_F(MessagingAttachmentsTest,
       AQuotationWithCcReplyToAndPdfsReachesBothRecipientsAndItsFilesAreDocumentsOfThePartner) {
  Start();
  const pv1::Partner partner = CreatePartner("Kovács és Társa Kft.", "iroda@kovacs.example");
  // A contract already on file goes along by its id; the quotation as bytes.
  const std::string contract = PdfLike(3000, 7);
  const pv1::Document on_file =
      Upload("partners.partner", partner.id(), "keretszerződés.pdf", contract);
  const std::string quotation = PdfLike(20000, 1);

  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_partner_id(partner.id());
  send.set_subject("Árajánlat Q-2026-17");
  send.set_text_body("Kedves Partnerünk!\nMellékelve küldjük az árajánlatot.\n");
  send.add_cc("konyveles@kovacs.example");
  send.set_reply_to("ertekesites@karton.example");
  auto* pdf = send.add_attachments();
  pdf->set_file_name("árajánlat-ő.pdf");
  pdf->set_media_type("application/pdf");
  pdf->set_content(quotation);
  send.add_attachments()->set_document_id(on_file.id());
  mv1::Message queued;
  const auto status = messaging_->SendMessage(Call().get(), send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(queued.attachments_size(), 2);
  EXPECT_EQ(queued.attachments(1).file_name(), "keretszerződés.pdf");  // the document's name
  EXPECT_EQ(queued.attachments(1).document_id(), on_file.id());

  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  const ReceivedMail mail = sink_->Messages().at(0);
  // One DATA, both envelope recipients: To and Cc.
  EXPECT_EQ(mail.recipients,
            (std::vector<std::string>{"iroda@kovacs.example", "konyveles@kovacs.example"}));
  EXPECT_EQ(mail.Header("Cc"), "<konyveles@kovacs.example>");
  EXPECT_EQ(mail.Header("Reply-To"), "<ertekesites@karton.example>");

  const auto parsed = Parsed(mail);
  EXPECT_EQ(Count(parsed, "defects"), 0u) << boost::json::serialize(parsed);
  EXPECT_EQ(Field(parsed, "content_type"), "multipart/mixed");
  EXPECT_EQ(Field(parsed, "text"), send.text_body());
  ASSERT_EQ(Count(parsed, "attachments"), 2u) << boost::json::serialize(parsed);
  const auto& files = parsed.at("attachments").as_array();
  const auto& first = files.at(0).as_object();
  EXPECT_EQ(Field(first, "file_name"), "árajánlat-ő.pdf");
  EXPECT_EQ(Field(first, "media_type"), "application/pdf");
  EXPECT_EQ(Field(first, "disposition"), "attachment");
  EXPECT_EQ(Field(first, "sha256"), Sha256Hex(quotation));
  const auto& second = files.at(1).as_object();
  EXPECT_EQ(Field(second, "file_name"), "keretszerződés.pdf");
  EXPECT_EQ(Field(second, "sha256"), Sha256Hex(contract));

  // The quotation is a document of the partner now, the one the message
  // names; the contract stays the one document it was.
  EXPECT_NE(sent.attachments(0).document_id(), 0);
  EXPECT_EQ(sent.attachments(0).size_bytes(), static_cast<std::int64_t>(quotation.size()));
  EXPECT_EQ(sent.attachments(1).document_id(), on_file.id());
  const auto documents = Documents("partners.partner", partner.id());
  ASSERT_EQ(documents.size(), 2u);
  const auto stored = std::find_if(documents.begin(), documents.end(), [&](const auto& document) {
    return document.id() == sent.attachments(0).document_id();
  });
  ASSERT_NE(stored, documents.end());
  EXPECT_EQ(stored->name(), "árajánlat-ő.pdf");
  EXPECT_EQ(stored->content_type(), "application/pdf");
  EXPECT_EQ(stored->sha256(), Sha256Hex(quotation));
  EXPECT_EQ(Download(stored->id()), quotation);
  // The bytes messaging held until then are gone: the document keeps them.
  EXPECT_EQ(QueryScalar(conninfo_,
                        "SELECT count(*) FROM messaging.attachment "
                        "WHERE content IS NOT NULL"),
            "0");
}

TEST_F(MessagingAttachmentsTest,
       ALargeFileToARawAddressIsADocumentOfTheMessageAndBadDocumentsAreNamed) {
  Start();
  // Past gRPC's default of 4 MiB for one request.
  const std::string report = PdfLike(6 * 1024 * 1024, 3);
  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_address("anna@vevo.example");
  send.set_subject("Report");
  send.set_text_body("Attached.");
  auto* file = send.add_attachments();
  file->set_file_name("report 2026.pdf");
  file->set_content(report);
  mv1::Message queued;
  auto status = messaging_->SendMessage(Call().get(), send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(queued.attachments(0).media_type(), "application/octet-stream");

  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  const auto parsed = Parsed(sink_->Messages().at(0));
  EXPECT_EQ(Count(parsed, "defects"), 0u) << boost::json::serialize(parsed);
  ASSERT_EQ(Count(parsed, "attachments"), 1u);
  EXPECT_EQ(Field(parsed.at("attachments").as_array().at(0).as_object(), "sha256"),
            Sha256Hex(report));
  // No partner: the file is a document of the message itself, which staff
  // may list and download like any other (record_access).
  const auto documents = Documents("messaging.message", queued.id());
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0].id(), sent.attachments(0).document_id());
  EXPECT_EQ(documents[0].name(), "report 2026.pdf");
  EXPECT_EQ(Download(documents[0].id()), report);

  // A document that does not exist, or one past the limit, is named.
  mv1::SendMessageRequest by_id = send;
  by_id.mutable_attachments(0)->set_document_id(987654);
  status = messaging_->SendMessage(Call().get(), by_id, &queued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "attachments[0].document_id")
      << status.error_message();
  by_id.mutable_attachments(0)->set_document_id(documents[0].id());
  auto* second = by_id.add_attachments();
  second->set_file_name("again.pdf");
  second->set_content(report);  // 12 MiB with the first: past the 10 MiB limit
  status = messaging_->SendMessage(Call().get(), by_id, &queued);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "attachments[1].content")
      << status.error_message();
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM messaging.message"), "1");
}

TEST_F(MessagingAttachmentsTest, ErasingAnAddressDeletesTheAttachmentsKeptOnItsMessages) {
  Start();
  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_address("kiss.anna@mail.example");
  send.set_subject("Önéletrajz");
  send.set_text_body("Köszönjük, megkaptuk.");
  auto* file = send.add_attachments();
  file->set_file_name("Kiss Anna önéletrajz.pdf");
  file->set_media_type("application/pdf");
  file->set_content(PdfLike(5000, 9));
  mv1::Message queued;
  ASSERT_TRUE(messaging_->SendMessage(Call().get(), send, &queued).ok());
  const mv1::Message sent = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  ASSERT_EQ(sent.status(), mv1::MESSAGE_STATUS_SENT) << sent.last_error();
  ASSERT_EQ(Documents("messaging.message", queued.id()).size(), 1u);

  pv1::ErasePersonalDataRequest erase;
  erase.set_email("kiss.anna@mail.example");
  erase.set_reason("GDPR request 2026/31");
  pv1::ErasePersonalDataResponse erased;
  const auto status = partners_->ErasePersonalData(Call().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Documents("messaging.message", queued.id()).empty());
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(*) FROM partners.document"), "0");
  mv1::GetMessageRequest get;
  get.set_id(queued.id());
  mv1::Message after;
  ASSERT_TRUE(messaging_->GetMessage(Call().get(), get, &after).ok());
  EXPECT_EQ(after.address(), "[erased]");
  ASSERT_EQ(after.attachments_size(), 1);
  EXPECT_EQ(after.attachments(0).file_name(), "");
  EXPECT_EQ(after.attachments(0).size_bytes(), 5000);
}

TEST_F(MessagingAttachmentsTest, ARecipientTheServerRefusesFailsTheWholeMessageForGood) {
  Start();
  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_address("anna@vevo.example");
  send.add_cc("nobody@rejected.example");
  send.set_subject("Számla");
  send.set_text_body("Mellékelve.");
  mv1::Message queued;
  const auto status = messaging_->SendMessage(Call().get(), send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const mv1::Message failed = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_EQ(failed.status(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_NE(failed.last_error().find("550"), std::string::npos) << failed.last_error();
  ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));
  EXPECT_TRUE(sink_->Messages().empty());  // not even the To recipient got a copy
}

}  // namespace
}  // namespace karton::testing

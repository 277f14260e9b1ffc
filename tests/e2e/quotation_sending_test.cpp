// SendQuotation end to end: the real kartond with orders and messaging on a
// fresh database, a real SMTP server on loopback (aiosmtpd), the karton
// command line, Python's MIME parser and poppler reading what arrived. The
// quotation reaches the contact as a PDF, is kept as a document of the
// partner, shows on the partner's timeline and is marked sent.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "json_fields.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "sales_fixture.h"
#include "smtp_sink.h"

namespace karton::testing {
namespace {

namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;

class QuotationSendingTest : public SalesTest {
 protected:
  void StartWithMail(const std::vector<std::string>& company) {
    sink_ = std::make_unique<SmtpSink>();
    std::vector<std::string> extra = {"--smtp-url",      sink_->Url(),
                                      "--mail-from",     "Karton <crm@karton.example>",
                                      "--module-option", "messaging.email_per_second=0"};
    extra.insert(extra.end(), company.begin(), company.end());
    Start(extra, "orders,messaging");
    partners_ = pv1::PartnerService::NewStub(channel_);
    messaging_ = mv1::MessagingService::NewStub(channel_);
  }

  std::int64_t Contact(std::int64_t partner, const std::string& name, const std::string& email) {
    pv1::CreateContactRequest request;
    request.set_partner_id(partner);
    request.mutable_contact()->set_name(name);
    request.mutable_contact()->add_emails(email);
    pv1::Contact contact;
    const auto status = partners_->CreateContact(As(admin_).get(), request, &contact);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return contact.id();
  }

  std::int64_t Product() {
    ov1::CreateProductRequest request;
    request.mutable_product()->set_sku("KAZ-24");
    request.mutable_product()->set_name("Kondenzációs gázkazán 24 kW");
    request.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
    request.mutable_product()->mutable_list_price()->set_currency_code("HUF");
    request.mutable_product()->mutable_list_price()->set_minor_units(489'000'00);
    ov1::Product product;
    const auto status = products_->CreateProduct(As(admin_).get(), request, &product);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return product.id();
  }

  // A draft quotation for one of `product`, valid to the end of 2099.
  ov1::Quotation Draft(std::int64_t customer, std::int64_t product) {
    ov1::CreateQuotationRequest create;
    create.mutable_quotation()->set_partner_id(customer);
    create.mutable_quotation()->mutable_valid_until()->set_year(2099);
    create.mutable_quotation()->mutable_valid_until()->set_month(12);
    create.mutable_quotation()->mutable_valid_until()->set_day(31);
    create.mutable_quotation()->add_lines()->set_product_id(product);
    create.mutable_quotation()->mutable_lines(0)->set_quantity("1");
    ov1::Quotation draft;
    const auto status = quotations_->CreateQuotation(As(admin_).get(), create, &draft);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return draft;
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

  std::string Download(std::int64_t document_id) {
    pv1::DownloadDocumentRequest request;
    request.set_id(document_id);
    auto context = As(admin_);
    auto reader = partners_->DownloadDocument(context.get(), request);
    pv1::DownloadDocumentResponse chunk;
    std::string content;
    while (reader->Read(&chunk)) content += chunk.chunk();
    const auto status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return content;
  }

  std::unique_ptr<SmtpSink> sink_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::unique_ptr<mv1::MessagingService::Stub> messaging_;
};

const std::vector<std::string> kCompany = {
    "--module-option", "orders.company_name=Karton Fűtésszerviz Kft.",
    "--module-option", "orders.company_address=1132 Budapest, Váci út 18.",
    "--module-option", "orders.company_tax_number=12345676-2-41",
    "--module-option", "orders.company_email=ajanlat@karton.example"};

TEST_F(QuotationSendingTest, AQuotationReachesTheContactAsAPdfAndIsOnTheCardAndTimeline) {
  StartWithMail(kCompany);
  const auto salesperson = User("anna@karton.example", kv1::ROLE_SALES);
  const auto customer = Partner("Fűzfa Ügynökség Zrt.", 0);
  const auto contact = Contact(customer, "Kőváry Őrs", "ors@fuzfa.example");
  const auto product = Product();
  const std::string karton = Karton();

  const auto [quote_exit, quote_json] =
      RunCommand(fmt::format("{}--output json quotes create --partner {} --contact {} "
                             "--valid-until 2099-12-31 --line {}:2",
                             karton, customer, contact, product));
  ASSERT_EQ(quote_exit, 0) << quote_json;
  const auto quote = ParseObject(quote_json);
  const std::string number = Field(quote, "number");

  const auto [send_exit, sent_json] = RunCommand(fmt::format(
      "{}--output json quotes send {} --cc beszerzes@fuzfa.example --message 'A beszerelést is "
      "vállaljuk.'",
      karton, Field(quote, "id")));
  ASSERT_EQ(send_exit, 0) << sent_json;
  const auto sent = ParseObject(sent_json);
  EXPECT_EQ(Field(Object(sent, "quotation"), "state"), "QUOTATION_STATE_SENT");
  const std::string file_name = "Arajanlat-" + number + ".pdf";
  EXPECT_EQ(Field(sent, "file_name"), file_name);
  const std::int64_t message_id = std::stoll(Field(sent, "message_id"));

  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(30)));
  const ReceivedMail mail = sink_->Messages().at(0);
  EXPECT_EQ(mail.recipients,
            (std::vector<std::string>{"ors@fuzfa.example", "beszerzes@fuzfa.example"}));
  EXPECT_EQ(mail.Header("Reply-To"), "<ajanlat@karton.example>");
  const auto parsed = Parsed(mail);
  EXPECT_EQ(Count(parsed, "defects"), 0u) << boost::json::serialize(parsed);
  EXPECT_EQ(Field(parsed, "subject"), "Árajánlat " + number + " – Karton Fűtésszerviz Kft.");
  const std::string text = Field(parsed, "text");
  EXPECT_NE(text.find("Tisztelt Kőváry Őrs!"), std::string::npos) << text;
  EXPECT_NE(text.find("A beszerelést is vállaljuk."), std::string::npos) << text;
  ASSERT_EQ(Count(parsed, "attachments"), 1u) << boost::json::serialize(parsed);
  const auto& attachment = parsed.at("attachments").as_array().at(0).as_object();
  EXPECT_EQ(Field(attachment, "file_name"), file_name);
  EXPECT_EQ(Field(attachment, "media_type"), "application/pdf");

  // Delivery kept the PDF as a document of the partner: the same bytes, a
  // quotation a reader can read.
  mv1::GetMessageRequest get_message;
  get_message.set_id(message_id);
  mv1::Message message;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(messaging_->GetMessage(As(admin_).get(), get_message, &message).ok());
    if (message.status() == mv1::MESSAGE_STATUS_SENT && message.attachments_size() == 1 &&
        message.attachments(0).document_id() != 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(message.status(), mv1::MESSAGE_STATUS_SENT) << message.last_error();
  ASSERT_NE(message.attachments(0).document_id(), 0);
  const std::string pdf = Download(message.attachments(0).document_id());
  EXPECT_EQ(attachment.at("size").to_number<std::int64_t>(), static_cast<std::int64_t>(pdf.size()));
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  const auto pdf_path = data_dir_.Path() / "quotation.pdf";
  std::ofstream(pdf_path, std::ios::binary) << pdf;
  const auto [text_exit, pdf_text] =
      RunCommand("pdftotext -layout -enc UTF-8 '" + pdf_path.string() + "' -");
  ASSERT_EQ(text_exit, 0) << pdf_text;
  for (const std::string& expected :
       {std::string("Árajánlat"), number, std::string("Karton Fűtésszerviz Kft."),
        std::string("Fűzfa Ügynökség Zrt."), std::string("Kapcsolattartó: Kőváry Őrs"),
        std::string("1,242,060 HUF")}) {
    EXPECT_NE(pdf_text.find(expected), std::string::npos) << expected << "\n" << pdf_text;
  }

  // The partner's timeline has the email.
  pv1::ListTimelineRequest timeline_request;
  timeline_request.set_partner_id(customer);
  pv1::ListTimelineResponse timeline;
  bool logged = false;
  for (int i = 0; i < 300 && !logged; ++i) {
    ASSERT_TRUE(partners_->ListTimeline(As(salesperson).get(), timeline_request, &timeline).ok());
    for (const auto& entry : timeline.interactions()) {
      logged = logged ||
               (entry.channel() == pv1::INTERACTION_CHANNEL_EMAIL &&
                entry.subject().find(number) != std::string::npos && entry.contact_id() == contact);
    }
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(logged) << "no email with " << number << " on the timeline";

  // The quotation says when and as which message it went.
  ov1::GetQuotationRequest get;
  get.set_id(std::stoll(Field(quote, "id")));
  ov1::Quotation stored;
  ASSERT_TRUE(quotations_->GetQuotation(As(salesperson).get(), get, &stored).ok());
  EXPECT_EQ(stored.state(), ov1::QUOTATION_STATE_SENT);
  EXPECT_EQ(stored.sent_message_id(), message_id);
  EXPECT_TRUE(stored.has_sent_time());
}

TEST_F(QuotationSendingTest, WithoutTheCompanyOrAnAddressNothingIsSentAndTheDraftStays) {
  StartWithMail({});
  const auto customer = Partner("Címtelen Kft.", 0);
  const auto product = Product();
  const ov1::Quotation draft = Draft(customer, product);

  ov1::SendQuotationRequest send;
  send.set_id(draft.id());
  ov1::SendQuotationResponse response;
  auto status = quotations_->SendQuotation(As(admin_).get(), send, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_NE(status.error_message().find("orders.company_name"), std::string::npos);

  ov1::GetQuotationRequest get;
  get.set_id(draft.id());
  ov1::Quotation stored;
  ASSERT_TRUE(quotations_->GetQuotation(As(admin_).get(), get, &stored).ok());
  EXPECT_EQ(stored.state(), ov1::QUOTATION_STATE_DRAFT);
  EXPECT_TRUE(sink_->Messages().empty());
}

TEST_F(QuotationSendingTest, APartnerWithoutAnEmailAddressGetsMessagingsErrorAndStaysDraft) {
  StartWithMail(kCompany);
  const auto customer = Partner("Címtelen Kft.", 0);
  const auto product = Product();
  const ov1::Quotation draft = Draft(customer, product);

  ov1::SendQuotationRequest send;
  send.set_id(draft.id());
  ov1::SendQuotationResponse response;
  const auto status = quotations_->SendQuotation(As(admin_).get(), send, &response);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
  ov1::GetQuotationRequest get;
  get.set_id(draft.id());
  ov1::Quotation stored;
  ASSERT_TRUE(quotations_->GetQuotation(As(admin_).get(), get, &stored).ok());
  EXPECT_EQ(stored.state(), ov1::QUOTATION_STATE_DRAFT);
  EXPECT_EQ(stored.sent_message_id(), 0);
}

}  // namespace
}  // namespace karton::testing

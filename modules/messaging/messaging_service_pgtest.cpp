// MessagingServiceImpl built directly from what it uses (issue 21):
// messaging's real SQL on a throwaway database, with a FakeModuleContext's
// clock, audit trail, event bus, job queue and public URL, and no partners
// module to call (the messages go to raw addresses). A template is stored
// and audited once; a marketing email is queued as one delivery job with an
// unsubscribe link under the public URL, unless its address opted out. An
// email with Cc, Reply-To and attachments keeps them with the message, in
// the same transaction; every bad field of them is named and writes nothing.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consent/unsubscribe_token.h"
#include "delivery/delivery_job.h"
#include "karton/kernel/errors.h"
#include "message_repository.h"
#include "messaging_service.h"
#include "module_database_test.h"
#include "throwaway_postgres.h"

namespace karton::messaging {
namespace {

class MessagingServiceTest : public karton::testing::ModuleDatabaseTest {
 protected:
  MessagingServiceTest() : ModuleDatabaseTest("messaging", {"partners", "messaging"}) {}

  void SetUp() override {
    ModuleDatabaseTest::SetUp();
    ASSERT_GE(sodium_init(), 0);
    tokens_.emplace(NewSigningKey());
    settings_.smtp = SmtpSettings{};
    settings_.smtp->url = "smtp://127.0.0.1:1";  // never dialled: no Delivery runs here
    settings_.smtp->from = "Karton <noreply@ceg.example>";
    MessagingServiceImpl::DeclareTopics(context_.Events());
    // The module registers the delivery jobs' handlers; here they only
    // have to exist, as nothing runs them.
    context_.RecordedJobs().Handle(kDeliverEmailJob, [](const kernel::JobRun&) {});
    editor_ = NewUser("erika", "sales_manager");
    context_.SetPublicUrl("https://crm.ceg.example");
    service_ =
        std::make_unique<MessagingServiceImpl>(kernel::PartsOf(context_), settings_, *tokens_);
  }

  // A call from the editor. kartond's interceptor puts the verified caller
  // in the karton-caller metadata ("user;roles;teams;token"); the test puts
  // it there itself.
  struct Call {
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse{&context};
  };
  std::unique_ptr<Call> AsEditor() const {
    auto call = std::make_unique<Call>();
    call->spouse.AddClientMetadata("karton-caller", std::to_string(editor_) + ";sales_manager;;0");
    return call;
  }

  grpc::Status CreateNewsletter(v1::Template& stored) {
    v1::CreateTemplateRequest create;
    auto* tmpl = create.mutable_template_();
    tmpl->set_name("newsletter");
    tmpl->set_language("hu");
    tmpl->set_channel(v1::CHANNEL_EMAIL);
    tmpl->set_subject("Hírlevél, {{name}}");
    tmpl->set_text_body("Kedves {{name}}!\nÚj árak.");
    return service_->CreateTemplate(&AsEditor()->context, &create, &stored);
  }

  grpc::Status SendNewsletter(const std::string& address, v1::Message& sent) {
    v1::SendMessageRequest send;
    send.set_channel(v1::CHANNEL_EMAIL);
    send.set_category(v1::CATEGORY_MARKETING);
    send.mutable_recipient()->set_address(address);
    send.set_template_name("newsletter");
    send.set_language("hu");
    (*send.mutable_variables()->mutable_fields())["name"].set_string_value("Anna");
    return service_->SendMessage(&AsEditor()->context, &send, &sent);
  }

  // A quotation to a raw address: Cc, Reply-To and two files.
  static v1::SendMessageRequest Quotation() {
    v1::SendMessageRequest send;
    send.set_channel(v1::CHANNEL_EMAIL);
    send.set_category(v1::CATEGORY_TRANSACTIONAL);
    send.mutable_recipient()->set_address("anna@vevo.example");
    send.set_subject("Árajánlat");
    send.set_text_body("Kedves Anna!\nMellékelve.");
    send.add_cc("bela@vevo.example");
    send.add_cc("iroda@vevo.example");
    send.set_reply_to("ertekesites@ceg.example");
    auto* pdf = send.add_attachments();
    pdf->set_file_name("árajánlat-ő.pdf");
    pdf->set_media_type("Application/PDF");
    // Bytes a text field could not hold: a NUL and 0xff. (The length was
    // once miscounted; sizeof counts it.)
    static constexpr char kBinary[] = "%PDF-1.4\n\0\x01\xff binary";
    pdf->set_content(std::string(kBinary, sizeof kBinary - 1));
    auto* csv = send.add_attachments();
    csv->set_file_name("tételek.csv");
    csv->set_media_type("text/csv");
    csv->set_content("cikk;db\r\nablak;3\r\n");
    return send;
  }

  std::string Count(const std::string& table) const {
    return karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM " + table);
  }

  ChannelSettings settings_;
  std::optional<UnsubscribeTokens> tokens_;
  std::int64_t editor_ = 0;
  std::unique_ptr<MessagingServiceImpl> service_;
};

TEST_F(MessagingServiceTest, ATemplateIsStoredAndAuditedOnceAndItsNameIsTaken) {
  context_.Clock().Set(std::chrono::system_clock::time_point(std::chrono::seconds(1'780'000'000)));
  v1::Template stored;
  auto status = CreateNewsletter(stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(stored.id(), 0);
  EXPECT_EQ(stored.name(), "newsletter");
  EXPECT_EQ(stored.subject(), "Hírlevél, {{name}}");
  // Business time is the clock the service was given.
  EXPECT_EQ(stored.create_time().seconds(), 1'780'000'000);

  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  EXPECT_EQ(audited[0].action, kernel::AuditAction::kCreate);
  EXPECT_EQ(audited[0].resource_type, "messaging.template");
  EXPECT_EQ(audited[0].resource_id, stored.id());
  EXPECT_EQ(audited[0].actor.user_id, editor_);

  v1::Template again;
  status = CreateNewsletter(again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(status.error_message().find("template.name"), std::string::npos);
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM messaging.template"),
            "1");
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 1u);
}

TEST_F(MessagingServiceTest,
       AMarketingEmailIsQueuedWithItsUnsubscribeLinkUnlessTheAddressOptedOut) {
  // The opt-out list alone: the opt-in rule needs the partners module
  // (messaging_opt_in_test.cpp end to end; the next test here).
  settings_.marketing_requires_opt_in = false;
  v1::Template stored;
  ASSERT_TRUE(CreateNewsletter(stored).ok());

  v1::Message queued;
  auto status = SendNewsletter("anna@vevo.example", queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(queued.status(), v1::MESSAGE_STATUS_QUEUED);
  EXPECT_EQ(queued.subject(), "Hírlevél, Anna");
  EXPECT_NE(queued.text_body().find("Leiratkozás: https://crm.ceg.example/u/" +
                                    std::to_string(queued.id()) + "-"),
            std::string::npos)
      << queued.text_body();
  const auto jobs = context_.RecordedJobs().Scheduled();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, kDeliverEmailJob);
  EXPECT_EQ(jobs[0].payload, std::to_string(queued.id()));
  EXPECT_EQ(jobs[0].run_at, context_.Clock().Now());

  v1::CreateSuppressionRequest opt_out;
  opt_out.mutable_suppression()->set_channel(v1::CHANNEL_EMAIL);
  opt_out.mutable_suppression()->set_address("Bela@Vevo.Example");
  opt_out.mutable_suppression()->set_reason("asked by phone");
  v1::Suppression suppression;
  status = service_->CreateSuppression(&AsEditor()->context, &opt_out, &suppression);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::Message suppressed;
  status = SendNewsletter("bela@vevo.example", suppressed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(suppressed.status(), v1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), 1u);  // no second job
  EXPECT_EQ(
      context_.RecordedEvents().PublishedTopics(),
      (std::vector<std::string>{"messaging.template.created", "messaging.message.queued",
                                "messaging.consent.withdrawn", "messaging.message.suppressed"}));
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM messaging.message"), "2");
}

// An opt-out stops marketing only; an address that bounced hard (5.x.x)
// does not exist and takes no email at all, transactional included.
TEST_F(MessagingServiceTest, AnAddressThatBouncedHardTakesNoEmailWhileAnOptOutStopsOnlyMarketing) {
  karton::testing::QueryScalar(
      conninfo_,
      "INSERT INTO messaging.suppression (channel, address, source, create_time) VALUES "
      "('email', 'anna@vevo.example', 'bounce', now()), "
      "('email', 'bela@vevo.example', 'manual', now())");
  v1::SendMessageRequest send = Quotation();
  send.clear_cc();
  send.clear_attachments();
  v1::Message to_bounced;
  auto status = service_->SendMessage(&AsEditor()->context, &send, &to_bounced);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(to_bounced.status(), v1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_NE(to_bounced.last_error().find("bounced hard"), std::string::npos)
      << to_bounced.last_error();
  EXPECT_TRUE(context_.RecordedJobs().Scheduled().empty());

  send.mutable_recipient()->set_address("bela@vevo.example");
  v1::Message to_opted_out;
  status = service_->SendMessage(&AsEditor()->context, &send, &to_opted_out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(to_opted_out.status(), v1::MESSAGE_STATUS_QUEUED);
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), 1u);
}

TEST_F(MessagingServiceTest, UnderTheOptInRuleMarketingToABareAddressIsSuppressedAtOnce) {
  v1::Template stored;
  ASSERT_TRUE(CreateNewsletter(stored).ok());
  v1::Message message;
  const auto status = SendNewsletter("anna@vevo.example", message);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(message.status(), v1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(message.last_error(),
            "no marketing consent for email: the address belongs to no partner or contact to "
            "hold one");
  EXPECT_TRUE(context_.RecordedJobs().Scheduled().empty());
  EXPECT_EQ(
      context_.RecordedEvents().PublishedTopics(),
      (std::vector<std::string>{"messaging.template.created", "messaging.message.suppressed"}));
}

TEST_F(MessagingServiceTest, AnEmailKeepsItsCcReplyToAndAttachmentsInTheTransactionThatQueuesIt) {
  const v1::SendMessageRequest send = Quotation();
  v1::Message queued;
  auto status = service_->SendMessage(&AsEditor()->context, &send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(queued.status(), v1::MESSAGE_STATUS_QUEUED);
  EXPECT_EQ(std::vector<std::string>(queued.cc().begin(), queued.cc().end()),
            (std::vector<std::string>{"bela@vevo.example", "iroda@vevo.example"}));
  EXPECT_EQ(queued.reply_to(), "ertekesites@ceg.example");
  ASSERT_EQ(queued.attachments_size(), 2);
  EXPECT_EQ(queued.attachments(0).file_name(), "árajánlat-ő.pdf");
  EXPECT_EQ(queued.attachments(0).media_type(), "application/pdf");  // in lower case
  EXPECT_EQ(queued.attachments(0).size_bytes(), 19);
  EXPECT_EQ(queued.attachments(0).document_id(), 0);  // a document once delivery stored it
  EXPECT_EQ(queued.attachments(1).file_name(), "tételek.csv");
  EXPECT_EQ(queued.attachments(1).size_bytes(), 18);
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), 1u);

  // The bytes are the database's, exactly, beside the message.
  auto lease = database_->Acquire();
  auto stored = repository::AttachmentsOf(lease.RawConnection(), queued.id());
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].content, send.attachments(0).content());
  EXPECT_EQ(stored[1].content, send.attachments(1).content());
  EXPECT_EQ(stored[1].position, 1);
  const auto audited = context_.RecordedAudit().Recorded();
  ASSERT_EQ(audited.size(), 1u);
  bool names_audited = false;
  for (const auto& change : audited[0].changes) {
    if (change.field == "attachments" && change.new_json) {
      names_audited = change.new_json->find(".pdf, ") != std::string::npos &&
                      change.new_json->find(".csv") != std::string::npos;
    }
  }
  EXPECT_TRUE(names_audited);

  // Delivery stores the first as a document, then the message is sent: the
  // bytes a document keeps go, the others stay until they are stored.
  repository::SetAttachmentDocument(lease.Session(), queued.id(), 0, 4242, "messaging.message");
  const auto sent =
      repository::MarkSent(lease.Session(), queued.id(), context_.Clock().Now(), "", 0);
  stored = repository::AttachmentsOf(lease.RawConnection(), queued.id());
  EXPECT_EQ(stored[0].document_id, 4242);
  EXPECT_EQ(stored[0].content, std::nullopt);
  EXPECT_EQ(stored[1].content, send.attachments(1).content());
  EXPECT_EQ(repository::DocumentsOnMessages(lease.Session(), {queued.id()}),
            std::vector<std::int64_t>{4242});
  const auto read = repository::FindMessage(lease.Session(), queued.id(), false);
  EXPECT_EQ(read->attachments(0).document_id(), 4242);
  EXPECT_EQ(read->attachments(0).size_bytes(), 19);
  // MarkSent answers with the message as a read gives it afterwards (the
  // payload of messaging.message.sent, made without that read).
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status(), v1::MESSAGE_STATUS_SENT);
  EXPECT_TRUE(sent->has_sent_time());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*sent, *read))
      << sent->ShortDebugString() << "\n"
      << read->ShortDebugString();
  EXPECT_FALSE(repository::MarkSent(lease.Session(), 999999, context_.Clock().Now(), "", 0));

  // Erasure keeps sizes and document references, not names, bytes or Cc.
  repository::EraseMessages(lease.Session(), {queued.id()});
  const auto erased = repository::FindMessage(lease.Session(), queued.id(), false);
  EXPECT_EQ(erased->cc_size(), 0);
  EXPECT_EQ(erased->reply_to(), "");
  EXPECT_EQ(erased->attachments(1).file_name(), "");
  EXPECT_EQ(erased->attachments(1).size_bytes(), 18);
  EXPECT_EQ(repository::AttachmentsOf(lease.RawConnection(), queued.id())[1].content, std::nullopt);
}

// Without attachments SendMessage answers with the row its INSERT returned
// (no read-back): the same message a read gives afterwards, which is also
// the payload of messaging.message.queued.
TEST_F(MessagingServiceTest, AnEmailWithoutAttachmentsIsAnsweredAsAReadGivesItAfterwards) {
  v1::SendMessageRequest send = Quotation();
  send.clear_attachments();
  v1::Message queued;
  const auto status = service_->SendMessage(&AsEditor()->context, &send, &queued);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(queued.status(), v1::MESSAGE_STATUS_QUEUED);
  EXPECT_TRUE(queued.has_create_time());
  EXPECT_EQ(queued.cc_size(), 2);
  auto lease = database_->Acquire();
  const auto read = repository::FindMessage(lease.Session(), queued.id(), false);
  ASSERT_TRUE(read);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(queued, *read))
      << queued.ShortDebugString() << "\n"
      << read->ShortDebugString();
}

TEST_F(MessagingServiceTest, AMarketingEmailSuppressedWhenQueuedKeepsNoAttachmentBytes) {
  v1::CreateSuppressionRequest opt_out;
  opt_out.mutable_suppression()->set_channel(v1::CHANNEL_EMAIL);
  opt_out.mutable_suppression()->set_address("anna@vevo.example");
  v1::Suppression suppression;
  ASSERT_TRUE(service_->CreateSuppression(&AsEditor()->context, &opt_out, &suppression).ok());
  v1::SendMessageRequest send = Quotation();
  send.set_category(v1::CATEGORY_MARKETING);
  send.clear_cc();
  v1::Message message;
  const auto status = service_->SendMessage(&AsEditor()->context, &send, &message);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(message.status(), v1::MESSAGE_STATUS_SUPPRESSED);
  EXPECT_EQ(message.attachments_size(), 2);
  EXPECT_EQ(Count("messaging.attachment WHERE content IS NULL"), "2");
}

TEST_F(MessagingServiceTest, EachBadCcReplyToOrAttachmentFieldIsNamedAndNothingIsWritten) {
  settings_.attachments_max_bytes = 64 * 1024;  // read at each call
  using Change = std::function<void(v1::SendMessageRequest&)>;
  const std::vector<std::pair<std::string, Change>> cases = {
      {"cc[1]", [](auto& r) { r.set_cc(1, "not an address"); }},
      {"cc[0]", [](auto& r) { r.set_cc(0, "a@b.example\r\nBcc: x@y.example"); }},
      {"cc",
       [](auto& r) {
         for (int i = 0; i < 19; ++i) r.add_cc("x" + std::to_string(i) + "@vevo.example");
       }},
      {"cc", [](auto& r) { r.set_category(v1::CATEGORY_MARKETING); }},
      {"reply_to", [](auto& r) { r.set_reply_to("ertekesites"); }},
      {"attachments",
       [](auto& r) {
         for (int i = 0; i < 9; ++i) *r.add_attachments() = r.attachments(1);
       }},
      {"attachments[1].file_name",
       [](auto& r) { r.mutable_attachments(1)->set_file_name("../x"); }},
      {"attachments[1].file_name",
       [](auto& r) { r.mutable_attachments(1)->set_file_name("a\nb.csv"); }},
      {"attachments[0].file_name", [](auto& r) { r.mutable_attachments(0)->clear_file_name(); }},
      {"attachments[1].file_name",
       [](auto& r) { r.mutable_attachments(1)->set_file_name("árajánlat-ő.PDF"); }},
      {"attachments[1].media_type",
       [](auto& r) { r.mutable_attachments(1)->set_media_type("text/csv; charset=utf-8"); }},
      {"attachments[0].media_type",
       [](auto& r) { r.mutable_attachments(0)->set_media_type("message/rfc822"); }},
      {"attachments[1].content", [](auto& r) { r.mutable_attachments(1)->set_content(""); }},
      {"attachments[1]", [](auto& r) { r.mutable_attachments(1)->clear_source(); }},
      {"attachments[0].document_id",
       [](auto& r) { r.mutable_attachments(0)->set_document_id(-5); }},
      {"attachments[1].content",
       [](auto& r) { r.mutable_attachments(1)->set_content(std::string(64 * 1024, 'x')); }},
      {"attachments",
       [](auto& r) {
         r.set_channel(v1::CHANNEL_LETTER);
         r.clear_cc();
         r.clear_reply_to();
         r.mutable_recipient()->clear_address();
         r.mutable_recipient()->set_partner_id(1);
       }},
      {"reply_to",
       [](auto& r) {
         r.set_channel(v1::CHANNEL_LETTER);
         r.clear_cc();
         r.mutable_recipient()->clear_address();
         r.mutable_recipient()->set_partner_id(1);
       }},
  };
  for (const auto& [field, change] : cases) {
    v1::SendMessageRequest send = Quotation();
    change(send);
    v1::Message message;
    const auto status = service_->SendMessage(&AsEditor()->context, &send, &message);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    const auto violations = kernel::FieldViolationsOf(status);
    ASSERT_EQ(violations.size(), 1u) << field << ": " << status.error_message();
    EXPECT_EQ(violations[0].field, field) << status.error_message();
  }
  EXPECT_EQ(Count("messaging.message"), "0");
  EXPECT_EQ(Count("messaging.attachment"), "0");
  EXPECT_TRUE(context_.RecordedJobs().Scheduled().empty());
  EXPECT_TRUE(context_.RecordedAudit().Recorded().empty());

  // At the limit exactly is fine.
  v1::SendMessageRequest send = Quotation();
  send.mutable_attachments(1)->set_content(std::string(64 * 1024 - 21, 'x'));
  v1::Message message;
  const auto status = service_->SendMessage(&AsEditor()->context, &send, &message);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(MessagingServiceTest, ACallersListThatANestedLoopWouldRepeatTooOftenIsRefusedOnVariables) {
  // A template that loops over the caller's lines, and inside each line over
  // all of them again: fine for an order of 10 lines, 10^9 steps for 1,000
  // (kMaxRenderSteps is 100,000), refused before rendering.
  v1::CreateTemplateRequest create;
  auto* tmpl = create.mutable_template_();
  tmpl->set_name("matrix");
  tmpl->set_language("hu");
  tmpl->set_channel(v1::CHANNEL_EMAIL);
  tmpl->set_subject("Tételek");
  tmpl->set_text_body("{{#lines}}{{#lines}}{{#lines}}.{{/lines}}{{/lines}}{{/lines}}");
  v1::Template stored;
  ASSERT_TRUE(service_->CreateTemplate(&AsEditor()->context, &create, &stored).ok());
  const auto send_with_lines = [&](int count, v1::Message& message) {
    v1::SendMessageRequest send;
    send.set_channel(v1::CHANNEL_EMAIL);
    send.set_category(v1::CATEGORY_TRANSACTIONAL);
    send.mutable_recipient()->set_address("anna@vevo.example");
    send.set_template_name("matrix");
    send.set_language("hu");
    auto* lines = (*send.mutable_variables()->mutable_fields())["lines"].mutable_list_value();
    for (int i = 0; i < count; ++i) lines->add_values()->set_number_value(i);
    return service_->SendMessage(&AsEditor()->context, &send, &message);
  };
  v1::Message refused;
  const auto status = send_with_lines(1000, refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  const auto violations = kernel::FieldViolationsOf(status);
  ASSERT_EQ(violations.size(), 1u) << status.error_message();
  EXPECT_EQ(violations[0].field, "variables");
  EXPECT_NE(status.error_message().find("template 'matrix'"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Count("messaging.message"), "0");
  EXPECT_TRUE(context_.RecordedJobs().Scheduled().empty());

  v1::Message sent;
  const auto accepted = send_with_lines(10, sent);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(sent.text_body(), std::string(1000, '.'));
}

}  // namespace

// SendMessages (what campaigns hand recipients over with): each request is
// judged as SendMessage would judge it, a refused one is named by its
// index and field and writes nothing, and every accepted message is
// written in one transaction.
TEST_F(MessagingServiceTest, SendMessagesWritesTheAcceptedInOneTransactionAndNamesEachRefusal) {
  settings_.marketing_requires_opt_in = false;
  v1::Template stored;
  ASSERT_TRUE(CreateNewsletter(stored).ok());
  v1::Message earlier;
  {
    v1::SendMessageRequest send;
    send.set_channel(v1::CHANNEL_EMAIL);
    send.set_category(v1::CATEGORY_TRANSACTIONAL);
    send.mutable_recipient()->set_address("korabbi@vevo.example");
    send.set_subject("Korábbi");
    send.set_text_body("Már elment.");
    send.set_idempotency_key("earlier");
    ASSERT_TRUE(service_->SendMessage(&AsEditor()->context, &send, &earlier).ok());
  }
  const auto newsletter_to = [](const std::string& address, const std::string& key) {
    v1::SendMessageRequest send;
    send.set_channel(v1::CHANNEL_EMAIL);
    send.set_category(v1::CATEGORY_MARKETING);
    send.mutable_recipient()->set_address(address);
    send.set_template_name("newsletter");
    send.set_language("hu");
    send.set_idempotency_key(key);
    (*send.mutable_variables()->mutable_fields())["name"].set_string_value("Anna");
    return send;
  };
  v1::SendMessagesRequest batch;
  *batch.add_requests() = newsletter_to("anna@vevo.example", "");          // 0: queued
  *batch.add_requests() = newsletter_to("not-an-address", "");             // 1: refused
  *batch.add_requests() = newsletter_to("bela@vevo.example", "b-1");       // 2: queued
  *batch.add_requests() = newsletter_to("bela@vevo.example", "b-1");       // 3: the same as 2
  *batch.add_requests() = newsletter_to("cecil@vevo.example", "earlier");  // 4: the earlier one
  auto unknown = newsletter_to("dora@vevo.example", "");
  unknown.set_template_name("no-such-template");
  *batch.add_requests() = unknown;  // 5: refused
  auto attached = newsletter_to("edit@vevo.example", "");
  attached.add_attachments()->set_file_name("a.txt");
  *batch.add_requests() = attached;  // 6: refused: attachments go one by one
  v1::SendMessagesResponse answer;
  const auto status = service_->SendMessages(&AsEditor()->context, &batch, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answer.results_size(), 7);

  EXPECT_EQ(answer.results(0).message().status(), v1::MESSAGE_STATUS_QUEUED);
  EXPECT_EQ(answer.results(0).message().subject(), "Hírlevél, Anna");
  EXPECT_EQ(answer.results(1).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(answer.results(1).error().message(),
            "requests[1].recipient.address: is not an email address");
  EXPECT_FALSE(answer.results(1).has_message());
  EXPECT_GT(answer.results(2).message().id(), 0);
  EXPECT_EQ(answer.results(3).message().id(), answer.results(2).message().id());
  EXPECT_EQ(answer.results(4).message().id(), earlier.id());
  EXPECT_EQ(answer.results(4).message().address(), "korabbi@vevo.example");
  EXPECT_EQ(answer.results(5).error().code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(answer.results(5).error().message().find("requests[5].template_name"),
            std::string::npos)
      << answer.results(5).error().message();
  EXPECT_NE(answer.results(6).error().message().find("requests[6].attachments"), std::string::npos)
      << answer.results(6).error().message();

  // Two new messages, their jobs and their audit entries; both rows from
  // one transaction.
  EXPECT_EQ(Count("messaging.message"), "3");
  EXPECT_EQ(karton::testing::QueryScalar(
                conninfo_, "SELECT count(DISTINCT xmin::text) FROM messaging.message WHERE id <> " +
                               std::to_string(earlier.id())),
            "1");
  EXPECT_EQ(context_.RecordedJobs().Scheduled().size(), 3u);
  EXPECT_EQ(context_.RecordedAudit().Recorded().size(), 4u);  // template, earlier, two new

  // The whole call is refused only when the batch itself is wrong.
  v1::SendMessagesRequest empty;
  EXPECT_EQ(kernel::FieldViolationsOf(service_->SendMessages(&AsEditor()->context, &empty, &answer))
                .at(0)
                .field,
            "requests");
}

}  // namespace karton::messaging

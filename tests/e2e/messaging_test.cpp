// The messaging module end to end: kartond with messaging and partners on a
// throwaway database, email delivered to a real SMTP server on loopback
// (aiosmtpd, tests/harness/smtp_sink.py).
#include <fstream>
#include <set>

#include "messaging_fixture.h"

namespace karton::testing {
namespace {

TEST_F(MessagingTest, ATemplatedEmailReachesThePartnerOnceWithItsUtf8Subject) {
  Start();
  partners::v1::CreatePartnerRequest create_partner;
  create_partner.mutable_partner()->set_kind(partners::v1::PARTNER_KIND_ORGANIZATION);
  create_partner.mutable_partner()->set_display_name("Kovács és Társa Kft.");
  create_partner.mutable_partner()->add_emails("iroda@kovacs.example");
  partners::v1::Partner partner;
  ASSERT_TRUE(partners_->CreatePartner(Call().get(), create_partner, &partner).ok());

  mv1::CreateTemplateRequest create_template;
  auto* tmpl = create_template.mutable_template_();
  tmpl->set_name("offer");
  tmpl->set_language("hu");
  tmpl->set_channel(mv1::CHANNEL_EMAIL);
  tmpl->set_subject("Őszi ajánlat: {{partner.displayName}}");
  tmpl->set_text_body("Kedves {{partner.displayName}}!\n{{#items}}- {{name}}\n{{/items}}");
  tmpl->set_html_body("<p>Kedves {{partner.displayName}}!</p>");
  mv1::Template stored;
  ASSERT_TRUE(messaging_->CreateTemplate(Call().get(), create_template, &stored).ok());

  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.set_category(mv1::CATEGORY_TRANSACTIONAL);
  send.mutable_recipient()->set_partner_id(partner.id());
  send.set_template_name("offer");
  send.set_language("hu");
  (*send.mutable_variables()->mutable_fields())["items"]
      .mutable_list_value()
      ->add_values()
      ->mutable_struct_value()
      ->mutable_fields()
      ->
      operator[]("name")
      .set_string_value("Ablakcsere");
  send.set_idempotency_key("offer-2026-11-" + std::to_string(partner.id()));
  mv1::Message queued;
  const auto sent = messaging_->SendMessage(Call().get(), send, &queued);
  ASSERT_TRUE(sent.ok()) << sent.error_message();
  EXPECT_EQ(queued.address(), "iroda@kovacs.example");
  EXPECT_EQ(queued.subject(), "Őszi ajánlat: Kovács és Társa Kft.");
  EXPECT_EQ(queued.text_body(), "Kedves Kovács és Társa Kft.!\n- Ablakcsere\n");
  EXPECT_EQ(queued.html_body(), "<p>Kedves Kovács és Társa Kft.!</p>");

  const mv1::Message done = WaitForStatus(queued.id(), mv1::MESSAGE_STATUS_SENT);
  EXPECT_EQ(done.status(), mv1::MESSAGE_STATUS_SENT) << done.last_error();
  EXPECT_EQ(done.attempts(), 1);
  EXPECT_TRUE(done.has_sent_time());
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  const ReceivedMail mail = sink_->Messages().at(0);
  EXPECT_EQ(mail.recipients, std::vector<std::string>{"iroda@kovacs.example"});
  EXPECT_EQ(DecodeEncodedWords(mail.Header("Subject")), "Őszi ajánlat: Kovács és Társa Kft.");
  EXPECT_EQ(mail.Header("Message-ID"), "<" + done.provider_message_id() + ">");
  EXPECT_NE(mail.Header("Content-Type").find("multipart/alternative"), std::string::npos);
  EXPECT_EQ(DecodeEncodedWords(mail.Header("From")), "Karton Értesítő");

  // The same idempotency key again: the same message, nothing new sent.
  mv1::Message again;
  ASSERT_TRUE(messaging_->SendMessage(Call().get(), send, &again).ok());
  EXPECT_EQ(again.id(), queued.id());
  ASSERT_TRUE(WaitUntilNothingIsDue(conninfo_));  // every delivery job has run
  EXPECT_EQ(sink_->Messages().size(), 1u);

  mv1::ListMessagesRequest list;
  list.set_partner_id(partner.id());
  mv1::ListMessagesResponse listed;
  ASSERT_TRUE(messaging_->ListMessages(Call().get(), list, &listed).ok());
  ASSERT_EQ(listed.messages_size(), 1);
  EXPECT_EQ(listed.messages(0).id(), queued.id());
}

TEST_F(MessagingTest, TemporaryFailuresAreRetriedAndPermanentOnesStop) {
  Start(/*temporary_failures=*/2);
  const mv1::Message retried = SendInline("anna@example.com");
  const mv1::Message done = WaitForStatus(retried.id(), mv1::MESSAGE_STATUS_SENT);
  EXPECT_EQ(done.status(), mv1::MESSAGE_STATUS_SENT) << done.last_error();
  EXPECT_EQ(done.attempts(), 3);
  ASSERT_TRUE(sink_->WaitForMessages(1, std::chrono::seconds(5)));
  EXPECT_EQ(sink_->Messages().size(), 1u);

  const mv1::Message refused = SendInline("nobody@rejected.example");
  const mv1::Message failed = WaitForStatus(refused.id(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_EQ(failed.status(), mv1::MESSAGE_STATUS_FAILED);
  EXPECT_EQ(failed.attempts(), 1);
  EXPECT_NE(failed.last_error().find("550"), std::string::npos) << failed.last_error();
}

TEST_F(MessagingTest, ConnectionsToTheSmtpServerAreReusedAcrossMessages) {
  Start();
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) SendInline("reuse" + std::to_string(i) + "@example.com");
  ASSERT_TRUE(sink_->WaitForMessages(kMessages, std::chrono::seconds(30)));
  std::set<std::string> connections;
  for (const ReceivedMail& mail : sink_->Messages()) connections.insert(mail.peer);
  // One connection per job worker (two by default) at most, not one per message.
  EXPECT_LE(connections.size(), 2u);
}

TEST_F(MessagingTest, BadInputNamesTheFieldAndQueuesNothing) {
  Start();
  mv1::CreateTemplateRequest create;
  auto* tmpl = create.mutable_template_();
  tmpl->set_name("broken");
  tmpl->set_language("en");
  tmpl->set_channel(mv1::CHANNEL_EMAIL);
  tmpl->set_subject("Hello");
  tmpl->set_text_body("Dear {{name}},\nyour order {{#items}}{{name}}");
  mv1::Template stored;
  const auto broken = messaging_->CreateTemplate(Call().get(), create, &stored);
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const auto violations = kernel::FieldViolationsOf(broken);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "template.text_body");
  EXPECT_NE(violations[0].description.find("line 2, column 12"), std::string::npos)
      << violations[0].description;

  mv1::SendMessageRequest send;
  send.set_channel(mv1::CHANNEL_EMAIL);
  send.mutable_recipient()->set_address("a@example.com");
  send.set_subject("s");
  send.set_text_body("t");
  mv1::Message message;
  auto status = messaging_->SendMessage(Call().get(), send, &message);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "category");
  send.set_category(mv1::CATEGORY_MARKETING);
  send.mutable_recipient()->set_address("not an address");
  status = messaging_->SendMessage(Call().get(), send, &message);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "recipient.address");
  send.mutable_recipient()->set_address("");
  send.mutable_recipient()->set_partner_id(424242);
  status = messaging_->SendMessage(Call().get(), send, &message);
  EXPECT_EQ(kernel::FieldViolationsOf(status).at(0).field, "recipient.partner_id");

  mv1::ListMessagesResponse listed;
  ASSERT_TRUE(messaging_->ListMessages(Call().get(), {}, &listed).ok());
  EXPECT_EQ(listed.messages_size(), 0);
}

TEST_F(MessagingTest, SmtpCredentialsComeFromAFileAndAreNeverSentWithoutTls) {
  Start();
  // The sink offers no STARTTLS. With a user and password configured, no
  // message may go out over it: the login would cross the wire in clear.
  const std::string host_port = sink_->Url().substr(std::string("smtp://").size());
  const auto password_file = data_dir_.Path() / "smtp.password";
  { std::ofstream(password_file) << "pa55-in-a-file\n"; }
  extra_ = {"--smtp-url",           "smtp://mailer@" + host_port,
            "--smtp-password-file", password_file.string(),
            "--log-level",          "debug"};
  Restart();
  const mv1::Message queued = SendInline("anna@example.com");
  mv1::GetMessageRequest get;
  get.set_id(queued.id());
  mv1::Message message;
  for (int i = 0; i < 200 && message.last_error().empty(); ++i) {
    ASSERT_TRUE(messaging_->GetMessage(Call().get(), get, &message).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(message.last_error().find("over TLS only"), std::string::npos) << message.last_error();
  EXPECT_NE(message.status(), mv1::MESSAGE_STATUS_SENT);
  EXPECT_NE(message.status(), mv1::MESSAGE_STATUS_FAILED) << "it is kept to be tried again";
  EXPECT_TRUE(sink_->Messages().empty());
  // Neither the password nor the user-info shows in what kartond printed.
  EXPECT_EQ(kartond_->Stderr().find("pa55-in-a-file"), std::string::npos);

  // A missing password file is a start error that names the file, not a secret.
  extra_ = {"--smtp-url", "smtp://mailer:pa55-on-the-line@" + host_port, "--smtp-password-file",
            (data_dir_.Path() / "missing").string()};
  kartond_.reset();
  front_.reset();  // split across two kartonds (messaging_fixture.h): it holds data_dir_
  std::vector<std::string> arguments{"--database-url", conninfo_,
                                     "--data-dir",     data_dir_.Path().string(),
                                     "--modules-dir",  ProductModulesDirectory().string(),
                                     "--modules",      "messaging",
                                     "--mail-from",    "noreply@karton.example"};
  arguments.insert(arguments.end(), extra_.begin(), extra_.end());
  KartondProcess refused(arguments);
  EXPECT_EQ(refused.WaitForExit(), 1);
  EXPECT_NE(refused.Stderr().find("cannot read the secret file"), std::string::npos)
      << refused.Stderr();
  EXPECT_EQ(refused.Stderr().find("pa55-on-the-line"), std::string::npos) << refused.Stderr();
}

}  // namespace
}  // namespace karton::testing

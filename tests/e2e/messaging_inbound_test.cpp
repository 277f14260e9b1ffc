// Inbound email (docs/messaging.md, "Inbound email"): a real Dovecot holds
// the mailbox (tests/e2e/imap_server.h), a real kartond with crm, messaging
// and partners polls it over IMAP. What each kind of email becomes, and that
// a restart reads nothing twice.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "imap_server.h"
#include "karton/crm/v1/lead_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "smtp_sink.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;
namespace cv1 = crm::v1;

class InboundEmailTest : public ::testing::Test {
 protected:
  void Start(const std::string& unknown_sender) {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    unknown_sender_ = unknown_sender;
    Restart();
  }

  void Restart() {
    kartond_.reset();
    std::vector<std::string> arguments{
        "--database-url",  conninfo_,
        "--data-dir",      data_dir_.Path().string(),
        "--modules-dir",   ProductModulesDirectory().string(),
        "--modules",       "crm",
        "--job-poll-ms",   "100",
        "--event-poll-ms", "200",
        "--smtp-url",      sink_.Url(),
        "--mail-from",     "Karton <noreply@karton.example>",
        "--module-option", "messaging.email_per_second=0",
        "--module-option", "messaging.imap_url=" + imap_.Url(),
        "--module-option", "messaging.inbound_poll_seconds=1",
        "--module-option", "messaging.inbound_unknown_sender=" + unknown_sender_};
    arguments.insert(arguments.end(), extra_options_.begin(), extra_options_.end());
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    channel_ = grpc::CreateChannel(kartond_->GrpcAddress(), grpc::InsecureChannelCredentials());
    admin_ = kartond_->AdminToken();
  }

  std::unique_ptr<grpc::ClientContext> Call() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context->AddMetadata("authorization", "Bearer " + admin_);
    return context;
  }

  std::string Sql(const std::string& sql) const { return QueryScalar(conninfo_, sql); }

  // Waits (bounded) until `count` inbound emails are processed.
  bool WaitProcessed(int count) const {
    for (int i = 0; i < 600; ++i) {
      if (std::stoi(Sql("SELECT count(*) FROM messaging.inbound_email WHERE status = "
                        "'processed'")) >= count) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  mv1::Message SendAndWait(const mv1::SendMessageRequest& request) {
    auto messaging = mv1::MessagingService::NewStub(channel_);
    mv1::Message message;
    const auto status = messaging->SendMessage(Call().get(), request, &message);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return WaitForStatus(message.id(), mv1::MESSAGE_STATUS_SENT);
  }

  mv1::Message WaitForStatus(std::int64_t id, mv1::MessageStatus wanted) {
    auto messaging = mv1::MessagingService::NewStub(channel_);
    mv1::GetMessageRequest request;
    request.set_id(id);
    mv1::Message message;
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE(messaging->GetMessage(Call().get(), request, &message).ok());
      if (message.status() == wanted) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return message;
  }

  mv1::SendMessageRequest Email(const std::string& address, std::int64_t partner_id = 0) {
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(mv1::CATEGORY_TRANSACTIONAL);
    if (partner_id != 0) {
      request.mutable_recipient()->set_partner_id(partner_id);
    } else {
      request.mutable_recipient()->set_address(address);
    }
    request.set_subject("Árajánlat");
    request.set_text_body("Mellékelten küldjük.");
    return request;
  }

  std::vector<pv1::Interaction> InboundTimeline(std::int64_t partner_id) {
    pv1::ListTimelineRequest request;
    request.set_partner_id(partner_id);
    request.set_page_size(1000);
    pv1::ListTimelineResponse response;
    EXPECT_TRUE(pv1::PartnerService::NewStub(channel_)
                    ->ListTimeline(Call().get(), request, &response)
                    .ok());
    std::vector<pv1::Interaction> inbound;
    for (const auto& entry : response.interactions()) {
      if (entry.direction() == pv1::INTERACTION_DIRECTION_INBOUND) inbound.push_back(entry);
    }
    return inbound;
  }

  std::vector<pv1::Document> Documents(std::int64_t partner_id) {
    pv1::ListDocumentsRequest request;
    request.set_resource_type("partners.partner");
    request.set_resource_id(partner_id);
    pv1::ListDocumentsResponse response;
    EXPECT_TRUE(pv1::PartnerService::NewStub(channel_)
                    ->ListDocuments(Call().get(), request, &response)
                    .ok());
    return {response.documents().begin(), response.documents().end()};
  }

  std::vector<cv1::Lead> EmailLeads() {
    cv1::ListLeadsRequest request;
    request.set_source(cv1::LEAD_SOURCE_EMAIL);
    cv1::ListLeadsResponse response;
    const auto status =
        cv1::LeadService::NewStub(channel_)->ListLeads(Call().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.leads().begin(), response.leads().end()};
  }

  int Events(const std::string& topic) const {
    return std::stoi(
        Sql(fmt::format("SELECT count(*) FROM (SELECT topic FROM kernel.event UNION ALL SELECT "
                        "topic FROM kernel.event_outbox) e WHERE topic = '{}'",
                        topic)));
  }

  ImapServer imap_;
  SmtpSink sink_;
  TemporaryDirectory data_dir_;
  std::string conninfo_;
  std::string unknown_sender_;
  std::vector<std::string> extra_options_;  // more kartond options, before Start
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string admin_;
};

std::string Dsn(const std::string& original_id, const std::string& recipient,
                const std::string& status) {
  return fmt::format(
      "From: MAILER-DAEMON@mx.nowhere.example (Mail Delivery System)\r\n"
      "To: noreply@karton.example\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "Message-ID: <dsn-{status}@mx.nowhere.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n"
      "\r\n"
      "--r\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "Your message could not be delivered.\r\n"
      "--r\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mx.nowhere.example\r\n"
      "\r\n"
      "Final-Recipient: rfc822; {recipient}\r\n"
      "Action: failed\r\n"
      "Status: {status}\r\n"
      "Diagnostic-Code: smtp; {status} mailbox problem\r\n"
      "\r\n"
      "--r\r\n"
      "Content-Type: text/rfc822-headers\r\n"
      "\r\n"
      "From: noreply@karton.example\r\n"
      "To: {recipient}\r\n"
      "Message-ID: <{original_id}>\r\n"
      "\r\n"
      "--r--\r\n",
      fmt::arg("status", status), fmt::arg("recipient", recipient),
      fmt::arg("original_id", original_id));
}

TEST_F(InboundEmailTest, FilesRepliesLeadsAndBouncesOnceAcrossRestarts) {
  Start("lead");
  auto partners = pv1::PartnerService::NewStub(channel_);
  pv1::CreatePartnerRequest partner_request;
  partner_request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  partner_request.mutable_partner()->set_display_name("Kovács Kft.");
  partner_request.mutable_partner()->add_emails("iroda@kovacs.example");
  pv1::Partner partner;
  ASSERT_TRUE(partners->CreatePartner(Call().get(), partner_request, &partner).ok());
  pv1::CreateContactRequest contact_request;
  contact_request.set_partner_id(partner.id());
  contact_request.mutable_contact()->set_name("Kovács Béla");
  contact_request.mutable_contact()->add_emails("bela@kovacs.example");
  pv1::Contact contact;
  ASSERT_TRUE(partners->CreateContact(Call().get(), contact_request, &contact).ok());

  // What Karton sent: a quotation to the partner, two emails to addresses
  // that will bounce.
  const auto quotation = SendAndWait(Email("", partner.id()));
  ASSERT_EQ(quotation.status(), mv1::MESSAGE_STATUS_SENT);
  const auto hard = SendAndWait(Email("nobody@nowhere.example"));
  const auto soft = SendAndWait(Email("full@nowhere.example"));
  ASSERT_FALSE(quotation.provider_message_id().empty());

  const std::string reply = fmt::format(
      "From: =?UTF-8?Q?Kov=C3=A1cs_B=C3=A9la?= <Bela@Kovacs.example>\r\n"
      "To: noreply@karton.example\r\n"
      "Subject: =?UTF-8?B?UmU6IMOBcmFqw6FubGF0?=\r\n"
      "Date: Fri, 04 Dec 2026 10:15:00 +0100\r\n"
      "Message-ID: <reply-1@kovacs.example>\r\n"
      "In-Reply-To: <{0}>\r\n"
      "References: <{0}>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
      "\r\n"
      "--b\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n"
      "Elfogadjuk, a megrendelőt csatoltam.\r\n"
      "--b\r\n"
      "Content-Type: application/pdf; name=\"megrendelo.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"megrendelo.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "JVBERi0xLjQKJcOkw7w=\r\n"
      "--b--\r\n",
      quotation.provider_message_id());
  imap_.Append(reply);
  imap_.Append(
      "From: Idegen Ede <stranger@elsewhere.example>\r\n"
      "To: noreply@karton.example\r\n"
      "Subject: =?UTF-8?Q?Aj=C3=A1nlatk=C3=A9r=C3=A9s?=\r\n"
      "Message-ID: <new-1@elsewhere.example>\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "\r\n"
      "Kérnék egy ajánlatot 200 dobozra.\r\n");
  imap_.Append(Dsn(hard.provider_message_id(), "nobody@nowhere.example", "5.1.1"));
  imap_.Append(Dsn(soft.provider_message_id(), "full@nowhere.example", "4.2.2"));
  ASSERT_TRUE(WaitProcessed(4)) << kartond_->Stderr() << imap_.Log();

  // Known sender: on the partner's timeline, with the contact and the
  // attachment as the partner's document.
  const auto timeline = InboundTimeline(partner.id());
  ASSERT_EQ(timeline.size(), 1u);
  EXPECT_EQ(timeline[0].subject(), "Re: Árajánlat");
  EXPECT_EQ(timeline[0].contact_id(), contact.id());
  EXPECT_EQ(timeline[0].channel(), pv1::INTERACTION_CHANNEL_EMAIL);
  EXPECT_NE(timeline[0].body().find("Elfogadjuk, a megrendelőt csatoltam."), std::string::npos)
      << timeline[0].body();
  EXPECT_EQ(timeline[0].occur_time().seconds(), 1796375700);
  const auto documents = Documents(partner.id());
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0].name(), "megrendelo.pdf");
  EXPECT_EQ(documents[0].content_type(), "application/pdf");
  // The reply is linked to the quotation it answers, in its thread.
  EXPECT_EQ(Sql("SELECT related_message_id FROM messaging.inbound_email WHERE message_key = "
                "'reply-1@kovacs.example'"),
            std::to_string(quotation.id()));
  EXPECT_EQ(Sql("SELECT thread_id FROM messaging.inbound_email WHERE message_key = "
                "'reply-1@kovacs.example'"),
            quotation.provider_message_id());

  // Unknown sender: a crm lead from email.
  const auto leads = EmailLeads();
  ASSERT_EQ(leads.size(), 1u);
  EXPECT_EQ(leads[0].email(), "stranger@elsewhere.example");
  EXPECT_EQ(leads[0].contact_name(), "Idegen Ede");
  EXPECT_EQ(leads[0].title(), "Ajánlatkérés");
  EXPECT_NE(leads[0].message().find("200 dobozra"), std::string::npos);

  // Bounces: both messages bounced; only the hard one suppresses the address.
  EXPECT_EQ(WaitForStatus(hard.id(), mv1::MESSAGE_STATUS_BOUNCED).status(),
            mv1::MESSAGE_STATUS_BOUNCED);
  const auto soft_now = WaitForStatus(soft.id(), mv1::MESSAGE_STATUS_BOUNCED);
  EXPECT_EQ(soft_now.status(), mv1::MESSAGE_STATUS_BOUNCED);
  EXPECT_NE(soft_now.last_error().find("4.2.2"), std::string::npos) << soft_now.last_error();
  auto messaging = mv1::MessagingService::NewStub(channel_);
  mv1::ListSuppressionsRequest suppressions_request;
  suppressions_request.set_channel(mv1::CHANNEL_EMAIL);
  mv1::ListSuppressionsResponse suppressions;
  ASSERT_TRUE(messaging->ListSuppressions(Call().get(), suppressions_request, &suppressions).ok());
  ASSERT_EQ(suppressions.suppressions_size(), 1);
  EXPECT_EQ(suppressions.suppressions(0).address(), "nobody@nowhere.example");
  EXPECT_EQ(suppressions.suppressions(0).source(), mv1::SUPPRESSION_SOURCE_BOUNCE);
  EXPECT_EQ(suppressions.suppressions(0).message_id(), hard.id());
  EXPECT_EQ(Events("messaging.message.bounced"), 2);
  EXPECT_EQ(Events("messaging.email.received"), 4);
  // Fetched messages are \Seen in the mailbox.
  EXPECT_EQ(imap_.CountUnseen(), 0);

  // A restart, the same reply delivered a second time (a new UID, the same
  // Message-ID), and one new email from the partner's own address.
  Restart();
  imap_.Append(reply);
  imap_.Append(
      "From: iroda@kovacs.example\r\n"
      "Subject: Szállítás\r\n"
      "Message-ID: <after-restart@kovacs.example>\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "\r\n"
      "Mikor jön?\r\n");
  ASSERT_TRUE(WaitProcessed(5)) << kartond_->Stderr();
  // The UID cursor has moved past both new ones: nothing more is coming.
  for (int i = 0; i < 300 && Sql("SELECT last_uid FROM messaging.inbound_cursor") != "6"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Sql("SELECT last_uid FROM messaging.inbound_cursor"), "6");
  EXPECT_EQ(Sql("SELECT count(*) FROM messaging.inbound_email"), "5");
  const auto after = InboundTimeline(partner.id());
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].subject(), "Szállítás");
  EXPECT_EQ(after[0].contact_id(), 0);
  EXPECT_EQ(Documents(partner.id()).size(), 1u);
  EXPECT_EQ(EmailLeads().size(), 1u);
  EXPECT_EQ(Events("messaging.email.received"), 5);
}

// A message over messaging.inbound_max_mib is never downloaded: its size
// is asked first (RFC822.SIZE), it is recorded as skipped with the reason,
// left unread in the mailbox, and no later poll takes it.
TEST_F(InboundEmailTest, SkipsAnEmailOverTheSizeCapOnceAndLeavesItUnread) {
  extra_options_ = {"--module-option", "messaging.inbound_max_mib=1"};
  Start("ignore");
  std::string big =
      "From: sender@big.example\r\n"
      "Subject: Nagy melléklet\r\n"
      "Message-ID: <big-1@big.example>\r\n"
      "\r\n";
  const std::string line(76, 'A');
  while (big.size() < 1536 * 1024) big += line + "\r\n";
  const auto small = [](const std::string& id) {
    return fmt::format(
        "From: sender@big.example\r\n"
        "Subject: Kicsi\r\n"
        "Message-ID: <{}@big.example>\r\n"
        "\r\n"
        "Csak szöveg.\r\n",
        id);
  };
  imap_.Append(big);
  imap_.MarkAllUnseen();  // APPEND flagged it \Seen; a fetch would again
  imap_.Append(small("small-1"));
  // The poll takes the UIDs in order: the big one's row is in before the
  // small one is processed.
  ASSERT_TRUE(WaitProcessed(1)) << kartond_->Stderr() << imap_.Log();
  EXPECT_EQ(Sql("SELECT message_key FROM messaging.inbound_email WHERE status = 'processed'"),
            "small-1@big.example");
  EXPECT_EQ(Sql("SELECT uid || ' ' || (raw IS NULL) || ' ' || (size_bytes > 1048576) || ' ' || "
                "(size_bytes < 1700000) || ' ' || kind FROM messaging.inbound_email WHERE status "
                "= 'skipped'"),
            "1 true true true ");
  const std::string reason =
      Sql("SELECT skip_reason FROM messaging.inbound_email WHERE status = 'skipped'");
  EXPECT_NE(reason.find("over messaging.inbound_max_mib (1 MiB): not downloaded"),
            std::string::npos)
      << reason;
  EXPECT_NE(kartond_->Stderr().find("the email with UID 1 skipped"), std::string::npos)
      << kartond_->Stderr();
  // Never fetched: BODY[] would have flagged it \Seen (the small one is).
  EXPECT_EQ(imap_.CountUnseen(), 1);
  EXPECT_EQ(Events("messaging.email.received"), 1);

  // Later polls, after a restart too, do not take it again.
  Restart();
  imap_.Append(small("small-2"));
  ASSERT_TRUE(WaitProcessed(2)) << kartond_->Stderr();
  EXPECT_EQ(Sql("SELECT count(*) FROM messaging.inbound_email WHERE status = 'skipped'"), "1");
  EXPECT_EQ(Sql("SELECT count(*) FROM messaging.inbound_email"), "3");
  EXPECT_EQ(imap_.CountUnseen(), 1);
  EXPECT_EQ(kartond_->Stderr().find("the email with UID"), std::string::npos) << kartond_->Stderr();
}

// Received email is the sender's personal data: in their export (by
// partner, by contact, by address alone) and gone with their erasure.
TEST_F(InboundEmailTest, ReceivedEmailIsInTheSendersExportAndGoesWithTheirErasure) {
  Start("ignore");
  auto partners = pv1::PartnerService::NewStub(channel_);
  pv1::CreatePartnerRequest partner_request;
  partner_request.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  partner_request.mutable_partner()->set_display_name("Szabó Bt.");
  partner_request.mutable_partner()->add_emails("iroda@szabo.example");
  pv1::Partner partner;
  ASSERT_TRUE(partners->CreatePartner(Call().get(), partner_request, &partner).ok());
  pv1::CreateContactRequest contact_request;
  contact_request.set_partner_id(partner.id());
  contact_request.mutable_contact()->set_name("Szabó Jenő");
  contact_request.mutable_contact()->add_emails("jeno@szabo.example");
  pv1::Contact contact;
  ASSERT_TRUE(partners->CreateContact(Call().get(), contact_request, &contact).ok());
  imap_.Append(
      "From: =?UTF-8?Q?Szab=C3=B3_Jen=C5=91?= <Jeno@Szabo.example>\r\n"
      "Subject: Kérdés a szállításról\r\n"
      "Message-ID: <jeno-1@szabo.example>\r\n"
      "\r\n"
      "Mikor jön a csomag?\r\n");
  imap_.Append(
      "From: Idegen Irma <irma@idegen.example>\r\n"
      "Subject: Ismeretlen feladó\r\n"
      "Message-ID: <irma-1@idegen.example>\r\n"
      "\r\n"
      "Szia!\r\n");
  ASSERT_TRUE(WaitProcessed(2)) << kartond_->Stderr() << imap_.Log();
  const std::string jenos =
      Sql("SELECT id FROM messaging.inbound_email WHERE message_key = 'jeno-1@szabo.example'");
  const std::string irmas =
      Sql("SELECT id FROM messaging.inbound_email WHERE message_key = 'irma-1@idegen.example'");

  // messaging's records in an export: "type id", and the inbound one's JSON.
  const auto exported = [&](pv1::ExportPersonalDataRequest request, std::string& json) {
    pv1::PersonalData data;
    const auto status = partners->ExportPersonalData(Call().get(), request, &data);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> records;
    for (const auto& section : data.sections()) {
      if (section.module() != "messaging") continue;
      for (const auto& record : section.records()) {
        records.push_back(record.resource_type() + " " + std::to_string(record.resource_id()));
        if (record.resource_type() == "messaging.inbound_email") json += record.json();
      }
    }
    return records;
  };
  pv1::ExportPersonalDataRequest by_partner;
  by_partner.set_partner_id(partner.id());
  std::string json;
  EXPECT_EQ(exported(by_partner, json),
            std::vector<std::string>{"messaging.inbound_email " + jenos});
  EXPECT_NE(json.find("\"subject\":\"Kérdés a szállításról\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"fromAddress\":\"jeno@szabo.example\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"contactId\":\"" + std::to_string(contact.id()) + "\""), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"kind\":\"INBOUND_KIND_KNOWN_SENDER\""), std::string::npos) << json;
  pv1::ExportPersonalDataRequest by_contact;
  by_contact.set_contact_id(contact.id());
  json.clear();
  EXPECT_EQ(exported(by_contact, json),
            std::vector<std::string>{"messaging.inbound_email " + jenos});
  pv1::ExportPersonalDataRequest by_address;
  by_address.set_email("irma@idegen.example");
  json.clear();
  EXPECT_EQ(exported(by_address, json),
            std::vector<std::string>{"messaging.inbound_email " + irmas});
  EXPECT_NE(json.find("Ismeretlen feladó"), std::string::npos) << json;

  // Erased by address alone: her email's address and subject go, with the
  // audit values and the event's payload; Jenő's stays.
  pv1::ErasePersonalDataRequest erase;
  erase.set_email("irma@idegen.example");
  erase.set_reason("DSR-2026-40");
  pv1::ErasePersonalDataResponse erased;
  const auto status = partners->ErasePersonalData(Call().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> outcomes;
  for (const auto& section : erased.sections()) {
    for (const auto& record : section.records()) {
      if (record.resource_type() == "messaging.inbound_email") {
        outcomes.push_back(std::to_string(record.resource_id()) + " " + record.outcome());
      }
    }
  }
  EXPECT_EQ(outcomes, std::vector<std::string>{irmas + " erased"});
  EXPECT_EQ(
      Sql("SELECT from_address || '|' || subject FROM messaging.inbound_email WHERE id = " + irmas),
      "|");
  EXPECT_EQ(Sql("SELECT count(*) FROM (SELECT payload FROM kernel.event UNION ALL SELECT "
                "payload FROM kernel.event_outbox) e WHERE position(convert_to("
                "'irma@idegen.example', 'UTF8') IN payload) > 0"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM kernel.audit_entry WHERE changes::text LIKE "
                "'%irma@idegen.example%'"),
            "0");
  EXPECT_EQ(Sql("SELECT from_address FROM messaging.inbound_email WHERE id = " + jenos),
            "jeno@szabo.example");
  json.clear();
  EXPECT_TRUE(exported(by_address, json).empty());
}

TEST_F(InboundEmailTest, IgnoresUnknownSendersWhenToldTo) {
  Start("ignore");
  imap_.Append(
      "From: stranger@elsewhere.example\r\n"
      "Subject: Hello\r\n"
      "Message-ID: <ignored-1@elsewhere.example>\r\n"
      "\r\n"
      "Hi\r\n");
  ASSERT_TRUE(WaitProcessed(1)) << kartond_->Stderr() << imap_.Log();
  EXPECT_EQ(Sql("SELECT kind FROM messaging.inbound_email"), "unknown_sender_ignored");
  EXPECT_TRUE(EmailLeads().empty());
  EXPECT_EQ(Events("messaging.email.received"), 1);
}

}  // namespace
}  // namespace karton::testing

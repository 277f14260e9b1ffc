// Shared by the messaging tests: kartond with messaging and partners on a
// fresh database, a real SMTP server on loopback (aiosmtpd,
// tests/harness/smtp_sink.py) and, when asked, a fake SMS provider.
#pragma once

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string_view>
#include <thread>

#include "http_recorder.h"
#include "karton/kernel/errors.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "smtp_sink.h"
#include "throwaway_postgres.h"

namespace karton::testing {

namespace mv1 = messaging::v1;
namespace pv1 = partners::v1;

inline std::string DecodeEncodedWords(const std::string& header) {
  std::string decoded;
  for (std::size_t at = 0; (at = header.find("=?UTF-8?B?", at)) != std::string::npos;) {
    const auto end = header.find("?=", at + 10);
    const std::string base64 = header.substr(at + 10, end - at - 10);
    std::string bytes(base64.size(), '\0');
    std::size_t length = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), base64.data(),
                      base64.size(), nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL);
    decoded += bytes.substr(0, length);
    at = end;
  }
  return decoded;
}

class MessagingTest : public ::testing::Test {
 protected:
  // A failed test shows what the kartonds logged: in a split run, the
  // front's log tells a crash (or an aborted connection hazard) from a
  // refusal.
  void TearDown() override {
    if (!HasFailure()) return;
    if (front_) std::cerr << "front kartond (partners): " << front_->PostMortem();
    if (kartond_) {
      std::cerr << (front_ ? "messaging kartond: " : "kartond: ") << kartond_->PostMortem();
    }
  }

  // `extra`: more kartond options, e.g. the SMS provider's.
  void Start(int temporary_failures = 0, std::vector<std::string> extra = {}) {
    sink_ = std::make_unique<SmtpSink>(temporary_failures);
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
    extra_ = std::move(extra);
    Restart();
  }

  // KARTON_SPLIT_MESSAGING=1 (ctest's MessagingAcrossTwoKartonds): every
  // MessagingTest runs against two kartonds on one database, messaging in
  // one (kartond_: its jobs, events and pages) and partners in the other
  // (front_), each relaying calls of the other's module to it
  // (--remote-module). The test's calls go to the front, so a messaging
  // call crosses to kartond_ and messaging's partner look-ups cross back.
  static bool SplitAcrossTwoKartonds() {
    const char* split = std::getenv("KARTON_SPLIT_MESSAGING");
    return split != nullptr && std::string_view(split) == "1";
  }

  // (Re)starts kartond on the same database and SMTP server.
  void Restart() {
    kartond_.reset();
    front_.reset();
    std::vector<std::string> arguments{
        "--database-url",  conninfo_,
        "--data-dir",      data_dir_.Path().string(),
        "--modules-dir",   ProductModulesDirectory().string(),
        "--modules",       "messaging",
        "--job-poll-ms",   "100",
        "--event-poll-ms", "200",
        "--smtp-url",      sink_->Url(),
        "--mail-from",     "Karton Értesítő <noreply@karton.example>",
        "--module-option", "messaging.email_per_second=0"};
    arguments.insert(arguments.end(), extra_.begin(), extra_.end());
    if (SplitAcrossTwoKartonds()) {
      const auto secret = messaging_data_dir_.Path() / "cluster.secret";
      std::ofstream(secret) << "a test secret of more than thirty-two characters\n";
      const auto front_address = fmt::format("127.0.0.1:{}", FreeLoopbackPort());
      const auto messaging_address = fmt::format("127.0.0.1:{}", FreeLoopbackPort());
      // The front first: it bootstraps the admin (its token in data_dir_).
      front_ = std::make_unique<KartondProcess>(std::vector<std::string>{
          "--database-url", conninfo_, "--data-dir", data_dir_.Path().string(), "--modules-dir",
          ProductModulesDirectory().string(), "--modules", "partners", "--grpc-listen",
          front_address, "--event-poll-ms", "200", "--job-poll-ms", "100", "--remote-module",
          "messaging=" + messaging_address, "--cluster-secret-file", secret.string()});
      ASSERT_TRUE(front_->WaitUntilReady()) << front_->Stderr();
      arguments[3] = (messaging_data_dir_.Path() / "kartond").string();  // --data-dir
      arguments.insert(arguments.end(),
                       {"--grpc-listen", messaging_address, "--remote-module",
                        "partners=" + front_address, "--cluster-secret-file", secret.string()});
    }
    kartond_ = std::make_unique<KartondProcess>(arguments);
    ASSERT_TRUE(kartond_->WaitUntilReady()) << kartond_->Stderr();
    const KartondProcess& called = front_ ? *front_ : *kartond_;
    channel_ = grpc::CreateChannel(called.GrpcAddress(), grpc::InsecureChannelCredentials());
    messaging_ = mv1::MessagingService::NewStub(channel_);
    partners_ = partners::v1::PartnerService::NewStub(channel_);
    admin_ = called.AdminToken();
  }

  std::unique_ptr<grpc::ClientContext> Call() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context->AddMetadata("authorization", "Bearer " + admin_);
    return context;
  }

  mv1::Message WaitForStatus(std::int64_t id, mv1::MessageStatus status) {
    mv1::GetMessageRequest request;
    request.set_id(id);
    mv1::Message message;
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE(messaging_->GetMessage(Call().get(), request, &message).ok());
      if (message.status() == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return message;
  }

  mv1::Message SendInline(const std::string& address, const std::string& key = "") {
    mv1::SendMessageRequest request;
    request.set_channel(mv1::CHANNEL_EMAIL);
    request.set_category(mv1::CATEGORY_TRANSACTIONAL);
    request.mutable_recipient()->set_address(address);
    request.set_subject("Számla");
    request.set_text_body("A számla mellékelve.");
    request.set_idempotency_key(key);
    mv1::Message message;
    const auto status = messaging_->SendMessage(Call().get(), request, &message);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return message;
  }

  pv1::Partner CreatePartner(const std::string& name, const std::string& email,
                             const std::string& phone = "") {
    pv1::CreatePartnerRequest request;
    auto* partner = request.mutable_partner();
    partner->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
    partner->set_display_name(name);
    if (!email.empty()) partner->add_emails(email);
    if (!phone.empty()) partner->add_phones(phone);
    auto* address = partner->add_addresses();
    address->set_type(common::v1::ADDRESS_TYPE_BILLING);
    address->set_country("HU");
    address->set_postal_code("6720");
    address->set_city("Szeged");
    address->set_street("Kárász utca 5.");
    pv1::Partner created;
    const auto status = partners_->CreatePartner(Call().get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  // Records a partner's (or, with contact_id, a contact's) marketing
  // consent on `channel`: marketing needs an opt-in (docs/messaging.md).
  pv1::MarketingConsent RecordConsent(std::int64_t partner_id, bool granted,
                                      pv1::MarketingChannel channel = pv1::MARKETING_CHANNEL_EMAIL,
                                      std::int64_t contact_id = 0) {
    pv1::RecordMarketingConsentRequest request;
    if (contact_id != 0) {
      request.set_contact_id(contact_id);
    } else {
      request.set_partner_id(partner_id);
    }
    request.set_channel(channel);
    request.set_granted(granted);
    request.set_source(pv1::CONSENT_SOURCE_PHONE);
    request.set_evidence(granted ? "asked for the newsletter on the phone" : "said no thanks");
    pv1::MarketingConsent recorded;
    const auto status = partners_->RecordMarketingConsent(Call().get(), request, &recorded);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return recorded;
  }

  std::unique_ptr<SmtpSink> sink_;
  std::vector<std::string> extra_;
  std::string conninfo_;
  TemporaryDirectory data_dir_;
  TemporaryDirectory messaging_data_dir_;  // split: kartond_'s, beside the front's
  // Split only: the kartond that runs partners; destroyed (stopped) last.
  std::unique_ptr<KartondProcess> front_;
  std::unique_ptr<KartondProcess> kartond_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<mv1::MessagingService::Stub> messaging_;
  std::unique_ptr<partners::v1::PartnerService::Stub> partners_;
  std::string admin_;
};

}  // namespace karton::testing

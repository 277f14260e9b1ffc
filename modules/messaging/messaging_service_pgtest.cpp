// MessagingServiceImpl built directly from what it uses (issue 21):
// messaging's real SQL on a throwaway database, with a FakeModuleContext's
// clock, audit trail, event bus, job queue and public URL, and no partners
// module to call (the messages go to raw addresses). A template is stored
// and audited once; a marketing email is queued as one delivery job with an
// unsubscribe link under the public URL, unless its address opted out.
#include <google/protobuf/struct.pb.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consent/unsubscribe_token.h"
#include "delivery/delivery_job.h"
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
    service_ = std::make_unique<MessagingServiceImpl>(
        MessagingServices{*database_, context_.Time(), context_.Audit(), context_.Events(),
                          context_.JobQueue(), context_.Log(),
                          [this] { return context_.Channel(); },
                          [this] { return context_.PublicUrl(); }},
        settings_, *tokens_);
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
      (std::vector<std::string>{"messaging.consent.withdrawn", "messaging.message.suppressed"}));
  EXPECT_EQ(karton::testing::QueryScalar(conninfo_, "SELECT count(*) FROM messaging.message"), "2");
}

}  // namespace
}  // namespace karton::messaging

// Fault test (issue 20, docs/reliability.md "Fault tests"): two kartond
// replicas on one PostgreSQL under mixed load, every client thread talking
// to one of them. Whatever the other replica does at the same moment:
// every email job runs once, invoice numbers stay gap-free and unique,
// a person posting a web form to both at once becomes one lead, and every
// Subscribe stream, on either replica, sees every event once, in order.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "karton/crm/v1/web_form_service.grpc.pb.h"
#include "karton/invoicing/v1/invoice_service.grpc.pb.h"
#include "karton/kernel/v1/event_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "kartond_process.h"
#include "smtp_sink.h"
#include "throwaway_postgres.h"

namespace karton::testing {
namespace {

namespace pv1 = partners::v1;
namespace mv1 = messaging::v1;
namespace iv1 = invoicing::v1;
namespace cv1 = crm::v1;
namespace kv1 = kernel::v1;

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = SharedPostgres().CreateDatabase(DatabaseNameForCurrentTest());
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& replica : replicas_) std::cerr << "replica's log:\n" << replica->Stderr();
  }

  void StartReplicas() {
    for (auto* data_dir : {&first_dir_, &second_dir_}) {
      std::vector<std::string> arguments = {"--database-url",  conninfo_,
                                            "--data-dir",      data_dir->Path().string(),
                                            "--modules-dir",   ProductModulesDirectory().string(),
                                            "--modules",       "crm,invoicing",
                                            "--job-poll-ms",   "100",
                                            "--event-poll-ms", "200",
                                            "--smtp-url",      sink_.Url(),
                                            "--mail-from",     "Karton <noreply@karton.example>",
                                            "--module-option", "messaging.email_per_second=0",
                                            "--module-option", "crm.form_posts_per_minute=0"};
      for (const char* option :
           {"invoicing.seller_name=Őrség Hőtechnika Kft.",
            "invoicing.seller_tax_number=12345676-2-41", "invoicing.seller_postal_code=9941",
            "invoicing.seller_city=Őriszentpéter", "invoicing.seller_street=Kovácsszer 2."}) {
        arguments.insert(arguments.end(), {"--module-option", option});
      }
      replicas_.push_back(std::make_unique<KartondProcess>(arguments));
      ASSERT_TRUE(replicas_.back()->WaitUntilReady()) << replicas_.back()->Stderr();
      channels_.push_back(
          grpc::CreateChannel(replicas_.back()->GrpcAddress(), grpc::InsecureChannelCredentials()));
    }
    token_ = replicas_.front()->AdminToken();  // the first made the admin
  }

  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::seconds deadline = std::chrono::seconds(60)) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + deadline);
    context->AddMetadata("authorization", "Bearer " + token_);
    return context;
  }

  std::string Query(const std::string& sql) const { return QueryScalar(conninfo_, sql); }

  SmtpSink sink_;
  std::string conninfo_;
  TemporaryDirectory first_dir_, second_dir_;
  std::vector<std::unique_ptr<KartondProcess>> replicas_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::string token_;
};

TEST_F(ReplicasTest, MixedLoadOnTwoReplicasRunsEveryJobOnceAndKeepsNumbersAndStreamsWhole) {
  StartReplicas();
  cv1::CreateWebFormRequest form;
  form.mutable_web_form()->set_slug("ajanlat");
  form.mutable_web_form()->set_title("Ajánlatkérés");
  for (const char* name : {"name", "email", "message"}) {
    auto* field = form.mutable_web_form()->add_fields();
    field->set_name(name);
    field->set_label(name);
    field->set_type(std::string_view(name) == "email" ? cv1::WEB_FORM_FIELD_TYPE_EMAIL
                                                      : cv1::WEB_FORM_FIELD_TYPE_TEXT);
    field->set_required(true);
  }
  cv1::WebForm created_form;
  ASSERT_TRUE(cv1::WebFormService::NewStub(channels_[0])
                  ->CreateWebForm(Context().get(), form, &created_form)
                  .ok());

  // A Subscribe stream on each replica, from the head before the load.
  const std::int64_t start = std::stoll(Query("SELECT coalesce(max(id), 0) FROM kernel.event"));
  std::vector<std::vector<std::int64_t>> streamed(2);
  std::atomic<std::int64_t> final_head{-1};
  // Cancelled and joined however the test ends.
  struct Streams {
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<std::thread> threads;
    void Join() {
      for (auto& thread : threads) {
        if (thread.joinable()) thread.join();
      }
    }
    ~Streams() {
      for (auto& context : contexts) context->TryCancel();
      Join();
    }
  } streams;
  for (int replica = 0; replica < 2; ++replica) {
    streams.contexts.push_back(Context(std::chrono::seconds(300)));
  }
  for (int replica = 0; replica < 2; ++replica) {
    streams.threads.emplace_back([&, replica] {
      auto events = kv1::EventService::NewStub(channels_[replica]);
      kv1::SubscribeRequest request;
      request.add_topics("*");
      request.set_after_event_id(start);
      auto reader = events->Subscribe(streams.contexts[replica].get(), request);
      kv1::Event event;
      while (reader->Read(&event)) {
        streamed[replica].push_back(event.id());
        const std::int64_t head = final_head.load();
        if (head >= 0 && event.id() >= head) break;
      }
      streams.contexts[replica]->TryCancel();
      reader->Finish();
    });
  }

  constexpr int kThreadsPerReplica = 3;
  constexpr int kRounds = 15;
  std::mutex mutex;
  std::vector<std::string> numbers;
  std::map<std::string, std::int64_t> message_of;  // Message-ID -> message id
  std::vector<std::thread> clients;
  for (int replica = 0; replica < 2; ++replica) {
    for (int thread = 0; thread < kThreadsPerReplica; ++thread) {
      clients.emplace_back([&, replica, thread] {
        auto partners = pv1::PartnerService::NewStub(channels_[replica]);
        auto messaging = mv1::MessagingService::NewStub(channels_[replica]);
        auto invoices = iv1::InvoiceService::NewStub(channels_[replica]);
        for (int round = 0; round < kRounds; ++round) {
          const std::string who = fmt::format("r{}t{}n{}", replica, thread, round);
          pv1::CreatePartnerRequest create;
          create.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
          create.mutable_partner()->set_display_name("Ügyfél " + who);
          create.mutable_partner()->add_emails(who + "@example.hu");
          auto* address = create.mutable_partner()->add_addresses();
          address->set_type(common::v1::ADDRESS_TYPE_BILLING);
          address->set_country("HU");
          address->set_postal_code("2040");
          address->set_city("Budaörs");
          address->set_street("Szabadság út 7.");
          pv1::Partner partner;
          auto status = partners->CreatePartner(Context().get(), create, &partner);
          ASSERT_TRUE(status.ok()) << status.error_message();

          mv1::SendMessageRequest send;
          send.set_channel(mv1::CHANNEL_EMAIL);
          send.set_category(mv1::CATEGORY_TRANSACTIONAL);
          send.mutable_recipient()->set_partner_id(partner.id());
          send.set_subject("Üdvözöljük, " + who);
          send.set_text_body("Köszönjük a megrendelést.");
          mv1::Message message;
          status = messaging->SendMessage(Context().get(), send, &message);
          ASSERT_TRUE(status.ok()) << status.error_message();

          iv1::CreateInvoiceRequest draft;
          draft.mutable_invoice()->set_partner_id(partner.id());
          auto* line = draft.mutable_invoice()->add_lines();
          line->set_description("Karbantartás");
          line->set_quantity("1");
          line->mutable_unit_price()->set_minor_units(1'000'000);
          line->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
          iv1::Invoice invoice;
          status = invoices->CreateInvoice(Context().get(), draft, &invoice);
          ASSERT_TRUE(status.ok()) << status.error_message();
          iv1::IssueInvoiceRequest issue;
          issue.set_id(invoice.id());
          status = invoices->IssueInvoice(Context().get(), issue, &invoice);
          ASSERT_TRUE(status.ok()) << status.error_message();

          std::lock_guard lock(mutex);
          numbers.push_back(invoice.number());
          message_of["<" + message.provider_message_id() + ">"] = message.id();
        }
      });
    }
  }
  // Meanwhile the same people post the form to both replicas at once.
  constexpr int kVisitors = 20;
  std::vector<std::thread> visitors;
  std::atomic<int> posted{0};
  for (int replica = 0; replica < 2; ++replica) {
    visitors.emplace_back([&, replica] {
      for (int visitor = 0; visitor < kVisitors; ++visitor) {
        std::string body;
        const int status =
            HttpCall(replicas_[replica]->HttpAddress(), "POST", "/forms/ajanlat",
                     {{"Content-Type", "application/json"}},
                     fmt::format(R"({{"name":"Érdeklődő {}","email":"erdeklodo{}@example.hu",)"
                                 R"("message":"via replica {}"}})",
                                 visitor, visitor, replica),
                     body);
        EXPECT_EQ(status, 201) << body;
        if (status == 201) ++posted;
      }
    });
  }
  for (auto& client : clients) client.join();
  for (auto& visitor : visitors) visitor.join();
  ASSERT_FALSE(HasFatalFailure());

  // Every email job ran once: each message reached the SMTP server once.
  const std::size_t messages = message_of.size();
  ASSERT_EQ(messages, static_cast<std::size_t>(2 * kThreadsPerReplica * kRounds));
  ASSERT_TRUE(sink_.WaitForMessages(messages, std::chrono::seconds(120)));
  ASSERT_TRUE(
      WaitUntilNothingIsDue(conninfo_, std::chrono::system_clock::now(), std::chrono::seconds(90)));
  std::map<std::string, int> received;
  for (const ReceivedMail& mail : sink_.Messages()) ++received[mail.Header("Message-ID")];
  for (const auto& [message_id, id] : message_of) {
    EXPECT_EQ(received[message_id], 1) << "message " << id;
  }
  EXPECT_EQ(received.size(), messages);
  // One attempt each: no job was claimed twice.
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.job WHERE module = 'messaging' AND kind = "
                  "'deliver_email'"),
            std::to_string(messages));
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.job WHERE module = 'messaging' AND kind = "
                  "'deliver_email' AND (state <> 'done' OR attempts <> 1)"),
            "0");

  // Invoice numbers: 1..N of the series and year, each once.
  std::set<std::string> distinct(numbers.begin(), numbers.end());
  EXPECT_EQ(distinct.size(), numbers.size());
  std::set<int> sequence;
  for (const auto& number : distinct)
    sequence.insert(std::stoi(number.substr(number.rfind('-') + 1)));
  EXPECT_EQ(sequence.size(), numbers.size());
  EXPECT_EQ(*sequence.begin(), 1);
  EXPECT_EQ(*sequence.rbegin(), static_cast<int>(numbers.size()));

  // One lead per person however many replicas they posted to at once; the
  // second post is a message on it.
  EXPECT_EQ(posted.load(), 2 * kVisitors);
  EXPECT_EQ(Query("SELECT count(*) FROM crm.lead WHERE web_form_id IS NOT NULL"),
            std::to_string(kVisitors));
  EXPECT_EQ(Query("SELECT count(DISTINCT email) FROM crm.lead WHERE web_form_id IS NOT NULL"),
            std::to_string(kVisitors));

  // Module subscriptions: every one is at the head, nothing parked; the
  // timeline follower logged each sent email on its partner once.
  EXPECT_EQ(Query("SELECT count(*) FROM kernel.event_parked"), "0");
  EXPECT_EQ(Query("SELECT count(*) FROM partners.interaction WHERE source_module = 'messaging'"),
            std::to_string(messages));

  // The streams: on both replicas, every event after the start, once, in
  // log order. A stream stops at the head or past it; one more event
  // wakes a stream that had read the head already.
  final_head = std::stoll(Query("SELECT max(id) FROM kernel.event"));
  pv1::CreatePartnerRequest last;
  last.mutable_partner()->set_kind(pv1::PARTNER_KIND_ORGANIZATION);
  last.mutable_partner()->set_display_name("Utolsó");
  pv1::Partner unused;
  ASSERT_TRUE(pv1::PartnerService::NewStub(channels_[1])
                  ->CreatePartner(Context().get(), last, &unused)
                  .ok());
  streams.Join();
  for (int replica = 0; replica < 2; ++replica) {
    ASSERT_FALSE(streamed[replica].empty());
    EXPECT_GE(streamed[replica].back(), final_head.load());
    EXPECT_EQ(fmt::format("{}", fmt::join(streamed[replica], ",")),
              Query(fmt::format("SELECT string_agg(id::text, ',' ORDER BY id) FROM kernel.event "
                                "WHERE id > {} AND id <= {}",
                                start, streamed[replica].back())))
        << "replica " << replica;
  }
}

}  // namespace
}  // namespace karton::testing

// Journeys end to end: the heating company's newsletter. A web lead that
// became a partner gets a newsletter every two weeks for eighteen months
// (39 in all) at 09:00 Budapest time and, after a year, its salesperson a
// task to call; buying stops it. The real kartond with automation and
// orders, a real SMTP sink and a test clock moved eighteen months in
// seconds.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/crm/v1/activity_service.grpc.pb.h"
#include "karton/kernel/errors.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/v1/kernel_service.grpc.pb.h"
#include "karton/messaging/v1/messaging_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"
#include "sales_fixture.h"
#include "smtp_sink.h"

namespace karton::testing {
namespace {

namespace av1 = automation::v1;
namespace pv1 = partners::v1;
namespace mv1 = messaging::v1;
using google::protobuf::util::TimeUtil;

// The whole journey in one request: the newsletter every 14 days, 39
// times, at 09:00; the call at twelve months; stop on purchase.
constexpr const char* kHeatingJourney = R"({
  "name": "Heating newsletter", "enabled": true, "subject": "JOURNEY_SUBJECT_PARTNER",
  "enrol_topics": ["partners.partner.created"],
  "enrol_condition": "partner.tags = \"heating\"",
  "stops": {"on_purchase": true, "on_unsubscribe": true},
  "steps": [
    {"name": "Newsletter", "repeat_count": 39, "repeat_every": "1209600s", "local_time": "09:00",
     "send_template": {"template_name": "heating_newsletter", "category": "CATEGORY_MARKETING"}},
    {"name": "Call after a year", "offset": "31536000s", "local_time": "10:00",
     "create_activity": {"type": "ACTIVITY_TYPE_CALL", "assign_record_owner": true,
                         "subject": "Call {{display_name}}: a year of newsletters"}}]})";

class AutomationJourneysTest : public SalesTest {
 protected:
  void StartWithMail() {
    Start({"--test-clock", "--smtp-url", smtp_.Url(), "--mail-from", "Karton <crm@karton.example>"},
          "automation,orders");
    journeys_ = av1::JourneyService::NewStub(channel_);
    partners_ = pv1::PartnerService::NewStub(channel_);
    messaging_ = mv1::MessagingService::NewStub(channel_);
  }

  void Advance(std::chrono::hours by) {
    auto kernel = kernel::v1::KernelService::NewStub(channel_);
    kernel::v1::AdvanceClockRequest request;
    *request.mutable_duration() =
        TimeUtil::SecondsToDuration(std::chrono::duration_cast<std::chrono::seconds>(by).count());
    kernel::v1::AdvanceClockResponse response;
    const auto status = kernel->AdvanceClock(As(admin_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::int64_t HeatingProspect(const std::string& name, const std::string& email,
                               std::int64_t owner) {
    pv1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(pv1::PARTNER_KIND_PERSON);
    request.mutable_partner()->set_display_name(name);
    request.mutable_partner()->add_emails(email);
    request.mutable_partner()->add_tags("heating");
    request.mutable_partner()->set_owner_user_id(owner);
    pv1::Partner partner;
    const auto status = partners_->CreatePartner(As(admin_).get(), request, &partner);
    EXPECT_TRUE(status.ok()) << status.error_message();
    // Marketing needs an opt-in (docs/messaging.md, "Consent").
    pv1::RecordMarketingConsentRequest consent;
    consent.set_partner_id(partner.id());
    consent.set_channel(pv1::MARKETING_CHANNEL_EMAIL);
    consent.set_granted(true);
    consent.set_source(pv1::CONSENT_SOURCE_FORM);
    consent.set_evidence("newsletter sign-up form");
    pv1::MarketingConsent recorded;
    const auto opted_in = partners_->RecordMarketingConsent(As(admin_).get(), consent, &recorded);
    EXPECT_TRUE(opted_in.ok()) << opted_in.error_message();
    return partner.id();
  }

  int MessagesTo(std::int64_t partner_id) {
    mv1::ListMessagesRequest request;
    request.set_partner_id(partner_id);
    request.set_page_size(1000);
    mv1::ListMessagesResponse response;
    EXPECT_TRUE(messaging_->ListMessages(As(admin_).get(), request, &response).ok());
    return response.messages_size();
  }

  // Waits until `read` gives the same answer for a second (the jobs that
  // were due have run), at most 60 s; that answer.
  template <class Read>
  auto Settled(Read read) {
    auto last = read();
    int same = 0;
    for (int i = 0; i < 600 && same < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto now = read();
      same = now == last ? same + 1 : 0;
      last = now;
    }
    return last;
  }

  av1::Enrolment EnrolmentOf(std::int64_t journey_id, std::int64_t partner_id) {
    av1::ListEnrolmentsRequest list;
    list.set_journey_id(journey_id);
    list.set_subject_id(partner_id);
    av1::ListEnrolmentsResponse listed;
    EXPECT_TRUE(journeys_->ListEnrolments(As(admin_).get(), list, &listed).ok());
    if (listed.enrolments_size() != 1) return {};
    av1::GetEnrolmentRequest get;
    get.set_id(listed.enrolments(0).id());
    av1::Enrolment enrolment;
    EXPECT_TRUE(journeys_->GetEnrolment(As(admin_).get(), get, &enrolment).ok());
    return enrolment;
  }

  SmtpSink smtp_;
  std::unique_ptr<av1::JourneyService::Stub> journeys_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
  std::unique_ptr<mv1::MessagingService::Stub> messaging_;
};

TEST_F(AutomationJourneysTest, TheNewsletterRunsEighteenMonthsAtNineAndStopsWhenTheCustomerBuys) {
  StartWithMail();
  User("anna@karton.example", kv1::ROLE_SALES);
  const std::int64_t anna = last_user_id_;
  mv1::CreateTemplateRequest newsletter;
  newsletter.mutable_template_()->set_name("heating_newsletter");
  newsletter.mutable_template_()->set_language("hu");
  newsletter.mutable_template_()->set_channel(mv1::CHANNEL_EMAIL);
  newsletter.mutable_template_()->set_subject("Fűtési tippek, {{display_name}}");
  newsletter.mutable_template_()->set_text_body(
      "Kedves {{display_name}}! Leiratkozás: "
      "{{unsubscribe_url}}");
  mv1::Template created_template;
  ASSERT_TRUE(messaging_->CreateTemplate(As(admin_).get(), newsletter, &created_template).ok());

  av1::CreateJourneyRequest create;
  kernel::ParseProtoJson(kHeatingJourney, *create.mutable_journey());
  av1::Journey journey;
  const auto created = journeys_->CreateJourney(As(admin_).get(), create, &journey);
  ASSERT_TRUE(created.ok()) << created.error_message();

  const auto kovacs = HeatingProspect("Kovács Béla", "bela@kovacs.example", anna);
  const auto nagy = HeatingProspect("Nagy Éva", "eva@nagy.example", anna);
  Partner("Nem fűtés Kft.", 0);  // not tagged: not enrolled

  // Both are enrolled by their partner.created events; the first
  // newsletter goes at the next 09:00 in Budapest.
  auto first = Settled([&] { return EnrolmentOf(journey.id(), kovacs).steps_size(); });
  ASSERT_EQ(first, 2);
  const auto enrolment = EnrolmentOf(journey.id(), kovacs);
  EXPECT_EQ(enrolment.state(), av1::ENROLMENT_STATE_ACTIVE);
  const std::string at = TimeUtil::ToString(enrolment.steps(0).scheduled_time());
  EXPECT_TRUE(at.substr(11, 5) == "08:00" || at.substr(11, 5) == "07:00") << at;
  const auto [cli_exit, cli] = RunCommand(
      Karton() + fmt::format("automation journeys enrolments --journey {}", journey.id()));
  ASSERT_EQ(cli_exit, 0) << cli;
  EXPECT_NE(cli.find("active"), std::string::npos) << cli;
  av1::ListEnrolmentsRequest all;
  all.set_journey_id(journey.id());
  av1::ListEnrolmentsResponse listed;
  ASSERT_TRUE(journeys_->ListEnrolments(As(admin_).get(), all, &listed).ok());
  EXPECT_EQ(listed.enrolments_size(), 2);

  // Half a year: 13 newsletters each (days 0, 14, ... 168).
  Advance(std::chrono::hours(24 * 180));
  EXPECT_EQ(Settled([&] { return MessagesTo(kovacs); }), 13);
  EXPECT_EQ(Settled([&] { return MessagesTo(nagy); }), 13);

  // Nagy Éva buys a boiler: her journey stops.
  ov1::CreateProductRequest product_request;
  product_request.mutable_product()->set_sku("KAZ-24");
  product_request.mutable_product()->set_name("Kondenzációs gázkazán 24 kW");
  product_request.mutable_product()->set_unit("db");
  product_request.mutable_product()->set_vat_category(common::v1::VAT_CATEGORY_STANDARD_27);
  product_request.mutable_product()->mutable_list_price()->set_currency_code("HUF");
  product_request.mutable_product()->mutable_list_price()->set_minor_units(48900000);
  ov1::Product product;
  const auto made = products_->CreateProduct(As(admin_).get(), product_request, &product);
  ASSERT_TRUE(made.ok()) << made.error_message();
  ov1::CreateOrderRequest order_request;
  order_request.mutable_order()->set_partner_id(nagy);
  auto* line = order_request.mutable_order()->add_lines();
  line->set_product_id(product.id());
  line->set_quantity("1");
  ov1::Order order;
  const auto ordered = orders_->CreateOrder(As(admin_).get(), order_request, &order);
  ASSERT_TRUE(ordered.ok()) << ordered.error_message();
  ov1::ConfirmOrderRequest confirm;
  confirm.set_id(order.id());
  const auto confirmed = orders_->ConfirmOrder(As(admin_).get(), confirm, &order);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error_message();
  EXPECT_EQ(Settled([&] { return EnrolmentOf(journey.id(), nagy).state(); }),
            av1::ENROLMENT_STATE_STOPPED);
  EXPECT_NE(EnrolmentOf(journey.id(), nagy).end_reason().find("bought"), std::string::npos);

  // A year later than that: eighteen months from the start have passed.
  Advance(std::chrono::hours(24 * 400));
  EXPECT_EQ(Settled([&] { return MessagesTo(kovacs); }), 39);
  EXPECT_EQ(MessagesTo(nagy), 13);
  const auto done = EnrolmentOf(journey.id(), kovacs);
  EXPECT_EQ(done.state(), av1::ENROLMENT_STATE_COMPLETED);
  EXPECT_EQ(done.end_reason(), "every step ran");
  EXPECT_EQ(done.steps_size(), 40);
  const auto stopped = EnrolmentOf(journey.id(), nagy);
  int skipped = 0;
  for (const auto& step : stopped.steps()) {
    if (step.state() == av1::ACTION_STATE_SKIPPED) ++skipped;
  }
  EXPECT_EQ(skipped, 2) << "the next newsletter and the call were planned when she bought";

  // The call after a year: Kovács Béla's salesperson has it, Nagy Éva's not.
  auto activities = crm::v1::ActivityService::NewStub(channel_);
  const auto calls_of = [&](std::int64_t partner_id) {
    crm::v1::ListActivitiesRequest request;
    request.set_partner_id(partner_id);
    crm::v1::ListActivitiesResponse response;
    EXPECT_TRUE(activities->ListActivities(As(admin_).get(), request, &response).ok());
    return response;
  };
  const auto kovacs_calls = calls_of(kovacs);
  ASSERT_EQ(kovacs_calls.activities_size(), 1);
  EXPECT_EQ(kovacs_calls.activities(0).subject(), "Call Kovács Béla: a year of newsletters");
  EXPECT_EQ(kovacs_calls.activities(0).assigned_user_id(), anna);
  EXPECT_EQ(calls_of(nagy).activities_size(), 0);
  // And every newsletter reached the SMTP server once.
  EXPECT_TRUE(smtp_.WaitForMessages(13 + 39, std::chrono::seconds(60)));
  EXPECT_EQ(smtp_.Messages().size(), 13u + 39u);
}

TEST_F(AutomationJourneysTest, EnrolmentByHandOnceAndBadJourneysAreRefusedNamingTheField) {
  StartWithMail();
  const auto partner = Partner("Kézi Kft.", 0);
  av1::CreateJourneyRequest create;
  kernel::ParseProtoJson(R"({"name": "Welcome", "enabled": true,
    "steps": [{"offset": "3600s", "create_activity": {"subject": "Welcome call",
                                                      "assigned_user_ids": ["1"]}}]})",
                         *create.mutable_journey());
  av1::Journey journey;
  ASSERT_TRUE(journeys_->CreateJourney(As(admin_).get(), create, &journey).ok());
  av1::EnrolInJourneyRequest enrol;
  enrol.set_journey_id(journey.id());
  enrol.set_subject_id(partner);
  av1::Enrolment enrolment;
  ASSERT_TRUE(journeys_->EnrolInJourney(As(admin_).get(), enrol, &enrolment).ok());
  EXPECT_EQ(enrolment.state(), av1::ENROLMENT_STATE_ACTIVE);
  ASSERT_EQ(enrolment.steps_size(), 1);
  auto again = journeys_->EnrolInJourney(As(admin_).get(), enrol, &enrolment);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  av1::StopEnrolmentRequest stop;
  stop.set_id(enrolment.id());
  stop.set_reason("asked not to be called");
  ASSERT_TRUE(journeys_->StopEnrolment(As(admin_).get(), stop, &enrolment).ok());
  EXPECT_EQ(enrolment.state(), av1::ENROLMENT_STATE_STOPPED);
  EXPECT_EQ(enrolment.steps(0).state(), av1::ACTION_STATE_SKIPPED);
  // No re-entry unless the journey allows it.
  again = journeys_->EnrolInJourney(As(admin_).get(), enrol, &enrolment);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(again.error_message().find("allow_reentry"), std::string::npos);
  enrol.set_subject_id(987654);
  again = journeys_->EnrolInJourney(As(admin_).get(), enrol, &enrolment);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  kernel::ParseProtoJson(R"({"name": "Broken",
    "enrol_topics": ["partners.partner.created"], "enrol_condition": "partner.colour = \"red\"",
    "stops": {"on_purchase": true},
    "steps": [{"repeat_count": 3},
              {"wait_until": "2001-01-01T09:00", "goal": {"condition": "customer = true"}},
              {"condition": "nope = 1", "send_template": {"template_name": "x"}}]})",
                         *create.mutable_journey());
  const auto refused = journeys_->CreateJourney(As(admin_).get(), create, &journey);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> fields;
  for (const auto& violation : kernel::FieldViolationsOf(refused)) fields.insert(violation.field);
  for (const char* field :
       {"journey.enrol_condition", "journey.steps[0].repeat_every", "journey.steps[0]",
        "journey.steps[1].wait_until", "journey.steps[2].condition"}) {
    EXPECT_TRUE(fields.count(field) > 0) << field << " in " << refused.error_message();
  }
}

}  // namespace
}  // namespace karton::testing

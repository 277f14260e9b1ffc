// Recipes end to end: switching ready-made automations on, refusing one
// whose module is not loaded, and the daily birthday and name-day
// greetings on a test clock, with a real SMTP server.
#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "karton/automation/v1/journey_service.grpc.pb.h"
#include "karton/automation/v1/recipe_service.grpc.pb.h"
#include "karton/automation/v1/rule_service.grpc.pb.h"
#include "karton/hungarian_calendar/hungarian_calendar.h"
#include "karton/kernel/errors.h"
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

class AutomationRecipesTest : public SalesTest {
 protected:
  void StartWithMail() {
    Start({"--test-clock", "--smtp-url", smtp_.Url(), "--mail-from", "Karton <crm@karton.example>"},
          "automation,orders");
    recipes_ = av1::RecipeService::NewStub(channel_);
    partners_ = pv1::PartnerService::NewStub(channel_);
  }

  void Template(const std::string& name, const std::string& subject) {
    auto messaging = mv1::MessagingService::NewStub(channel_);
    mv1::CreateTemplateRequest request;
    request.mutable_template_()->set_name(name);
    request.mutable_template_()->set_language("hu");
    request.mutable_template_()->set_channel(mv1::CHANNEL_EMAIL);
    request.mutable_template_()->set_subject(subject);
    request.mutable_template_()->set_text_body("{{unsubscribe_url}}");
    mv1::Template made;
    ASSERT_TRUE(messaging->CreateTemplate(As(admin_).get(), request, &made).ok());
  }

  std::int64_t Person(const std::string& name, const std::string& email,
                      std::chrono::year_month_day birthday = {}) {
    pv1::CreatePartnerRequest request;
    request.mutable_partner()->set_kind(pv1::PARTNER_KIND_PERSON);
    request.mutable_partner()->set_display_name(name);
    request.mutable_partner()->add_emails(email);
    if (birthday.ok()) {
      auto& date = *request.mutable_partner()->mutable_birthday();
      date.set_year(static_cast<int>(birthday.year()));
      date.set_month(static_cast<unsigned>(birthday.month()));
      date.set_day(static_cast<unsigned>(birthday.day()));
    }
    pv1::Partner partner;
    const auto status = partners_->CreatePartner(As(admin_).get(), request, &partner);
    EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
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

  av1::Recipe Enable(const std::string& name, grpc::Status* status_out = nullptr) {
    av1::EnableRecipeRequest request;
    request.set_name(name);
    av1::Recipe recipe;
    const auto status = recipes_->EnableRecipe(As(admin_).get(), request, &recipe);
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
    }
    return recipe;
  }

  SmtpSink smtp_;
  std::unique_ptr<av1::RecipeService::Stub> recipes_;
  std::unique_ptr<pv1::PartnerService::Stub> partners_;
};

TEST_F(AutomationRecipesTest, RecipesSwitchOnAndTheGreetingsGoOutOnceOnTheDay) {
  StartWithMail();
  Template("birthday_greeting", "Boldog születésnapot!");
  Template("name_day_greeting", "Boldog névnapot, {{name_day_name}}!");

  av1::ListRecipesResponse listed;
  ASSERT_TRUE(recipes_->ListRecipes(As(admin_).get(), {}, &listed).ok());
  ASSERT_EQ(listed.recipes_size(), 6);
  for (const auto& recipe : listed.recipes()) {
    EXPECT_FALSE(recipe.enabled()) << recipe.name();
    EXPECT_EQ(recipe.unavailable_reason().empty(), recipe.name() != "serviced_item_ready")
        << recipe.name() << ": " << recipe.unavailable_reason();
  }
  grpc::Status refused;
  Enable("serviced_item_ready", &refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_FALSE(kernel::FieldViolationsOf(refused).empty());
  EXPECT_EQ(kernel::FieldViolationsOf(refused)[0].field, "name");
  Enable("no_such_recipe", &refused);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A rule-shaped recipe is a rule, visible with the others.
  const auto delivered = Enable("order_delivered_notice");
  EXPECT_TRUE(delivered.enabled());
  ASSERT_GT(delivered.rule_id(), 0);
  auto rules = av1::RuleService::NewStub(channel_);
  av1::GetRuleRequest get_rule;
  get_rule.set_id(delivered.rule_id());
  av1::Rule rule;
  ASSERT_TRUE(rules->GetRule(As(admin_).get(), get_rule, &rule).ok());
  EXPECT_EQ(rule.trigger_topics(0), "orders.order.delivered");
  EXPECT_TRUE(rule.enabled());
  av1::DisableRecipeRequest disable;
  disable.set_name("order_delivered_notice");
  av1::Recipe off;
  ASSERT_TRUE(recipes_->DisableRecipe(As(admin_).get(), disable, &off).ok());
  ASSERT_TRUE(rules->GetRule(As(admin_).get(), get_rule, &rule).ok());
  EXPECT_FALSE(rule.enabled());

  const auto [cli_exit, cli] = RunCommand(Karton() + "automation recipes list");
  ASSERT_EQ(cli_exit, 0) << cli;
  EXPECT_NE(cli.find("needs the helpdesk module"), std::string::npos) << cli;

  Enable("birthday_greeting");
  Enable("name_day_greeting");

  // The greetings go at the next 08:00 in Budapest: today's or tomorrow's
  // date there. People for both days; only that day's are greeted.
  using namespace std::chrono;
  const auto today = year_month_day{floor<days>(system_clock::now())};
  std::map<std::string, std::set<std::int64_t>> expected;  // "YYYY-MM-DD" -> partners
  for (int plus = -1; plus <= 2; ++plus) {
    const year_month_day day{sys_days{today} + days{plus}};
    const std::string text =
        fmt::format("{:04}-{:02}-{:02}", static_cast<int>(day.year()),
                    static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
    auto& partners = expected[text];
    const year_month_day born{year{1980}, day.month(), day.day()};
    if (born.ok()) {
      partners.insert(Person(fmt::format("Születésnapos {}", plus + 2),
                             fmt::format("born{}@example.hu", plus + 2), born));
    }
    for (const auto& name_day : hungarian_calendar::NameDaysOn(day)) {
      if (name_day.rank != hungarian_calendar::NameDayRank::kMain) continue;
      const std::string name(name_day.name);
      partners.insert(Person("Tesztelő " + name, fmt::format("nd{}@example.hu", plus + 2)));
      break;
    }
  }

  auto kernel_stub = kernel::v1::KernelService::NewStub(channel_);
  kernel::v1::AdvanceClockRequest advance;
  *advance.mutable_duration() = TimeUtil::SecondsToDuration(24 * 3600);
  kernel::v1::AdvanceClockResponse advanced;
  ASSERT_TRUE(kernel_stub->AdvanceClock(As(admin_).get(), advance, &advanced).ok());

  std::string sent;
  for (int i = 0; i < 600; ++i) {
    const std::string now =
        QueryScalar(conninfo_,
                    "SELECT count(*) || ' ' || coalesce(min(day)::text, '') || ' ' || "
                    "coalesce(max(day)::text, '') FROM automation.greeting_sent");
    if (now == sent && now.rfind("0 ", 0) != 0) break;
    sent = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string day =
      QueryScalar(conninfo_, "SELECT coalesce(max(day)::text, '') FROM automation.greeting_sent");
  ASSERT_TRUE(expected.count(day) > 0) << sent;
  EXPECT_EQ(QueryScalar(conninfo_, "SELECT count(DISTINCT day) FROM automation.greeting_sent"),
            "1");
  std::set<std::int64_t> greeted;
  const std::string ids =
      QueryScalar(conninfo_,
                  "SELECT string_agg(partner_id::text, ',' ORDER BY partner_id) FROM "
                  "automation.greeting_sent");
  for (std::size_t start = 0; start < ids.size();) {
    const auto comma = ids.find(',', start);
    greeted.insert(std::stoll(ids.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  EXPECT_EQ(greeted, expected[day]) << "greeted on " << day;
  ASSERT_TRUE(smtp_.WaitForMessages(greeted.size(), std::chrono::seconds(60)));
  EXPECT_EQ(smtp_.Messages().size(), greeted.size());
}

TEST_F(AutomationRecipesTest, TheDemoDataHasTheWorkedExamples) {
  Start({"--demo"}, "automation,orders");
  recipes_ = av1::RecipeService::NewStub(channel_);
  av1::ListRecipesResponse recipes;
  ASSERT_TRUE(recipes_->ListRecipes(As(admin_).get(), {}, &recipes).ok());
  bool name_days_on = false;
  for (const auto& recipe : recipes.recipes()) {
    if (recipe.name() == "name_day_greeting") name_days_on = recipe.enabled();
  }
  EXPECT_TRUE(name_days_on);
  auto rules = av1::RuleService::NewStub(channel_);
  av1::ListRulesResponse listed_rules;
  ASSERT_TRUE(rules->ListRules(As(admin_).get(), {}, &listed_rules).ok());
  ASSERT_EQ(listed_rules.rules_size(), 1);
  EXPECT_EQ(listed_rules.rules(0).name(), "Call before the demo licence expires");
  auto journeys = av1::JourneyService::NewStub(channel_);
  av1::ListJourneysResponse listed_journeys;
  ASSERT_TRUE(journeys->ListJourneys(As(admin_).get(), {}, &listed_journeys).ok());
  ASSERT_EQ(listed_journeys.journeys_size(), 1);
  EXPECT_EQ(listed_journeys.journeys(0).steps(0).repeat_count(), 39);
}

}  // namespace
}  // namespace karton::testing
